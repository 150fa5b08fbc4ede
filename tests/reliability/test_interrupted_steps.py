"""Defect 7 (and issue 10 #6): however a run ends — canceled, Ctrl-C on `orch run`, its worker
killed with SIGKILL — every step that started and did not finish gets a terminal state in
storage, so `orch runs show` (and every view folding the events) never shows it running."""

from __future__ import annotations

import json
import os
import signal

import psutil
import pytest

from .conftest import events, open_instance, runs, wait_for

EXECUTORS = ["in_process", "multiprocess"]


def _start(orch, repo, tmp_path, home, executor, how):
    args = ("-f", str(repo), "-p", "slow", "--executor", executor)
    if how == "sigint":
        proc = orch.popen("run", *args)
    else:
        launched = orch("launch", *args)
        assert launched.returncode == 0, launched.stderr
        proc = None
    wait_for(lambda: (tmp_path / "napping").exists(), timeout=30)
    # Committed within the writer's 50 ms window: a SIGKILL before that loses the event.
    wait_for(lambda: [e for e in events(home, runs(home)[0].run_id, "STEP_START")
                      if e.step_key == "nap"])
    return proc


def _end(home, how, proc):
    (run,) = runs(home)
    if how == "cancel":
        with open_instance(home) as instance:
            assert instance.request_cancel(run.run_id)
    elif how == "sigint":
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 130
    else:
        worker = psutil.Process(run.worker_pid)
        os.kill(run.worker_pid, signal.SIGKILL)
        worker.wait(timeout=10)
    return run


@pytest.mark.parametrize("how", ["cancel", "sigint", "kill9"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_no_step_stays_in_progress_after_the_run_ends(orch, repo, home, tmp_path, executor, how):
    proc = _start(orch, repo, tmp_path, home, executor, how)
    try:
        run = _end(home, how, proc)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
    wait_for(lambda: runs(home)[0].status.is_finished, timeout=30)
    shown = orch("runs", "show", run.run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    expected = "FAILURE" if how == "kill9" else "CANCELED"
    assert report["run"]["status"] == expected
    steps = {s["step_key"]: s for s in report["steps"]}
    assert steps["one"]["status"] == "SUCCESS"
    nap = steps["nap"]
    assert nap["status"] == expected and nap["end_time"] is not None  # canceled, not failed
    why = "exited" if how == "kill9" else "was canceled"
    assert why in nap["error"]["message"], nap
    assert "plus" not in steps or steps["plus"]["end_time"] is not None
    text = orch("runs", "show", run.run_id)
    assert "IN_PROGRESS" not in text.stdout and "…" not in text.stdout, text.stdout
