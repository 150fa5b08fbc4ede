"""Crash recovery: runs left in progress by a worker process that is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun, PipelineRunStatus
from orch.core.storage.recovery import is_worker_alive, process_start_token

from .factories import event, raw_query


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run_with_worker(inst: Instance, status_events: list[EventType], pid: int) -> str:
    run = inst.create_run(PipelineRun("p"))
    for t in status_events:
        inst.handle_new_event(event(run, t, pid=pid))
    return run.run_id


@pytest.mark.parametrize(
    "events",
    [
        [EventType.PIPELINE_START],
        [EventType.PIPELINE_START, EventType.PIPELINE_CANCELING],
    ],
)
def test_run_with_a_dead_worker_is_failed_on_open(home: Path, events: list[EventType]) -> None:
    pid = dead_pid()
    with Instance.get() as inst:
        run_id = _run_with_worker(inst, events, pid)
    with Instance.get() as inst:
        run = inst.get_run(run_id)
        assert run.status is PipelineRunStatus.FAILURE and run.end_time is not None
        engine, failure = inst.get_logs_for_run(run_id)[-2:]
    assert engine.event_type is EventType.ENGINE_EVENT
    assert f"run worker process {pid} exited without reporting an outcome" in engine.message
    assert failure.event_type is EventType.PIPELINE_FAILURE
    assert failure.data["worker_pid"] == pid
    # Recovery happens once: opening again adds nothing.
    with Instance.get() as inst:
        assert len(inst.get_logs_for_run(run_id)) == len(events) + 2


def test_starting_run_whose_launched_worker_died_is_failed(home: Path) -> None:
    """A launcher names the worker it started in PIPELINE_STARTING's data["worker_pid"]."""
    pid = dead_pid()
    with Instance.get() as inst:
        run = inst.create_run(PipelineRun("p"))
        inst.handle_new_event(event(run, EventType.PIPELINE_STARTING, data={"worker_pid": pid}))
        assert inst.get_run(run.run_id).worker_pid == pid
        explicit = inst.create_run(PipelineRun("p", worker_pid=dead_pid()))
        inst.handle_new_event(event(explicit, EventType.PIPELINE_STARTING))
    with Instance.get() as inst:
        assert inst.get_run(run.run_id).status is PipelineRunStatus.FAILURE
        assert inst.get_run(explicit.run_id).status is PipelineRunStatus.FAILURE


def test_live_worker_and_unstarted_runs_are_left_alone(home: Path) -> None:
    with Instance.get() as inst:
        live = _run_with_worker(inst, [EventType.PIPELINE_START], os.getpid())
        queued = inst.create_run(PipelineRun("p", worker_pid=dead_pid()))
        inst.handle_new_event(event(queued, EventType.PIPELINE_ENQUEUED))
        no_pid = inst.create_run(PipelineRun("p"))
        inst.handle_new_event(event(no_pid, EventType.PIPELINE_STARTING, pid=dead_pid()))
    with Instance.get() as inst:
        assert inst.recover_crashed_runs() == []
        assert inst.get_run(live).status is PipelineRunStatus.STARTED
        assert inst.get_run(queued.run_id).status is PipelineRunStatus.QUEUED
        # STARTING is emitted by the launcher, whose pid says nothing about the worker.
        assert inst.get_run(no_pid.run_id).status is PipelineRunStatus.STARTING


def test_reused_pid_is_recognised_by_its_start_time(home: Path) -> None:
    with Instance.get() as inst:
        run_id = _run_with_worker(inst, [EventType.PIPELINE_START], os.getpid())
    token = process_start_token(os.getpid())
    assert token is not None and is_worker_alive(os.getpid(), token)
    # Pretend the recorded worker was an earlier process that had this pid.
    raw_query(home, "UPDATE runs SET worker_start_token = ? WHERE run_id = ?",
              (token - 100, run_id))
    with Instance.get() as inst:
        assert inst.get_run(run_id).status is PipelineRunStatus.FAILURE


def test_zombie_counts_as_dead() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    # Not reaped yet: a zombie once it exits.
    for _ in range(200):
        if process_start_token(proc.pid) is None:
            break
        time.sleep(0.01)
    assert process_start_token(proc.pid) is None
    proc.wait()
