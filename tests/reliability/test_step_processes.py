"""Defects 5 and 6: a step's timeout holds under every executor and a bad one is refused
before the run; a process a step forks neither holds the run open nor outlives the step
(unless the step opts out)."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from .conftest import events, runs


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_looping_step_is_stopped_by_its_timeout_and_the_others_run(orch, repo, home,
                                                                     executor):
    started = time.monotonic()
    result = orch("run", "-f", str(repo), "-p", "looping", "--executor", executor, timeout=60)
    assert time.monotonic() - started < 20
    assert result.returncode == 1, result.stderr
    (run,) = runs(home)
    (failure,) = events(home, run.run_id, "STEP_FAILURE")
    assert failure.step_key == "spins"
    assert "timeout of 0.5s" in (failure.message + failure.data["error"]["message"])
    assert {e.step_key for e in events(home, run.run_id, "STEP_SUCCESS")} == {"one", "plus"}


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_timeout_tag_that_is_not_a_number_is_refused_before_the_run(orch, repo, home,
                                                                      executor):
    result = orch("run", "-f", str(repo), "-p", "bad_timeout", "--executor", executor)
    assert result.returncode == 2, result.stderr
    assert "badly_tagged" in result.stderr and "timeout='soon'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not home.exists() or runs(home) == []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_forked_grandchild_neither_holds_the_run_open_nor_outlives_its_step(orch, repo,
                                                                              tmp_path):
    started = time.monotonic()
    result = orch("run", "-f", str(repo), "-p", "forking", "--executor", "multiprocess")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    grandchild = int((tmp_path / "grandchild").read_text())
    assert elapsed < 15, f"the run took {elapsed:.1f}s: the grandchild held it open"
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_a_step_tagged_keep_processes_may_leave_a_daemon_running(orch, repo, tmp_path):
    result = orch("run", "-f", str(repo), "-p", "keeping", "--executor", "multiprocess")
    assert result.returncode == 0, result.stderr
    daemon = int((tmp_path / "daemon").read_text())
    try:
        assert _alive(daemon)
    finally:
        os.kill(daemon, signal.SIGKILL)
