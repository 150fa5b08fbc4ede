"""Build the resources a set of steps needs, in dependency order; tear them down in reverse."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..definitions.types import solid_type_resource_keys
from ..errors import (
    DagsterInvalidDefinitionError,
    DagsterResourceFunctionError,
    serializable_error_info,
)
from ..events import EventRecord, EventType
from .context import InitResourceContext, Resources, RunContext


def required_resource_keys(run_context: RunContext, steps: Iterable[Any]) -> set[str]:
    """Keys the given steps need (solid resources, IO managers, root input managers, hooks),
    plus every resource those depend on."""
    mode = run_context.mode_def
    keys: set[str] = set()
    for step in steps:
        solid_def = step.solid_def
        keys |= set(solid_def.required_resource_keys)
        keys |= {o.io_manager_key for o in solid_def.output_defs}
        for type_keys in solid_type_resource_keys(solid_def).values():
            keys |= type_keys
        for step_input in step.inputs:
            if step_input.definition.root_manager_key:
                keys.add(step_input.definition.root_manager_key)
            for handle in step_input.source.handles():
                keys.add(output_io_manager_key(run_context, handle))
        for hook in step.hook_defs:
            keys |= set(hook.required_resource_keys)
    pending = list(keys)
    while pending:
        key = pending.pop()
        for dep in mode.resource_defs[key].required_resource_keys:
            if dep not in keys:
                keys.add(dep)
                pending.append(dep)
    return keys


def prepare_outputs(run_context: RunContext, steps: Iterable[Any], resources: Resources
                    ) -> list[Callable[[], None]]:
    """Tell each IO manager the outputs ``steps`` will store through it, in plan order
    (``IOManager.prepare_outputs``), once its resources are initialised for the run; what
    they return is to be called when those steps are done."""
    by_key: dict[str, list[tuple[str, str]]] = {}
    for step in steps:
        if not step.is_resolved:
            continue
        for out in step.solid_def.output_defs:
            if not out.is_dynamic:
                by_key.setdefault(out.io_manager_key, []).append((step.key, out.name))
    values = resources._asdict()
    finishers = []
    for key, outputs in by_key.items():
        prepare = getattr(values.get(key), "prepare_outputs", None)
        done = prepare(run_context.run_id, outputs) if callable(prepare) else None
        if done is not None:
            finishers.append(done)
    return finishers


def output_io_manager_key(run_context: RunContext, handle: Any) -> str:
    """The IO manager key of the output a step input reads."""
    plan = run_context.plan
    step = plan.steps.get(handle.step_key) if plan is not None else None
    if step is None:
        return "io_manager"
    return step.solid_def.output_dict[handle.output_name].io_manager_key


def _init_order(keys: set[str], resource_defs: dict[str, Any]) -> list[str]:
    order: list[str] = []
    visiting: set[str] = set()

    def visit(key: str, chain: list[str]) -> None:
        if key in order:
            return
        if key in visiting:
            raise DagsterInvalidDefinitionError(
                f"Resources depend on each other in a cycle: {' -> '.join(chain + [key])}."
            )
        visiting.add(key)
        for dep in sorted(resource_defs[key].required_resource_keys):
            visit(dep, chain + [key])
        visiting.discard(key)
        order.append(key)

    for key in sorted(keys):
        visit(key, [])
    return order


class ResourceScope:
    """Initialised resources plus the generators whose teardown is still pending."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._generators: list[tuple[str, Iterator[Any]]] = []

    @property
    def resources(self) -> Resources:
        return Resources(self.values)

    def initialize(self, run_context: RunContext, keys: set[str],
                   step_key: str | None = None) -> Iterator[EventRecord]:
        """Initialise ``keys`` (events describe it). Raises DagsterResourceFunctionError."""
        if not keys:
            return
        resource_defs = run_context.mode_def.resource_defs
        order = _init_order(keys, resource_defs)
        yield run_context.event(
            EventType.ENGINE_EVENT, f"Starting initialization of resources [{', '.join(order)}].",
            step_key, data={"resource_keys": order},
        )
        timings: dict[str, float] = {}
        for key in order:
            start = time.perf_counter()
            try:
                self.values[key] = self._build(run_context, key, resource_defs[key], step_key)
            except DagsterResourceFunctionError as e:
                yield run_context.event(
                    EventType.RESOURCE_INIT_FAILURE,
                    f'Initialization of resource "{key}" failed: {e.user_exception}',
                    step_key, level=40,
                    data={"resource_key": key,
                          "error": serializable_error_info(e.user_exception)},
                )
                raise
            timings[key] = round((time.perf_counter() - start) * 1000, 3)
        yield run_context.event(
            EventType.ENGINE_EVENT, f"Finished initialization of resources [{', '.join(order)}].",
            step_key, data={"resource_keys": order, "init_ms": timings},
        )

    def _build(self, run_context: RunContext, key: str, resource_def: Any,
               step_key: str | None = None) -> Any:
        config = resolved_resource_config(run_context, key, resource_def)
        init = InitResourceContext(
            resource_config=config,
            resources=Resources(self.values, frozenset(resource_def.required_resource_keys)),
            resource_def=resource_def,
            log=run_context.log_manager(step_key),  # a step's own resources log as it
            run_id=run_context.run_id,
            instance=run_context.instance,
            pipeline_run=run_context.run,
        )
        try:
            produced = resource_def.resource_fn(init)
            if resource_def.is_generator:
                generator = produced
                produced = next(generator)
                self._generators.append((key, generator))
            return produced
        except Exception as e:
            raise DagsterResourceFunctionError(
                f'Error executing resource_fn on ResourceDefinition "{key}": '
                f"{type(e).__name__}: {e}", e,
            ) from e

    def teardown(self, run_context: RunContext, step_key: str | None = None
                 ) -> Iterator[EventRecord]:
        """Run generator teardowns in reverse order; errors become events, not exceptions."""
        while self._generators:
            key, generator = self._generators.pop()
            try:
                next(generator)
            except StopIteration:
                continue
            except Exception as e:
                yield run_context.event(
                    EventType.ENGINE_EVENT,
                    f'Teardown of resource "{key}" failed: {type(e).__name__}: {e}',
                    step_key, level=40, data={"resource_key": key, "error": str(e)},
                )
            else:
                yield run_context.event(
                    EventType.ENGINE_EVENT,
                    f'Resource "{key}" yielded more than once; teardown stopped after the first '
                    "yield.", step_key, level=30,
                )


def resolved_resource_config(run_context: RunContext, key: str, resource_def: Any) -> Any:
    """The config a resource gets: its ``configured`` value, or run config ``resources.<key>``."""
    if resource_def.is_configured:
        value = resource_def.configured_value
        if callable(value):
            return value(run_context.resource_config(key) or {})
        return value
    return run_context.resource_config(key)
