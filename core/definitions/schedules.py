"""Schedule and sensor definitions, as far as a legacy file needs them to import and to be
listed in a repository. Evaluating them on a clock (the daemon) belongs to the orchestration
issue; until then a definition records what it was given."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .io_defs import check_valid_name


@dataclass
class RunRequest:
    """What a sensor asks for: a run with ``run_config`` and ``tags``; ``run_key`` dedupes."""

    run_key: str | None
    run_config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class SkipReason:
    """A sensor's answer when it requests no run."""

    skip_message: str | None = None


class ScheduleDefinition:
    """A cron schedule for a pipeline; ``execution_fn(context)`` returns its run config."""

    repository_kind = "schedules"

    def __init__(self, name: str, cron_schedule: str, pipeline_name: str,
                 run_config: dict[str, Any] | None = None,
                 run_config_fn: Callable[..., Any] | None = None,
                 tags: dict[str, str] | None = None, tags_fn: Callable[..., Any] | None = None,
                 solid_selection: list[str] | None = None, mode: str = "default",
                 should_execute: Callable[..., bool] | None = None,
                 environment_vars: dict[str, str] | None = None,
                 execution_timezone: str | None = None, description: str | None = None):
        self.name = check_valid_name(name, "Schedule name")
        self.cron_schedule = cron_schedule
        self.pipeline_name = pipeline_name
        self.run_config = run_config
        self.run_config_fn = run_config_fn
        self.tags = tags
        self.tags_fn = tags_fn
        self.solid_selection = solid_selection
        self.mode = mode
        self.should_execute = should_execute
        self.environment_vars = environment_vars or {}
        self.execution_timezone = execution_timezone
        self.description = description

    def __repr__(self) -> str:
        return f"<ScheduleDefinition {self.name} {self.cron_schedule!r}>"


def schedule(cron_schedule: str, pipeline_name: str, name: str | None = None,
             tags: dict[str, str] | None = None, tags_fn: Callable[..., Any] | None = None,
             solid_selection: list[str] | None = None, mode: str = "default",
             should_execute: Callable[..., bool] | None = None,
             environment_vars: dict[str, str] | None = None,
             execution_timezone: str | None = None, description: str | None = None):
    """``@schedule(cron_schedule="0 * * * *", pipeline_name="p") def s(context): return {}``."""

    def wrap(fn: Callable[..., Any]) -> ScheduleDefinition:
        return ScheduleDefinition(
            name or fn.__name__, cron_schedule, pipeline_name, run_config_fn=fn, tags=tags,
            tags_fn=tags_fn, solid_selection=solid_selection, mode=mode,
            should_execute=should_execute, environment_vars=environment_vars,
            execution_timezone=execution_timezone, description=description or fn.__doc__)

    return wrap


def _partitioned(cron: Callable[[datetime.time, int | None], str]):
    def decorator(pipeline_name: str, start_date: datetime.datetime, name: str | None = None,
                  execution_time: datetime.time = datetime.time(0, 0),
                  execution_day: int | None = None, tags_fn_for_date=None,
                  solid_selection: list[str] | None = None, mode: str = "default",
                  should_execute=None, environment_vars=None, end_date=None,
                  execution_timezone: str | None = None, partition_days_offset: int = 1,
                  partition_hours_offset: int = 1, partition_weeks_offset: int = 1,
                  partition_months_offset: int = 1, description: str | None = None,
                  default_status: Any = None):
        def wrap(fn: Callable[..., Any]) -> ScheduleDefinition:
            definition = ScheduleDefinition(
                name or fn.__name__, cron(execution_time, execution_day), pipeline_name,
                run_config_fn=fn, solid_selection=solid_selection, mode=mode,
                should_execute=should_execute, environment_vars=environment_vars,
                execution_timezone=execution_timezone, description=description or fn.__doc__)
            definition.start_date = start_date  # type: ignore[attr-defined]
            definition.end_date = end_date  # type: ignore[attr-defined]
            return definition

        return wrap

    return decorator


hourly_schedule = _partitioned(lambda t, _d: f"{t.minute} * * * *")
daily_schedule = _partitioned(lambda t, _d: f"{t.minute} {t.hour} * * *")
weekly_schedule = _partitioned(lambda t, d: f"{t.minute} {t.hour} * * {d or 0}")
monthly_schedule = _partitioned(lambda t, d: f"{t.minute} {t.hour} {d or 1} * *")


class SensorDefinition:
    """A sensor for a pipeline: ``evaluation_fn(context)`` yields RunRequests/SkipReasons."""

    repository_kind = "sensors"

    def __init__(self, name: str, evaluation_fn: Callable[..., Any],
                 pipeline_name: str | None = None, solid_selection: list[str] | None = None,
                 mode: str | None = None, minimum_interval_seconds: int | None = None,
                 description: str | None = None):
        self.name = check_valid_name(name, "Sensor name")
        self.evaluation_fn = evaluation_fn
        self.pipeline_name = pipeline_name
        self.solid_selection = solid_selection
        self.mode = mode
        self.minimum_interval_seconds = minimum_interval_seconds
        self.description = description

    def __repr__(self) -> str:
        return f"<SensorDefinition {self.name}>"


def sensor(pipeline_name: str | None = None, name: str | None = None,
           solid_selection: list[str] | None = None, mode: str | None = None,
           minimum_interval_seconds: int | None = None, description: str | None = None,
           **_later_arguments: Any):
    """``@sensor(pipeline_name="p") def s(context): yield RunRequest(run_key=..., ...)``."""

    def wrap(fn: Callable[..., Any]) -> SensorDefinition:
        return SensorDefinition(name or fn.__name__, fn, pipeline_name, solid_selection, mode,
                                minimum_interval_seconds, description or fn.__doc__)

    return wrap
