"""core/plugins.py: orch's own entry points read from its entry_points.txt, as
importlib.metadata reads them, without importing importlib.metadata."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

from core_helpers import install_serial_executor
from hypothesis import given
from hypothesis import strategies as st
from orch.core import plugins

_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,12}", fullmatch=True)
_VALUE = st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z_][a-z0-9_]{0,6}){0,2}(:[A-Za-z_]\w{0,6}"
                       r"(\.[A-Za-z_]\w{0,6})?)?", fullmatch=True)


def test_orch_s_own_entry_points_are_importlib_metadata_s():
    expected = {(ep.group, ep.name, ep.value) for ep in distribution("orch").entry_points}
    found = {(p.group, p.name, p.value) for group in plugins._own().values()
             for p in group.values()}
    assert found == expected
    assert ("orch.storage", "postgres") in {(g, n) for g, n, _ in found}


def test_find_loads_the_registered_object():
    from orch.core.storage.sqlite import SqliteStorage
    from orch.executors.multiprocess import multiprocess_executor

    assert plugins.find("orch.storage", "sqlite").load() is SqliteStorage
    assert plugins.find("orch.executors", "multiprocess").load() is multiprocess_executor
    assert plugins.find("orch.storage", "no-such-backend") is None


def test_everyones_includes_other_distributions_entry_points():
    # console_scripts of pip (installed in every venv) are another distribution's
    assert "pip" in plugins.everyones("console_scripts")
    assert plugins.everyones("console_scripts")["orch"].value == "orch.cli:main"


def test_finding_orch_s_own_does_not_import_importlib_metadata():
    code = ("import sys; from orch.core import plugins; "
            "p = plugins.find('orch.storage', 'postgres'); "
            "assert p is not None and p.value.endswith(':PostgresStorage'), p; "
            "assert 'importlib.metadata' not in sys.modules, 'imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@given(st.lists(st.tuples(_NAME, st.lists(st.tuples(_NAME, _VALUE), max_size=4)), max_size=4),
       st.sampled_from(["", "\n", "# a comment\n", "\n\n"]))
def test_parse_matches_importlib_metadata(groups, filler):
    text = filler + "".join(
        f"[{group}]\n{filler}" + "".join(f"{name} = {value}\n" for name, value in entries)
        + filler for group, entries in groups)
    ours = {(p.group, p.name, p.value) for group in plugins.parse_entry_points(text).values()
            for p in group.values()}
    theirs = {(ep.group, ep.name, ep.value) for ep in _importlib_metadata_parse(text)}
    assert ours == theirs


def _importlib_metadata_parse(text: str) -> list[EntryPoint]:
    """What importlib.metadata makes of an entry_points.txt (a later duplicate wins, as in
    a dict: that is what a lookup by name gets from it)."""
    from importlib.metadata import Distribution

    class InMemory(Distribution):
        def read_text(self, filename: str) -> str | None:
            return text if filename == "entry_points.txt" else None

        def locate_file(self, path):  # pragma: no cover - unused
            raise NotImplementedError

    last = {}
    for ep in InMemory().entry_points:
        last[(ep.group, ep.name)] = ep
    return list(last.values())



def test_orch_run_reads_other_distributions_entry_points_only_for_an_executor_not_orchs(
    tmp_path,
):
    """``orch run`` checks run config against a schema offering every executor. With a few
    hundred packages installed, reading each one's entry points was ~20 ms of every run
    (and loading all of orch's, more): a run naming one of orch's executors, or none, reads
    no other distribution's; one naming a third party's finds it; an unknown name's error
    lists every choice."""
    site = tmp_path / "site"
    install_serial_executor(site)
    (tmp_path / "one.py").write_text(
        "from orch import pipeline, solid\n\n@solid\ndef hello(_):\n    print('hello ran')\n"
        "\n@pipeline\ndef one():\n    hello()\n")
    scans = tmp_path / "scans"
    env = {**os.environ, "PYTHONPATH": str(site), "IMPORT_LOG": str(scans),
           "ORCH_HOME": str(tmp_path / "home")}

    def orch_run(execution: str) -> subprocess.CompletedProcess[str]:
        config = tmp_path / "run.yaml"
        config.write_text(execution)
        scans.write_text("")
        orch = str(Path(sys.executable).parent / "orch")
        return subprocess.run([orch, "run", "-f", "one.py", "-c", str(config)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)

    for execution in ("{}\n", "execution: {in_process: {}}\n"):
        done = orch_run(execution)
        assert done.returncode == 0, done.stderr
        assert "hello ran" in done.stdout + done.stderr
        assert "scan" not in scans.read_text()

    done = orch_run("execution: {serial: {config: {label: x}}}\n")
    assert done.returncode == 0, done.stderr
    assert "hello ran" in done.stdout + done.stderr
    assert "scan" in scans.read_text()

    done = orch_run("execution: {seriall: {}}\n")
    assert done.returncode == 2, done.stdout + done.stderr
    for choice in ("dask", "in_process", "multiprocess", "serial"):
        # each with its real config ({...}), not an unchecked placeholder
        assert re.search(rf"\b{choice}\??: {{\.\.\.}}", done.stderr + done.stdout), choice
    assert 'Did you mean "serial"?' in done.stderr + done.stdout
