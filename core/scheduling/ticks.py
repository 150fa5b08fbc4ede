"""One evaluation pass over the schedules and sensors of a loaded workspace, on a given clock.

:func:`tick_all` (or :func:`tick_schedules` / :func:`tick_sensors`) is what a daemon loops
over and what ``orch schedule tick`` runs once; ``now`` is always an argument, so tests drive
it with a fake clock. Runs are created with the instigator's tags and submitted through
``instance.submit_run`` (the run coordinator decides when they start).

Schedules (per RUNNING schedule):
  1. The window starts at the last tick + 1 s (at the last tick itself when that tick was
     left STARTED by a crash, or FAILED with retries left), never before the schedule was
     turned on: a schedule never runs for a time before it was started (use a backfill).
  2. The cron times in the window up to ``now`` are due; a plain schedule evaluates only the
     newest, a partitioned one the newest ``max_catchup_runs``.
  3. Each due time gets a tick stamped with that time. Ticks are unique per schedule and
     time in storage, and every run is recorded under its (schedule, time, run key) before it
     is created, so a restart resumes an interrupted tick and never launches a run twice.
  4. No run request → SKIPPED with the reason. A run request whose run config does not
     validate → FAILURE with the config errors, and no run. Otherwise SUCCESS with the runs.

Sensors (per RUNNING sensor whose ``minimum_interval_seconds`` have passed since its last
tick, failed or not): one tick stamped ``now``; run requests with a run key are launched once
per key, ever (de-duplicated in storage across ticks and restarts); the cursor is stored
together with the tick's outcome in one transaction, and only by a tick that did not fail.
A failing or timed-out evaluation is a FAILURE tick and waits the interval like any other.
"""

from __future__ import annotations

import datetime
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..definitions.schedules import (
    RUN_KEY_TAG,
    SCHEDULED_EXECUTION_TIME_TAG,
    SENSOR_NAME_TAG,
    RunRequest,
    ScheduleEvaluationContext,
)
from ..definitions.sensors import SensorEvaluationContext
from ..errors import DagsterError
from ..storage.schedules import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickStatus,
    selector_id,
)
from .cron import get_timezone, latest_ticks, next_ticks

if TYPE_CHECKING:
    from ..instance import Instance
    from ..runs import PipelineRun
    from ..workspace import LoadedWorkspace

T = TypeVar("T")
UTC = datetime.UTC
SKIPPED_SENSOR_TICK_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class SchedulerSettings:
    """Knobs of the tick algorithm (``scheduler:`` in orch.yaml)."""

    max_catchup_runs: int = 5
    max_tick_retries: int = 0
    evaluation_timeout_s: float = 60.0

    @classmethod
    def from_instance(cls, instance: Instance) -> SchedulerSettings:
        config = dict((instance.config or {}).get("scheduler") or {})
        names = ("max_catchup_runs", "max_tick_retries", "evaluation_timeout_s")
        unknown = sorted(set(config) - set(names))
        if unknown:
            raise DagsterError(f"orch.yaml: `scheduler` has unknown keys {unknown}; valid: "
                               f"{', '.join(names)}.")
        return cls(**config)


@dataclass(frozen=True)
class Instigator:
    """A schedule or sensor of a loaded repository, and where its code came from."""

    repository: str
    definition: Any
    instigator_type: InstigatorType
    origin: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.definition.name)

    @property
    def selector(self) -> str:
        return selector_id(self.repository, self.name)

    @property
    def kind(self) -> str:
        return "schedule" if self.instigator_type is InstigatorType.SCHEDULE else "sensor"


def find_instigators(workspace: LoadedWorkspace,
                     instigator_type: InstigatorType | None = None) -> list[Instigator]:
    found: list[Instigator] = []
    origins = {r["name"]: r["origin"] for r in workspace.repositories}
    for repo_name, repo in workspace.repository_defs.items():
        for kind, itype in (("schedules", InstigatorType.SCHEDULE),
                            ("sensors", InstigatorType.SENSOR)):
            if instigator_type is not None and itype is not instigator_type:
                continue
            for definition in repo.definitions_of(kind):
                found.append(Instigator(repo_name, definition, itype, origins.get(repo_name, {})))
    return found


# -- turning on and off -----------------------------------------------------------------------
class InstigatorStateError(DagsterError):
    """Starting what is already running, stopping what is not."""


