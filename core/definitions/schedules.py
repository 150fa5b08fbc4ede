"""Schedules: ``@schedule`` / :class:`ScheduleDefinition`, their evaluation context, and what
a schedule or sensor asks for (:class:`RunRequest`, :class:`SkipReason`).

A definition only describes; :meth:`ScheduleDefinition.evaluate_tick` runs the user's
functions for one tick and returns :class:`ScheduleExecutionData`. When ticks happen, and what
becomes of their run requests, is ``orch.core.scheduling``. Partitioned schedules
(``@daily_schedule`` …) are in ``partitions.py``, sensors in ``sensors.py``.
"""

from __future__ import annotations

import copy
import datetime
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DagsterError, DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .io_defs import check_valid_name

if TYPE_CHECKING:
    from ..instance import Instance

SCHEDULE_NAME_TAG = "orch/schedule_name"
SENSOR_NAME_TAG = "orch/sensor_name"
RUN_KEY_TAG = "orch/run_key"
SCHEDULED_EXECUTION_TIME_TAG = "orch/scheduled_execution_time"
PARTITION_TAG = "orch/partition"
PARTITION_SET_TAG = "orch/partition_set"
BACKFILL_ID_TAG = "orch/backfill"


class ScheduleExecutionError(DagsterError):
    """User code raised while a schedule was evaluated (its cause is the user's error)."""


class SensorExecutionError(DagsterError):
    """User code raised, or returned something unusable, while a sensor was evaluated."""


def _string_tags(tags: Mapping[str, Any] | None, owner: str) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise DagsterInvalidDefinitionError(
            f"Tags of {owner} must be a dict of strings, got {type(tags).__name__}.")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in tags.items()}


@dataclass(frozen=True)
class RunRequest:
    """A run a schedule or sensor asks for. ``run_key`` (required, may be None) de-duplicates:
    an instigator never launches two runs with the same key."""

    run_key: str | None
    run_config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    job_name: str | None = None

    def __post_init__(self) -> None:
        if self.run_key is not None and not isinstance(self.run_key, str):
            raise DagsterInvariantViolationError(
                f"RunRequest run_key must be a string or None, got {self.run_key!r}.")
        object.__setattr__(self, "run_config", dict(self.run_config or {}))
        object.__setattr__(self, "tags", _string_tags(self.tags, "a RunRequest"))

    def with_tags(self, tags: Mapping[str, str]) -> RunRequest:
        return RunRequest(self.run_key, self.run_config, {**self.tags, **tags}, self.job_name)


@dataclass(frozen=True)
class SkipReason:
    """The answer of a schedule or sensor that requests no run this tick."""

    skip_message: str | None = None


@dataclass(frozen=True)
class ScheduleExecutionData:
    """One tick's result: the run requests, or why there are none."""

    run_requests: list[RunRequest]
    skip_message: str | None = None


