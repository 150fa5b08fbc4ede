"""Crash recovery: runs whose worker process died without reporting an outcome.

A run records its worker's pid and a *start token* (the process's start time). On open, a
persistent instance looks at runs in STARTING/STARTED/CANCELING (one indexed query) and fails
those whose worker is gone. Comparing start tokens catches a pid reused by a new process.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from ..events import EventRecord, EventType
from ..runs import PipelineRunStatus

if TYPE_CHECKING:
    from .base import RunWorker, Storage


def process_start_token(pid: int) -> float | None:
    """When process ``pid`` started (an opaque, comparable number), or None if it is gone.

    Zombies count as gone. On Linux this reads ``/proc/<pid>/stat`` (clock ticks since boot),
    elsewhere psutil's create time; either way the same function produces and checks tokens.
    """
    if pid <= 0:
        return None
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            return None
        except OSError:
            pass
        else:
            # Fields after the parenthesised command name: state is field 3, starttime 22.
            fields = stat.rsplit(b")", 1)[1].split()
            if fields[0] in (b"Z", b"X", b"x"):
                return None
            return float(fields[19])
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency of the dev extra only
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return 0.0
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return 0.0


def is_worker_alive(pid: int, start_token: float | None) -> bool:
    """True if ``pid`` runs and (when a token was recorded) is the same process as before."""
    current = process_start_token(pid)
    if current is None:
        return False
    if start_token is None or current == 0.0 or start_token == 0.0:
        return True
    return abs(current - start_token) < 0.01


def recover_crashed_runs(storage: Storage) -> list[str]:
    """Fail every in-progress run whose worker process has exited; returns their run ids.

    Each gets an ENGINE_EVENT and a PIPELINE_FAILURE saying which process died, committed only
    if the run is still in progress under that pid (two processes opening at once write once).
    """
    recovered = []
    for worker in storage.in_progress_run_workers():
        if is_worker_alive(worker.pid, worker.start_token):
            continue
        if storage.fail_run_if_unchanged(worker, worker_exit_events(worker)):
            recovered.append(worker.run_id)
    return recovered


def worker_exit_events(worker: RunWorker) -> list[EventRecord]:
    if worker.status is PipelineRunStatus.NOT_STARTED:
        reason = (f"process {worker.pid}, which created the run, exited before launching it")
    else:
        reason = f"run worker process {worker.pid} exited without reporting an outcome"
    data = {"reason": "worker_exited", "worker_pid": worker.pid, "status": worker.status.value}
    common = {"run_id": worker.run_id, "pipeline_name": worker.pipeline_name, "pid": os.getpid()}
    return [
        EventRecord(
            event_type=EventType.ENGINE_EVENT,
            message=f"{reason} (run was {worker.status.value}); marking the run failed.",
            level=logging.ERROR,
            data=data,
            **common,
        ),
        EventRecord(
            event_type=EventType.PIPELINE_FAILURE,
            message=f"Run failed: {reason}.",
            level=logging.ERROR,
            data=data,
            **common,
        ),
    ]
