"""Code servers forked from a warm zygote (the dev loop's process model, issue 13 item 6).

Real processes throughout: a zygote interpreter, code servers forked from it, a run executed
by one of them. A stand-in third-party library (a package outside the repository, on
PYTHONPATH) and the user's module each record every process that imports them, so the tests
see who imported what: the library once in the zygote after the first load reported it, the
user's module afresh in every server.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest
from core_helpers import install_serial_executor
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus
from orch.core.watch import CodeServerPool
from orch.core.workspace import WorkspaceTarget

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

LIBRARY = """\
import os
with open(os.environ["IMPORT_LOG"], "a") as f:
    f.write(f"fakelib {os.getpid()}\\n")
VALUE = 41
"""

USER = textwrap.dedent("""\
    import os

    import fakelib

    from orch import ModeDefinition, fs_io_manager, pipeline, solid

    with open(os.environ["IMPORT_LOG"], "a") as f:
        f.write(f"user {os.getpid()}\\n")


    @solid
    def answer(context):
        return fakelib.VALUE + 1


    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
    def etl():
        answer()
""")


@pytest.fixture
def setup(tmp_path: Path):
    site = tmp_path / "site" / "fakelib"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text(LIBRARY)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "etl.py").write_text(USER)
    log = tmp_path / "imports.log"
    home = tmp_path / "orch_home"
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "IMPORT_LOG": str(log),
           "ORCH_HOME": str(home)}
    target = WorkspaceTarget.from_options(python_file=str(repo / "etl.py"),
                                          working_directory=str(repo))
    pool = CodeServerPool(cwd=str(repo), env=env)
    yield pool, target, log, home
    pool.close()


def _imports(log: Path) -> list[tuple[str, int]]:
    if not log.exists():
        return []
    return [(who, int(pid)) for who, pid in (line.split() for line in log.read_text().split(
        "\n") if line)]


def _wait(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_libraries_are_imported_once_in_the_zygote_and_user_code_in_every_server(setup):
    pool, target, log, _ = setup
    zygote_pid = pool.zygote.process.pid
    first = pool.take()
    first.load(target)
    first.close()
    assert _imports(log)[:2] == [("fakelib", first.pid), ("user", first.pid)]
    assert "fakelib" in pool.zygote.preloaded and "etl" not in pool.zygote.preloaded
    _wait(lambda: ("fakelib", zygote_pid) in _imports(log))  # the zygote imports it, idle
    assert len(_imports(log)) == 3

    servers = [pool.take() for _ in range(2)]
    for server in servers:
        server.load(target)
        server.close()
    later = _imports(log)[3:]
    # Each server is a fork that already holds the library and imports only the user's code.
    assert later == [("user", s.pid) for s in servers]
    assert len({zygote_pid, first.pid, *(s.pid for s in servers)}) == 4
    assert [s.process.returncode for s in servers] == [0, 0]


def test_a_forked_server_executes_the_run_and_reports_its_exit_code(setup):
    pool, target, _, home = setup
    server = pool.take()
    server.load(target)
    reply = server.launch("etl")
    assert server.process.wait(timeout=30) == 0
    with Instance.from_home(home) as instance:
        run = instance.get_run(reply["run_id"])
        assert run.status is PipelineRunStatus.SUCCESS
        assert run.worker_pid == server.pid
    server.close()

    doomed = pool.take()
    doomed.process.kill()
    assert doomed.process.wait(timeout=10) == -9  # as Popen reports a SIGKILL
    doomed.close()


def test_closing_the_pool_ends_the_zygote_by_itself(setup):
    """The zygote sees its socket's EOF and exits 0: it is not waited on for 2 s and then
    killed (a recv blocked in the reader thread used to keep the socket open, so quitting
    orch dev took 2 s per zygote)."""
    pool, target, _, _ = setup
    server = pool.take()
    server.load(target)
    server.close()
    zygote = pool.zygote.process
    pool.close()
    assert zygote.returncode == 0


def test_the_next_session_preloads_what_this_one_loaded(tmp_path: Path, setup):
    pool, target, log, _ = setup
    remember = tmp_path / "preload.json"
    first = CodeServerPool(cwd=pool.cwd, env=pool.env, remember=remember)
    try:
        server = first.take()
        server.load(target)
        server.close()
    finally:
        first.close()
    assert "fakelib" in remember.read_text() and "etl" not in remember.read_text()

    log.unlink()
    second = CodeServerPool(cwd=pool.cwd, env=pool.env, remember=remember)
    try:  # before any load: the zygote imports the library as soon as it starts
        _wait(lambda: _imports(log) == [("fakelib", second.zygote.process.pid)])
    finally:
        second.close()


ENV_PROBE = textwrap.dedent("""\
    import json
    import os

    from orch import pipeline, solid

    with open(os.environ["IMPORT_LOG"] + ".env", "w") as f:
        json.dump({k: os.environ.get(k) for k in ("PYTHONPYCACHEPREFIX",
                                                   "PYTHONDONTWRITEBYTECODE")}, f)


    @solid
    def noop(context):
        return 1


    @pipeline
    def probe():
        noop()