def call_with_optional_context(fn: Callable[..., Any], context: Any) -> Any:
    """``fn(context)``, or ``fn()`` when it takes no parameter (0.12+ style)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(context)
    required = [p for p in parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return fn(context) if required or any(p.kind == p.VAR_POSITIONAL
                                          for p in parameters.values()) else fn()


class ScheduleEvaluationContext:
    """What a schedule function sees: ``scheduled_execution_time`` (an aware datetime in the
    schedule's zone; None when built for a test without one) and ``instance``."""

    def __init__(self, instance_ref: Any = None,
                 scheduled_execution_time: datetime.datetime | None = None,
                 *, instance: Instance | None = None) -> None:
        self._instance_ref = instance_ref
        self._instance = instance
        self._scheduled_execution_time = scheduled_execution_time

    @property
    def scheduled_execution_time(self) -> datetime.datetime | None:
        return self._scheduled_execution_time

    @property
    def instance(self) -> Instance:
        if self._instance is None:
            if self._instance_ref is None:
                raise DagsterInvariantViolationError(
                    "Attempted to initialize dagster instance, but no instance reference was "
                    "provided.")
            from ..instance import Instance

            self._instance = Instance.from_home(self._instance_ref)
        return self._instance

    @property
    def instance_ref(self) -> Any:
        return self._instance_ref


ScheduleExecutionContext = ScheduleEvaluationContext


def build_schedule_context(instance: Instance | None = None,
                           scheduled_execution_time: datetime.datetime | None = None
                           ) -> ScheduleEvaluationContext:
    """A context for calling or evaluating a schedule in a test."""
    return ScheduleEvaluationContext(scheduled_execution_time=scheduled_execution_time,
                                     instance=instance)


def check_tags_arguments(tags: Any, tags_fn: Any, owner: str) -> None:
    if tags is not None and tags_fn is not None:
        raise DagsterInvalidDefinitionError(
            f"Attempted to provide both tags_fn and tags as arguments to {owner}. Must "
            "provide only one of the two.")
    from ..runs import LEGACY_PRIORITY_TAG, PRIORITY_TAG

    reserved = [k for k in (tags or {}) if str(k).startswith(("orch/", "dagster/"))
                and k not in (PRIORITY_TAG, LEGACY_PRIORITY_TAG)]
    if reserved:
        raise DagsterInvalidDefinitionError(
            f"Tags of {owner} use the reserved orch/ or dagster/ prefix: {reserved} (only "
            f"{PRIORITY_TAG} and {LEGACY_PRIORITY_TAG} may be set).")


class ScheduleDefinition:
    """A cron schedule for a pipeline.

    Give at most one of ``run_config`` / ``run_config_fn``, or an ``execution_fn(context)``
    that returns or yields :class:`RunRequest` / :class:`SkipReason` itself.
    """

    repository_kind = "schedules"

    def __init__(self, name: str | None = None, cron_schedule: str | None = None,
                 pipeline_name: str | None = None, run_config: dict[str, Any] | None = None,
                 run_config_fn: Callable[..., Any] | None = None,
                 tags: dict[str, str] | None = None, tags_fn: Callable[..., Any] | None = None,
                 solid_selection: list[str] | None = None, mode: str | None = "default",
                 should_execute: Callable[..., bool] | None = None,
                 environment_vars: dict[str, str] | None = None,
                 execution_timezone: str | None = None,
                 execution_fn: Callable[..., Any] | None = None,
                 description: str | None = None, job: Any = None,
                 default_status: Any = None) -> None:
        from ..scheduling.cron import validate_cron, validate_timezone

        if pipeline_name is None and job is not None:
            pipeline_name = getattr(job, "name", None)
        if not pipeline_name:
            raise DagsterInvalidDefinitionError(
                "A schedule needs the pipeline it runs: pipeline_name=...")
        self.name = check_valid_name(name or f"{pipeline_name}_schedule", "Schedule name")
        if cron_schedule is None:
            raise DagsterInvalidDefinitionError(f'Schedule "{self.name}" needs a cron_schedule.')
        self.cron_schedule = validate_cron(cron_schedule, f'schedule "{self.name}"')
        self.execution_timezone = validate_timezone(execution_timezone,
                                                    f'schedule "{self.name}"')
        if run_config is not None and run_config_fn is not None:
            raise DagsterInvalidDefinitionError(
                f'Schedule "{self.name}": give run_config or run_config_fn, not both.')
        if execution_fn is not None and any(
                x is not None for x in (run_config, run_config_fn, tags, tags_fn)):
            raise DagsterInvalidDefinitionError(
                f'Schedule "{self.name}": execution_fn returns its RunRequests itself; it '
                "cannot be combined with run_config, run_config_fn, tags or tags_fn.")
        check_tags_arguments(tags, tags_fn, f'schedule "{self.name}"')
        if environment_vars:
            warnings.warn(
                f'Schedule "{self.name}": environment_vars are not applied to its runs (orch '
                "runs inherit the environment of the process that launches them); set them "
                "there instead.", UserWarning, stacklevel=3)
        self.pipeline_name = pipeline_name
        self.run_config = run_config
        self.run_config_fn = run_config_fn
        self.tags = _string_tags(tags, f'schedule "{self.name}"') if tags else None
        self.tags_fn = tags_fn
        self.solid_selection = list(solid_selection) if solid_selection else None
        self.mode = mode or "default"
        self.should_execute = should_execute
        self.environment_vars = dict(environment_vars or {})
        self.execution_fn = execution_fn
        self.description = description
        self.default_status = default_status

    def __repr__(self) -> str:
        return f"<ScheduleDefinition {self.name} {self.cron_schedule!r}>"

    # -- direct invocation -------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the decorated function as it is (the run config, or what it returns)."""
        fn = self.execution_fn or self.run_config_fn
        if fn is None:
            return copy.deepcopy(self.run_config or {})
        if not args and not kwargs:
            return call_with_optional_context(fn, build_schedule_context())
        return fn(*args, **kwargs)

    # -- one tick ----------------------------------------------------------------------
    def evaluate_tick(self, context: ScheduleEvaluationContext) -> ScheduleExecutionData:
        """Run should_execute, the run-config / execution function and tags_fn for one
        tick. User errors raise :class:`ScheduleExecutionError`; invalid returns raise
        :class:`DagsterInvariantViolationError`."""
        try:
            if self.should_execute is not None and \
                    not call_with_optional_context(self.should_execute, context):
                return ScheduleExecutionData(
                    [], f"should_execute function for {self.name} returned false.")
            result = self._requests(context)
        except (DagsterInvariantViolationError, DagsterInvalidDefinitionError):
            raise
        except Exception as e:
            raise ScheduleExecutionError(
                f"Error occurred during the evaluation of schedule {self.name}: "
                f"{type(e).__name__}: {e}") from e
        tag = {SCHEDULE_NAME_TAG: self.name}
        return ScheduleExecutionData([r.with_tags(tag) for r in result.run_requests],
                                     result.skip_message)

    def _requests(self, context: ScheduleEvaluationContext) -> ScheduleExecutionData:
        if self.execution_fn is not None:
            returned = call_with_optional_context(self.execution_fn, context)
            return normalize_returns(returned, f"Schedule {self.name}", schedule=True)
        if self.run_config_fn is not None:
            returned = call_with_optional_context(self.run_config_fn, context)
        else:
            returned = copy.deepcopy(self.run_config or {})
        if isinstance(returned, dict):
            tags = self.tags or {}
            if self.tags_fn is not None:
                tags = _string_tags(call_with_optional_context(self.tags_fn, context),
                                    f"tags_fn of schedule {self.name}")
            return ScheduleExecutionData([RunRequest(None, copy.deepcopy(returned), tags)])
        return normalize_returns(returned, f"Schedule {self.name}", schedule=True,
                                 default_tags=self.tags or {})


def normalize_returns(returned: Any, owner: str, *, schedule: bool,
                      default_tags: Mapping[str, str] | None = None) -> ScheduleExecutionData:
    """A schedule's or sensor's return value (nothing, one RunRequest or SkipReason, or an
    iterable of them) as run requests or a skip message; mixed or odd values raise."""
    if returned is None:
        return ScheduleExecutionData(
            [], f"{'Schedule' if schedule else 'Sensor'} function returned an empty result")
    items: list[Any]
    if isinstance(returned, RunRequest | SkipReason):
        items = [returned]
    elif isinstance(returned, Iterable) and not isinstance(returned, str | bytes | dict):
        items = list(returned)
    else:
        raise DagsterInvariantViolationError(
            f"{owner} unexpectedly returned output {returned!r} of type {type(returned)}. "
            "Should only return SkipReason or RunRequest objects.")
    for item in items:
        if not isinstance(item, RunRequest | SkipReason):
            raise DagsterInvariantViolationError(
                f"{owner} unexpectedly returned output {item!r} of type {type(item)}. "
                "Should only return SkipReason or RunRequest objects.")
    requests = [i for i in items if isinstance(i, RunRequest)]
    skips = [i for i in items if isinstance(i, SkipReason)]
    if requests and skips:
        raise DagsterInvariantViolationError(
            f"{owner}: expected a single SkipReason or one or more RunRequests: received "
            "both RunRequest and SkipReason")
    if len(skips) > 1:
        raise DagsterInvariantViolationError(
            f"{owner}: expected a single SkipReason: received multiple SkipReasons")
    if skips:
        return ScheduleExecutionData([], skips[0].skip_message)
    if not requests:
        return ScheduleExecutionData(
            [], f"{'Schedule' if schedule else 'Sensor'} function returned an empty result")
    if schedule and len(requests) > 1 and any(r.run_key is None for r in requests):
        raise DagsterInvariantViolationError(
            "Schedules that return multiple RunRequests must specify a run_key in each "
            "RunRequest")
    if default_tags:
        requests = [RunRequest(r.run_key, r.run_config, {**default_tags, **r.tags}, r.job_name)
                    for r in requests]
    return ScheduleExecutionData(requests)


def schedule(cron_schedule: str, pipeline_name: str | None = None, name: str | None = None,
             tags: dict[str, str] | None = None, tags_fn: Callable[..., Any] | None = None,
             solid_selection: list[str] | None = None, mode: str | None = "default",
             should_execute: Callable[..., bool] | None = None,
             environment_vars: dict[str, str] | None = None,
             execution_timezone: str | None = None, description: str | None = None,
             job: Any = None, default_status: Any = None
             ) -> Callable[[Callable[..., Any]], ScheduleDefinition]:
    """``@schedule(cron_schedule="0 * * * *", pipeline_name="p") def s(context): return {}``.

    The function returns run config (a dict), or one or more :class:`RunRequest` or a
    :class:`SkipReason`."""

    def wrap(fn: Callable[..., Any]) -> ScheduleDefinition:
        definition = ScheduleDefinition(
            name or fn.__name__, cron_schedule, pipeline_name, run_config_fn=fn, tags=tags,
            tags_fn=tags_fn, solid_selection=solid_selection, mode=mode,
            should_execute=should_execute, environment_vars=environment_vars,
            execution_timezone=execution_timezone,
            description=description or inspect.getdoc(fn), job=job,
            default_status=default_status)
        definition.__doc__ = fn.__doc__
        return definition

    return wrap


# Sensors lived here before they had a module of their own; these names stay importable.
def __getattr__(name: str) -> Any:
    if name in ("SensorDefinition", "sensor"):
        from . import sensors

        return getattr(sensors, name)
    if name in ("hourly_schedule", "daily_schedule", "weekly_schedule", "monthly_schedule"):
        from . import partitions

        return getattr(partitions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