def start_instigator(instance: Instance, instigator: Instigator, now: float) -> InstigatorState:
    """Turn a schedule or sensor on: a schedule remembers ``now`` as the earliest time it may
    run for; a sensor keeps its cursor across stop and start."""
    storage = instance.storage
    state = storage.get_instigator_state(instigator.selector)
    if state is not None and state.is_running:
        raise InstigatorStateError(
            f"You have attempted to start {instigator.kind} {instigator.name}, but it is "
            "already running.")
    base = state or InstigatorState(instigator.repository, instigator.name,
                                    instigator.instigator_type)
    return storage.put_instigator_state(replace(
        base, status=InstigatorStatus.RUNNING, origin=instigator.origin,
        start_timestamp=now if instigator.instigator_type is InstigatorType.SCHEDULE
        else base.start_timestamp))


def stop_instigator(instance: Instance, instigator: Instigator) -> InstigatorState:
    storage = instance.storage
    state = storage.get_instigator_state(instigator.selector)
    if state is None or not state.is_running:
        raise InstigatorStateError(
            f"You have attempted to stop {instigator.kind} {instigator.name}, but it is not "
            "running.")
    return storage.put_instigator_state(replace(state, status=InstigatorStatus.STOPPED,
                                                start_timestamp=None))


# -- evaluation with a time limit ----------------------------------------------------------------
class EvaluationTimeout(DagsterError):
    """A schedule or sensor function ran past its time limit."""


def call_with_timeout(fn: Callable[[], T], timeout_s: float, what: str) -> T:
    """``fn()``, or :class:`EvaluationTimeout` after ``timeout_s``. In the main thread a timer
    signal interrupts the function; in another thread (a daemon's loop) it runs on a worker
    thread, abandoned if it overruns."""
    message = (f"{what} did not finish within {timeout_s:g} s (evaluation_timeout_s); it was "
               "abandoned.")
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def on_alarm(_signum: int, _frame: Any) -> None:
            raise EvaluationTimeout(message)

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return _worker_for_this_thread().run(fn, timeout_s, message)


class _EvaluationWorker:
    """A daemon thread that runs one function at a time for the thread that owns it (cheaper
    than a thread per evaluation: ~146 µs each). A function that overruns is abandoned with
    its worker; the owner gets a new worker for the next evaluation."""

    def __init__(self) -> None:
        import queue

        self.inbox: queue.SimpleQueue[tuple[Callable[[], Any], dict[str, Any],
                                            threading.Event]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, daemon=True, name="orch-evaluation").start()

    def _serve(self) -> None:
        while True:
            fn, outcome, done = self.inbox.get()
            try:
                outcome["value"] = fn()
            except BaseException as e:  # handed to the caller
                outcome["error"] = e
            done.set()

    def run(self, fn: Callable[[], T], timeout_s: float, message: str) -> T:
        outcome: dict[str, Any] = {}
        done = threading.Event()
        self.inbox.put((fn, outcome, done))
        if not done.wait(timeout_s):
            _WORKERS.worker = None  # abandoned with the function it is stuck in
            raise EvaluationTimeout(message)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


_WORKERS = threading.local()


def _worker_for_this_thread() -> _EvaluationWorker:
    worker = getattr(_WORKERS, "worker", None)
    if worker is None:
        worker = _WORKERS.worker = _EvaluationWorker()
    return worker


def error_text(exc: BaseException) -> str:
    """What a FAILURE tick says: the message, then the user's traceback (from its cause)."""
    cause = exc.__cause__ or exc
    if isinstance(exc, DagsterError) and exc.__cause__ is None:
        return str(exc)
    lines = traceback.format_exception(type(cause), cause, cause.__traceback__)
    return f"{exc}\n\n{''.join(lines).rstrip()}"


# -- launching runs -------------------------------------------------------------------------------
@dataclass
class LaunchOutcome:
    run_ids: list[str] = field(default_factory=list)
    run_keys: list[str] = field(default_factory=list)
    skipped_keys: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pipeline_of(workspace: LoadedWorkspace, repository: str, pipeline_name: str) -> Any:
    """The LoadedPipeline ``pipeline_name`` of ``repository`` (two repositories of one code
    location may both have a pipeline of that name), or None."""
    loaded = workspace.pipelines.get(pipeline_name)
    if loaded is not None and loaded.repository == repository:
        return loaded
    repo = workspace.repository_defs.get(repository)
    if repo is None or not repo.has_pipeline(pipeline_name):
        return None
    from ..workspace import LoadedPipeline

    origin = next(r["origin"] for r in workspace.repositories if r["name"] == repository)
    return LoadedPipeline(pipeline_name, origin, repository,
                          lambda: repo.get_pipeline(pipeline_name))


class RunSource(Protocol):
    """What launches runs: a schedule, a sensor, or a backfill of a partition set."""

    @property
    def repository(self) -> str: ...

    @property
    def definition(self) -> Any: ...

    @property
    def name(self) -> str: ...

    @property
    def selector(self) -> str: ...

    @property
    def kind(self) -> str: ...


