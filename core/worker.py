"""The run worker: ``python -m orch.core.worker RUN_ID`` executes a stored run in a fresh
process, so every run loads the current code. The app and the daemon launch it; ``orch run``,
which has just loaded the code itself, forks it instead (``launcher.fork_run``: the same
``execute_stored_run`` in a process of its own, without a second interpreter).

Exit codes: 0 success, 1 run failure, 2 the run or its code could not be loaded, 130 canceled.
SIGTERM/SIGINT cancel the run: with the in-process executor the signal interrupts the running
step at once; with the multiprocess executor it is noticed within one scheduler turn and the
step processes are terminated. A cancel requested through the instance is polled too.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .errors import DagsterExecutionInterruptedError, serializable_error_info
from .events import EventRecord, EventType
from .runs import RESUME_FROM_FAILURE_TAG, PipelineRun, PipelineRunStatus
from .storage.sqlite_base import OrchStorageUnavailableError

if TYPE_CHECKING:
    from .instance import Instance

EXIT_SUCCESS, EXIT_FAILURE, EXIT_LOAD_ERROR, EXIT_CANCELED = 0, 1, 2, 130
CANCEL_POLL_SECONDS = 0.25


class _CancelWatch:
    """Decides, cheaply, whether the run should stop: a signal arrived, or the instance's
    cancel flag is set (checked at most every CANCEL_POLL_SECONDS)."""

    def __init__(self, instance: Instance, run_id: str, raise_on_signal: bool):
        self.instance = instance
        self.run_id = run_id
        self.raise_on_signal = raise_on_signal
        self.signaled = False
        self._next_check = 0.0

    def on_signal(self, signum: int, _frame: Any) -> None:
        if self.signaled:
            return
        self.signaled = True
        if self.raise_on_signal:
            raise DagsterExecutionInterruptedError(f"Received signal {signum}.")

    def __call__(self) -> bool:
        if self.signaled:
            return True
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CANCEL_POLL_SECONDS
            self.signaled = self.instance.is_cancel_requested(self.run_id)
        return self.signaled


def _signal_on_cancel_request(instance: Instance, run_id: str, stop: threading.Event) -> None:
    """In-process runs: turn a cancel requested through the instance into SIGTERM to this
    process, which interrupts the running step like Ctrl-C does (between bytecodes: a long
    call into C code is interrupted when it returns)."""
    while not stop.wait(CANCEL_POLL_SECONDS):
        try:
            requested = instance.is_cancel_requested(run_id)
        except Exception:
            continue
        if requested:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _fail_unloadable(instance: Instance, run: PipelineRun, exc: BaseException) -> None:
    """Record why the run could not start: the user's traceback, then PIPELINE_FAILURE."""
    error = serializable_error_info(exc)
    for event_type, message, data in (
        (EventType.ENGINE_EVENT, f"Could not load the code of pipeline {run.pipeline_name}: "
                                 f"{error['message']}", {"error": error}),
        (EventType.PIPELINE_FAILURE, f'Execution of pipeline "{run.pipeline_name}" failed: its '
                                     "code could not be loaded.", {"error": error}),
    ):
        instance.handle_new_event(EventRecord(run.run_id, run.pipeline_name, event_type,
                                              message, level=40, data=data))


def _choose_resumed_steps(instance: Instance, run: PipelineRun, pipeline_def: Any) -> PipelineRun:
    """A run the monitor resumed (``run_monitor.resume_run``) re-executes its parent from
    failure: its steps are chosen here, where the code is loaded, and stored on the run."""
    from .execution.reexecution import reexecution_args

    args = reexecution_args(instance, pipeline_def, run.parent_run_id, from_failure=True,
                            run_config=run.run_config, mode=run.mode)
    return instance.update_run(replace(run, step_keys_to_execute=args["step_keys_to_execute"]))


