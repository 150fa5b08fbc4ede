"""Launching runs: create the run record, then hand it to a fresh run-worker process."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from .events import EventRecord, EventType
from .runs import PipelineRun


def create_run(instance: Any, pipeline: Any, **prepare_kwargs: Any) -> PipelineRun:
    """Validate everything (config, selection, mode, preset) and store the run NOT_STARTED.

    ``pipeline`` must carry its origin (``reconstructable(...)`` or a loaded workspace
    pipeline) so the worker can import it again. Invalid input raises before anything is
    stored."""
    from .definitions.snapshot import pipeline_snapshot
    from .execution.api import prepare_run

    prepared = prepare_run(pipeline, **prepare_kwargs)
    return instance.create_run(prepared.run, pipeline_snapshot(prepared.pipeline_def),
                               prepared.plan.snapshot())


def launch_run(instance: Any, run: PipelineRun, *, stdout: Any = None, stderr: Any = None,
               env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python -m orch.core.worker RUN_ID`` for a stored run.

    PIPELINE_STARTING is committed *before* the worker exists (naming this process as the one
    responsible), so it can never land after the worker's own events; once the worker runs,
    its pid is recorded for crash recovery. If this process dies in between, recovery fails
    the run instead of leaving it STARTING."""
    child_env = dict(os.environ if env is None else env)
    if instance.root_dir is not None:
        child_env["ORCH_HOME"] = str(instance.root_dir)
    working_directory = (run.pipeline_origin or {}).get("working_directory") or os.getcwd()
    instance.handle_new_event(EventRecord(
        run.run_id, run.pipeline_name, EventType.PIPELINE_STARTING,
        f"Launching a run worker process from process {os.getpid()}.",
        data={"worker_pid": os.getpid()},
    ))
    process = subprocess.Popen(
        [sys.executable, "-m", "orch.core.worker", run.run_id],
        cwd=working_directory, env=child_env, stdout=stdout, stderr=stderr,
        start_new_session=False,
    )
    instance.storage.set_run_worker(run.run_id, process.pid)
    return process
