"""Run monitoring as a user meets it: orch.yaml's ``run_monitoring``, a run stuck STARTING
failed after the start timeout (its worker stopped), a run whose worker was killed failed and
resumed from failure, ``orch runs monitor`` saying what it did, ``orch runs list`` showing the
lineage — real workers, real signals."""

from __future__ import annotations

import os
import signal
import textwrap
import time

import psutil

from .conftest import calls, events, runs, wait_for, write_repo

# A module that takes long to import in the run worker when asked to (stuck loading code), and a step
# that sleeps the first time only (its run's worker is killed there; the resume finishes).
REPO = '''
import os
import sys
import time
from pathlib import Path

from orch import ModeDefinition, fs_io_manager, pipeline, solid

HERE = Path(__file__).parent
if (HERE / "slow_import").exists() and sys.argv[0].endswith("worker.py"):
    time.sleep(60)  # only the run worker: `orch launch` loads the code quickly


def called(name):
    with open(HERE / "calls.log", "a") as f:
        f.write(name + "\\n")


@solid
def extract(context) -> int:
    called("extract")
    return 1


@solid
def crunch(context, x: int) -> int:
    called("crunch")
    first = HERE / "crunched_once"
    if not first.exists():
        first.write_text(str(os.getpid()))
        time.sleep(60)
    return x + 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def nightly():
    crunch(extract())
'''


def _home(home, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "orch.yaml").write_text(textwrap.dedent(text))


def _worker_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if "orch.core.worker" in " ".join(p.info["cmdline"] or [])]


def test_a_run_stuck_starting_fails_after_the_start_timeout_and_its_worker_is_stopped(
        orch, home, tmp_path):
    repo = write_repo(tmp_path, REPO)
    (tmp_path / "slow_import").touch()
    _home(home, "run_monitoring: {start_timeout_seconds: 1}\n")
    before = set(_worker_pids())
    launched = orch("launch", "-f", str(repo), "-p", "nightly")
    assert launched.returncode == 0, launched.stderr
    run_id = launched.stdout.strip()
    worker = wait_for(lambda: [p for p in _worker_pids() if p not in before])[0]
    assert runs(home)[0].status.value == "STARTING"  # importing the code, for a minute
    time.sleep(1.2)
    monitored = orch("runs", "monitor")
    assert monitored.returncode == 0, monitored.stderr
    assert monitored.stdout.strip() == \
        f"{run_id} FAILURE: did not start within the start timeout"
    [run] = runs(home)
    assert run.status.value == "FAILURE"
    failure = events(home, run_id, "PIPELINE_FAILURE")[0]
    assert "took longer than 1 seconds to start" in failure.message
    assert failure.data["error"]["cls_name"] == "RunStartTimeout"
    assert wait_for(lambda: not psutil.pid_exists(worker)
                    or psutil.Process(worker).status() == psutil.STATUS_ZOMBIE)
    assert calls(tmp_path) == []  # the worker never started the run later


def test_a_killed_worker_fails_its_run_and_the_monitor_resumes_it_from_failure(
        orch, home, tmp_path):
    repo = write_repo(tmp_path, REPO)
    _home(home, "run_monitoring: {max_resume_run_attempts: 1}\n")
    launched = orch("launch", "-f", str(repo), "-p", "nightly")
    run_id = launched.stdout.strip()
    marker = tmp_path / "crunched_once"
    wait_for(lambda: marker.exists() and marker.read_text(), timeout=30)
    # extract's outcome is stored before crunch starts: what a resume may reuse is on disk.
    wait_for(lambda: [e for e in events(home, run_id, "STEP_START") if e.step_key == "crunch"])
    os.kill(runs(home)[0].worker_pid, signal.SIGKILL)  # in-process: the step runs in it

    monitored = orch("runs", "monitor")
    assert monitored.returncode == 0, monitored.stderr
    lines = monitored.stdout.splitlines()
    assert lines[0] == f"{run_id} FAILURE: its worker process is gone"
    resumed_id = lines[1].removeprefix(f"{run_id} resumed from failure as ")
    wait_for(lambda: runs(home)[-1].status.value == "SUCCESS", timeout=60)
    parent, child = runs(home)
    assert (parent.run_id, parent.status.value) == (run_id, "FAILURE")
    assert child.run_id == resumed_id and child.parent_run_id == run_id
    assert child.tags["orch/is_resume_retry"] == "true" and child.tags["orch/resume_attempt"] == "1"
    assert child.step_keys_to_execute == ["crunch"]  # chosen by the worker, from failure
    assert calls(tmp_path) == ["extract", "crunch", "crunch"]  # extract's output was reused
    resumed_note = [e for e in events(home, run_id, "ENGINE_EVENT") if "Resuming" in e.message]
    assert resumed_note and resumed_id in resumed_note[0].message

    listed = orch("runs", "list", "--tag", "orch/is_resume_retry=true", env={"COLUMNS": "200"})
    rows = [line for line in listed.stdout.splitlines()[1:] if line.strip()]
    assert len(rows) == 1 and resumed_id[:8] in rows[0] and run_id[:8] in rows[0]


def test_resumes_stop_at_max_resume_run_attempts(orch, home, tmp_path):
    repo = write_repo(tmp_path, REPO.replace("if not first.exists():", "if True:"))
    _home(home, "run_monitoring: {max_resume_run_attempts: 1}\n")
    orch("launch", "-f", str(repo), "-p", "nightly")
    marker = tmp_path / "crunched_once"
    for _attempt in range(2):
        wait_for(lambda: marker.exists() and marker.read_text(), timeout=30)
        marker.unlink()
        victim = wait_for(lambda: [r for r in runs(home) if r.status.value == "STARTED"
                                   and r.worker_pid], timeout=30)[0]
        os.kill(victim.worker_pid, signal.SIGKILL)
        orch("runs", "monitor")
    statuses = [r.status.value for r in runs(home)]
    assert statuses == ["FAILURE", "FAILURE"]  # the first run and its one resume; no third


def test_bad_run_monitoring_config_is_exit_2_with_the_valid_keys(orch, home, repo):
    _home(home, "run_monitoring: {start_timeout: 5}\n")
    listed = orch("runs", "list")
    assert listed.returncode == 2
    assert "run_monitoring: unknown key 'start_timeout'; valid keys: enabled, " \
        "max_resume_run_attempts, poll_interval_seconds, start_timeout_seconds" in listed.stderr
    _home(home, "run_monitoring: {start_timeout_seconds: soon}\n")
    listed = orch("runs", "list")
    assert listed.returncode == 2
    assert "start_timeout_seconds: expected a number ≥ 0, got 'soon'" in listed.stderr
