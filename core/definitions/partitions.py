"""Partitions: :class:`Partition`, :class:`PartitionSetDefinition`, ``date_partition_range``,
the schedules built from a partition set (``create_schedule_definition``,
``schedule_from_partitions``) and the partitioned schedule decorators ``@hourly_schedule``,
``@daily_schedule``, ``@weekly_schedule`` and ``@monthly_schedule``.

Period arithmetic is done in the schedule's time zone (UTC when none): days, weeks and months
in wall-clock time (a day partition starts at local midnight), hours in real time (so the
repeated hour of a fall-back night is two partitions, told apart by the ``%z`` in their
names).
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .io_defs import check_valid_name
from .schedules import (
    PARTITION_SET_TAG,
    PARTITION_TAG,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    ScheduleExecutionData,
    SkipReason,
    _string_tags,
    call_with_optional_context,
)

T = TypeVar("T")
UTC = datetime.UTC


class DagsterUnknownPartitionError(DagsterInvariantViolationError):
    """A partition name that the partition set does not have."""


class Partition(Generic[T]):
    """One partition: a ``value`` (anything) and a ``name`` (default ``str(value)``)."""

    def __init__(self, value: T, name: str | None = None) -> None:
        self.value = value
        self.name = name if name is not None else str(value)

    def __repr__(self) -> str:
        return f"Partition({self.value!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Partition) and (self.name, self.value) == \
            (other.name, other.value)

    def __hash__(self) -> int:
        return hash(self.name)


class PartitionSetDefinition:
    """Named partitions of a pipeline, each with its run config and tags (what backfills and
    partitioned schedules launch)."""

    repository_kind = "partition_sets"

    def __init__(self, name: str, pipeline_name: str | None = None,
                 partition_fn: Callable[..., Sequence[Any]] | None = None,
                 solid_selection: list[str] | None = None, mode: str | None = None,
                 run_config_fn_for_partition: Callable[[Partition], dict[str, Any]] =
                 lambda _p: {},
                 tags_fn_for_partition: Callable[[Partition], dict[str, str] | None] =
                 lambda _p: {},
                 partitions_def: Any = None, job_name: str | None = None) -> None:
        self.name = check_valid_name(name, "Partition set name")
        if (partition_fn is None) == (partitions_def is None):
            raise DagsterInvalidDefinitionError(
                f'Partition set "{name}": give exactly one of partition_fn and partitions_def.')
        self.pipeline_name = pipeline_name or job_name
        if not self.pipeline_name:
            raise DagsterInvalidDefinitionError(
                f'Partition set "{name}" needs the pipeline it runs: pipeline_name=...')
        self._partition_fn = partition_fn or partitions_def.get_partitions
        self.solid_selection = list(solid_selection) if solid_selection else None
        self.mode = mode or "default"
        self.run_config_fn_for_partition = run_config_fn_for_partition
        self.tags_fn_for_partition = tags_fn_for_partition

    def __repr__(self) -> str:
        return f"<PartitionSetDefinition {self.name} of {self.pipeline_name}>"

    def get_partitions(self, current_time: datetime.datetime | None = None) -> list[Partition]:
        fn = self._partition_fn
        takes_time = bool(_positional_parameters(fn))
        raw = fn(current_time) if takes_time else fn()
        return [p if isinstance(p, Partition) else Partition(p) for p in raw]

    def get_partition_names(self, current_time: datetime.datetime | None = None) -> list[str]:
        return [p.name for p in self.get_partitions(current_time)]

    def get_partition(self, name: str, current_time: datetime.datetime | None = None
                      ) -> Partition:
        for partition in self.get_partitions(current_time):
            if partition.name == name:
                return partition
        raise DagsterUnknownPartitionError(f"Could not find a partition with key `{name}`")

    def run_config_for_partition(self, partition: Partition) -> dict[str, Any]:
        return dict(self.run_config_fn_for_partition(partition) or {})

    def tags_for_partition(self, partition: Partition) -> dict[str, str]:
        user = _string_tags(self.tags_fn_for_partition(partition),
                            f'partition set "{self.name}"')
        return {**user, PARTITION_TAG: partition.name, PARTITION_SET_TAG: self.name}

    def create_schedule_definition(
            self, schedule_name: str, cron_schedule: str,
            partition_selector: Callable[..., Any],
            should_execute: Callable[..., bool] | None = None,
            environment_vars: dict[str, str] | None = None,
            execution_timezone: str | None = None, description: str | None = None,
            decorated_fn: Callable[..., Any] | None = None, default_status: Any = None
    ) -> PartitionScheduleDefinition:
        """A schedule whose ticks run the partitions ``partition_selector(context, self)``
        picks (a Partition, a list of them, or a SkipReason)."""
        partition_set = self

        def execution_fn(context: ScheduleEvaluationContext) -> Any:
            selected = partition_selector(context, partition_set)
            if isinstance(selected, SkipReason):
                return selected
            selected = selected if isinstance(selected, list) else [selected]
            if not selected:
                return SkipReason("Partition selector returned an empty list of partitions.")
            known = set(partition_set.get_partition_names(
                context.scheduled_execution_time))
            missing = [p.name for p in selected if p.name not in known]
            if missing:
                return SkipReason("Partition selector returned partition" +
                                  ("s" if len(missing) > 1 else "") +
                                  f" not in the partition set: {', '.join(missing)}.")
            if should_execute is not None and \
                    not call_with_optional_context(should_execute, context):
                return SkipReason(f"should_execute function for {schedule_name} returned "
                                  "false.")
            return [RunRequest(p.name, partition_set.run_config_for_partition(p),
                               partition_set.tags_for_partition(p)) for p in selected]

        return PartitionScheduleDefinition(
            name=schedule_name, cron_schedule=cron_schedule,
            pipeline_name=self.pipeline_name, execution_fn=execution_fn,
            solid_selection=self.solid_selection, mode=self.mode,
            environment_vars=environment_vars, execution_timezone=execution_timezone,
            description=description, partition_set=self, decorated_fn=decorated_fn,
            default_status=default_status)


def _positional_parameters(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


class PartitionScheduleDefinition(ScheduleDefinition):
    """A schedule tied to the partition set it draws its runs from."""

    def __init__(self, *, partition_set: PartitionSetDefinition,
                 decorated_fn: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._partition_set = partition_set
        self._decorated_fn = decorated_fn

    def get_partition_set(self) -> PartitionSetDefinition:
        return self._partition_set

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._decorated_fn is not None:
            return self._decorated_fn(*args, **kwargs)
        return super().__call__(*args, **kwargs)


# -- dates -------------------------------------------------------------------------------------
def _zone(timezone: str | None) -> datetime.tzinfo:
    from ..scheduling.cron import get_timezone

    return get_timezone(timezone)


def _localize(moment: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
    """A naive datetime read as wall-clock time in ``tz``; an aware one converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


