"""The contexts handed to user code: solids, IO managers, resources and hooks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DagsterInvariantViolationError, DagsterUnknownResourceError
from ..events import EventRecord, EventType
from ..runs import PipelineRun
from .log_manager import LogManager

if TYPE_CHECKING:
    from ..definitions.mode import ModeDefinition
    from ..definitions.pipeline import PipelineDefinition
    from ..instance import Instance
    from ..plan.plan import ExecutionPlan, ExecutionStep
    from ..storage.base import ComputeLogInfo
    from .live import LiveEvents


class Resources:
    """``context.resources``: attribute access to the resources a solid declared."""

    def __init__(self, values: dict[str, Any], allowed: frozenset[str] | None = None):
        self._values = values
        self._allowed = allowed

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if (self._allowed is not None and name not in self._allowed) or name not in self._values:
            raise DagsterUnknownResourceError(
                name, sorted(self._allowed if self._allowed is not None else self._values)
            )
        return self._values[name]

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def _asdict(self) -> dict[str, Any]:
        return dict(self._values)

    def scoped(self, keys: frozenset[str]) -> Resources:
        return Resources(self._values, keys)


@dataclass
class RunContext:
    """Everything a run's steps share: definitions, the run record, config, the instance."""

    pipeline_def: PipelineDefinition
    run: PipelineRun
    run_config: dict[str, Any]
    mode_def: ModeDefinition
    instance: Instance
    raise_on_error: bool = False
    retries_enabled: bool = True
    output_capture: dict[tuple[str, str, str | None], Any] | None = None
    plan: ExecutionPlan | None = None
    # For re-execution: which run produced each step's outputs (defaults to this run).
    output_run_ids: dict[str, str] = field(default_factory=dict)
    pending_logs: list[EventRecord] = field(default_factory=list)
    # Polled by the scheduler between steps: a cancel request (instance flag or signal).
    interrupted: Any = field(default=lambda: False)
    cancel_reported: bool = False
    # Where compute-log index rows go: the run's event writer (``write_compute_log``), so they
    # commit with the events; None stores each at once.
    index_compute_log: Callable[[ComputeLogInfo], None] | None = None
    # The same for a row that needs no commit of its own: it rides with the next one.
    index_compute_log_lazily: Callable[[ComputeLogInfo], None] | None = None
    # Called before the step's compute function runs or resumes (user code that may take
    # long): a step process delivers the events it holds back, so none waits on user code.
    before_user_code: Callable[[], None] | None = None
    # Set by the run's event consumer (the run worker, a step process): log lines and other
    # events a step emits while its code runs are handed to it at once, not when the step
    # next yields (``live.py``).
    live: LiveEvents | None = None

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def partition_key(self) -> str | None:
        """The run's partition (its ``orch/partition`` tag, or the legacy spelling)."""
        tags = self.run.tags
        return tags.get("orch/partition") or tags.get("dagster/partition")

    @property
    def pipeline_name(self) -> str:
        return self.pipeline_def.name

    def event(self, event_type: EventType | None, message: str = "", step_key: str | None = None,
              level: int = 10, data: dict[str, Any] | None = None) -> EventRecord:
        return EventRecord(self.run_id, self.pipeline_name, event_type, message, step_key,
                           level, time.time(), data=data or {})

    def solid_run_config(self, handle: str) -> dict[str, Any]:
        node: Any = self.run_config
        for part in handle.split("."):
            node = ((node or {}).get("solids") or {}).get(part) or {}
        return node

    def solid_config(self, handle: str) -> Any:
        return self.solid_run_config(handle).get("config")

    def resource_config(self, key: str) -> Any:
        return ((self.run_config.get("resources") or {}).get(key) or {}).get("config")

    def run_id_for_step_output(self, step_key: str) -> str:
        return self.output_run_ids.get(step_key, self.run_id)

    def log_manager(self, step_key: str | None = None) -> LogManager:
        return LogManager(self.run_id, self.pipeline_name, self.emit_pending, step_key)

    def emit_pending(self, event: EventRecord) -> None:
        """A log line of the run's code outside a step's own logger (resources, run-level
        loggers): queued for the event stream, and delivered at once when ``live`` is set."""
        self.pending_logs.append(event)
        if self.live is not None:
            self.live(event)

    def drain_logs(self) -> list[EventRecord]:
        """The log lines waiting in ``pending_logs``, taken off it."""
        if not self.pending_logs:
            return []
        drained, self.pending_logs[:] = list(self.pending_logs), []
        return drained


