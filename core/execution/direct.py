"""Direct invocation of a solid in a unit test: ``my_solid(build_solid_context(), x=1)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..definitions.events import DynamicOutput, Output
from ..errors import DagsterInvalidInvocationError
from .context import _DirectInvocationContext, build_solid_context


def invoke_solid_directly(solid_def: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Run the compute function with the given inputs and return what it produced: the value
    of a single output, a tuple for several, or (for a generator solid) a generator of the
    objects it yields."""
    args = list(args)
    context = None
    if solid_def._takes_context:
        if args and (isinstance(args[0], _DirectInvocationContext) or args[0] is None):
            context = args.pop(0)
        elif "context" in kwargs:
            context = kwargs.pop("context")
        if context is None:
            if solid_def.config_schema is not None or solid_def.required_resource_keys:
                raise DagsterInvalidInvocationError(
                    f'Solid "{solid_def.name}" needs a context with config or resources: call '
                    f"it as {solid_def.name}(build_solid_context(...), ...)."
                )
            context = build_solid_context()
        context = context.bind(solid_def)
    inputs = _bind_inputs(solid_def, args, kwargs)
    if solid_def.source_fn is not None and _is_generator(solid_def):
        return _yielded(solid_def, context, inputs)
    produced = list(solid_def.compute_fn(context, inputs))
    values = [p.value for p in produced if isinstance(p, Output | DynamicOutput)]
    if any(isinstance(p, DynamicOutput) for p in produced):
        return produced
    if len(solid_def.output_defs) == 1:
        return values[0] if values else None
    return tuple(values)


def _yielded(solid_def: Any, context: Any, inputs: dict[str, Any]) -> Iterator[Any]:
    """A generator solid called directly returns a generator, as in Dagster: the body runs
    as the caller iterates, yielding the Output / event objects it yields."""
    yield from solid_def.compute_fn(context, inputs)


def _is_generator(solid_def: Any) -> bool:
    import inspect

    return inspect.isgeneratorfunction(solid_def.source_fn) or \
        inspect.isasyncgenfunction(solid_def.source_fn)


def _bind_inputs(solid_def: Any, args: list, kwargs: dict[str, Any]) -> dict[str, Any]:
    names = [d.name for d in solid_def.input_defs]
    if len(args) > len(names):
        raise DagsterInvalidInvocationError(
            f'Solid "{solid_def.name}" got {len(args)} positional inputs but has {len(names)} '
            f"({names})."
        )
    inputs = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise DagsterInvalidInvocationError(
                f'Solid "{solid_def.name}" has no input "{key}"; its inputs are {names}.'
            )
        inputs[key] = value
    for d in solid_def.input_defs:
        if d.name not in inputs:
            if d.has_default_value:
                inputs[d.name] = d.default_value
            elif not d.is_nothing:
                raise DagsterInvalidInvocationError(
                    f'No value provided for required input "{d.name}" of solid '
                    f'"{solid_def.name}".'
                )
        if d.name in inputs and not d.is_nothing:
            check = d.dagster_type.type_check(None, inputs[d.name])
            if not check.success:
                raise DagsterInvalidInvocationError(
                    f'Type check failed for input "{d.name}" of solid "{solid_def.name}": '
                    f"{check.description}"
                )
    return {k: v for k, v in inputs.items() if not solid_def.input_dict[k].is_nothing}

