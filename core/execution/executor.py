"""The executor seam: executors are found by the name used in run config
(``execution: {multiprocess: {config: {...}}}``) through the ``orch.executors`` entry-point
group, so core never imports an executor package."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from ..errors import DagsterInvariantViolationError
from ..events import EventRecord
from .context import RunContext
from .scheduler import ActiveExecution

ENTRY_POINT_GROUP = "orch.executors"
DEFAULT_EXECUTOR = "in_process"


class Executor(ABC):
    """Runs a plan's steps; ``execute`` yields every event of every step in order."""

    retries_enabled: bool = True

    @abstractmethod
    def execute(self, run_context: RunContext, active: ActiveExecution
                ) -> Iterator[EventRecord]: ...


@dataclass
class InitExecutorContext:
    executor_config: dict[str, Any]
    run_context: RunContext


class ExecutorDefinition:
    """A named way to run steps, with a config schema and a factory."""

    def __init__(self, name: str, config_schema: Any,
                 executor_creation_fn: Callable[[InitExecutorContext], Executor],
                 description: str | None = None,
                 requires_persistent_io: bool = False):
        self.name = name
        self.config_schema = config_schema
        self.executor_creation_fn = executor_creation_fn
        self.description = description
        # Steps run in other processes, so outputs must be stored where they can load them.
        self.requires_persistent_io = requires_persistent_io


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
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _REGISTRY:
            _REGISTRY[ep.name] = ep.load()


def registered_executor_names() -> list[str]:
    _load_entry_points()
    return sorted(_REGISTRY)


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
