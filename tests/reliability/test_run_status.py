"""Defects 2 and 11: run status only moves forward, enforced in storage; PIPELINE_STARTING is
committed before the worker exists; a run whose creator died before launching it does not stay
NOT_STARTED."""

from __future__ import annotations

import subprocess

import pytest
from orch.core import launcher
from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
from orch.core.launcher import create_run, launch_run
from orch.core.runs import PipelineRun, PipelineRunStatus

from orch import ReconstructablePipeline

from .conftest import events, runs


def _event(run: PipelineRun, event_type: EventType, **data) -> EventRecord:
    return EventRecord(run.run_id, run.pipeline_name, event_type, data=data)


@pytest.mark.parametrize("late", [EventType.PIPELINE_STARTING, EventType.PIPELINE_START,
                                  EventType.PIPELINE_CANCELING, EventType.PIPELINE_FAILURE])
def test_a_finished_run_is_never_moved_by_a_late_run_event(tmp_path, late):
    with Instance.from_home(tmp_path / ".orch") as instance:
        run = instance.create_run(PipelineRun("p"))
        for t in (EventType.PIPELINE_START, EventType.PIPELINE_SUCCESS, late):
            instance.handle_new_event(_event(run, t))
        stored = instance.get_run(run.run_id)
        assert stored.status is PipelineRunStatus.SUCCESS
        assert len(instance.get_logs_for_run(run.run_id)) == 3  # the late event is history
    with Instance.from_home(tmp_path / ".orch") as reopened:  # recovery leaves it alone
        assert reopened.get_run(run.run_id).status is PipelineRunStatus.SUCCESS


def test_a_run_never_moves_back_from_started_to_starting(tmp_path):
    with Instance.from_home(tmp_path / ".orch") as instance:
        run = instance.create_run(PipelineRun("p"))
        instance.handle_new_event(_event(run, EventType.PIPELINE_START))
        instance.handle_new_event(_event(run, EventType.PIPELINE_STARTING, worker_pid=1))
        assert instance.get_run(run.run_id).status is PipelineRunStatus.STARTED


class _SlowParentPopen(subprocess.Popen):
    """A real Popen whose caller is descheduled until the child has finished: the
    interleaving in which the worker's whole run commits before the launcher's next line."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wait(timeout=60)


def test_a_worker_that_finishes_before_its_launcher_resumes_is_still_a_success(
        tmp_path, repo, home, monkeypatch):
    monkeypatch.setenv("ORCH_HOME", str(home))
    monkeypatch.setattr(launcher.subprocess, "Popen", _SlowParentPopen)
    target = ReconstructablePipeline("fast", python_file=str(repo), attribute="fast",
                                     working_directory=str(tmp_path))
    with Instance.from_home(home) as instance:
        run = create_run(instance, target)
        process = launch_run(instance, run, stderr=subprocess.PIPE)
        assert process.returncode == 0, process.stderr.read()
        assert instance.get_run(run.run_id).status is PipelineRunStatus.SUCCESS
    (stored,) = runs(home)  # reopening runs crash recovery: it must find nothing to fail
    assert stored.status is PipelineRunStatus.SUCCESS
    run_events = [e.event_type_value for e in events(home, run.run_id)
                  if e.event_type_value and e.event_type_value.startswith("PIPELINE_")]
    assert run_events == ["PIPELINE_STARTING", "PIPELINE_START", "PIPELINE_SUCCESS"]


CREATE_AND_DIE = """
import os, sys
from orch.core.instance import Instance
from orch.core.launcher import create_run
from orch import ReconstructablePipeline
target = ReconstructablePipeline("fast", python_file=sys.argv[1], attribute="fast")
instance = Instance.get()
run = create_run(instance, target)
print(run.run_id, flush=True)
os._exit(9)  # dies between storing the run and starting its worker
"""


def test_a_run_whose_creator_died_before_launching_it_is_failed_on_next_open(
        tmp_path, repo, home, env):
    import sys

    out = subprocess.run([sys.executable, "-c", CREATE_AND_DIE, str(repo)], env=env,
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    run_id = out.stdout.strip()
    assert out.returncode == 9 and run_id, out.stderr
    (stored,) = runs(home)
    assert stored.run_id == run_id
    assert stored.status is PipelineRunStatus.FAILURE
    failure = events(home, run_id, "PIPELINE_FAILURE")[0]
    assert "exited before launching it" in failure.message


FOLLOW_A_FORK = """
import json, os, signal, sys, time
from pathlib import Path
from orch.core.instance import Instance
from orch.core.launcher import create_run, fork_run
from orch import ReconstructablePipeline
repo, name, kill = sys.argv[1], sys.argv[2], sys.argv[3] == "kill"
target = ReconstructablePipeline(name, python_file=repo, attribute=name)
with Instance.get() as instance:
    run = create_run(instance, target)
    worker = fork_run(instance, run, target.get_definition())
    if kill:
        napping = Path(repo).parent / "napping"
        while not napping.exists():
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
    start = time.monotonic()
    worker.pause(120)
    waited = time.monotonic() - start
    status = instance.get_run(run.run_id).status.value
    print(json.dumps({"waited": waited, "status": status, "done": worker.reported_done,
                      "exit": worker.wait(60)}))
"""


@pytest.mark.parametrize("how", ["ends", "kill"])
def test_a_forked_worker_cuts_its_callers_pause_short_once_the_run_is_stored_or_it_died(
        tmp_path, repo, env, how):
    """``orch run -q`` sleeps long between polls of storage and relies on this: the pause
    ends when the worker's run is over (its final status already committed) or when it
    dies, not when the 120 s run out."""
    import json
    import sys

    out = subprocess.run([sys.executable, "-c", FOLLOW_A_FORK, str(repo), "slow", how],
                         env={**env, "NAP": "0.5" if how == "ends" else "60"},
                         capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["waited"] < 60 and seen["done"]
    if how == "ends":
        assert (seen["status"], seen["exit"]) == ("SUCCESS", 0)
    else:
        # the worker died mid-step: the run is still STARTED (recovery fails it later)
        assert (seen["status"], seen["exit"]) == ("STARTED", -9)


def test_the_run_fold_every_view_reads_agrees_that_a_finished_run_stays_finished():
    from orch.core.run_progress import RunProgress

    progress = RunProgress("r", ["a"])
    for t in (EventType.PIPELINE_START, EventType.PIPELINE_SUCCESS,
              EventType.PIPELINE_STARTING):
        progress.event(EventRecord("r", "p", t))
    assert progress.status is PipelineRunStatus.SUCCESS and progress.finished
