"""The composition DSL: inside a ``@pipeline`` or ``@composite_solid`` body, calling a solid
records an invocation and returns handles to its outputs instead of computing anything."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .dependency import InputDep, Node, OutputRef
from .hooks import HookDefinition
from .retry import RetryPolicy
from .solid import NodeDefinition

_STACK: list[CompositionContext] = []


def is_in_composition() -> bool:
    return bool(_STACK)


class CompositionContext:
    """Collects the invocations made while a composition function runs."""

    def __init__(self, owner: str):
        self.owner = owner
        self.nodes: dict[str, Node] = {}
        self.deps: dict[str, dict[str, InputDep]] = {}
        self.input_mappings: dict[str, list[tuple[str, str]]] = {}
        self._use_counts: dict[str, int] = {}

    def __enter__(self) -> CompositionContext:
        _STACK.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _STACK.pop()

    def unique_name(self, definition: NodeDefinition, alias: str | None) -> str:
        if alias is not None:
            if alias in self.nodes:
                raise DagsterInvalidDefinitionError(
                    f'"{self.owner}" invokes two solids with alias "{alias}"; aliases must be '
                    "unique."
                )
            return alias
        count = self._use_counts.get(definition.name, 0) + 1
        self._use_counts[definition.name] = count
        name = definition.name if count == 1 else f"{definition.name}_{count}"
        while name in self.nodes:
            count += 1
            name = f"{definition.name}_{count}"
        return name


def run_composition(owner: str, fn: Callable[..., Any], kwargs: dict[str, Any]):
    with CompositionContext(owner) as ctx:
        returned = fn(**kwargs)
    return ctx, returned


@dataclass(frozen=True)
class InvokedOutputHandle:
    """An output of an invoked solid, passed to downstream invocations."""

    node: str
    output: str
    owner: str

    def alias(self, *_: Any) -> Any:
        raise DagsterInvariantViolationError(
            "alias() is called on a solid before invoking it: my_solid.alias('x')(...)."
        )

    def __iter__(self) -> Any:
        raise DagsterInvariantViolationError(
            f'Attempted to unpack the output "{self.output}" of solid "{self.node}" in '
            f'"{self.owner}": it has a single output. Only a solid with several outputs '
            "returns a tuple to unpack."
        )


@dataclass(frozen=True)
class DynamicOutputHandle(InvokedOutputHandle):
    """A dynamic output: map a function over it or collect its values."""

    def map(self, fn: Callable[[Any], Any]) -> Any:
        return _apply_map(fn, MappedOutputHandle(self.node, self.output, self.owner))

    def collect(self) -> CollectedOutputHandle:
        return CollectedOutputHandle(self.node, self.output, self.owner)


@dataclass(frozen=True)
class MappedOutputHandle(InvokedOutputHandle):
    """An output of a mapped (per dynamic key) invocation."""

    def map(self, fn: Callable[[Any], Any]) -> Any:
        return _apply_map(fn, self)

    def collect(self) -> CollectedOutputHandle:
        return CollectedOutputHandle(self.node, self.output, self.owner)


@dataclass(frozen=True)
class CollectedOutputHandle:
    node: str
    output: str
    owner: str


@dataclass(frozen=True)
class InputMappingHandle:
    """A composite solid's own input, passed to inner invocations."""

    input_name: str


def _apply_map(fn: Callable[[Any], Any], handle: MappedOutputHandle) -> Any:
    result = fn(handle)
    if isinstance(result, tuple):
        return tuple(_as_mapped(r) for r in result)
    return _as_mapped(result)


def _as_mapped(value: Any) -> Any:
    if isinstance(value, InvokedOutputHandle) and not isinstance(value, MappedOutputHandle):
        return MappedOutputHandle(value.node, value.output, value.owner)
    return value