_DELTAS = ("minutes", "hours", "days", "weeks", "months")


def step(moment: datetime.datetime, delta_range: str, count: int = 1) -> datetime.datetime:
    """``moment`` moved ``count`` periods: minutes and hours in real time, days and weeks in
    wall-clock time of ``moment``'s zone, months on the calendar (for a period start, which
    is never past the 28th in the monthly schedules)."""
    tz = moment.tzinfo or UTC
    if delta_range in ("minutes", "hours"):
        delta = datetime.timedelta(**{delta_range: count})
        return (moment.astimezone(UTC) + delta).astimezone(tz)
    naive = moment.replace(tzinfo=None)
    if delta_range == "days":
        naive = naive + datetime.timedelta(days=count)
    elif delta_range == "weeks":
        naive = naive + datetime.timedelta(weeks=count)
    elif delta_range == "months":
        naive = _add_months(naive, count)
    else:
        raise DagsterInvalidDefinitionError(
            f'Unknown delta_range "{delta_range}": use one of {", ".join(_DELTAS)}.')
    return _resolve_wall_time(naive, tz)


def _resolve_wall_time(naive: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
    from ..scheduling.cron import resolve_wall_time

    return resolve_wall_time(naive, tz)


def date_partition_range(start: datetime.datetime, end: datetime.datetime | None = None,
                         delta_range: str = "days", fmt: str | None = None,
                         inclusive: bool = False, timezone: str | None = None
                         ) -> Callable[[datetime.datetime | None], list[Partition]]:
    """A partition function: one partition per ``delta_range`` from ``start`` to ``end``
    (or to the current time). The last, unfinished period is left out unless
    ``inclusive``."""
    if delta_range not in _DELTAS:
        raise DagsterInvalidDefinitionError(
            f'Unknown delta_range "{delta_range}": use one of {", ".join(_DELTAS)}.')
    if end is not None and start > end:
        raise DagsterInvariantViolationError(
            f'Selected date range start "{start}" is after date range end "{end}"')
    fmt = fmt or ("%Y-%m-%d-%H:%M" if delta_range in ("minutes", "hours") else "%Y-%m-%d")
    tz = _zone(timezone)

    def partitions(current_time: datetime.datetime | None = None) -> list[Partition]:
        first = _localize(start, tz)
        last = _localize(end, tz) if end is not None else \
            _localize(current_time or datetime.datetime.now(UTC), tz)
        found: list[Partition] = []
        moment = first
        while True:
            following = step(moment, delta_range)
            if following > last and not (inclusive and moment <= last):
                break
            if moment > last:
                break
            found.append(Partition(moment, moment.strftime(fmt)))
            moment = following
        return found

    return partitions


def identity_partition_selector(context: ScheduleEvaluationContext,
                                partition_set: PartitionSetDefinition) -> Partition | SkipReason:
    """The partition whose time is the tick's time."""
    return create_offset_partition_selector(lambda moment: moment)(context, partition_set)


def create_offset_partition_selector(
        execution_time_to_partition_fn: Callable[[datetime.datetime], datetime.datetime]
) -> Callable[[ScheduleEvaluationContext, PartitionSetDefinition], Any]:
    """A selector that maps the tick time to a partition time and picks that partition."""

    def selector(context: ScheduleEvaluationContext,
                 partition_set: PartitionSetDefinition) -> Partition | SkipReason:
        moment = context.scheduled_execution_time
        partitions = partition_set.get_partitions(moment)
        if not partitions:
            return SkipReason("Partition set has no partitions yet.")
        if moment is None:
            return partitions[-1]
        wanted = execution_time_to_partition_fn(moment)
        for partition in reversed(partitions):
            value = partition.value
            if isinstance(value, datetime.datetime) and value.isoformat() == wanted.isoformat():
                return partition
        return SkipReason("Partition selector did not return a partition. Make sure that the "
                          "timezone on your partition set matches your execution timezone.")

    return selector


# -- partitioned schedule decorators -------------------------------------------------------------
_PERIOD_FORMATS = {"hours": "%Y-%m-%d-%H:%M", "days": "%Y-%m-%d", "weeks": "%Y-%m-%d",
                   "months": "%Y-%m"}


def _truncate(moment: datetime.datetime, period: str, anchor: datetime.datetime
              ) -> datetime.datetime:
    """The start of the period (in ``moment``'s zone) that contains ``moment``; weeks begin
    on ``anchor``'s weekday."""
    tz = moment.tzinfo or UTC
    if period == "hours":
        return moment.replace(minute=0, second=0, microsecond=0)
    naive = moment.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    if period == "weeks":
        naive -= datetime.timedelta(days=(naive.weekday() - anchor.weekday()) % 7)
    elif period == "months":
        naive = naive.replace(day=1)
    return _resolve_wall_time(naive, tz)


def _partitioned_schedule(period: str, cron: Callable[[datetime.time, int], str],
                          default_day: int) -> Callable[..., Any]:
    def decorator(pipeline_name: str | None = None,
                  start_date: datetime.datetime | None = None, name: str | None = None,
                  execution_time: datetime.time = datetime.time(0, 0),
                  tags_fn_for_date: Callable[[datetime.datetime], dict[str, str] | None]
                  | None = None,
                  solid_selection: list[str] | None = None, mode: str | None = "default",
                  should_execute: Callable[..., bool] | None = None,
                  environment_vars: dict[str, str] | None = None,
                  end_date: datetime.datetime | None = None,
                  execution_timezone: str | None = None, description: str | None = None,
                  default_status: Any = None, execution_day_of_week: int | None = None,
                  execution_day_of_month: int | None = None,
                  partition_hours_offset: int = 1, partition_days_offset: int = 1,
                  partition_weeks_offset: int = 1, partition_months_offset: int = 1,
                  job: Any = None) -> Callable[[Callable[..., Any]], Any]:
        if start_date is None:
            raise DagsterInvalidDefinitionError(
                f"@{period[:-1]}ly_schedule needs a start_date.".replace("dayly", "daily"))
        offset = {"hours": partition_hours_offset, "days": partition_days_offset,
                  "weeks": partition_weeks_offset, "months": partition_months_offset}[period]
        day = _execution_day(period, execution_day_of_week, execution_day_of_month,
                             default_day)

        def wrap(fn: Callable[..., Any]) -> PartitionScheduleDefinition:
            schedule_name = name or fn.__name__
            tz = _zone(execution_timezone)
            first = _truncate(_localize(start_date, tz), period, _localize(start_date, tz))
            last = _localize(end_date, tz) if end_date is not None else None
            fmt = _PERIOD_FORMATS[period] + ("%z" if period == "hours" and
                                             execution_timezone else "")

            def partition_for(moment: datetime.datetime) -> datetime.datetime:
                return step(_truncate(moment.astimezone(tz), period, first), period, -offset)

            def partition_fn(current_time: datetime.datetime | None = None) -> list[Partition]:
                now = _localize(current_time or datetime.datetime.now(UTC), tz)
                newest = partition_for(now)
                if last is not None and newest > last:
                    newest = last
                found, moment = [], first
                while moment <= newest:
                    found.append(Partition(moment, moment.strftime(fmt)))
                    moment = step(moment, period)
                return found

            partition_set = PartitionSetDefinition(
                name=f"{schedule_name}_partitions", pipeline_name=pipeline_name or
                getattr(job, "name", None), partition_fn=partition_fn,
                solid_selection=solid_selection, mode=mode,
                run_config_fn_for_partition=lambda p: fn(p.value),
                tags_fn_for_partition=lambda p: tags_fn_for_date(p.value)
                if tags_fn_for_date else {})

            def selector(context: ScheduleEvaluationContext,
                         ps: PartitionSetDefinition) -> Partition | SkipReason:
                now = context.scheduled_execution_time or datetime.datetime.now(UTC)
                wanted = partition_for(_localize(now, tz))
                if wanted < first:
                    return SkipReason(
                        f"Your partition ({wanted.isoformat()}) is before the beginning of the "
                        f"partition set ({first.isoformat()}). Verify your schedule's "
                        "start_date is correct.")
                if last is not None and wanted > last:
                    return SkipReason(
                        f"Your partition ({wanted.isoformat()}) is after the end of the "
                        f"partition set ({last.isoformat()}). Verify your schedule's end_date "
                        "is correct.")
                return Partition(wanted, wanted.strftime(fmt))

            schedule_def = partition_set.create_schedule_definition(
                schedule_name, cron(execution_time, day), selector,
                should_execute=should_execute, environment_vars=environment_vars,
                execution_timezone=execution_timezone,
                description=description or inspect.getdoc(fn), decorated_fn=fn,
                default_status=default_status)
            schedule_def.__doc__ = fn.__doc__
            return schedule_def

        return wrap

    return decorator


def _execution_day(period: str, day_of_week: int | None, day_of_month: int | None,
                   default: int) -> int:
    if period == "weeks":
        day = default if day_of_week is None else day_of_week
        if not isinstance(day, int) or not 0 <= day <= 6:
            raise DagsterInvalidDefinitionError(
                f"execution_day_of_week must be 0 (Sunday) to 6 (Saturday), got {day!r}.")
        return day
    if period == "months":
        day = default if day_of_month is None else day_of_month
        if not isinstance(day, int) or not 1 <= day <= 31:
            raise DagsterInvalidDefinitionError(
                f"execution_day_of_month must be 1 to 31, got {day!r}.")
        return day
    return default


def _hourly_cron(t: datetime.time, _day: int) -> str:
    if t.hour:
        import warnings

        warnings.warn("@hourly_schedule uses only the minute of execution_time; its hour "
                      f"({t.hour}) is ignored.", UserWarning, stacklevel=4)
    return f"{t.minute} * * * *"


hourly_schedule = _partitioned_schedule("hours", _hourly_cron, 0)
daily_schedule = _partitioned_schedule("days", lambda t, _d: f"{t.minute} {t.hour} * * *", 0)
weekly_schedule = _partitioned_schedule("weeks", lambda t, d: f"{t.minute} {t.hour} * * {d}",
                                        0)
monthly_schedule = _partitioned_schedule("months",
                                         lambda t, d: f"{t.minute} {t.hour} {d} * *", 1)


def schedule_from_partitions(partition_set: PartitionSetDefinition, *,
                             cron_schedule: str, name: str | None = None,
                             execution_timezone: str | None = None,
                             description: str | None = None,
                             should_execute: Callable[..., bool] | None = None
                             ) -> PartitionScheduleDefinition:
    """A schedule that, at each tick, runs the newest partition of ``partition_set`` that
    exists at the tick time (orch's form of 0.12's ``schedule_from_partitions``: it takes a
    partition set, since orch has no jobs with a ``partitions_def``)."""
    if not isinstance(partition_set, PartitionSetDefinition):
        raise DagsterInvalidDefinitionError(
            "schedule_from_partitions takes a PartitionSetDefinition, got "
            f"{type(partition_set).__name__}.")

    def newest(context: ScheduleEvaluationContext, ps: PartitionSetDefinition) -> Any:
        partitions = ps.get_partitions(context.scheduled_execution_time)
        if not partitions:
            return SkipReason(f'Partition set "{ps.name}" has no partition at this time.')
        return partitions[-1]

    return partition_set.create_schedule_definition(
        name or f"{partition_set.name}_schedule", cron_schedule, newest,
        should_execute=should_execute, execution_timezone=execution_timezone,
        description=description)


build_schedule_from_partitioned_job = schedule_from_partitions

__all__ = [
    "DagsterUnknownPartitionError", "Partition", "PartitionScheduleDefinition",
    "PartitionSetDefinition", "ScheduleExecutionData", "create_offset_partition_selector",
    "daily_schedule", "date_partition_range", "hourly_schedule", "identity_partition_selector",
    "monthly_schedule", "schedule_from_partitions", "weekly_schedule",
]
