"""The workspace loader: targets, the subprocess snapshot, structured errors, timeouts."""

from __future__ import annotations

import time

import pytest
from orch.core.workspace import (
    WorkspaceLoadError,
    WorkspaceTarget,
    changed_solids,
    load_repository_snapshot,
)

from .conftest import SAMPLE, write_repo


def test_snapshot_of_the_sample_repository_in_a_subprocess():
    snap = load_repository_snapshot(WorkspaceTarget.from_options(str(SAMPLE)), timeout=30)
    assert snap.pipeline_names == ["hello", "regional_revenue", "sales_report"]
    assert snap.repositories[0]["name"] == "sample_repo"
    sales = snap.pipeline("sales_report")
    assert [s["name"] for s in sales["solids"]] == [
        "load_orders", "clean_orders", "report_rejected", "summarize", "write_report"]
    clean = sales["solids"][1]
    assert clean["inputs"][0]["depends_on"] == [{"solid": "load_orders", "output": "result"}]
    assert [o["name"] for o in clean["outputs"]] == ["clean", "rejected"]
    assert {"from": "clean_orders", "output": "rejected", "to": "report_rejected",
            "input": "rejected", "kind": "direct"}.items() <= sales["edges"][1].items()
    assert set(sales["code_hashes"]) == {
        "load_orders", "clean_orders", "report_rejected", "summarize.totals_by_region",
        "summarize.top_customer", "write_report"}
    [mode] = sales["modes"]
    assert mode["run_config_schema"]["kind"] == "STRICT_SHAPE"
    assert sales["presets"][0]["name"] == "sample_data"
    assert sales["origin"] == {"python_file": str(SAMPLE), "module_name": None,
                               "attribute": "sample_repo",
                               "working_directory": snap.target.working_directory}
    assert sales["pipeline_snapshot"]["name"] == "sales_report"


def test_directory_module_and_attribute_targets(tmp_path):
    write_repo(tmp_path, name="pipes.py")
    (tmp_path / "script.py").write_text("raise SystemExit('scripts are not imported')\n")
    (tmp_path / "_private.py").write_text("from orch import pipeline\nraise RuntimeError\n")
    snap = load_repository_snapshot(WorkspaceTarget.from_options(str(tmp_path)), timeout=30)
    assert "etl" in snap.pipeline_names
    assert snap.pipeline("etl")["origin"]["python_file"] == str(tmp_path / "pipes.py")

    by_module = load_repository_snapshot(
        WorkspaceTarget.from_options(module_name="pipes", attribute="etl",
                                     working_directory=str(tmp_path)), timeout=30)
    assert by_module.pipeline_names == ["etl"]
    assert by_module.pipeline("etl")["origin"]["module_name"] == "pipes"

    with pytest.raises(WorkspaceLoadError) as info:
        load_repository_snapshot(WorkspaceTarget.from_options(
            str(tmp_path / "pipes.py"), attribute="nope"), timeout=30)
    assert info.value.error.kind == "not_found"
    assert "etl" in info.value.error.message


def test_import_error_is_structured_with_the_users_traceback(tmp_path):
    (tmp_path / "helper.py").write_text("def compute():\n    return 1 / 0\n\nVALUE = compute()\n")
    broken = tmp_path / "broken.py"
    broken.write_text("from orch import pipeline\nprint('importing broken')\nimport helper\n")
    with pytest.raises(WorkspaceLoadError) as info:
        load_repository_snapshot(WorkspaceTarget.from_options(str(broken)), timeout=30)
    error = info.value.error
    assert error.kind == "import_error" and error.cls_name == "ZeroDivisionError"
    assert "ZeroDivisionError: division by zero" in error.message
    assert 'broken.py", line 3' in error.traceback and 'helper.py", line 4' in error.traceback
    assert "workspace.py" not in error.traceback  # the loader's own frames are trimmed
    assert "importing broken" in error.output
    assert LoadErrorRoundTrip(error)

    (tmp_path / "syntax.py").write_text("def oops(:\n    pass\n")
    with pytest.raises(WorkspaceLoadError) as info:
        load_repository_snapshot(WorkspaceTarget.from_options(str(tmp_path / "syntax.py")))
    assert info.value.error.cls_name == "SyntaxError"
    assert 'syntax.py", line 1' in info.value.error.traceback


def LoadErrorRoundTrip(error) -> bool:
    from orch.core.workspace import LoadError

    return LoadError.from_dict(error.to_dict()) == error