def launch_request(instance: Instance, workspace: LoadedWorkspace, instigator: RunSource,
                   request: RunRequest, dedupe_key: str | None, tags: dict[str, str],
                   outcome: LaunchOutcome, attach_existing: bool = False) -> None:
    """Create and submit the run for one request, at most once per ``dedupe_key``: a key
    already holding a run reuses it (submitting it if a crash left it NOT_STARTED; counted
    as this tick's run when ``attach_existing`` — a resumed schedule tick — else as
    skipped); a key held by a run id whose run was never stored (a crash, or invalid
    config) creates it."""
    from ..launcher import create_run
    from ..runs import PipelineRunStatus, make_run_id

    definition = instigator.definition
    storage = instance.storage
    run_id = make_run_id()
    if dedupe_key is not None:
        run_id = storage.claim_run_key(instigator.selector, dedupe_key, run_id)
        existing = instance.get_run(run_id)
        if existing is not None:
            if existing.status is PipelineRunStatus.NOT_STARTED:
                _submit(instance, existing, outcome)
            if existing.status is PipelineRunStatus.NOT_STARTED or attach_existing:
                outcome.run_ids.append(run_id)
                if request.run_key is not None:
                    outcome.run_keys.append(request.run_key)
            else:
                outcome.skipped_keys.append(request.run_key or dedupe_key)
            return
    loaded = pipeline_of(workspace, instigator.repository, definition.pipeline_name)
    if loaded is None:
        outcome.errors.append(
            f'{instigator.kind.capitalize()} {instigator.name} targets pipeline '
            f'"{definition.pipeline_name}", which repository "{instigator.repository}" does '
            "not have.")
        return
    try:
        run = create_run(instance, loaded.reconstructable(), run_config=request.run_config,
                         mode=definition.mode, solid_selection=definition.solid_selection,
                         tags=tags, run_id=run_id)
    except DagsterError as e:
        outcome.errors.append(
            f"Run config for {instigator.kind} {instigator.name}"
            f"{f' (run key {request.run_key})' if request.run_key else ''} is not valid, so no "
            f"run was created:\n{e}")
        return
    outcome.run_ids.append(run.run_id)
    if request.run_key is not None:
        outcome.run_keys.append(request.run_key)
    _submit(instance, run, outcome)


def _submit(instance: Instance, run: PipelineRun, outcome: LaunchOutcome) -> None:
    try:
        instance.submit_run(run)
    except Exception as e:  # the run exists; the coordinator or launcher failed
        outcome.errors.append(f"Run {run.run_id} was created but could not be launched: {e}")


# -- schedules -------------------------------------------------------------------------------------
def _is_partitioned(definition: Any) -> bool:
    return hasattr(definition, "get_partition_set")


def due_times(instigator: Instigator, state: InstigatorState, last: Tick | None, now: float,
              settings: SchedulerSettings) -> list[datetime.datetime]:
    """The scheduled times a pass at ``now`` evaluates (oldest first)."""
    definition = instigator.definition
    start = state.start_timestamp if state.start_timestamp is not None else now
    if last is None:
        window = start
    elif last.status is TickStatus.STARTED or (
            last.status is TickStatus.FAILURE and last.failure_count <= settings.max_tick_retries):
        window = last.timestamp
    else:
        window = last.timestamp + 1
    window = max(window, start)
    if window > now or _first_time_from(definition.cron_schedule,
                                        definition.execution_timezone, window) > now:
        return []
    keep = max(1, settings.max_catchup_runs) if _is_partitioned(definition) else 1
    return latest_ticks(definition.cron_schedule, definition.execution_timezone, window, now,
                        keep)


@lru_cache(maxsize=4096)
def _first_time_from(cron: str, timezone: str | None, window: float) -> float:
    """The first cron time at or after ``window``. A daemon asks every second of every idle
    schedule whether anything is due; the window moves only when the schedule ticks, so the
    answer is computed once per tick instead of each second (cronsim: ~70 µs a schedule)."""
    return next_ticks(cron, timezone, window, 1)[0].timestamp()