class SolidExecutionContext:
    """``context`` inside a solid: config, resources, logging, run information."""

    def __init__(self, run_context: RunContext, step: ExecutionStep, resources: Resources,
                 retry_number: int, log: LogManager,
                 on_user_event: Callable[[Any], None] | None = None):
        self._run = run_context
        self._step = step
        self.resources = resources
        self.retry_number = retry_number
        self.log = log
        self._on_user_event = on_user_event

    def log_event(self, event: Any) -> None:
        """Record an ``AssetMaterialization`` or ``ExpectationResult`` from inside the compute
        function: it appears in the step's events where it is logged, as if yielded."""
        from ..definitions.events import AssetMaterialization, ExpectationResult

        if not isinstance(event, AssetMaterialization | ExpectationResult):
            raise DagsterInvariantViolationError(
                f"context.log_event takes an AssetMaterialization or an ExpectationResult, got "
                f"{type(event).__name__}; yield an Output instead of logging it."
            )
        self._record_user_event(event)

    def _record_user_event(self, event: Any) -> None:
        if self._on_user_event is not None:
            self._on_user_event(event)

    @property
    def solid_config(self) -> Any:
        return self._step.solid_def.map_config(self._run.solid_config(self._step.handle))

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def pipeline_run(self) -> PipelineRun:
        return self._run.run

    run = pipeline_run

    @property
    def run_config(self) -> dict[str, Any]:
        return self._run.run_config

    @property
    def pipeline_name(self) -> str:
        return self._run.pipeline_name

    @property
    def pipeline_def(self) -> PipelineDefinition:
        return self._run.pipeline_def

    @property
    def mode_def(self) -> ModeDefinition:
        return self._run.mode_def

    @property
    def instance(self) -> Any:
        return self._run.instance

    @property
    def solid_def(self) -> Any:
        return self._step.solid_def

    @property
    def solid(self) -> Any:
        return self._step.node

    @property
    def solid_handle(self) -> str:
        return self._step.handle

    @property
    def step_key(self) -> str:
        return self._step.key

    def get_mapping_key(self) -> str | None:
        return self._step.mapping_key

    def has_tag(self, key: str) -> bool:
        return key in self._run.run.tags

    def get_tag(self, key: str) -> str | None:
        return self._run.run.tags.get(key)


@dataclass
class OutputContext:
    """What an IO manager's ``handle_output`` sees."""

    step_key: str
    name: str
    run_id: str
    pipeline_name: str = ""
    mapping_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    config: Any = None
    solid_def: Any = None
    dagster_type: Any = None
    log: LogManager | None = None
    version: str | None = None
    resource_config: Any = None
    resources: Resources | None = None
    partition_key: str | None = None  # the run's partition (``orch/partition`` tag), if any
    _logged_metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    _logged_events: list[Any] = field(default_factory=list, repr=False)

    def get_run_scoped_output_identifier(self) -> list[str]:
        parts = [self.run_id, self.step_key, self.name]
        return parts + [self.mapping_key] if self.mapping_key else parts

    @property
    def has_partition_key(self) -> bool:
        return self.partition_key is not None

    def add_output_metadata(self, metadata: dict[str, Any]) -> None:
        """Metadata about the stored output (rows, bytes, a path): it goes on the
        HANDLED_OUTPUT event and on the materializations the IO manager records."""
        for label in metadata:
            if label in self._logged_metadata:
                raise DagsterInvariantViolationError(
                    f"In {self.step_key}, attempted to log metadata for output {self.name} "
                    f"more than once: {label!r}."
                )
        self._logged_metadata.update(metadata)

    def log_event(self, event: Any) -> None:
        """Record an AssetMaterialization from ``handle_output``."""
        self._logged_events.append(event)

    def consume_logged_metadata(self) -> dict[str, Any]:
        out, self._logged_metadata = self._logged_metadata, {}
        return out

    def consume_events(self) -> list[Any]:
        out, self._logged_events = self._logged_events, []
        return out


