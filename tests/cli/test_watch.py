"""`orch run --watch`: a save reloads the code and re-executes the selection as a child run."""

from __future__ import annotations

import signal
import time

import psutil

from .conftest import REPO, calls, events, runs, wait_for, write_repo


def _stderr(path) -> str:
    return path.read_text() if path.exists() else ""


def _finished_runs(home, count):
    found = runs(home) if home.exists() else []
    if len(found) >= count and all(r.status.is_finished for r in found[:count]):
        return found
    return None


def _stop(proc, family):
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=15)
    _gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, f"left running: {alive}"
    return proc.returncode


def test_watch_reexecutes_selection_on_save_and_survives_a_broken_import(orch, home, tmp_path):
    repo = write_repo(tmp_path)
    err_path = tmp_path / "watch.err"
    with open(err_path, "w") as err:
        proc = orch.popen("run", "--watch", "-f", str(repo), "-p", "etl", "-s", "transform+",
                          stderr=err, stdout=None)
    family: list = []
    try:
        [first] = wait_for(lambda: _finished_runs(home, 1), timeout=20)
        assert first.status.value == "SUCCESS"
        assert calls(tmp_path) == ["extract", "transform", "load"]
        family = psutil.Process(proc.pid).children(recursive=True)  # the warm code server

        saved = time.time()
        write_repo(tmp_path, REPO.replace("return x + 1", "return x + 10"))
        second = wait_for(lambda: (r := runs(home)) and len(r) >= 2 and r[1], timeout=2)
        start = wait_for(lambda: events(home, second.run_id, "STEP_START"), timeout=2)[0]
        assert start.step_key == "transform"
        assert start.timestamp - saved < 2.0
        [_, second] = wait_for(lambda: _finished_runs(home, 2), timeout=10)
        assert second.status.value == "SUCCESS"
        assert second.parent_run_id == first.run_id
        assert calls(tmp_path)[3:] == ["transform", "load"]  # extract's output was reused
        wait_for(lambda: "loaded 11" in _stderr(err_path), timeout=5)

        # A save that breaks the import: the user's traceback, and the loop waits.
        broken = REPO.replace("return x + 1", "return x +* 1")
        write_repo(tmp_path, broken)
        wait_for(lambda: "waiting for the next save" in _stderr(err_path), timeout=5)
        text = _stderr(err_path)
        assert "SyntaxError" in text and 'repo.py", line' in text and "x +* 1" in text
        assert len(runs(home)) == 2

        # The next good save recovers: a child of the last good run.
        write_repo(tmp_path, REPO.replace("return x + 1", "return x + 100"))
        [_, _, third] = wait_for(lambda: _finished_runs(home, 3), timeout=10)
        assert third.status.value == "SUCCESS" and third.parent_run_id == second.run_id
        wait_for(lambda: "loaded 101" in _stderr(err_path), timeout=5)
        assert calls(tmp_path).count("extract") == 1
        family += psutil.Process(proc.pid).children(recursive=True)
    finally:
        if proc.poll() is None:
            code = _stop(proc, family)
        else:
            code = proc.returncode
    assert code == 130, _stderr(err_path)


def test_watch_changed_reexecutes_only_changed_solids_and_downstream(orch, home, tmp_path):
    repo = write_repo(tmp_path)
    err_path = tmp_path / "watch.err"
    with open(err_path, "w") as err:
        proc = orch.popen("run", "--watch", "--changed", "-f", str(repo), "-p", "etl",
                          stderr=err, stdout=None)
    family: list = []
    try:
        wait_for(lambda: _finished_runs(home, 1), timeout=20)
        family = psutil.Process(proc.pid).children(recursive=True)
        # Only `load` changes: extract and transform are loaded from the first run.
        write_repo(tmp_path, REPO.replace('f"loaded {x}"', 'f"now loaded {x}"'))
        [_first, second] = wait_for(lambda: _finished_runs(home, 2), timeout=10)
        assert second.status.value == "SUCCESS"
        assert [e.step_key for e in events(home, second.run_id, "STEP_START")] == ["load"]
        assert second.tags["orch/step_selection"] == "changed:load"
        wait_for(lambda: "changed solids: load" in _stderr(err_path), timeout=5)
        # Changing transform re-runs it and its downstream.
        write_repo(tmp_path, REPO.replace('f"loaded {x}"', 'f"now loaded {x}"')
                   .replace("return x + 1", "return x + 2"))
        [*_, third] = wait_for(lambda: _finished_runs(home, 3), timeout=10)
        assert [e.step_key for e in events(home, third.run_id, "STEP_START")] == \
            ["transform", "load"]
        assert calls(tmp_path) == ["extract", "transform", "load", "load", "transform", "load"]
        family += psutil.Process(proc.pid).children(recursive=True)
    finally:
        code = _stop(proc, family) if proc.poll() is None else proc.returncode
    assert code == 130


def test_watch_changed_quiet_reports_a_failed_child_run(orch, home, tmp_path):
    repo = write_repo(tmp_path)
    err_path = tmp_path / "watch.err"
    with open(err_path, "w") as err:
        proc = orch.popen("run", "--watch", "--changed", "-q", "-f", str(repo), "-p", "etl",
                          stderr=err, stdout=None)
    family: list = []
    try:
        [first] = wait_for(lambda: _finished_runs(home, 1), timeout=20)
        wait_for(lambda: f"run {first.run_id} SUCCESS" in _stderr(err_path), timeout=5)
        family = psutil.Process(proc.pid).children(recursive=True)
        broken = REPO.replace('    context.log.info(f"loaded {x}")',
                              '    raise KeyError("missing")')
        write_repo(tmp_path, broken)
        [_, second] = wait_for(lambda: _finished_runs(home, 2), timeout=10)
        assert second.status.value == "FAILURE"
        line = next(i for i, t in enumerate(repo.read_text().splitlines(), 1)
                    if 'KeyError("missing")' in t)
        text = wait_for(lambda: f"run {second.run_id} FAILURE" in (t := _stderr(err_path)) and t,
                        timeout=5)
        assert f"FAILED   load: KeyError: 'missing' (at repo.py:{line})" in text  # cwd-relative
        assert "START" not in text  # quiet: no progress, only each run's outcome
        family += psutil.Process(proc.pid).children(recursive=True)
    finally:
        code = _stop(proc, family) if proc.poll() is None else proc.returncode
    assert code == 130