def evaluate_schedule_tick(instance: Instance, workspace: LoadedWorkspace,
                           instigator: Instigator, when: datetime.datetime,
                           settings: SchedulerSettings) -> Tick | None:
    """Evaluate the schedule for one scheduled time (resuming a stored unfinished tick);
    returns the finished tick, or None when that time was already handled."""
    storage = instance.storage
    definition = instigator.definition
    tick = storage.get_schedule_tick(instigator.selector, when.timestamp()) or Tick(
        instigator.selector, InstigatorType.SCHEDULE, instigator.name, TickStatus.STARTED,
        when.timestamp())
    if tick.status in (TickStatus.SUCCESS, TickStatus.SKIPPED) or (
            tick.status is TickStatus.FAILURE
            and tick.failure_count > settings.max_tick_retries):
        return None
    context = ScheduleEvaluationContext(
        scheduled_execution_time=when.astimezone(get_timezone(definition.execution_timezone)),
        instance=instance)
    try:
        data = call_with_timeout(lambda: definition.evaluate_tick(context),
                                 settings.evaluation_timeout_s, f"Schedule {instigator.name}")
    except Exception as e:
        return storage.save_tick(replace(
            tick, status=TickStatus.FAILURE, error=error_text(e),
            failure_count=tick.failure_count + 1, end_timestamp=when.timestamp()))
    if not data.run_requests:  # nothing happened that a crash could leave half done
        return storage.save_tick(replace(tick, status=TickStatus.SKIPPED,
                                         skip_reason=data.skip_message or "No run requested.",
                                         error=None))
    if tick.tick_id is None:  # STARTED before any run exists: a crash from here is resumed
        tick = storage.create_tick(tick)
    outcome = LaunchOutcome()
    iso = when.astimezone(UTC).isoformat()
    for request in data.run_requests:
        tags = {**request.tags, SCHEDULED_EXECUTION_TIME_TAG: iso}
        if request.run_key is not None:
            tags[RUN_KEY_TAG] = request.run_key
        key = iso if request.run_key is None else f"{iso} {request.run_key}"
        launch_request(instance, workspace, instigator, request, key, tags, outcome,
                       attach_existing=True)
    return _finish(storage, tick, outcome, schedule=True)


def _finish(storage: Any, tick: Tick, outcome: LaunchOutcome, schedule: bool,
            state: InstigatorState | None = None, skip_message: str | None = None) -> Tick:
    if outcome.errors:
        finished = replace(tick, status=TickStatus.FAILURE, error="\n\n".join(outcome.errors),
                           run_ids=outcome.run_ids, run_keys=outcome.run_keys,
                           failure_count=tick.failure_count + 1)
    elif outcome.run_ids:
        finished = replace(tick, status=TickStatus.SUCCESS, run_ids=outcome.run_ids,
                           run_keys=outcome.run_keys, error=None)
    else:
        reason = skip_message
        if outcome.skipped_keys:
            reason = (f"Skipping {len(outcome.skipped_keys)} run"
                      f"{'s' if len(outcome.skipped_keys) > 1 else ''} for "
                      f"{'schedule' if schedule else 'sensor'} {tick.name} already launched "
                      f"with run keys: {outcome.skipped_keys}")
        finished = replace(tick, status=TickStatus.SKIPPED, skip_reason=reason or
                           "No run requested.", error=None)
    return storage.save_tick(finished, state)


def _running_states(instance: Instance, instigators: list[Instigator],
                    instigator_type: InstigatorType, now: float) -> dict[str, InstigatorState]:
    """The running states by selector. A definition with ``default_status="RUNNING"`` and
    no stored state is turned on here, at ``now`` (starting or stopping it from the CLI
    stores a state, which wins from then on)."""
    stored = {s.selector_id: s for s in instance.storage.all_instigator_states(instigator_type)}
    for instigator in instigators:
        default = getattr(instigator.definition, "default_status", None)
        if instigator.selector not in stored and \
                str(getattr(default, "value", default)).upper() == "RUNNING":
            stored[instigator.selector] = start_instigator(instance, instigator, now)
    return {k: v for k, v in stored.items() if v.is_running}


def tick_schedules(instance: Instance, workspace: LoadedWorkspace, now: float,
                   settings: SchedulerSettings | None = None) -> list[Tick]:
    """One pass over the running schedules of ``workspace``; returns the ticks it finished."""
    settings = settings or SchedulerSettings.from_instance(instance)
    instigators = find_instigators(workspace, InstigatorType.SCHEDULE)
    states = _running_states(instance, instigators, InstigatorType.SCHEDULE, now)
    running = [i for i in instigators if i.selector in states]
    latest = instance.storage.get_latest_ticks([i.selector for i in running])
    finished: list[Tick] = []
    for instigator in running:
        state = states[instigator.selector]
        for when in due_times(instigator, state, latest.get(instigator.selector), now,
                              settings):
            tick = evaluate_schedule_tick(instance, workspace, instigator, when, settings)
            if tick is None:
                continue
            finished.append(tick)
            if tick.status is TickStatus.FAILURE:
                break  # the next pass retries it or moves past it
    return finished


