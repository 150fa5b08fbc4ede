"""One orch step inside one Airflow task (the runtime half of :func:`make_airflow_dag`).

This module imports nothing from Airflow: the task callable in :mod:`.factory` hands it the
task's run id, logical date and try numbers, and turns the outcome into Airflow's (an
exception for a failure, ``AirflowSkipException`` for a skip).

One orch run per DAG run. Its id comes from the DAG id and Airflow's run id
(:func:`orch_run_id`), so every task of a DAG run finds the same run. The first task to get
there stores the run (with the pipeline and plan snapshots) and its ``PIPELINE_START``; each
task then executes the steps of its solid in this process, against the instance of
ORCH_HOME, with the events, compute logs and outputs a run of orch's own has:

* events go through the run's event writer (and the console logger, so Airflow's task log
  shows them too);
* stdout/stderr of the step go to the step's own compute-log files (``begin_capture`` /
  ``redirect_output``, as the multiprocess executor does: tasks of one DAG run may run side by
  side in separate processes, so they do not share the in-process log file);
* outputs go through the mode's IO managers; the default in-memory one is swapped for
  ``fs_io_manager`` (tasks are separate processes), an explicit in-memory one is refused
  when the DAG is built.

Airflow's retries map onto orch's: a failed try that Airflow will retry is stored as
``STEP_UP_FOR_RETRY`` (the next try is ``STEP_RESTARTED``), only the last try's failure is a
``STEP_FAILURE``. A step whose input was not produced upstream (an optional output that did
not fire, or a skipped step) is ``STEP_SKIPPED`` and its task skipped, as Airflow then skips
everything downstream of it. After its step, each task checks whether the run is complete —
every step finished, or never to run because a step upstream failed (Airflow marks those
tasks ``upstream_failed`` without running them) or was skipped — and if so ends it with
``PIPELINE_SUCCESS`` or ``PIPELINE_FAILURE``. That last write is a compare-and-set on the
run's status, so two tasks finishing at once end the run once.

The run records no worker process (Airflow's task processes come and go), so orch's crash
recovery leaves it alone. A task that dies without ending its step (killed, out of memory) or
fails before it runs it would leave the run STARTED for ever; so the DAG's own callbacks
(``on_success_callback`` / ``on_failure_callback``, which Airflow calls when the DAG run
ends) call :func:`end_dag_run`, which ends a run still STARTED: a step that started without
an outcome fails naming its task, and the run fails naming the steps that never finished.
"""

from __future__ import annotations

import logging
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from orch.core.definitions.pipeline import PipelineDefinition
from orch.core.definitions.reconstructable import ReconstructablePipeline
from orch.core.definitions.snapshot import pipeline_snapshot
from orch.core.errors import DagsterInvariantViolationError, serializable_error_info
from orch.core.events import EventRecord, EventType
from orch.core.execution.api import PreparedRun, prepare_run
from orch.core.execution.context import RunContext
from orch.core.execution.executor import (
    Executor,
    ExecutorDefinition,
    execute_plan,
    mode_for_executor,
)
from orch.core.execution.loggers import build_event_loggers
from orch.core.execution.scheduler import ActiveExecution, RunStep
from orch.core.execution.step import OpenSteps, step_timeout, with_timeout
from orch.core.instance import Instance
from orch.core.plan.plan import ExecutionPlan, ExecutionStep, create_execution_plan
from orch.core.plan.sources import StepOutputHandle
from orch.core.runs import PipelineRun, PipelineRunStatus
from orch.core.storage.compute_logs import redirect_output
from orch.core.storage.runs import DagsterRunAlreadyExists
from orch.executors.in_process import InlineLauncher

# Run tags (the legacy integration set ``airflow_execution_date``).
AIRFLOW_DAG_ID_TAG = "airflow_dag_id"
AIRFLOW_RUN_ID_TAG = "airflow_run_id"
AIRFLOW_EXECUTION_DATE_TAG = "airflow_execution_date"

