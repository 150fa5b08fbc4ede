"""Pipelines: ``@pipeline`` and :class:`PipelineDefinition`."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .composition import run_composition
from .dependency import Graph, Node, graph_from_explicit_dependencies
from .hooks import HookDefinition
from .io_defs import check_valid_name
from .mode import ModeDefinition
from .preset import PresetDefinition
from .retry import RetryPolicy
from .solid import NodeDefinition, SolidDefinition
from .types import DagsterType, named_dagster_types, solid_type_resource_keys


class PipelineDefinition:
    """A graph of solids plus the modes, presets and tags it can run with."""

    def __init__(
        self,
        solid_defs: list[NodeDefinition] | None = None,
        name: str | None = None,
        description: str | None = None,
        dependencies: dict[Any, dict[str, Any]] | None = None,
        mode_defs: list[ModeDefinition] | None = None,
        preset_defs: list[PresetDefinition] | None = None,
        tags: dict[str, Any] | None = None,
        hook_defs: set[HookDefinition] | None = None,
        solid_retry_policy: RetryPolicy | None = None,
        graph: Graph | None = None,
        parent_pipeline: PipelineDefinition | None = None,
        solids_to_execute: frozenset[str] | None = None,
        source_fn: Callable[..., Any] | None = None,
    ):
        self.name = check_valid_name(name or "pipeline", "Pipeline name")
        self.description = description
        self.graph = graph or graph_from_explicit_dependencies(
            self.name, list(solid_defs or []), dependencies
        )
        self.mode_definitions = list(mode_defs or [ModeDefinition()])
        self.preset_defs = list(preset_defs or [])
        self.tags = dict(tags or {})
        self.hook_defs = frozenset(hook_defs or ())
        self.solid_retry_policy = solid_retry_policy
        self.parent_pipeline = parent_pipeline
        self.solids_to_execute = solids_to_execute
        self.source_fn = source_fn
        self._validate_modes_and_presets()
        self._validate_resources()
        if parent_pipeline is None:  # a subset's cut inputs come from config, checked later
            _check_inputs_resolvable(self.graph, set())

    # -- validation ---------------------------------------------------------------------
    def _validate_modes_and_presets(self) -> None:
        seen: set[str] = set()
        for mode in self.mode_definitions:
            if mode.name in seen:
                raise DagsterInvalidDefinitionError(
                    f'Pipeline "{self.name}" defines mode "{mode.name}" twice.'
                )
            seen.add(mode.name)
        preset_names: set[str] = set()
        for preset in self.preset_defs:
            if preset.name in preset_names:
                raise DagsterInvalidDefinitionError(
                    f'Pipeline "{self.name}" defines preset "{preset.name}" twice.'
                )
            preset_names.add(preset.name)
            if preset.mode not in seen:
                raise DagsterInvalidDefinitionError(
                    f'Preset "{preset.name}" of pipeline "{self.name}" uses mode '
                    f'"{preset.mode}", which the pipeline does not define. Modes: {sorted(seen)}.'
                )

    def _validate_resources(self) -> None:
        for mode in self.mode_definitions:
            provided = set(mode.resource_defs)
            for handle, solid_def in self.iterate_leaf_solids():
                needed = set(solid_def.required_resource_keys)
                needed |= {o.io_manager_key for o in solid_def.output_defs}
                needed |= {i.root_manager_key for i in solid_def.input_defs if i.root_manager_key}
                for what, keys in solid_type_resource_keys(solid_def).items():
                    for key in sorted(keys - provided):
                        raise DagsterInvalidDefinitionError(
                            f"resource with key '{key}' required by {what} (of solid "
                            f'"{handle}") was not provided by mode "{mode.name}" of pipeline '
                            f'"{self.name}". Provided: {sorted(provided)}.'
                        )
                missing = sorted(needed - provided)
                if missing:
                    raise DagsterInvalidDefinitionError(
                        f'Resource(s) {missing} required by solid "{handle}" are not provided '
                        f'by mode "{mode.name}" of pipeline "{self.name}". Provided: '
                        f"{sorted(provided)}."
                    )
            for key, resource_def in mode.resource_defs.items():
                missing = sorted(set(resource_def.required_resource_keys) - provided)
                if missing:
                    raise DagsterInvalidDefinitionError(
                        f'Resource "{key}" requires resource(s) {missing}, which mode '
                        f'"{mode.name}" of pipeline "{self.name}" does not provide.'
                    )

    # -- queries ----------------------------------------------------------------------
    @property
    def solids(self) -> list[Node]:
        return [self.graph.nodes[n] for n in self.graph.order]

    def has_solid_named(self, name: str) -> bool:
        return name in self.graph.nodes

    def solid_named(self, name: str) -> Node:
        if name not in self.graph.nodes:
            raise DagsterInvariantViolationError(
                f'Pipeline "{self.name}" has no solid named "{name}". '
                f"Solids: {sorted(self.graph.nodes)}."
            )
        return self.graph.nodes[name]

    def iterate_leaf_solids(self) -> Iterator[tuple[str, SolidDefinition]]:
        """(handle, definition) of every leaf solid, composites flattened."""

        def walk(graph: Graph, prefix: str) -> Iterator[tuple[str, SolidDefinition]]:
            for node_name in graph.order:
                node = graph.nodes[node_name]
                handle = f"{prefix}{node_name}"
                if node.definition.is_composite:
                    yield from walk(node.definition.graph, f"{handle}.")
                else:
                    yield handle, node.definition  # type: ignore[misc]

        return walk(self.graph, "")

    @property
    def all_node_defs(self) -> list[NodeDefinition]:
        """Every solid and composite definition of the pipeline, at any depth."""
        return list(self.graph.all_node_defs().values())

    def has_solid_def(self, name: str) -> bool:
        return name in self.graph.all_node_defs()

    def solid_def_named(self, name: str) -> NodeDefinition:
        definitions = self.graph.all_node_defs()
        if name not in definitions:
            raise DagsterInvariantViolationError(
                f'Pipeline "{self.name}" has no solid definition named "{name}". '
                f"Definitions: {sorted(definitions)}."
            )
        return definitions[name]

    def all_dagster_types(self) -> list[DagsterType]:
        return list(named_dagster_types(self.graph.all_node_defs().values()).values())

    def has_dagster_type(self, name: str) -> bool:
        return name in named_dagster_types(self.graph.all_node_defs().values())

    def dagster_type_named(self, name: str) -> DagsterType:
        return named_dagster_types(self.graph.all_node_defs().values())[name]

    @property
    def mode_names(self) -> list[str]:
        return [m.name for m in self.mode_definitions]

    available_modes = mode_names

    @property
    def is_single_mode(self) -> bool:
        return len(self.mode_definitions) == 1

    @property
    def is_multi_mode(self) -> bool:
        return len(self.mode_definitions) > 1

    def has_mode_definition(self, mode: str) -> bool:
        return any(m.name == mode for m in self.mode_definitions)

    def get_default_mode(self) -> ModeDefinition:
        return self.mode_definitions[0]

    def get_default_mode_name(self) -> str:
        return self.mode_definitions[0].name

    def get_mode_definition(self, mode: str | None = None) -> ModeDefinition:
        if mode is None:
            if len(self.mode_definitions) > 1:
                raise DagsterInvariantViolationError(
                    f'Pipeline "{self.name}" has multiple modes (Available modes: '
                    f"{self.mode_names}) and you have attempted to execute it without "
                    f'specifying a mode. Pass mode="{self.mode_names[0]}" (or --mode on the '
                    "command line) to choose one."
                )
            return self.mode_definitions[0]
        for m in self.mode_definitions:
            if m.name == mode:
                return m
        raise DagsterInvariantViolationError(
            f'Could not find mode "{mode}" in pipeline "{self.name}". '
            f"Available modes: {self.mode_names}."
        )

    def get_preset(self, name: str) -> PresetDefinition:
        for p in self.preset_defs:
            if p.name == name:
                return p
        raise DagsterInvariantViolationError(
            f'Could not find preset "{name}" in pipeline "{self.name}". Available presets: '
            f"{[p.name for p in self.preset_defs]}."
        )

    def has_preset(self, name: str) -> bool:
        return any(p.name == name for p in self.preset_defs)

    def with_hooks(self, hook_defs: set[HookDefinition]) -> PipelineDefinition:
        return self._copy(hook_defs=self.hook_defs | frozenset(hook_defs))

    def _copy(self, **changes: Any) -> PipelineDefinition:
        args: dict[str, Any] = dict(
            name=self.name, description=self.description, mode_defs=self.mode_definitions,
            preset_defs=self.preset_defs, tags=self.tags, hook_defs=self.hook_defs,
            solid_retry_policy=self.solid_retry_policy, graph=self.graph,
            parent_pipeline=self.parent_pipeline, solids_to_execute=self.solids_to_execute,
            source_fn=self.source_fn,
        )
        args.update(changes)
        return PipelineDefinition(**args)

    def get_pipeline_subset_def(self, solids_to_execute: set[str] | None) -> PipelineDefinition:
        """A pipeline of only the given top-level solids; edges to the rest are dropped."""
        if not solids_to_execute or set(solids_to_execute) == set(self.graph.nodes):
            return self
        unknown = sorted(set(solids_to_execute) - set(self.graph.nodes))
        if unknown:
            raise DagsterInvariantViolationError(
                f'Pipeline "{self.name}" has no solid(s) {unknown}. '
                f"Solids: {sorted(self.graph.nodes)}."
            )
        keep = [self.graph.nodes[n] for n in self.graph.order if n in solids_to_execute]
        deps = {}
        for n in solids_to_execute:
            kept_inputs = {}
            for input_name, dep in self.graph.deps.get(n, {}).items():
                sources = tuple(s for s in dep.sources if s.node in solids_to_execute)
                if sources:
                    kept_inputs[input_name] = type(dep)(dep.kind, sources)
            deps[n] = kept_inputs
        graph = Graph(self.name, keep, deps)
        root = self.parent_pipeline or self
        return self._copy(graph=graph, parent_pipeline=root,
                          solids_to_execute=frozenset(solids_to_execute))

    @property
    def is_subset(self) -> bool:
        return self.solids_to_execute is not None

    def code_hash_by_solid(self) -> dict[str, str]:
        """A hash of each leaf solid's source and config schema, to spot changed code."""
        return {handle: _code_hash(solid_def) for handle, solid_def in self.iterate_leaf_solids()}

    def __repr__(self) -> str:
        return f"<PipelineDefinition {self.name}>"


