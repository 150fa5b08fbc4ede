"""Composite solids: a subgraph used like a solid, flattened when the plan is built."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .composition import InputMappingHandle, InvokedOutputHandle, run_composition
from .dependency import Graph, OutputRef, graph_from_explicit_dependencies
from .io_defs import InputDefinition, InputMapping, OutputDefinition, OutputMapping
from .solid import NodeDefinition


class CompositeSolidDefinition(NodeDefinition):
    """A graph of solids with mapped inputs and outputs."""

    def __init__(
        self,
        name: str,
        solid_defs: list[NodeDefinition] | None = None,
        input_mappings: list[InputMapping] | None = None,
        output_mappings: list[OutputMapping] | None = None,
        config_mapping: Any = None,
        dependencies: dict[Any, dict[str, Any]] | None = None,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        positional_inputs: list[str] | None = None,
        *,
        graph: Graph | None = None,
        input_defs: list[InputDefinition] | None = None,
        output_defs: list[OutputDefinition] | None = None,
        config_schema: Any = None,
        config_fn: Callable[[Any], dict[str, Any]] | None = None,
    ):
        """The explicit legacy form (``solid_defs``, ``input_mappings``, ``output_mappings``,
        ``dependencies``), or — as the decorator builds it — a ready ``graph``."""
        if graph is None:
            graph = _graph_from_mappings(name, list(solid_defs or []), dependencies,
                                         list(input_mappings or []), list(output_mappings or []))
            input_defs = _unique_defs(m.definition for m in input_mappings or [])
            output_defs = [m.definition for m in output_mappings or []]
        if config_mapping is not None:
            config_schema = getattr(config_mapping, "config_schema", None)
            config_fn = getattr(config_mapping, "config_fn", config_mapping)
        input_defs = list(input_defs or [])
        output_defs = list(output_defs or [])
        self._input_mapping_objects = list(input_mappings or [])
        self._init_node(name, input_defs, output_defs, description, tags)
        self.graph = graph
        self.config_schema = config_schema
        self.config_fn = config_fn
        if config_schema is not None and config_fn is None:
            raise DagsterInvalidDefinitionError(
                f'Composite solid "{name}": config_schema and config_fn go together; '
                "config_fn maps the composite's config to its children's config."
            )
        for input_name in graph.input_mappings:
            if input_name not in self.input_dict:
                raise DagsterInvalidDefinitionError(
                    f'Composite solid "{name}" maps unknown input "{input_name}".'
                )
        for out in output_defs:
            if out.name not in graph.output_mappings:
                raise DagsterInvalidDefinitionError(
                    f'Composite solid "{name}" declares output "{out.name}" but the body does '
                    "not return a value for it."
                )

    @property
    def is_composite(self) -> bool:
        return True

    @property
    def input_mappings(self) -> list[InputMapping]:
        """Each composite input with the inner input it feeds."""
        if self._input_mapping_objects:
            return list(self._input_mapping_objects)
        mappings = []
        for outer, targets in self.graph.input_mappings.items():
            for node, inner in targets:
                dep = self.graph.dep_for(node, inner)
                positions = [p for p, name in dep.mapped if name == outer] if dep else [None]
                mappings += [InputMapping(self.input_dict[outer], node, inner, p)
                             for p in positions]
        return mappings

    @property
    def output_mappings(self) -> list[OutputMapping]:
        return [OutputMapping(self.output_dict[outer], ref.node, ref.output)
                for outer, ref in self.graph.output_mappings.items()]

    @property
    def solids(self) -> list[Any]:
        return [self.graph.nodes[n] for n in self.graph.order]

    def solid_named(self, name: str) -> Any:
        if name not in self.graph.nodes:
            raise DagsterInvariantViolationError(
                f'Composite solid "{self.name}" has no solid named "{name}". '
                f"Solids: {sorted(self.graph.nodes)}."
            )
        return self.graph.nodes[name]

    def has_solid_named(self, name: str) -> bool:
        return name in self.graph.nodes

    def has_dagster_type(self, name: str) -> bool:
        return name in self._named_types()

    def dagster_type_named(self, name: str) -> Any:
        return self._named_types()[name]

    def _named_types(self) -> dict[str, Any]:
        from .types import named_dagster_types

        return named_dagster_types([self, *self.graph.all_node_defs().values()])

    def input_has_default(self, input_name: str) -> bool:
        return self.input_dict[input_name].has_default_value

    def configured(self, config_or_fn: Any, name: str | None = None,
                   config_schema: Any = None) -> CompositeSolidDefinition:
        """A copy whose config is fixed to ``config_or_fn`` (then it takes none), or mapped
        from a new ``config_schema`` by the function, before its own ``config_fn`` runs."""
        from .configured import validated_config

        if self.config_fn is None:
            raise DagsterInvalidDefinitionError(
                f'Composite solid "{self.name}" has no config_fn, so it has no config to '
                "configure: give it config_schema and config_fn first."
            )
        if not name:
            raise DagsterInvalidDefinitionError(
                f'Configuring composite solid "{self.name}" needs a new name: '
                f'{self.name}.configured(config, name="{self.name}_configured").'
            )
        inner_fn, schema, what = self.config_fn, self.config_schema, f'solid "{name}"'
        if callable(config_or_fn):
            fn = config_or_fn
            new_schema = config_schema

            def config_fn(cfg: Any) -> dict[str, Any]:
                return inner_fn(validated_config(schema, fn(cfg), what))
        else:
            fixed = validated_config(schema, config_or_fn, what)
            new_schema = None

            def config_fn(cfg: Any) -> dict[str, Any]:
                return inner_fn(fixed)
        return CompositeSolidDefinition(
            name, description=self.description, tags=self.tags, graph=self.graph,
            input_defs=self.input_defs, output_defs=self.output_defs, config_schema=new_schema,
            config_fn=config_fn)

    @property
    def required_resource_keys(self) -> frozenset[str]:
        keys: set[str] = set()
        for node in self.graph.nodes.values():
            keys |= set(getattr(node.definition, "required_resource_keys", ()))
        return frozenset(keys)

    def snapshot(self) -> dict[str, Any]:
        snap = super().snapshot()
        snap["solids"] = [n for n in self.graph.order]
        return snap


def composite_solid(
    name: str | Callable[..., Any] | None = None,
    input_defs: list[InputDefinition] | None = None,
    output_defs: list[OutputDefinition] | None = None,
    description: str | None = None,
    config_schema: Any = None,
    config_fn: Callable[[Any], dict[str, Any]] | None = None,
    tags: dict[str, Any] | None = None,
):
    """Decorator: the body wires inner solids; its parameters are the composite's inputs and
    it returns the handle(s) that become its outputs (a dict for several)."""

    def wrap(fn: Callable[..., Any]) -> CompositeSolidDefinition:
        comp_name = name if isinstance(name, str) else fn.__name__
        params = list(inspect.signature(fn).parameters)
        inputs = input_defs if input_defs is not None else [InputDefinition(p) for p in params]
        _check_inputs_are_parameters(comp_name, inputs, params)
        ctx, returned = run_composition(
            comp_name, fn, {d.name: InputMappingHandle(d.name) for d in inputs}
        )
        unused = [d.name for d in inputs if d.name not in ctx.input_mappings]
        if unused:
            raise DagsterInvalidDefinitionError(
                f'@composite_solid "{comp_name}" has unmapped input(s) {unused}: pass each to '
                "an inner solid invocation, or remove it."
            )
        output_mappings, outputs = _output_mappings(comp_name, returned, output_defs, ctx.nodes)
        graph = Graph(comp_name, list(ctx.nodes.values()), ctx.deps,
                      ctx.input_mappings, output_mappings)
        return CompositeSolidDefinition(
            comp_name, description=description or inspect.getdoc(fn), tags=tags, graph=graph,
            input_defs=inputs, output_defs=outputs, config_schema=config_schema,
            config_fn=config_fn,
        )

    if callable(name):
        fn, name = name, None
        return wrap(fn)
    return wrap


def _unique_defs(defs: Any) -> list[InputDefinition]:
    seen: dict[str, InputDefinition] = {}
    for d in defs:
        seen.setdefault(d.name, d)
    return list(seen.values())


def _graph_from_mappings(name: str, solid_defs: list[NodeDefinition],
                         dependencies: dict[Any, dict[str, Any]] | None,
                         input_mappings: list[InputMapping],
                         output_mappings: list[OutputMapping]) -> Graph:
    inner = graph_from_explicit_dependencies(name, solid_defs, dependencies)
    mapped_in: dict[str, list[tuple[str, str]]] = {}
    for m in input_mappings:
        target = _mapped_node(name, inner, m.solid_name, "input")
        inner_def = target.definition.input_dict.get(m.input_name)
        if inner_def is None:
            raise DagsterInvalidDefinitionError(
                f"In CompositeSolidDefinition '{name}' input mapping target "
                f"'{m.solid_name}.{m.input_name}' is not an input of solid '{m.solid_name}'."
            )
        _same_type(name, "input", m.definition, f"{m.solid_name}.{m.input_name}", inner_def,
                   "maps to", "InputMapping")
        mapped_in.setdefault(m.definition.name, []).append((m.solid_name, m.input_name))
    mapped_out: dict[str, OutputRef] = {}
    for out in output_mappings:
        source = _mapped_node(name, inner, out.solid_name, "output")
        inner_out = source.definition.output_dict.get(out.output_name)
        if inner_out is None:
            raise DagsterInvalidDefinitionError(
                f"In CompositeSolidDefinition '{name}' output mapping source "
                f"'{out.solid_name}.{out.output_name}' is not an output of solid "
                f"'{out.solid_name}'."
            )
        _same_type(name, "output", out.definition, f"{out.solid_name}.{out.output_name}",
                   inner_out, "maps from", "OutputMapping")
        mapped_out[out.definition.name] = OutputRef(out.solid_name, out.output_name)
    return Graph(name, list(inner.nodes.values()), inner.deps, mapped_in, mapped_out)


def _mapped_node(name: str, graph: Graph, solid_name: str, kind: str) -> Any:
    if solid_name not in graph.nodes:
        raise DagsterInvalidDefinitionError(
            f"In CompositeSolidDefinition '{name}' {kind} mapping references solid "
            f"'{solid_name}' which it does not contain."
        )
    return graph.nodes[solid_name]


def _same_type(name: str, kind: str, outer: Any, where: str, inner: Any, verb: str,
               mapping: str) -> None:
    if outer.dagster_type.key != inner.dagster_type.key:
        raise DagsterInvalidDefinitionError(
            f"In CompositeSolidDefinition '{name}' {kind} '{outer.name}' of type "
            f"{outer.dagster_type.display_name} {verb} {where} of different type "
            f"{inner.dagster_type.display_name}. {mapping} source and destination must have "
            "the same type."
        )


def _check_inputs_are_parameters(comp_name: str, inputs: list[InputDefinition],
                                 params: list[str]) -> None:
    missing = [d.name for d in inputs if d.name not in params]
    if missing:
        raise DagsterInvalidDefinitionError(
            f'@composite_solid "{comp_name}" declares input(s) {missing} that its function '
            f"does not take (its parameters: {params}); add them as parameters and pass them "
            "to inner solids."
        )


def _output_mappings(comp_name, returned, output_defs, nodes):
    if returned is None:
        found: dict[str, InvokedOutputHandle] = {}
    elif isinstance(returned, InvokedOutputHandle):
        found = {(output_defs[0].name if output_defs else "result"): returned}
    elif isinstance(returned, dict):
        found = dict(returned)
    elif isinstance(returned, tuple) and output_defs and len(returned) == len(output_defs):
        found = {d.name: h for d, h in zip(output_defs, returned, strict=True)}
    else:
        raise DagsterInvalidDefinitionError(
            f'Composite solid "{comp_name}" must return an output handle, a dict of them, or '
            f"None; got {type(returned).__name__}."
        )
    for key, handle in found.items():
        if not isinstance(handle, InvokedOutputHandle):
            raise DagsterInvalidDefinitionError(
                f'Composite solid "{comp_name}" returns {handle!r} for output "{key}"; return '
                "the output of an inner solid invocation."
            )
    mappings = {key: OutputRef(h.node, h.output) for key, h in found.items()}
    if output_defs is None:
        output_defs = [
            OutputDefinition(
                nodes[h.node].definition.output_dict[h.output].dagster_type, name=key
            )
            for key, h in found.items()
        ]
    return mappings, list(output_defs)
