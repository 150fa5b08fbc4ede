"""Evaluate a schedule or sensor once without storing anything, and check the run config of
each run it would request (what ``orch schedule preview`` / ``orch sensor preview`` show)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..definitions.schedules import RunRequest, ScheduleEvaluationContext
from ..definitions.sensors import SensorEvaluationContext
from ..errors import DagsterError
from .cron import as_aware, get_timezone, next_ticks
from .ticks import (
    Instigator,
    LaunchOutcome,
    SchedulerSettings,
    call_with_timeout,
    error_text,
    pipeline_of,
)

if TYPE_CHECKING:
    from ..instance import Instance
    from ..workspace import LoadedWorkspace


@dataclass(frozen=True)
class PreviewedRun:
    request: RunRequest
    config_error: str | None  # None: the run config is valid for the pipeline and mode


@dataclass(frozen=True)
class Preview:
    """One evaluation: the runs it would launch, or why none, or the error it raised."""

    runs: list[PreviewedRun] = field(default_factory=list)
    skip_message: str | None = None
    error: str | None = None
    when: datetime.datetime | None = None  # a schedule's tick time
    cursor: str | None = None  # a sensor's cursor afterwards

    @property
    def ok(self) -> bool:
        return self.error is None and all(r.config_error is None for r in self.runs)


def validate_request(workspace: LoadedWorkspace, instigator: Instigator,
                     request: RunRequest) -> str | None:
    """Why the run for ``request`` could not be created (config, mode, selection), or None."""
    from ..execution.api import prepare_run

    definition = instigator.definition
    loaded = pipeline_of(workspace, instigator.repository, definition.pipeline_name)
    if loaded is None:
        return f'pipeline "{definition.pipeline_name}" is not in this code location'
    try:
        prepare_run(loaded.reconstructable(), run_config=request.run_config,
                    mode=definition.mode, solid_selection=definition.solid_selection,
                    tags=request.tags)
    except DagsterError as e:
        return str(e)
    return None


def next_schedule_time(instigator: Instigator, after: float) -> datetime.datetime:
    definition = instigator.definition
    [when] = next_ticks(definition.cron_schedule, definition.execution_timezone, after, 1)
    return when


def preview_schedule(instance: Instance, workspace: LoadedWorkspace, instigator: Instigator,
                     when: datetime.datetime, settings: SchedulerSettings | None = None
                     ) -> Preview:
    settings = settings or SchedulerSettings.from_instance(instance)
    definition = instigator.definition
    local = as_aware(when, get_timezone(definition.execution_timezone))
    context = ScheduleEvaluationContext(scheduled_execution_time=local, instance=instance)
    try:
        data = call_with_timeout(lambda: definition.evaluate_tick(context),
                                 settings.evaluation_timeout_s, f"Schedule {instigator.name}")
    except Exception as e:
        return Preview(error=error_text(e), when=local)
    runs = [PreviewedRun(r, validate_request(workspace, instigator, r))
            for r in data.run_requests]
    return Preview(runs, data.skip_message, when=local)


def preview_sensor(instance: Instance, workspace: LoadedWorkspace, instigator: Instigator,
                   cursor: str | None, last_run_key: str | None = None,
                   last_completion_time: float | None = None,
                   settings: SchedulerSettings | None = None) -> Preview:
    settings = settings or SchedulerSettings.from_instance(instance)
    context = SensorEvaluationContext(
        last_completion_time=last_completion_time, last_run_key=last_run_key, cursor=cursor,
        repository_name=instigator.repository, instance=instance,
        repository_def=workspace.repository_defs.get(instigator.repository))
    try:
        data = call_with_timeout(lambda: instigator.definition.evaluate_tick(context),
                                 settings.evaluation_timeout_s, f"Sensor {instigator.name}")
    except Exception as e:
        return Preview(error=error_text(e))
    runs = [PreviewedRun(r, validate_request(workspace, instigator, r))
            for r in data.run_requests]
    skip: Any = data.skip_message
    if data.origin_run_ids:
        skip = f"Reacted to runs {', '.join(data.origin_run_ids)} (a preview does not record it)."
    return Preview(runs, skip, cursor=data.cursor)


# -- the workbench's dev loop for instigators: evaluate by name, launch one previewed request ----
def find_instigator(workspace: LoadedWorkspace, kind: str, name: str) -> Instigator:
    """The schedule or sensor ``name`` of the workspace (``kind``: "schedule" | "sensor")."""
    from ..storage.schedules import InstigatorType
    from .ticks import find_instigators

    itype = InstigatorType.SCHEDULE if kind == "schedule" else InstigatorType.SENSOR
    found = find_instigators(workspace, itype)
    for instigator in found:
        if instigator.name == name:
            return instigator
    names = ", ".join(sorted(i.name for i in found)) or "none"
    raise DagsterError(f'No {kind} named "{name}" in {workspace.target.describe()}; '
                       f"{kind}s: {names}.")


def preview_now(instance: Instance, workspace: LoadedWorkspace, kind: str, name: str,
                now: float) -> Preview:
    """What the instigator would do at its next evaluation: a schedule's next tick after
    ``now``; a sensor against its stored cursor and last run key. Nothing is stored."""
    instigator = find_instigator(workspace, kind, name)
    if kind == "schedule":
        return preview_schedule(instance, workspace, instigator,
                                next_schedule_time(instigator, now))
    state = instance.storage.get_instigator_state(instigator.selector)
    return preview_sensor(instance, workspace, instigator,
                          state.cursor if state else None,
                          state.last_run_key if state else None,
                          state.last_tick_timestamp if state else None)


def launch_previewed(instance: Instance, workspace: LoadedWorkspace, kind: str, name: str,
                     request: RunRequest, when: datetime.datetime | None = None
                     ) -> LaunchOutcome:
    """Launch one run a preview showed, with the tags its tick would give it. A sensor's run
    key is claimed as a tick claims it, so the sensor never launches that key again; a
    schedule's run is an extra run for ``when`` (its tick at that time still runs), as
    Dagster's "test schedule" launches one."""
    from ..definitions.schedules import RUN_KEY_TAG, SCHEDULED_EXECUTION_TIME_TAG, SENSOR_NAME_TAG
    from .ticks import launch_request

    instigator = find_instigator(workspace, kind, name)
    tags = dict(request.tags)
    if request.run_key is not None:
        tags[RUN_KEY_TAG] = request.run_key
    if kind == "sensor":
        tags[SENSOR_NAME_TAG] = instigator.name
    elif when is not None:
        tags[SCHEDULED_EXECUTION_TIME_TAG] = when.astimezone(datetime.UTC).isoformat()
    outcome = LaunchOutcome()
    launch_request(instance, workspace, instigator, request,
                   request.run_key if kind == "sensor" else None, tags, outcome)
    return outcome


def preview_to_dict(preview: Preview) -> dict[str, Any]:
    return {"runs": [{"run_key": r.request.run_key, "run_config": r.request.run_config,
                      "tags": r.request.tags, "config_error": r.config_error}
                     for r in preview.runs],
            "skip_message": preview.skip_message, "error": preview.error,
            "when": preview.when.isoformat() if preview.when else None,
            "cursor": preview.cursor}


def preview_from_dict(data: dict[str, Any]) -> Preview:
    runs = [PreviewedRun(RunRequest(r.get("run_key"), r.get("run_config") or {},
                                    r.get("tags") or {}), r.get("config_error"))
            for r in data.get("runs") or []]
    when = data.get("when")
    return Preview(runs, data.get("skip_message"), data.get("error"),
                   datetime.datetime.fromisoformat(when) if when else None,
                   data.get("cursor"))
