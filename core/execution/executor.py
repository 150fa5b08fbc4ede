"""The executor seam: executors are found by the name used in run config
(``execution: {multiprocess: {config: {...}}}``) through the ``orch.executors`` entry-point
group, so core never imports an executor package.

Executors only launch. :func:`execute_plan` owns the rest, once for all of them: the one
scheduler (``scheduler.drive``), resources (for the run, or for each step where steps run in
processes of their own), cleanup when the run ends early, and interruption. An executor
supplies a :class:`~.scheduler.StepLauncher` (how one step starts and how its events come
back) and says whether resources live per step."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import plugins
from ..errors import DagsterInvariantViolationError, serializable_error_info
from ..events import EventRecord, EventType
from ..plan.plan import ExecutionStep
from ..plan.sources import StepOutputHandle
from .context import Resources, RunContext
from .resources import ResourceScope, prepare_outputs, required_resource_keys
from .scheduler import ActiveExecution, RunStep, StepLauncher, drive
from .step import execute_step

ENTRY_POINT_GROUP = "orch.executors"
DEFAULT_EXECUTOR = "in_process"


class Executor(ABC):
    """How a run's steps are launched (see :func:`execute_plan` for everything else)."""

    retries_enabled: bool = True
    # True: each step initialises the resources it needs and tears them down (steps run in
    # processes of their own). False: resources are initialised once, for the whole run.
    resources_per_step: bool = False

    @abstractmethod
    def launcher(self, run_context: RunContext, run_step: RunStep) -> StepLauncher:
        """The launcher for this run; ``run_step(step, attempt, missing)`` yields the events
        of one attempt of a step, resources included, wherever the launcher calls it."""


def execute_plan(run_context: RunContext, active: ActiveExecution, executor: Executor
                 ) -> Iterator[EventRecord]:
    """Every event of the plan's steps, in order, through ``executor``'s launcher.

    Run-scoped resources are initialised before the first step and torn down after the
    last. When the run ends early (an interruption, an error outside any step, the consumer
    stopping), running steps are terminated and resources torn down; what that reports goes
    to ``run_context.pending_logs``, which the run's event stream drains."""
    scope = ResourceScope()
    launcher: StepLauncher | None = None
    prepared: list[Callable[[], None]] = []
    try:
        if executor.resources_per_step:
            run_step: RunStep = functools.partial(execute_step_with_resources, run_context)
        else:
            steps = active.plan.executable_steps()
            yield from scope.initialize(run_context, required_resource_keys(run_context, steps))
            prepared = prepare_outputs(run_context, steps, scope.resources)
            run_step = functools.partial(_execute_with, run_context, scope.resources)
        launcher = executor.launcher(run_context, run_step)
        yield from launcher.start()
        yield from drive(run_context, active, launcher)
    except BaseException:
        if launcher is not None:
            run_context.pending_logs.extend(launcher.terminate())
        _finish(prepared)
        run_context.pending_logs.extend(scope.teardown(run_context))
        raise
    finally:
        if launcher is not None:
            launcher.close()
    _finish(prepared)
    yield from scope.teardown(run_context)


def _finish(prepared: list[Callable[[], None]]) -> None:
    """Call what the IO managers' ``prepare_outputs`` returned, each once."""
    while prepared:
        prepared.pop()()