# -- sensors ----------------------------------------------------------------------------------------
def sensor_is_due(instigator: Instigator, state: InstigatorState, now: float) -> bool:
    last = state.last_tick_timestamp
    return last is None or now - last >= instigator.definition.minimum_interval_seconds


def evaluate_sensor_tick(instance: Instance, workspace: LoadedWorkspace,
                         instigator: Instigator, state: InstigatorState, now: float,
                         settings: SchedulerSettings) -> Tick:
    """Evaluate a sensor once at ``now`` and launch what it asks for."""
    storage = instance.storage
    definition = instigator.definition
    tick = Tick(instigator.selector, InstigatorType.SENSOR, instigator.name, TickStatus.STARTED,
                now, cursor=state.cursor)
    context = SensorEvaluationContext(
        last_completion_time=state.last_tick_timestamp, last_run_key=state.last_run_key,
        cursor=state.cursor, repository_name=instigator.repository, instance=instance,
        repository_def=workspace.repository_defs.get(instigator.repository))
    throttled = replace(state, last_tick_timestamp=now)  # a failed tick counts too
    try:
        data = call_with_timeout(lambda: definition.evaluate_tick(context),
                                 settings.evaluation_timeout_s, f"Sensor {instigator.name}")
    except Exception as e:
        partial = getattr(e, "cursor", None)
        kept = replace(throttled, cursor=partial) if partial is not None else throttled
        return storage.save_tick(replace(tick, status=TickStatus.FAILURE, error=error_text(e),
                                         cursor=kept.cursor, end_timestamp=now), kept)
    if data.run_requests:  # STARTED before any run exists
        tick = storage.create_tick(tick)
    outcome = LaunchOutcome()
    for request in data.run_requests:
        tags = {**request.tags, SENSOR_NAME_TAG: instigator.name}
        if request.run_key is not None:
            tags[RUN_KEY_TAG] = request.run_key
        launch_request(instance, workspace, instigator, request, request.run_key, tags,
                       outcome)
    if data.origin_run_ids and not outcome.errors:
        done = replace(tick, status=TickStatus.SUCCESS, origin_run_ids=data.origin_run_ids,
                       cursor=data.cursor, end_timestamp=now)
        return storage.save_tick(done, replace(throttled, cursor=data.cursor))
    new_state = throttled
    if not outcome.errors:
        new_state = replace(throttled, cursor=data.cursor,
                            last_run_key=outcome.run_keys[-1] if outcome.run_keys
                            else state.last_run_key)
    with_cursor = replace(tick, cursor=new_state.cursor, end_timestamp=now)
    return _finish(storage, with_cursor, outcome, schedule=False, state=new_state,
                   skip_message=data.skip_message)


def tick_sensors(instance: Instance, workspace: LoadedWorkspace, now: float,
                 settings: SchedulerSettings | None = None) -> list[Tick]:
    """One pass over the running sensors of ``workspace`` that are due at ``now``."""
    settings = settings or SchedulerSettings.from_instance(instance)
    instigators = find_instigators(workspace, InstigatorType.SENSOR)
    states = _running_states(instance, instigators, InstigatorType.SENSOR, now)
    due = [i for i in instigators
           if i.selector in states and sensor_is_due(i, states[i.selector], now)]
    latest = instance.storage.get_latest_ticks([i.selector for i in due])
    finished = []
    for instigator in due:
        last = latest.get(instigator.selector)
        if last is not None and last.status is TickStatus.STARTED:
            # Its evaluator died after launching some of its runs (they are kept; run keys
            # keep them from launching again).
            instance.storage.save_tick(replace(
                last, status=TickStatus.FAILURE, failure_count=last.failure_count + 1,
                error="The process evaluating this tick stopped before it finished; the runs "
                      "it launched are kept and this evaluation is not repeated."))
        finished.append(evaluate_sensor_tick(instance, workspace, instigator,
                                             states[instigator.selector], now, settings))
    if finished:
        instance.storage.purge_ticks(None, now - SKIPPED_SENSOR_TICK_TTL_S, [TickStatus.SKIPPED],
                                     instigator_type=InstigatorType.SENSOR)
    return finished


def tick_all(instance: Instance, workspace: LoadedWorkspace, now: float,
             settings: SchedulerSettings | None = None) -> list[Tick]:
    """One pass over every running schedule and sensor (what a daemon loop calls)."""
    settings = settings or SchedulerSettings.from_instance(instance)
    return [*tick_schedules(instance, workspace, now, settings),
            *tick_sensors(instance, workspace, now, settings)]