_OUTCOMES = frozenset({EventType.STEP_SUCCESS, EventType.STEP_FAILURE, EventType.STEP_SKIPPED})
_RUN_ENDS = (PipelineRunStatus.SUCCESS, PipelineRunStatus.FAILURE, PipelineRunStatus.CANCELED)

# What make_airflow_dag checks the mode against: steps run in separate task processes.
AIRFLOW_TASKS = ExecutorDefinition("airflow", None, lambda _init: _TaskExecutor(),
                                   "Each step in an Airflow task", requires_persistent_io=True)


def orch_run_id(dag_id: str, airflow_run_id: str) -> str:
    """The orch run id of one DAG run: ``<dag_id>__<run_id>`` with characters a run id may not
    hold (``:``, ``+``, ...) replaced by ``_``; shortened with a checksum past 200 characters."""
    raw = f"{dag_id}__{airflow_run_id}"
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", raw).lstrip(".") or "airflow"
    if len(safe) > 200:
        safe = f"{safe[:191]}-{zlib.crc32(raw.encode()):08x}"
    return safe


@dataclass(frozen=True)
class AirflowTaskRun:
    """What one Airflow task instance tells its step: which DAG run, which try."""

    dag_id: str
    run_id: str
    logical_date: str | None = None
    try_number: int = 1
    max_tries: int = 0

    @property
    def is_last_try(self) -> bool:
        return self.try_number > self.max_tries


@dataclass
class StepsResult:
    """The outcome of one task's steps: ``"success"``, ``"skipped"`` or ``"failure"``."""

    outcome: str
    run_id: str
    message: str = ""
    events: list[EventRecord] = field(default_factory=list)


@dataclass
class PipelineTarget:
    """The pipeline a DAG runs, and where the orch instance is.

    ``instance_home``: the ORCH_HOME the tasks use (``None``: ``$ORCH_HOME``, else the
    project of the pipeline's code, as every orch command chooses)."""

    pipeline: ReconstructablePipeline | PipelineDefinition
    run_config: dict[str, Any] | None = None
    mode: str | None = None
    instance_home: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def definition(self) -> PipelineDefinition:
        if isinstance(self.pipeline, ReconstructablePipeline):
            return self.pipeline.get_definition()
        return self.pipeline

    def code_location(self) -> str | None:
        origin = getattr(self.pipeline, "origin", None) or {}
        if origin.get("python_file"):
            return str(origin["python_file"])
        module_name = origin.get("module_name")
        module = sys.modules.get(module_name) if module_name else None
        return getattr(module, "__file__", None)

    def open_instance(self) -> Instance:
        if self.instance_home:
            return Instance.from_home(self.instance_home)
        return Instance.get(self.code_location())

    def prepare(self, run_id: str | None = None, tags: dict[str, str] | None = None,
                step_keys: list[str] | None = None) -> PreparedRun:
        """The run (config validated, plan built), with the mode a task process runs."""
        prepared = prepare_run(self.pipeline, self.run_config, self.mode,
                               tags={**self.tags, **(tags or {})},
                               step_keys_to_execute=step_keys, run_id=run_id)
        prepared.mode_def = mode_for_executor(prepared.mode_def, AIRFLOW_TASKS,
                                              prepared.pipeline_def)
        return prepared


def solid_steps(plan: ExecutionPlan) -> dict[str, list[str]]:
    """The plan's step keys by solid handle, and (for :func:`solid_upstream`) in plan order."""
    by_handle: dict[str, list[str]] = {}
    for key in plan.order:
        step = plan.steps[key]
        if not step.is_resolved or step.mapping_key is not None:
            raise DagsterInvariantViolationError(
                f'Step "{key}" is part of a dynamic output\'s fan-out: an Airflow DAG has one '
                "task per solid, fixed when the DAG is parsed, so pipelines with dynamic "
                "outputs cannot be turned into one.")
        by_handle.setdefault(step.handle, []).append(key)
    return by_handle