def _execute_with(run_context: RunContext, resources: Resources, step: ExecutionStep,
                  attempt: int, missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
    return execute_step(run_context, step, resources, attempt, missing)


def execute_step_with_resources(rc: RunContext, step: ExecutionStep, attempt: int,
                                missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]:
    """One attempt of ``step`` with resources of its own (a step in a process of its own):
    initialised for it and torn down after it, with the log lines user code wrote
    (``rc.pending_logs``) in order among the step's events. A resource that cannot be
    initialised fails the step."""
    scope = ResourceScope()
    try:
        yield from scope.initialize(rc, required_resource_keys(rc, [step]), step.key)
    except Exception as exc:
        yield rc.event(EventType.STEP_FAILURE,
                       f'Execution of step "{step.key}" failed: a resource could not be '
                       "initialized.", step.key, 40,
                       {"error": serializable_error_info(exc),
                        "error_source": "RESOURCE_INIT_ERROR"})
        return
    try:
        for event in execute_step(rc, step, scope.resources, attempt, missing):
            yield from rc.drain_logs()
            yield event
    except GeneratorExit:
        rc.pending_logs.extend(scope.teardown(rc, step.key))
        raise
    except BaseException:
        yield from _teardown(rc, scope, step.key)
        raise
    yield from _teardown(rc, scope, step.key)


def _teardown(rc: RunContext, scope: ResourceScope, step_key: str) -> Iterator[EventRecord]:
    yield from scope.teardown(rc, step_key)
    yield from rc.drain_logs()


@dataclass
class InitExecutorContext:
    executor_config: dict[str, Any]
    run_context: RunContext


class ExecutorDefinition:
    """A named way to run steps, with a config schema and a factory."""

    def __init__(self, name: str, config_schema: Any,
                 executor_creation_fn: Callable[[InitExecutorContext], Executor],
                 description: str | None = None,
                 requires_persistent_io: bool = False,
                 preload_modules: tuple[str, ...] = ()):
        self.name = name
        self.config_schema = config_schema
        self.executor_creation_fn = executor_creation_fn
        self.description = description
        # Steps run in other processes, so outputs must be stored where they can load them.
        self.requires_persistent_io = requires_persistent_io
        # Third-party modules a run worker using it imports (dask, distributed): a warm
        # process run workers are forked from (a code-server zygote) imports them ahead.
        self.preload_modules = tuple(preload_modules)


def executor(name: str | None = None, config_schema: Any = None):
    """Decorator for a user-defined executor: ``fn(init_context) -> Executor``."""

    def wrap(fn: Callable[[InitExecutorContext], Executor]) -> ExecutorDefinition:
        return ExecutorDefinition(name or fn.__name__, config_schema, fn, fn.__doc__)

    return wrap


_REGISTRY: dict[str, ExecutorDefinition] = {}
_ENTRY_POINTS_LOADED = False


def register_executor(definition: ExecutorDefinition) -> ExecutorDefinition:
    """Register an executor by name (entry points do this for installed packages)."""
    _REGISTRY[definition.name] = definition
    return definition


def _load_entry_points() -> None:
    """Every registered executor (for a listing: every distribution's, core/plugins.py)."""
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for name, plugin in plugins.everyones(ENTRY_POINT_GROUP).items():
        if name not in _REGISTRY:
            _REGISTRY[name] = plugin.load()


def _load_entry_point(name: str) -> None:
    """The executor registered as ``name``, if any (orch's own found without a scan)."""
    plugin = plugins.find(ENTRY_POINT_GROUP, name)
    if plugin is not None:
        _REGISTRY[name] = plugin.load()


def registered_executor_names() -> list[str]:
    _load_entry_points()
    return sorted(_REGISTRY)


def executor_names_for(wanted: Iterable[str]) -> list[str]:
    """The executors a run config naming ``wanted`` may choose from: orch's own and those
    registered so far, found without reading every installed distribution's metadata (with
    a few hundred packages installed that scan was ~20 ms of each ``orch run``); all of them
    (:func:`registered_executor_names`) once a wanted name is none of those, so a plugin's
    executor is found and an unknown name's error lists every choice."""
    names = {*plugins.own(ENTRY_POINT_GROUP), *_REGISTRY}
    if any(name not in names for name in wanted):
        return registered_executor_names()
    return sorted(names)


def get_executor_def(name: str, mode_executor_defs: list[Any] | None = None
                     ) -> ExecutorDefinition:
    """The executor named ``name``, among the mode's executors when it restricts them."""
    if mode_executor_defs is not None:
        for definition in mode_executor_defs:
            if isinstance(definition, ExecutorDefinition) and definition.name == name:
                return definition
            if definition == name:
                break
        else:
            available = [d.name if isinstance(d, ExecutorDefinition) else d
                         for d in mode_executor_defs]
            raise DagsterInvariantViolationError(
                f'Executor "{name}" is not available in this mode. Available executors: '
                f"{available}."
            )
    if name not in _REGISTRY:
        _load_entry_point(name)
    if name not in _REGISTRY:
        _load_entry_points()
    if name not in _REGISTRY:
        raise DagsterInvariantViolationError(
            f'Unknown executor "{name}". Available executors: {registered_executor_names()}.'
        )
    return _REGISTRY[name]


def executor_choice(run_config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(executor name, its config) from the ``execution`` section of run config."""
    execution = run_config.get("execution") or {}
    if not execution:
        return DEFAULT_EXECUTOR, {}
    if len(execution) != 1:
        raise DagsterInvariantViolationError(
            "You can only specify a single field at path root:execution. You specified "
            f"{sorted(execution)}. The available fields are {registered_executor_names()}."
        )
    name, body = next(iter(execution.items()))
    return name, ((body or {}).get("config") or {})


def executor_preload_modules(run_configs: Iterable[dict[str, Any]],
                             executor_defs: Iterable[Any] = ()) -> list[str]:
    """The ``preload_modules`` of the executors these run configs choose and of these
    executor definitions (a mode's): what a process that forks run workers of such runs
    should import ahead. Unknown names and bad configs are skipped, never raised."""
    definitions = [d for d in executor_defs if isinstance(d, ExecutorDefinition)]
    for run_config in run_configs:
        execution = (run_config or {}).get("execution") if isinstance(run_config, dict) else None
        if not isinstance(execution, dict) or len(execution) != 1:
            continue
        try:
            definitions.append(get_executor_def(next(iter(execution))))
        except Exception:
            continue
    modules: list[str] = []
    for definition in definitions:
        modules.extend(m for m in definition.preload_modules if m not in modules)
    return modules


def mode_for_executor(mode_def: Any, executor_def: ExecutorDefinition, pipeline_def: Any) -> Any:
    """The mode a run really uses: an executor whose steps run in other processes swaps the
    default in-memory IO manager for ``fs_io_manager``; an in-memory IO manager the user chose
    explicitly is an error that says what to use instead."""
    if not executor_def.requires_persistent_io:
        return mode_def
    from ..definitions.io_manager import fs_io_manager

    keys = {o.io_manager_key for _, s in pipeline_def.iterate_leaf_solids() for o in s.output_defs}
    for key in sorted(keys):
        definition = mode_def.resource_defs[key]
        if getattr(definition, "persists_across_processes", True):
            continue
        if key == "io_manager" and mode_def.io_manager_is_default:
            mode_def = mode_def.with_resources({"io_manager": fs_io_manager})
            continue
        raise DagsterInvariantViolationError(
            f'Pipeline "{pipeline_def.name}" uses the {executor_def.name} executor, but IO '
            f'manager "{key}" of mode "{mode_def.name}" keeps solid outputs in memory, where '
            "other processes cannot retrieve them. Please use a persistent IO manager such as "
            f'fs_io_manager: ModeDefinition(resource_defs={{"{key}": fs_io_manager}}).'
        )
    return mode_def