@dataclass
class InputContext:
    """What an IO manager's (or root input manager's) ``load_input`` sees."""

    name: str
    pipeline_name: str = ""
    solid_def: Any = None
    config: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    upstream_output: OutputContext | None = None
    dagster_type: Any = None
    log: LogManager | None = None
    resource_config: Any = None
    resources: Resources | None = None


@dataclass
class InitResourceContext:
    """What a resource function receives."""

    resource_config: Any = None
    resources: Resources = field(default_factory=lambda: Resources({}))
    resource_def: Any = None
    log: LogManager | None = None
    run_id: str | None = None
    instance: Instance | None = None
    pipeline_run: PipelineRun | None = None

    @property
    def log_manager(self) -> LogManager | None:
        return self.log


@dataclass
class HookContext:
    """What a success/failure hook receives."""

    step_key: str
    solid: Any
    mode_def: Any
    resources: Resources
    log: LogManager
    solid_config: Any
    pipeline_name: str
    run_id: str
    hook_def: Any = None
    solid_exception: BaseException | None = None
    solid_output_values: dict[str, Any] = field(default_factory=dict)

    @property
    def op(self) -> Any:
        """The solid (Dagster 0.13+ name)."""
        return self.solid

    @property
    def job_name(self) -> str:
        """The pipeline's name (Dagster 0.13+ name)."""
        return self.pipeline_name

    @property
    def op_exception(self) -> BaseException | None:
        return self.solid_exception


def build_init_resource_context(config: Any = None, resources: dict[str, Any] | None = None,
                                instance: Instance | None = None) -> InitResourceContext:
    """An init context for calling a resource function directly in a test."""
    return InitResourceContext(resource_config=config, resources=Resources(dict(resources or {})),
                               instance=instance)


def build_solid_context(resources: dict[str, Any] | None = None, config: Any = None,
                        resources_config: dict[str, Any] | None = None, instance: Instance | None = None,
                        mapping_key: str | None = None) -> SolidExecutionContext:
    """A solid context for invoking a solid directly in a unit test.

    ``resources`` maps keys to resource values or ResourceDefinitions, initialised here. Use
    it as a context manager (``with build_solid_context(...) as context:``) to run the
    teardown of generator resources on exit, in reverse order of initialisation.
    """
    from ..definitions.mode import ModeDefinition
    from ..definitions.pipeline import PipelineDefinition

    values, generators = _initialised_resources(resources, resources_config, instance)
    pipeline_def = PipelineDefinition(name="ephemeral_solid_invocation_pipeline")
    run = PipelineRun(pipeline_name=pipeline_def.name)
    if instance is None:  # as Dagster: an ephemeral instance when none is given
        from ..instance import Instance

        instance = Instance.ephemeral()
    run_context = RunContext(pipeline_def, run, {}, ModeDefinition(), instance)
    context = _DirectInvocationContext(run_context, values, config, mapping_key)
    context._generators = generators
    return context