def solid_upstream(plan: ExecutionPlan) -> dict[str, set[str]]:
    """For each solid handle, the handles whose outputs its steps read (the DAG's edges)."""
    handle_of = {k: plan.steps[k].handle for k in plan.order}
    upstream: dict[str, set[str]] = {h: set() for h in handle_of.values()}
    for key in plan.order:
        for up in plan.steps[key].upstream_keys():
            if handle_of[up] != handle_of[key]:
                upstream[handle_of[key]].add(handle_of[up])
    return upstream


class _TaskLauncher(InlineLauncher):
    """Runs each step to completion when launched, its stdout/stderr in its own files."""

    def launch(self, step: ExecutionStep, attempt: int,
               missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        return with_timeout(self._task_captured(step, attempt, missing), step,
                            step_timeout(step))

    def _task_captured(self, step: ExecutionStep, attempt: int,
                       missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
        rc = self.run_context
        manager = rc.instance.compute_log_manager
        captured = manager.begin_capture(rc.run_id, step.key, sink=rc.index_compute_log)
        if not captured.stdout_path:
            yield from self.run_step(step, attempt, missing)
            return
        yield rc.event(EventType.LOGS_CAPTURED,
                       f'Started capturing logs for step "{step.key}".', step.key,
                       data=captured.logs_captured_data())
        try:
            # The step's events are handed on between its pieces of user code; nothing the
            # consumer prints while it writes them may land in the step's files, so the
            # redirection is held only while the step runs.
            events = iter(self.run_step(step, attempt, missing))
            while True:
                with redirect_output(captured.stdout_path, captured.stderr_path or "",
                                     (rc.run_id, step.key)):
                    event = next(events, None)
                if event is None:
                    break
                yield event
        finally:
            manager.end_capture(captured, rc.index_compute_log)


class _TaskExecutor(Executor):
    """Steps of one task, serially, in the task's process; orch's own retry policies hold."""

    resources_per_step = True  # each task process initialises what its steps need

    def launcher(self, run_context: RunContext, run_step: RunStep) -> _TaskLauncher:
        return _TaskLauncher(run_context, run_step)


def _run_tags(task: AirflowTaskRun) -> dict[str, str]:
    tags = {AIRFLOW_DAG_ID_TAG: task.dag_id, AIRFLOW_RUN_ID_TAG: task.run_id}
    if task.logical_date:
        tags[AIRFLOW_EXECUTION_DATE_TAG] = task.logical_date
    return tags


def _ensure_run(instance: Instance, prepared: PreparedRun) -> PipelineRun:
    """The DAG run's orch run: stored (with its snapshots) and started by whichever task
    comes first. No worker pid: no single process is responsible for it."""
    run = instance.get_run(prepared.run.run_id)
    if run is None:
        storage = instance.storage
        candidate = replace(
            prepared.run, worker_pid=None,
            pipeline_snapshot_id=storage.add_snapshot(
                "pipeline", pipeline_snapshot(prepared.pipeline_def)),
            execution_plan_snapshot_id=storage.add_snapshot(
                "execution_plan", prepared.plan.snapshot()))
        try:
            run = storage.add_run(candidate)
        except DagsterRunAlreadyExists:  # another task of the DAG run was first
            run = instance.get_run(prepared.run.run_id)
    if run is None:
        raise DagsterInvariantViolationError(f"Run {prepared.run.run_id} vanished from storage.")
    name = prepared.pipeline_def.name
    start = EventRecord(run.run_id, name, EventType.PIPELINE_START,
                        f'Started execution of pipeline "{name}" (Airflow DAG run '
                        f'{run.tags.get(AIRFLOW_RUN_ID_TAG)}).')
    if instance.storage.store_events_if_status(
            run.run_id, (PipelineRunStatus.NOT_STARTED, PipelineRunStatus.STARTING), [start]):
        # Storing PIPELINE_START made this task's process the run's worker; it exits when
        # its step is done, and the next task to open the instance would fail the run as
        # crashed. The run has no worker process: Airflow runs it.
        started = instance.get_run(run.run_id)
        if started is not None and started.worker_pid is not None:
            instance.update_run(replace(started, worker_pid=None))
    return instance.get_run(run.run_id) or run


class _StepStates(NamedTuple):
    outcomes: dict[str, EventType]  # each step's latest outcome (a retried step: its last try's)
    produced: set[StepOutputHandle]  # the outputs of each step's latest try
    started: set[str]  # the steps that started (a retried one: again)


def _step_states(instance: Instance, run_id: str) -> _StepStates:
    """What the run's steps did so far, from one read of its step events."""
    states: dict[str, EventType] = {}
    produced: dict[str, set[StepOutputHandle]] = {}
    kinds = set(_OUTCOMES) | {EventType.STEP_OUTPUT, EventType.STEP_START,
                              EventType.STEP_RESTARTED, EventType.STEP_UP_FOR_RETRY}
    for event in instance.get_logs_for_run(run_id, of_type=kinds):
        key = event.step_key
        if key is None or event.event_type is None:
            continue
        if event.event_type in (EventType.STEP_START, EventType.STEP_RESTARTED):
            produced[key] = set()
            states.pop(key, None)
        elif event.event_type is EventType.STEP_OUTPUT:
            produced.setdefault(key, set()).add(StepOutputHandle(
                key, event.data["output_name"], event.data.get("mapping_key")))
        elif event.event_type is EventType.STEP_UP_FOR_RETRY:
            states.pop(key, None)
        else:
            states[key] = event.event_type
    return _StepStates(states, {h for handles in produced.values() for h in handles},
                       set(produced))


def _skip_reason(step: ExecutionStep, produced: set[StepOutputHandle]) -> list[str] | None:
    """As orch's scheduler decides it: an input none of whose upstream outputs exists."""
    for step_input in step.inputs:
        handles = step_input.source.handles()
        if handles and all(h not in produced for h in handles):
            return sorted({h.describe() for h in handles})
    return None


def execute_solid_in_task(target: PipelineTarget, solid_handle: str,
                          task: AirflowTaskRun) -> StepsResult:
    """Execute the steps of ``solid_handle`` in the DAG run's orch run (see the module
    docstring); the run is ended here when this was its last open step."""
    run_id = orch_run_id(task.dag_id, task.run_id)
    tags = _run_tags(task)
    with target.open_instance() as instance:
        full = target.prepare(run_id=run_id, tags=tags)
        keys = solid_steps(full.plan).get(solid_handle)
        if not keys:
            raise DagsterInvariantViolationError(
                f'Pipeline "{full.pipeline_def.name}" has no solid "{solid_handle}". Solids: '
                f"{sorted(solid_steps(full.plan))}.")
        run = _ensure_run(instance, full)
        if run.status in _RUN_ENDS:
            instance.handle_new_event(EventRecord(
                run_id, full.pipeline_def.name, EventType.ENGINE_EVENT,
                f"Run {run_id} had already ended ({run.status.value}); Airflow runs task "
                f"{solid_handle} again (try {task.try_number}). Its events are added, the "
                "run's status stays.", level=logging.WARNING))
        prepared = replace(full, run=run, plan=create_execution_plan(
            full.pipeline_def, full.run_config, keys))
        try:
            return _execute(instance, prepared, keys, task)
        finally:  # also when Airflow ends the task: its step's end is stored by then
            _finish_if_complete(instance, full, run_id)


def _execute(instance: Instance, prepared: PreparedRun, keys: list[str],
             task: AirflowTaskRun) -> StepsResult:
    run, plan = prepared.run, prepared.plan
    rc = RunContext(prepared.pipeline_def, run, prepared.run_config, prepared.mode_def,
                    instance, plan=plan)
    produced = _step_states(instance, run.run_id).produced
    loggers = build_event_loggers(prepared.run_config, prepared.mode_def.logger_defs,
                                  run.run_id)
    writer = instance.event_writer(run.run_id)
    rc.index_compute_log = writer.write_compute_log
    events: list[EventRecord] = []

    def emit(event: EventRecord) -> None:
        writer.write(event)
        for log in loggers:
            log(event)
        events.append(event)

    try:
        reason = _skip_reason(plan.steps[keys[0]], produced)
        if reason is not None:
            message = (f"Skipping step {keys[0]} due to skipped dependencies: {reason}.")
            for key in keys:
                emit(rc.event(EventType.STEP_SKIPPED, message if key == keys[0] else
                              f"Skipping step {key}: step {keys[0]} was skipped.", key,
                              data={"missing": reason}))
            return StepsResult("skipped", run.run_id, message, events)
        active = ActiveExecution(plan)
        for key in keys:  # Airflow's try N is orch's attempt N-1 (STEP_RESTARTED after 1)
            active.attempts[key] = max(0, task.try_number - 1)
        open_steps = OpenSteps()
        try:
            for event in execute_plan(rc, active, _TaskExecutor()):
                if rc.pending_logs:
                    for pending in rc.drain_logs():
                        emit(pending)
                event = _retrying(event, task)
                open_steps.note(event)
                emit(event)
            for pending in rc.drain_logs():
                emit(pending)
        except BaseException as exc:
            # Outside any step (a resource, the IO manager's setup), or Airflow ending the
            # task (SIGTERM: AirflowTaskTerminated; execution_timeout: AirflowTaskTimeout,
            # both BaseExceptions, raised again once the step's end is stored).
            for pending in rc.drain_logs():
                emit(pending)
            cause = f"the task failed ({type(exc).__name__}: {exc})"
            for closing in open_steps.close(rc, canceled=False, cause=cause):
                emit(_retrying(closing, task))
            done = {e.step_key for e in events
                    if e.event_type in _OUTCOMES | {EventType.STEP_UP_FOR_RETRY}}
            for key in keys:
                if key not in done:
                    emit(_retrying(rc.event(
                        EventType.STEP_FAILURE, f'Execution of step "{key}" failed: {cause}.',
                        key, logging.ERROR, {"error": serializable_error_info(exc)}), task))
            if not isinstance(exc, Exception):
                raise
    finally:
        writer.close()
        for log in loggers:
            getattr(log, "close", lambda: None)()
    return _result(run.run_id, keys, events)


def _retrying(event: EventRecord, task: AirflowTaskRun) -> EventRecord:
    if event.event_type is EventType.STEP_FAILURE and not task.is_last_try:
        return _up_for_retry(event, task)
    return event


def _up_for_retry(failure: EventRecord, task: AirflowTaskRun) -> EventRecord:
    """A failed try Airflow will run again, as orch records a retry."""
    return replace(
        failure, event_type=EventType.STEP_UP_FOR_RETRY,
        message=f'Execution of step "{failure.step_key}" failed; Airflow will retry its '
                f"task (try {task.try_number} of {task.max_tries + 1}).",
        data={**failure.data, "retry_number": task.try_number,
              "max_retries": task.max_tries, "seconds_to_wait": None})


def _result(run_id: str, keys: list[str], events: list[EventRecord]) -> StepsResult:
    outcomes = {e.step_key: e for e in events
                if e.event_type in _OUTCOMES | {EventType.STEP_UP_FOR_RETRY}}
    failed = [outcomes[k] for k in keys
              if k in outcomes and outcomes[k].event_type in (EventType.STEP_FAILURE,
                                                              EventType.STEP_UP_FOR_RETRY)]
    if failed:
        error = failed[0].data.get("error") or {}
        cause = f"{error.get('cls_name', '')}: {error.get('message', '')}".strip(": ")
        return StepsResult("failure", run_id,
                           f"{failed[0].message} {cause}".strip(), events)
    if keys and all(k in outcomes and outcomes[k].event_type is EventType.STEP_SKIPPED
                    for k in keys):
        return StepsResult("skipped", run_id, outcomes[keys[0]].message, events)
    return StepsResult("success", run_id, "", events)


def end_dag_run(target: PipelineTarget, dag_id: str, airflow_run_id: str, state: str) -> bool:
    """The DAG run ended, ``state`` being Airflow's ("success", "failed"): end its orch run if
    it is still STARTED (module docstring). True if this call ended it."""
    run_id = orch_run_id(dag_id, airflow_run_id)
    with target.open_instance() as instance:
        run = instance.get_run(run_id)
        if run is None or run.status is not PipelineRunStatus.STARTED:
            return False  # no task reached orch, or the run was ended by its last task
        full = target.prepare(run_id=run_id, tags=run.tags)
        steps = _step_states(instance, run_id)
        if _finish_if_complete(instance, full, run_id, steps):
            return True
        unfinished = [k for k in full.plan.order if k not in steps.outcomes]
        name = full.pipeline_def.name
        cause = f"the Airflow DAG run {airflow_run_id} ended ({state})"
        events = [EventRecord(
            run_id, name, EventType.STEP_FAILURE,
            f'Execution of step "{key}" failed: {cause} while its task had not reported an '
            "outcome (the task's process was killed, or died).", key, logging.ERROR,
            data={"error": {"cls_name": "AirflowTaskLost",
                       "message": f"The task of step {key} ended without reporting an outcome "
                                  f"({cause}).", "stack": []},
                  "error_source": "PROCESS_CRASH"})
            for key in unfinished if key in steps.started]
        events.append(EventRecord(
            run_id, name, EventType.PIPELINE_FAILURE,
            f'Execution of pipeline "{name}" failed: {cause} with steps {unfinished} '
            "unfinished (their tasks died, or failed before running them).",
            level=logging.ERROR, data={"unfinished_steps": unfinished,
                                       "airflow_state": state}))
        return instance.storage.store_events_if_status(run_id, (PipelineRunStatus.STARTED,),
                                                       events)


def _finish_if_complete(instance: Instance, full: PreparedRun, run_id: str,
                        steps: _StepStates | None = None) -> bool:
    """End the run if no step of it can still run; True if this call ended it. ``steps``:
    what its steps did, when the caller has just read it."""
    plan = full.plan
    states = (steps or _step_states(instance, run_id)).outcomes
    failed = [k for k in plan.order if states.get(k) is EventType.STEP_FAILURE]
    abandoned: dict[str, list[str]] = {}
    skipped_by_airflow: list[str] = []
    blocked: set[str] = set()
    for key in plan.order:  # topological: upstream steps come first
        if key in states:
            continue
        upstream = plan.steps[key].upstream_keys()
        failed_deps = sorted(k for k in upstream if k in failed or k in abandoned)
        if failed_deps:
            abandoned[key] = failed_deps
        elif any(states.get(k) is EventType.STEP_SKIPPED or k in skipped_by_airflow
                 for k in upstream):
            skipped_by_airflow.append(key)
        else:
            blocked.add(key)
    if blocked:
        return False
    name = full.pipeline_def.name
    events = [EventRecord(run_id, name, EventType.STEP_SKIPPED,
                          f"Skipping step {key}: Airflow skipped its task (a task upstream of "
                          "it was skipped).", key, data={"skipped_by": "airflow"})
              for key in skipped_by_airflow]
    events += [EventRecord(run_id, name, None,
                           f"Dependencies for step {key} failed: {deps}. Not executing.", key,
                           logging.ERROR, data={"abandoned": True, "failed_dependencies": deps})
               for key, deps in abandoned.items()]
    if failed or abandoned:
        events.append(EventRecord(
            run_id, name, EventType.PIPELINE_FAILURE,
            f'Execution of pipeline "{name}" failed. Steps failed: {failed}.',
            level=logging.ERROR, data={"failed_steps": failed, "abandoned_steps": sorted(abandoned)}))
    else:
        events.append(EventRecord(run_id, name, EventType.PIPELINE_SUCCESS,
                                  f'Finished execution of pipeline "{name}".'))
    return instance.storage.store_events_if_status(run_id, (PipelineRunStatus.STARTED,), events)
