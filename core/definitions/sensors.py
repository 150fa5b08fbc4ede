"""Sensors: ``@sensor`` / :class:`SensorDefinition` and their context, ``@asset_sensor``,
``@run_status_sensor`` and ``@pipeline_failure_sensor``.

A sensor's function is called once per evaluation and returns what a schedule's may (run
requests, a skip reason or nothing) and may move its cursor. Asset and run-status sensors get
their events from the instance: :meth:`SensorDefinition.evaluate_tick` calls their function
once per new event (asset materialization, run status event) after the cursor, oldest first,
and moves the cursor past each event it handled, so none is skipped or seen twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .io_defs import check_valid_name
from .schedules import (
    RunRequest,
    SensorExecutionError,
    call_with_optional_context,
    normalize_returns,
)

if TYPE_CHECKING:
    from ..events import EventRecord
    from ..instance import Instance
    from ..runs import PipelineRun

DEFAULT_SENSOR_INTERVAL_SECONDS = 30
# Events an asset or run-status sensor handles in one evaluation at most (the rest next time).
EVENTS_PER_EVALUATION = 100


class SensorEvaluationContext:
    """What a sensor function sees: its ``cursor`` (a string or None; set it with
    :meth:`update_cursor`), ``last_run_key`` and ``last_completion_time`` of its last
    successful tick, ``repository_name`` and ``instance``."""

    def __init__(self, instance_ref: Any = None, last_completion_time: float | None = None,
                 last_run_key: str | None = None, cursor: str | None = None,
                 repository_name: str | None = None, *,
                 instance: Instance | None = None, repository_def: Any = None) -> None:
        self._instance_ref = instance_ref
        self._repository_def = repository_def
        self._instance = instance
        self._last_completion_time = last_completion_time
        self._last_run_key = last_run_key
        self._cursor = cursor
        self._cursor_updated = False
        self._repository_name = repository_name

    @property
    def cursor(self) -> str | None:
        return self._cursor

    def update_cursor(self, cursor: str | None) -> None:
        if cursor is not None and not isinstance(cursor, str):
            raise DagsterInvariantViolationError(
                f"A sensor cursor is a string or None, got {type(cursor).__name__} "
                f"{cursor!r}: serialize it (json.dumps) first.")
        self._cursor = cursor
        self._cursor_updated = True

    @property
    def cursor_updated(self) -> bool:
        return self._cursor_updated

    @property
    def last_run_key(self) -> str | None:
        return self._last_run_key

    @property
    def last_completion_time(self) -> float | None:
        return self._last_completion_time

    @property
    def repository_name(self) -> str | None:
        return self._repository_name

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
    def repository_def(self) -> Any:
        """The repository the sensor was loaded from (set by the evaluator; None in tests)."""
        return self._repository_def

    @property
    def has_instance(self) -> bool:
        return self._instance is not None or self._instance_ref is not None


SensorExecutionContext = SensorEvaluationContext


def build_sensor_context(instance: Instance | None = None, cursor: str | None = None,
                         repository_name: str | None = None,
                         last_run_key: str | None = None,
                         last_completion_time: float | None = None
                         ) -> SensorEvaluationContext:
    """A context for calling or evaluating a sensor in a test."""
    return SensorEvaluationContext(last_completion_time=last_completion_time,
                                   last_run_key=last_run_key, cursor=cursor,
                                   repository_name=repository_name, instance=instance)


@dataclass(frozen=True)
class SensorExecutionData:
    """One evaluation's result: run requests or a skip message, the cursor after it, and
    the runs a run-status sensor reacted to."""

    run_requests: list[RunRequest]
    skip_message: str | None = None
    cursor: str | None = None
    origin_run_ids: list[str] = field(default_factory=list)


class SensorDefinition:
    """A sensor: ``evaluation_fn(context)`` (or ``evaluation_fn()``) is called every
    ``minimum_interval_seconds`` (default 30) while the sensor is running."""

    repository_kind = "sensors"

    def __init__(self, name: str, evaluation_fn: Callable[..., Any],
                 pipeline_name: str | None = None, solid_selection: list[str] | None = None,
                 mode: str | None = None, minimum_interval_seconds: int | None = None,
                 description: str | None = None, job: Any = None,
                 default_status: Any = None) -> None:
        self.name = check_valid_name(name, "Sensor name")
        if not callable(evaluation_fn):
            raise DagsterInvalidDefinitionError(f'Sensor "{name}" needs a function.')
        if minimum_interval_seconds is not None and (
                not isinstance(minimum_interval_seconds, int | float)
                or minimum_interval_seconds < 0):
            raise DagsterInvalidDefinitionError(
                f'Sensor "{name}": minimum_interval_seconds must be a number >= 0, got '
                f"{minimum_interval_seconds!r}.")
        self.evaluation_fn = evaluation_fn
        self.pipeline_name = pipeline_name or getattr(job, "name", None)
        self.solid_selection = list(solid_selection) if solid_selection else None
        self.mode = mode or "default"
        self.minimum_interval_seconds = minimum_interval_seconds \
            if minimum_interval_seconds is not None else DEFAULT_SENSOR_INTERVAL_SECONDS
        self.description = description
        self.default_status = default_status

    @property
    def sensor_type(self) -> str:
        return "standard"

    def __repr__(self) -> str:
        return f"<SensorDefinition {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the decorated function as it is and return what it returns."""
        if not args and not kwargs and _takes_context(self.evaluation_fn):
            return self.evaluation_fn(build_sensor_context())
        return self.evaluation_fn(*args, **kwargs)

    def evaluate_tick(self, context: SensorEvaluationContext) -> SensorExecutionData:
        """Call the function once. User errors raise :class:`SensorExecutionError` (its
        cause is the user's exception); invalid returns raise too."""
        try:
            returned = call_with_optional_context(self.evaluation_fn, context)
            if inspect.isgenerator(returned):
                returned = list(returned)
        except DagsterInvariantViolationError:
            raise
        except Exception as e:
            raise SensorExecutionError(
                f"Error in sensor {self.name}: {type(e).__name__}: {e}") from e
        return self._data(returned, context)

    def _data(self, returned: Any, context: SensorEvaluationContext,
              origin_run_ids: list[str] | None = None) -> SensorExecutionData:
        try:
            result = normalize_returns(returned, f"Sensor {self.name}", schedule=False)
        except DagsterInvariantViolationError as e:
            raise SensorExecutionError(f"Error in sensor {self.name}: {e}") from e
        if result.run_requests and not self.pipeline_name:
            raise SensorExecutionError(
                f"Error in sensor {self.name}: Sensor evaluation function returned a "
                "RunRequest for a sensor lacking a specified target (pipeline_name). Give "
                "@sensor a pipeline_name.")
        return SensorExecutionData(result.run_requests, result.skip_message, context.cursor,
                                   origin_run_ids or [])