""")


def test_the_zygote_uses_the_cli_bytecode_cache_but_user_code_sees_the_users_env(
        tmp_path: Path, setup, monkeypatch: pytest.MonkeyPatch):
    import json
    import sys

    pool, target, log, _ = setup
    cache = tmp_path / "pycache"
    monkeypatch.setattr(sys, "pycache_prefix", str(cache))  # as the orch CLI sets it
    env = {**pool.env, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPYCACHEPREFIX", None)
    (Path(target.python_file).parent / "probe.py").write_text(ENV_PROBE)
    probe = WorkspaceTarget.from_options(
        python_file=str(Path(target.python_file).parent / "probe.py"),
        working_directory=target.working_directory)
    cached = CodeServerPool(cwd=pool.cwd, env=env, preload=["fakelib"])
    try:
        server = cached.take()
        server.load(probe)
        server.close()
    finally:
        cached.close()
    seen = json.loads(Path(str(log) + ".env").read_text())
    assert seen == {"PYTHONPYCACHEPREFIX": None, "PYTHONDONTWRITEBYTECODE": "1"}
    # The zygote compiled the library into the cache (and nothing of the user's).
    assert list(cache.rglob("fakelib/__init__*.pyc"))
    assert not list(cache.rglob("probe*.pyc"))



def _execution_choices(snapshot, pipeline: str) -> list[str]:
    schema = snapshot.pipelines[pipeline]["modes"][0]["run_config_schema"]
    execution = next(f for f in schema["fields"] if f["name"] == "execution")["type"]
    return sorted(f["name"] for f in execution["fields"])


def test_every_executor_is_found_in_the_zygote_not_again_in_each_server(setup, tmp_path):
    """A load's snapshot offers every executor in its run config schema: finding them scans
    every installed distribution's entry points and imports each executor's module (~45 ms
    with a few hundred packages installed), once in the zygote rather than on every reload
    of the dev loop. A third party's executor (a distribution on PYTHONPATH) is among them."""
    pool, target, log, _ = setup
    pool.close()
    install_serial_executor(tmp_path / "site")
    pool = CodeServerPool(cwd=str(tmp_path / "repo"), env=pool.env)
    try:
        zygote_pid = pool.zygote.process.pid
        servers = [pool.take() for _ in range(2)]
        snapshots = []
        for server in servers:
            snapshots.append(server.load(target))
            server.close()
        found = [(who, pid) for who, pid in _imports(log) if who in ("scan", "serial_exec")]
        assert found == [("scan", zygote_pid), ("serial_exec", zygote_pid)]
        for snapshot in snapshots:
            assert _execution_choices(snapshot, "etl") == [
                "dask", "in_process", "multiprocess", "serial"]
    finally:
        pool.close()


# -- orch dev's early zygote (orch/core/zygote_start.py) --------------------------------------
def _early_started(setup, monkeypatch: pytest.MonkeyPatch, cwd: Path) -> int:
    """A zygote started as ``orch dev`` starts it: from this process's directory and
    environment (the setup's, less ORCH_HOME, which orch dev finds only later)."""
    from orch.core import zygote_start

    pool, *_ = setup
    monkeypatch.chdir(cwd)
    for key, value in pool.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ORCH_HOME")
    zygote_start.start_early()
    assert zygote_start._early is not None
    return zygote_start._early.process.pid


def test_the_early_zygote_is_claimed_and_told_its_orch_home(setup, monkeypatch):
    _, target, _, home = setup
    early = _early_started(setup, monkeypatch, Path(target.working_directory))
    pool = CodeServerPool(cwd=target.working_directory, env={**os.environ,
                                                             "ORCH_HOME": str(home)})
    try:
        assert pool.zygote is not None and pool.zygote.process.pid == early
        server = pool.take()
        server.load(target)
        reply = server.launch("etl")  # the run is stored where ORCH_HOME says
        assert server.process.wait(timeout=30) == 0
        server.close()
        with Instance.from_home(home) as instance:
            assert instance.get_run(reply["run_id"]).status is PipelineRunStatus.SUCCESS
    finally:
        pool.close()
    assert pool.zygote.process.returncode == 0


def test_an_early_zygote_that_does_not_fit_is_stopped(setup, monkeypatch, tmp_path):
    from orch.core import zygote_start

    _, target, _, home = setup
    early = _early_started(setup, monkeypatch, tmp_path)  # not the pool's directory
    process = zygote_start._early.process
    pool = CodeServerPool(cwd=target.working_directory, env={**os.environ,
                                                             "ORCH_HOME": str(home)})
    try:
        assert process.returncode is not None  # stopped and reaped
        assert pool.zygote is not None and pool.zygote.process.pid != early
        assert zygote_start._early is None
    finally:
        pool.close()
    # Another variable than ORCH_HOME differs: not claimed either.
    _early_started(setup, monkeypatch, Path(target.working_directory))
    process = zygote_start._early.process
    other = CodeServerPool(cwd=target.working_directory, env={
        **os.environ, "ORCH_HOME": str(home), "SOMETHING_ELSE": "1"})
    try:
        assert process.returncode is not None and other.zygote.process.pid != process.pid
    finally:
        other.close()