def test_a_slow_import_times_out_naming_the_module(tmp_path):
    (tmp_path / "slowdep.py").write_text("import time\ntime.sleep(30)\n")
    (tmp_path / "slow.py").write_text("from orch import pipeline\nimport slowdep\n")
    started = time.monotonic()
    with pytest.raises(WorkspaceLoadError) as info:
        load_repository_snapshot(WorkspaceTarget.from_options(str(tmp_path / "slow.py")),
                                 timeout=0.5)
    assert time.monotonic() - started < 5
    error = info.value.error
    assert error.kind == "timeout"
    assert error.module == "slowdep" and error.import_chain == ["slow", "slowdep"]
    assert 'still importing module "slowdep"' in error.message
    assert 'slowdep.py", line 2' in error.traceback


def test_a_crash_while_loading_is_reported_not_raised_into_the_caller(tmp_path):
    (tmp_path / "dies.py").write_text("import os\nos._exit(7)\n")
    with pytest.raises(WorkspaceLoadError) as info:
        load_repository_snapshot(WorkspaceTarget.from_options(str(tmp_path / "dies.py")))
    assert info.value.error.kind == "crash" and "code 7" in info.value.error.message


def test_changed_solids():
    assert changed_solids({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == ["b", "c"]
    assert changed_solids(None, {"a": "1"}) == ["a"]


def test_ignore_rules():
    from orch.core.watch import is_ignored

    root = "/repo"
    for path in ("/repo/.orch/orch.db", "/repo/pkg/__pycache__/x.cpython-311.pyc",
                 "/repo/.git/index", "/repo/x.py.swp", "/repo/x.py~", "/repo/.#x.py",
                 "/repo/#x.py#", "/repo/4913"):
        assert is_ignored(path, root), path
    for path in ("/repo/x.py", "/repo/pkg/y.py", "/repo/config.yaml"):
        assert not is_ignored(path, root), path


def test_debouncer_coalesces_bursts():
    from orch.core.watch import Debouncer

    got: list[set[str]] = []
    debouncer = Debouncer(0.05, got.append)
    try:
        for name in ("a", "b", "a"):
            debouncer.trigger(name)
            time.sleep(0.01)
        time.sleep(0.2)
        debouncer.trigger("c")
        time.sleep(0.2)
    finally:
        debouncer.close()
    assert got == [{"a", "b"}, {"c"}]


GOOD = "from orch import pipeline, solid\n\n@solid\ndef b(_):\n    return 1\n\n" \
    "@pipeline\ndef good_pipe():\n    b()\n"
BROKEN = "from orch import pipeline, solid\n\n@solid\ndef a(_):\n    return 1\n\n" \
    "undefined_name()\n\n@pipeline\ndef broken_pipe():\n    a()\n"


def test_a_directory_with_one_broken_file_loads_the_others_and_names_it(orch, home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_broken.py").write_text(BROKEN)
    (src / "good.py").write_text(GOOD)

    # The snapshot the app draws from: the good file's pipelines and the broken file's error.
    snap = load_repository_snapshot(WorkspaceTarget.from_options(str(src)), timeout=30)
    assert snap.pipeline_names == ["good_pipe"]
    [error] = snap.load_errors
    assert error.file == str(src / "a_broken.py") and error.cls_name == "NameError"
    assert error.location == f"{src / 'a_broken.py'}:7"
    assert 'a_broken.py", line 7, in <module>' in error.traceback

    listed = orch("pipeline", "list", "-f", "src")
    assert listed.returncode == 0, listed.stderr
    assert "good_pipe" in listed.stdout
    assert "a_broken.py did not load" in listed.stderr and "undefined_name" in listed.stderr

    ran = orch("run", "-f", "src", "-q")
    assert ran.returncode == 0, ran.stderr
    missing = orch("run", "-f", "src", "-p", "broken_pipe")
    assert missing.returncode == 2
    assert "(not loaded: a_broken.py)" in missing.stderr and "good_pipe" in missing.stderr

    # Every file broken: the load fails with the first file's error, as before.
    (src / "good.py").write_text(BROKEN.replace("broken_pipe", "other"))
    with pytest.raises(WorkspaceLoadError, match=r"a_broken\.py: NameError"):
        load_repository_snapshot(WorkspaceTarget.from_options(str(src)), timeout=30)
