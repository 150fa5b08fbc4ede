"""Direct invocation of a solid in a unit test: ``my_solid(build_solid_context(), x=1)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..definitions.events import DynamicOutput, Output
from ..definitions.solid import ImplicitOutput
from ..errors import (
    DagsterInvalidInvocationError,
    DagsterInvariantViolationError,
    DagsterTypeCheckDidNotPass,
)
from .context import _DirectInvocationContext, build_solid_context


def invoke_solid_directly(solid_def: Any, given: tuple, kwargs: dict[str, Any]) -> Any:
    """Run the compute function with the given inputs and return what it produced: the value
    of a single output, a tuple for several, or (for a generator solid) a generator of the
    objects it yields."""
    args = list(given)
    context: Any = None
    if solid_def._takes_context:
        if args and (isinstance(args[0], _DirectInvocationContext) or args[0] is None):
            context = args.pop(0)
        elif "context" in kwargs:
            context = kwargs.pop("context")
        elif args:
            raise DagsterInvalidInvocationError(
                f'Compute function of solid "{solid_def.name}" has a context argument, but no '
                f"context was provided when invoking it: call {solid_def.name}("
                "build_solid_context(), ...). (Inside a @pipeline body it wires solids "
                "instead.)"
            )
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
    produced = list(_checked(solid_def, solid_def.compute_fn(context, inputs)))
    if any(isinstance(p, DynamicOutput) for p in produced):
        return produced
    outputs = [p for p in produced if isinstance(p, Output)]
    if len(solid_def.output_defs) == 1:
        if not outputs:
            return None
        return outputs[0].value if isinstance(outputs[0], ImplicitOutput) else outputs[0]
    return tuple(o.value if isinstance(o, ImplicitOutput) else o for o in outputs)


def _yielded(solid_def: Any, context: Any, inputs: dict[str, Any]) -> Iterator[Any]:
    """A generator solid called directly returns a generator, as in Dagster: the body runs
    as the caller iterates, yielding the Output / event objects it yields."""
    yield from _checked(solid_def, solid_def.compute_fn(context, inputs))


def _checked(solid_def: Any, produced: Iterator[Any]) -> Iterator[Any]:
    """Pass through what the body produces, rejecting what a pipeline run would reject: an
    unknown or repeated output, a value failing its type check, a required output missing."""
    seen: set[str] = set()
    for item in produced:
        if isinstance(item, Output | DynamicOutput):
            _check_output(solid_def, item, seen)
        yield item
    missing = [d.name for d in solid_def.output_defs
               if d.is_required and not d.is_dynamic and d.name not in seen]
    if missing:
        raise DagsterInvariantViolationError(
            f'Invocation of solid "{solid_def.name}" did not return an output for non-optional '
            f"output(s) {missing}."
        )


def _check_output(solid_def: Any, item: Any, seen: set[str]) -> None:
    name = item.output_name
    if name not in solid_def.output_dict:
        raise DagsterInvariantViolationError(
            f'Invocation of solid "{solid_def.name}" yielded an output "{name}" it does not '
            f"declare; its outputs are {sorted(solid_def.output_dict)}."
        )
    output_def = solid_def.output_dict[name]
    if name in seen and not output_def.is_dynamic:
        raise DagsterInvariantViolationError(
            f'Invocation of solid "{solid_def.name}" yielded output "{name}" more than once.'
        )
    seen.add(name)
    check = output_def.dagster_type.type_check(None, item.value)
    if not check.success:
        raise DagsterTypeCheckDidNotPass(
            f'Type check failed for the output "{name}" of solid "{solid_def.name}" - '
            f'expected type "{output_def.dagster_type.display_name}". '
            f"{check.description or ''}".strip(),
            check.metadata_entries, output_def.dagster_type,
        )


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
                raise DagsterTypeCheckDidNotPass(
                    f'Type check failed for the input "{d.name}" of solid "{solid_def.name}" - '
                    f'expected type "{d.dagster_type.display_name}". '
                    f"{check.description or ''}".strip(),
                    check.metadata_entries, d.dagster_type,
                )
    return {k: v for k, v in inputs.items() if not solid_def.input_dict[k].is_nothing}