def execute_stored_run(instance: Instance, run_id: str, pipeline_def: Any = None,
                       console: bool = True) -> int:
    """Load the run's code, execute it, and return the worker exit code. A worker forked by
    the process that has just loaded the code from the run's origin passes ``pipeline_def``
    instead of importing it again (``launcher.fork_run``); one whose follower shows the
    events from storage passes ``console=False`` (no console echo of each event)."""
    from .execution.api import execute_run_iterator, prepare_run
    from .execution.reexecution import parent_outputs
    from .workspace import load_pipeline_from_origin

    run = instance.get_run(run_id)
    if run is None:
        print(f"orch worker: no run {run_id} in {instance.root_dir}", file=sys.stderr)
        return EXIT_LOAD_ERROR
    if run.status not in (PipelineRunStatus.NOT_STARTED, PipelineRunStatus.STARTING,
                          PipelineRunStatus.QUEUED):
        print(f"orch worker: run {run_id} is {run.status.value}; not starting it again",
              file=sys.stderr)
        return EXIT_LOAD_ERROR
    try:
        if pipeline_def is None:
            pipeline_def = load_pipeline_from_origin(run.pipeline_origin or {},
                                                     run.pipeline_name)
        if run.tags.get(RESUME_FROM_FAILURE_TAG) and run.step_keys_to_execute is None:
            run = _choose_resumed_steps(instance, run, pipeline_def)
        prepared = prepare_run(pipeline_def, run.run_config, run.mode,
                               solid_selection=run.solid_selection,
                               step_keys_to_execute=run.step_keys_to_execute, run_id=run.run_id)
        output_run_ids, mapping_keys = parent_outputs(instance, run, prepared.plan)
    except Exception as exc:
        _fail_unloadable(instance, run, exc)
        print(f"orch worker: could not load run {run_id}: {exc}", file=sys.stderr)
        return EXIT_LOAD_ERROR
    prepared.run = run
    in_process = not prepared.executor_def.requires_persistent_io
    watch = _CancelWatch(instance, run_id, raise_on_signal=in_process)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, watch.on_signal)
    stop_polling = threading.Event()
    if in_process:  # steps run on this thread: a requested cancel must interrupt them too
        threading.Thread(target=_signal_on_cancel_request, args=(instance, run_id, stop_polling),
                         name="orch-cancel-poll", daemon=True).start()
    outcome = EventType.PIPELINE_FAILURE
    try:
        for event in execute_run_iterator(prepared, instance, raise_on_error=False,
                                          output_run_ids=output_run_ids,
                                          known_mapping_keys=mapping_keys, interrupted=watch,
                                          console=console):
            if event.event_type in (EventType.PIPELINE_SUCCESS, EventType.PIPELINE_FAILURE,
                                    EventType.PIPELINE_CANCELED):
                outcome = event.event_type
    except DagsterExecutionInterruptedError:
        outcome = EventType.PIPELINE_CANCELED
    except OrchStorageUnavailableError as e:
        # The run stays as storage last saw it; once storage is writable again, recovery
        # fails it (this process is gone by then) and closes its open steps.
        print(f"orch worker: run {run_id} stopped: {e}", file=sys.stderr)
        os._exit(EXIT_FAILURE)  # no exit handlers: they would only retry the full disk
    finally:
        stop_polling.set()
    if outcome is EventType.PIPELINE_SUCCESS:
        return EXIT_SUCCESS
    if outcome is EventType.PIPELINE_CANCELED:
        return EXIT_CANCELED
    return EXIT_FAILURE


def main(argv: list[str] | None = None) -> int:
    from .instance import Instance

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m orch.core.worker RUN_ID", file=sys.stderr)
        return EXIT_LOAD_ERROR
    os.environ.setdefault("ORCH_WORKER", "1")
    try:
        with Instance.get() as instance:
            return execute_stored_run(instance, args[0])
    except OrchStorageUnavailableError as e:
        print(f"orch worker: cannot run {args[0]}: {e}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