def _takes_context(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def sensor(pipeline_name: str | None = None, name: str | None = None,
           solid_selection: list[str] | None = None, mode: str | None = None,
           minimum_interval_seconds: int | None = None, description: str | None = None,
           job: Any = None, jobs: Any = None, default_status: Any = None
           ) -> Callable[[Callable[..., Any]], SensorDefinition]:
    """``@sensor(pipeline_name="p") def s(context): yield RunRequest(run_key=..., ...)``."""
    if jobs:
        raise DagsterInvalidDefinitionError(
            "orch sensors target one pipeline (pipeline_name=...); jobs= is not supported.")

    def wrap(fn: Callable[..., Any]) -> SensorDefinition:
        definition = SensorDefinition(name or fn.__name__, fn, pipeline_name, solid_selection,
                                      mode, minimum_interval_seconds,
                                      description or inspect.getdoc(fn), job=job,
                                      default_status=default_status)
        definition.__doc__ = fn.__doc__
        return definition

    return wrap


# -- asset sensors -------------------------------------------------------------------------------
class AssetSensorDefinition(SensorDefinition):
    """Called once per new materialization of ``asset_key`` as ``fn(context, event)``; the
    cursor is the storage id of the last materialization handled. Every materialization is
    delivered (Dagster's asset sensor only saw the newest one since the last tick)."""

    def __init__(self, name: str, asset_key: Any, evaluation_fn: Callable[..., Any],
                 **kwargs: Any) -> None:
        from ..storage.base import normalize_asset_key

        self.asset_key = normalize_asset_key(getattr(asset_key, "path", asset_key))
        self.asset_fn = evaluation_fn
        super().__init__(name, evaluation_fn, **kwargs)

    @property
    def sensor_type(self) -> str:
        return "asset"

    def evaluate_tick(self, context: SensorEvaluationContext) -> SensorExecutionData:
        if not context.has_instance:
            raise SensorExecutionError(
                f"Asset sensor {self.name} reads materializations from an instance: build its "
                "context with build_sensor_context(instance=...).")
        after = int(context.cursor) if context.cursor and context.cursor.isdigit() else 0
        events = context.instance.storage.get_materializations_after(
            self.asset_key, after, EVENTS_PER_EVALUATION)
        requests: list[RunRequest] = []
        skip: str | None = None
        for event in events:
            try:
                returned = self.asset_fn(context, event)
                if inspect.isgenerator(returned):
                    returned = list(returned)
            except Exception as e:
                raise SensorExecutionError(
                    f"Error in sensor {self.name}: {type(e).__name__}: {e}") from e
            data = self._data(returned, context)
            requests.extend(data.run_requests)
            skip = data.skip_message
            context.update_cursor(str(event.storage_id))
        if requests:
            return SensorExecutionData(requests, None, context.cursor)
        return SensorExecutionData([], skip if events else None, context.cursor)


def asset_sensor(asset_key: Any, pipeline_name: str | None = None, name: str | None = None,
                 solid_selection: list[str] | None = None, mode: str | None = None,
                 minimum_interval_seconds: int | None = None, description: str | None = None,
                 job: Any = None, default_status: Any = None
                 ) -> Callable[[Callable[..., Any]], AssetSensorDefinition]:
    """``@asset_sensor(AssetKey("table"), pipeline_name="p") def s(context, event): ...``."""

    def wrap(fn: Callable[..., Any]) -> AssetSensorDefinition:
        return AssetSensorDefinition(
            name or fn.__name__, asset_key, fn, pipeline_name=pipeline_name,
            solid_selection=solid_selection, mode=mode,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description or inspect.getdoc(fn), job=job,
            default_status=default_status)

    return wrap


# -- run status sensors --------------------------------------------------------------------------
class RunStatusSensorContext:
    """What a run-status sensor's function sees: the run and the status event."""

    def __init__(self, sensor_name: str, pipeline_run: PipelineRun, dagster_event: EventRecord,
                 instance: Instance) -> None:
        self.sensor_name = sensor_name
        self.pipeline_run = pipeline_run
        self.dagster_event = dagster_event
        self.instance = instance

    @property
    def dagster_run(self) -> PipelineRun:
        return self.pipeline_run

    def for_pipeline_failure(self) -> PipelineFailureSensorContext:
        return PipelineFailureSensorContext(self.sensor_name, self.pipeline_run,
                                            self.dagster_event, self.instance)


class PipelineFailureSensorContext(RunStatusSensorContext):
    @property
    def failure_event(self) -> EventRecord:
        return self.dagster_event


RunFailureSensorContext = PipelineFailureSensorContext


def build_run_status_sensor_context(sensor_name: str, dagster_event: EventRecord,
                                    dagster_instance: Instance, dagster_run: PipelineRun
                                    ) -> RunStatusSensorContext:
    return RunStatusSensorContext(sensor_name, dagster_run, dagster_event, dagster_instance)


def _status_value(status: Any) -> str:
    value = getattr(status, "value", status)
    from ..runs import PipelineRunStatus

    try:
        return PipelineRunStatus(value).value
    except ValueError:
        raise DagsterInvalidDefinitionError(
            f"Unknown run status {status!r}: use one of "
            f"{', '.join(s.value for s in PipelineRunStatus)}.") from None


class RunStatusSensorDefinition(SensorDefinition):
    """Called once per run that reached ``pipeline_run_status`` since the sensor started,
    as ``fn(context: RunStatusSensorContext)``; its return value is ignored (it reacts, it
    does not launch). It watches the runs of ``pipeline_selection``, by default those of the
    pipelines of its own repository. The cursor is the storage id of the last status event handled; the
    first evaluation only sets it, so runs from before the sensor started are not reported."""

    def __init__(self, name: str, pipeline_run_status: Any, run_status_sensor_fn:
                 Callable[..., Any], pipeline_selection: Sequence[str] | None = None,
                 minimum_interval_seconds: int | None = None,
                 description: str | None = None, failure: bool = False,
                 default_status: Any = None) -> None:
        self.pipeline_run_status = _status_value(pipeline_run_status)
        self.pipeline_selection = list(pipeline_selection) if pipeline_selection else None
        self.run_status_sensor_fn = run_status_sensor_fn
        self._failure = failure
        super().__init__(name, run_status_sensor_fn,
                         minimum_interval_seconds=minimum_interval_seconds,
                         description=description, default_status=default_status)

    @property
    def sensor_type(self) -> str:
        return "run_status"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.run_status_sensor_fn(*args, **kwargs)

    def evaluate_tick(self, context: SensorEvaluationContext) -> SensorExecutionData:
        from ..runs import status_event_types

        if not context.has_instance:
            raise SensorExecutionError(
                f"Run status sensor {self.name} reads run events from an instance: build its "
                "context with build_sensor_context(instance=...).")
        instance = context.instance
        storage = instance.storage
        event_types = status_event_types(self.pipeline_run_status)
        if not (context.cursor and context.cursor.isdigit()):
            newest = storage.get_latest_event_id()
            context.update_cursor(str(newest))
            return SensorExecutionData(
                [], f"Initiating {self.name}. Set cursor to {newest}", context.cursor)
        handled: list[str] = []
        watched = self.pipeline_selection
        if watched is None and context.repository_def is not None:
            watched = context.repository_def.pipeline_names  # its own repository's runs
        for event in storage.get_events_of_types_after(event_types, int(context.cursor),
                                                       EVENTS_PER_EVALUATION):
            run = instance.get_run(event.run_id)
            if run is not None and (watched is None or run.pipeline_name in watched):
                status_context = RunStatusSensorContext(self.name, run, event, instance)
                if self._failure:
                    status_context = status_context.for_pipeline_failure()
                try:
                    self.run_status_sensor_fn(status_context)
                except Exception as e:
                    error = SensorExecutionError(
                        f"Error in sensor {self.name} reacting to run {run.run_id}: "
                        f"{type(e).__name__}: {e}")
                    # The events before this one were handled: the next tick starts here,
                    # so it neither repeats their reactions nor skips this one.
                    error.cursor = context.cursor  # type: ignore[attr-defined]
                    raise error from e
                handled.append(run.run_id)
            context.update_cursor(str(event.storage_id))
        if not handled:
            return SensorExecutionData([], None, context.cursor)
        return SensorExecutionData([], None, context.cursor, handled)


def run_status_sensor(pipeline_run_status: Any, pipeline_selection: Sequence[str] | None = None,
                      name: str | None = None, minimum_interval_seconds: int | None = None,
                      description: str | None = None, job_selection: Any = None,
                      default_status: Any = None
                      ) -> Callable[[Callable[..., Any]], RunStatusSensorDefinition]:
    """``@run_status_sensor(PipelineRunStatus.SUCCESS) def on_success(context): ...``."""
    selection = pipeline_selection or ([getattr(j, "name", j) for j in job_selection]
                                       if job_selection else None)

    def wrap(fn: Callable[..., Any]) -> RunStatusSensorDefinition:
        return RunStatusSensorDefinition(name or fn.__name__, pipeline_run_status, fn,
                                         selection, minimum_interval_seconds,
                                         description or inspect.getdoc(fn),
                                         default_status=default_status)

    return wrap


def pipeline_failure_sensor(name: Callable[..., Any] | str | None = None,
                            minimum_interval_seconds: int | None = None,
                            description: str | None = None,
                            pipeline_selection: Sequence[str] | None = None,
                            job_selection: Any = None, default_status: Any = None) -> Any:
    """``@pipeline_failure_sensor`` (bare or with arguments): called once per failed run,
    with ``context.failure_event``. ``job_selection`` (pipelines or their names) is
    ``run_failure_sensor``'s name for ``pipeline_selection``."""
    selection = pipeline_selection or ([getattr(j, "name", j) for j in job_selection]
                                       if job_selection else None)

    def wrap(fn: Callable[..., Any]) -> RunStatusSensorDefinition:
        sensor_name = name if isinstance(name, str) else fn.__name__
        return RunStatusSensorDefinition(sensor_name, "FAILURE", fn, selection,
                                         minimum_interval_seconds,
                                         description or inspect.getdoc(fn), failure=True,
                                         default_status=default_status)

    if callable(name):
        return wrap(name)
    return wrap


run_failure_sensor = pipeline_failure_sensor