def _code_hash(solid_def: SolidDefinition) -> str:
    """Hash of a solid's source and config schema, computed once per definition object."""
    cached: str | None = getattr(solid_def, "_code_hash", None)
    if cached is None:
        try:
            source = inspect.getsource(solid_def.source_fn or solid_def.compute_fn)
        except (OSError, TypeError):
            source = solid_def.name
        digest = hashlib.sha256(source.encode())
        digest.update(repr(solid_def.config_schema).encode())
        # Files that are the solid's code too (a notebook solid's .ipynb)
        for path in getattr(solid_def, "code_files", ()):
            try:
                digest.update(Path(path).read_bytes())
            except OSError:
                digest.update(f"missing {path}".encode())
        cached = digest.hexdigest()[:16]
        solid_def._code_hash = cached  # type: ignore[attr-defined]
    return cached


def pipeline(
    name: str | Callable[..., Any] | None = None,
    description: str | None = None,
    mode_defs: list[ModeDefinition] | None = None,
    preset_defs: list[PresetDefinition] | None = None,
    tags: dict[str, Any] | None = None,
    hook_defs: set[HookDefinition] | None = None,
    solid_retry_policy: RetryPolicy | None = None,
):
    """Decorator: the body wires solid invocations, ``s2(s1())``."""

    def wrap(fn: Callable[..., Any]) -> PipelineDefinition:
        pipeline_name = name if isinstance(name, str) else fn.__name__
        if inspect.signature(fn).parameters:
            raise DagsterInvalidDefinitionError(
                f'@pipeline "{pipeline_name}" must take no parameters; pass values through '
                "run config instead."
            )
        ctx, _ = run_composition(pipeline_name, fn, {})
        graph = Graph(pipeline_name, list(ctx.nodes.values()), ctx.deps)
        return PipelineDefinition(
            name=pipeline_name,
            description=description or inspect.getdoc(fn),
            mode_defs=mode_defs,
            preset_defs=preset_defs,
            tags=tags,
            hook_defs=hook_defs,
            solid_retry_policy=solid_retry_policy,
            graph=graph,
            source_fn=fn,
        )

    if callable(name):
        fn, name = name, None
        return wrap(fn)
    return wrap


def _check_inputs_resolvable(graph: Graph, mapped: set[tuple[str, str]]) -> None:
    """Every input of every solid, composites included, can get a value: a dependency, a
    composite input mapping, a default, a root input manager, or config through its type's
    loader (so a custom type without a loader must be connected)."""
    for node_name in graph.order:
        definition = graph.nodes[node_name].definition
        deps = graph.deps.get(node_name, {})
        for input_def in definition.input_defs:
            if input_def.name in deps or (node_name, input_def.name) in mapped:
                continue
            if input_def.has_default_value or input_def.root_manager_key or \
                    input_def.is_nothing or input_def.dagster_type.loader is not None:
                continue
            raise DagsterInvalidDefinitionError(
                f"Input '{input_def.name}' of solid '{node_name}' has no way of being "
                f"resolved: its type {input_def.dagster_type.display_name} has no loader, so "
                "it cannot come from run config. Connect it to another solid's output, give "
                "it a default_value or a root_manager_key, or give the type a "
                "@dagster_type_loader."
            )
        if definition.is_composite:
            inner = definition.graph
            _check_inputs_resolvable(
                inner, {t for targets in inner.input_mappings.values() for t in targets})