def _initialised_resources(resources: dict[str, Any] | None,
                           resources_config: dict[str, Any] | None,
                           instance: Instance | None) -> tuple[dict[str, Any], list[Any]]:
    """Resource values for a context built in a test: each ResourceDefinition initialised
    (generators started; returned too, to finish on exit), other values as given."""
    from ..definitions.resource import ResourceDefinition

    values: dict[str, Any] = {}
    generators: list[Any] = []
    for key, value in (resources or {}).items():
        if isinstance(value, ResourceDefinition):
            init = InitResourceContext(resource_config=(resources_config or {}).get(key),
                                       resources=Resources(dict(values)), instance=instance)
            produced = value.resource_fn(init)
            if value.is_generator:
                generators.append(produced)
                produced = next(produced)
            values[key] = produced
        else:
            values[key] = value
    return values, generators


def build_hook_context(resources: dict[str, Any] | None = None, mode_def: Any = None,
                       solid: Any = None, run_id: str | None = None,
                       job_name: str | None = None, op_exception: BaseException | None = None,
                       op: Any = None) -> HookContext:
    """A hook context for calling a hook directly in a test: ``my_hook(build_hook_context(
    resources={...}))``. ``resources`` maps keys to values or ResourceDefinitions."""
    if solid is not None and op is not None:
        raise DagsterInvariantViolationError(
            "cannot set both `solid` and `op` on `build_hook_context`.")
    values, _ = _initialised_resources(resources, None, None)
    log = LogManager(run_id or "", job_name or "", lambda _event: None)
    node = solid if solid is not None else op
    return HookContext(step_key="", solid=getattr(node, "definition", node), mode_def=mode_def,
                       resources=Resources(values), log=log, solid_config=None,
                       pipeline_name=job_name or "", run_id=run_id or "",
                       solid_exception=op_exception)


class _DirectInvocationContext(SolidExecutionContext):
    """A context not yet bound to a solid; bound when the solid is invoked with it."""

    def __init__(self, run_context: RunContext, resources: dict[str, Any], config: Any,
                 mapping_key: str | None):
        self._run = run_context
        self._resource_values = resources
        self._config = config
        self._mapping_key = mapping_key
        self._bound_solid: Any = None
        self.resources = Resources(resources)
        self.retry_number = 0
        self.log = run_context.log_manager()
        self._user_events: list[Any] = []

    _generators: list[Any] = []

    def __enter__(self) -> _DirectInvocationContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        while self._generators:
            generator = self._generators.pop()
            try:
                next(generator)
            except StopIteration:
                pass

    def bind(self, solid_def: Any) -> _DirectInvocationContext:
        missing = sorted(set(solid_def.required_resource_keys) - set(self._resource_values))
        if missing:
            raise DagsterInvariantViolationError(
                f'Solid "{solid_def.name}" requires resource(s) {missing}, which the context '
                f"does not provide. Pass them: build_solid_context(resources={{...}})."
            )
        if solid_def.config_schema is not None:
            from ..definitions.configured import validated_config

            self._config = validated_config(solid_def.config_schema, self._config,
                                            f'solid "{solid_def.name}"')
        self._bound_solid = solid_def
        self.resources = Resources(self._resource_values,
                                   frozenset(solid_def.required_resource_keys))
        self.log = self._run.log_manager(solid_def.name)
        return self

    def _record_user_event(self, event: Any) -> None:
        self._user_events.append(event)

    def get_events(self) -> list[Any]:
        """The materializations and expectation results logged with ``log_event``."""
        return list(self._user_events)

    @property
    def solid_config(self) -> Any:
        if self._bound_solid is not None:
            return self._bound_solid.map_config(self._config)
        return self._config

    @property
    def solid_def(self) -> Any:
        return self._bound_solid

    @property
    def solid_handle(self) -> str:
        return self._bound_solid.name if self._bound_solid else ""

    @property
    def step_key(self) -> str:
        return self.solid_handle

    def get_mapping_key(self) -> str | None:
        return self._mapping_key

    @property
    def logged_events(self) -> list[EventRecord]:
        return list(self._run.pending_logs)