class PendingNodeInvocation:
    """A solid with alias/tags/hooks/retry policy attached, waiting to be called."""

    def __init__(
        self,
        definition: NodeDefinition,
        given_alias: str | None = None,
        tags: dict[str, Any] | None = None,
        hook_defs: set[HookDefinition] | None = None,
        retry_policy: RetryPolicy | None = None,
    ):
        self.definition = definition
        self.given_alias = given_alias
        self.tags = tags or {}
        self.hook_defs = frozenset(hook_defs or ())
        self.retry_policy = retry_policy

    def _copy(self, **changes: Any) -> PendingNodeInvocation:
        fields: dict[str, Any] = {
            "given_alias": self.given_alias, "tags": self.tags,
            "hook_defs": set(self.hook_defs), "retry_policy": self.retry_policy,
        }
        fields.update(changes)
        return PendingNodeInvocation(self.definition, **fields)

    def alias(self, name: str) -> PendingNodeInvocation:
        return self._copy(given_alias=name)

    def tag(self, tags: dict[str, Any]) -> PendingNodeInvocation:
        return self._copy(tags={**self.tags, **tags})

    def with_hooks(self, hook_defs: set[HookDefinition]) -> PendingNodeInvocation:
        return self._copy(hook_defs=set(self.hook_defs) | set(hook_defs))

    def with_retry_policy(self, retry_policy: RetryPolicy) -> PendingNodeInvocation:
        return self._copy(retry_policy=retry_policy)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not _STACK:
            # Outside composition the modifiers have nothing to modify: invoke directly.
            return self.definition(*args, **kwargs)
        ctx = _STACK[-1]
        name = ctx.unique_name(self.definition, self.given_alias)
        bound = self._bind_args(name, args, kwargs)
        is_mapped = False
        deps: dict[str, InputDep] = {}
        for input_name, value in bound.items():
            dep, mapped = self._dep_for(ctx, name, input_name, value)
            is_mapped = is_mapped or mapped
            if dep is not None:
                deps[input_name] = dep
        collected = [d.sources[0] for d in deps.values() if d.kind == "collect"]
        if is_mapped and collected:
            raise DagsterInvalidDefinitionError(
                f'Solid "{name}" cannot both collect over the dynamic output '
                f'"{collected[0].output}" of "{collected[0].node}" and be mapped over another '
                "dynamic output (one copy per key). Collect in a solid outside the .map, "
                "downstream of it."
            )
        ctx.nodes[name] = Node(
            name, self.definition, dict(self.tags), self.hook_defs, self.retry_policy
        )
        ctx.deps[name] = deps
        return self._output_handles(ctx, name, is_mapped)

    def _bind_args(self, name: str, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        input_defs = self.definition.input_defs
        if len(args) > len(input_defs):
            raise DagsterInvalidDefinitionError(
                f'Solid "{name}" was called with {len(args)} positional arguments but has only '
                f"{len(input_defs)} inputs ({[d.name for d in input_defs]})."
            )
        bound = {d.name: a for d, a in zip(input_defs, args, strict=False)}
        for key, value in kwargs.items():
            if key not in self.definition.input_dict:
                raise DagsterInvalidDefinitionError(
                    f'Solid "{name}" has no input "{key}"; its inputs are '
                    f"{[d.name for d in input_defs] or 'none'}."
                )
            if key in bound:
                raise DagsterInvalidDefinitionError(
                    f'Solid "{name}" got input "{key}" both positionally and by keyword.'
                )
            bound[key] = value
        return bound

    def _dep_for(self, ctx: CompositionContext, name: str, input_name: str, value: Any):
        if isinstance(value, InputMappingHandle):
            ctx.input_mappings.setdefault(value.input_name, []).append((name, input_name))
            return None, False
        if isinstance(value, CollectedOutputHandle):
            return InputDep("collect", (OutputRef(value.node, value.output),)), False
        if isinstance(value, DynamicOutputHandle):
            raise DagsterInvalidDefinitionError(
                f'Input "{input_name}" of solid "{name}" receives the dynamic output '
                f'"{value.output}" of "{value.node}" directly: use '
                f"{value.node}().map(lambda x: {self.definition.name}(x)) to run once per key, "
                "or .collect() to receive every value as a list."
            )
        if isinstance(value, InvokedOutputHandle):
            return (
                InputDep("direct", (OutputRef(value.node, value.output),)),
                isinstance(value, MappedOutputHandle),
            )
        if isinstance(value, list):
            return self._fan_in_dep(ctx, name, input_name, value), False
        raise _bad_arg(name, input_name, value)

    def _fan_in_dep(self, ctx: CompositionContext, name: str, input_name: str,
                    items: list[Any]) -> InputDep:
        """A list of outputs and/or the enclosing composite's own inputs, fanned in."""
        refs: list[OutputRef] = []
        mapped: list[tuple[int, str]] = []
        for position, item in enumerate(items):
            if isinstance(item, MappedOutputHandle | DynamicOutputHandle):
                raise DagsterInvalidDefinitionError(
                    f'Input "{input_name}" of solid "{name}" fans in a dynamic or mapped '
                    "output; use .collect() to gather mapped values instead."
                )
            if isinstance(item, InputMappingHandle):
                targets = ctx.input_mappings.setdefault(item.input_name, [])
                if (name, input_name) not in targets:
                    targets.append((name, input_name))
                mapped.append((position, item.input_name))
            elif isinstance(item, InvokedOutputHandle):
                refs.append(OutputRef(item.node, item.output))
            else:
                raise _bad_arg(name, input_name, item)
        return InputDep("fan_in", tuple(refs), tuple(mapped))

    def _output_handles(self, ctx: CompositionContext, name: str, is_mapped: bool) -> Any:
        outputs = self.definition.output_defs
        if not outputs:
            return None

        def handle(out) -> InvokedOutputHandle:
            if is_mapped:
                if out.is_dynamic:
                    raise DagsterInvalidDefinitionError(
                        f'Solid "{name}" is mapped over a dynamic output and has a dynamic '
                        "output itself; only one level of mapping is supported."
                    )
                return MappedOutputHandle(name, out.name, ctx.owner)
            if out.is_dynamic:
                return DynamicOutputHandle(name, out.name, ctx.owner)
            return InvokedOutputHandle(name, out.name, ctx.owner)

        if len(outputs) == 1:
            return handle(outputs[0])
        tuple_type = namedtuple(f"_{name}_outputs", [o.name for o in outputs])  # type: ignore[misc]
        return tuple_type(*(handle(o) for o in outputs))


def _bad_arg(name: str, input_name: str, value: Any) -> DagsterInvalidDefinitionError:
    return DagsterInvalidDefinitionError(
        f'In the composition of solid "{name}", input "{input_name}" received {value!r} '
        f"({type(value).__name__}). Inside @pipeline / @composite_solid pass only the outputs "
        "of other solid invocations (or the composite's own inputs); use run config "
        "(solids.<name>.inputs) or a default_value for constant values."
    )
