"""The execution plan: one step per leaf solid invocation, composites flattened, dynamic
copies resolved while the run proceeds (LEGACY_API.md §3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..definitions.dependency import Graph, InputDep, Node, OutputRef
from ..definitions.hooks import HookDefinition
from ..definitions.io_defs import InputDefinition
from ..definitions.pipeline import PipelineDefinition
from ..definitions.retry import RetryPolicy
from ..definitions.solid import SolidDefinition
from ..errors import DagsterInvalidDefinitionError, DagsterMissingInputError
from ..selection import normalize_step_key
from .sources import (
    FromConfig,
    FromDefaultValue,
    FromDynamicCollect,
    FromMultipleSources,
    FromNothing,
    FromPendingDynamicStepOutput,
    FromRootInputManager,
    FromStepOutput,
    FromUnresolvedStepOutput,
    FromValue,
    InputSource,
    StepOutputHandle,
)

StepKind = Literal["COMPUTE", "UNRESOLVED_MAPPED", "UNRESOLVED_COLLECT"]


@dataclass(frozen=True)
class StepInput:
    name: str
    definition: InputDefinition
    source: InputSource


@dataclass
class ExecutionStep:
    """One step. ``key`` is the solid handle, plus ``[mapping_key]`` for dynamic copies."""

    key: str
    handle: str
    solid_def: SolidDefinition
    node: Node
    inputs: list[StepInput]
    kind: StepKind = "COMPUTE"
    mapping_key: str | None = None
    # For unresolved steps: the producer step and dynamic output whose keys resolve them.
    dynamic_source: tuple[str, str] | None = None
    hook_defs: frozenset[HookDefinition] = frozenset()
    retry_policy: RetryPolicy | None = None
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def is_resolved(self) -> bool:
        return self.kind == "COMPUTE"

    @property
    def solid_name(self) -> str:
        return self.handle.rsplit(".", 1)[-1]

    def upstream_keys(self) -> set[str]:
        keys: set[str] = set()
        for step_input in self.inputs:
            keys |= step_input.source.step_keys()
        return keys

    def priority(self) -> int:
        value = self.tags.get("orch/priority", self.tags.get("dagster/priority", 0))
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0


class ExecutionPlan:
    """Steps in topological order, with the subset to execute and dynamic resolution."""

    def __init__(
        self,
        pipeline_def: PipelineDefinition,
        steps: list[ExecutionStep],
        step_keys_to_execute: Iterable[str] | None = None,
    ):
        self.pipeline_def = pipeline_def
        self.steps: dict[str, ExecutionStep] = {s.key: s for s in steps}
        self.order: list[str] = [s.key for s in steps]
        all_keys = set(self.steps)
        # Requested keys may name dynamic copies (`x[k]`) that exist only once resolved.
        self._requested = {normalize_step_key(k, all_keys) for k in step_keys_to_execute} \
            if step_keys_to_execute is not None else None
        self.step_keys_to_execute: set[str] = (
            self._requested & all_keys if self._requested is not None else all_keys
        )
        # Every ``resolve`` so far, in order: a process that builds the plan again (a step
        # process, a Dask worker) replays them to reach the same resolved steps.
        self.resolutions: list[tuple[str, str, list[str]]] = []

    @property
    def requested_step_keys(self) -> list[str] | None:
        """The step keys asked for (legacy ``x.compute`` keys normalised), sorted; None for
        every step."""
        return sorted(self._requested) if self._requested is not None else None

    def get_step(self, key: str) -> ExecutionStep:
        return self.steps[key]

    def executable_steps(self) -> list[ExecutionStep]:
        return [self.steps[k] for k in self.order if k in self.step_keys_to_execute]

    def is_selected(self, key: str) -> bool:
        return key in self.step_keys_to_execute

    def unresolved_for(self, producer_key: str, output_name: str) -> list[ExecutionStep]:
        """Unresolved steps waiting on this dynamic output (a collect step may wait on
        several producers: it is matched by any of its collect inputs)."""
        target = (producer_key, output_name)
        return [
            step for step in (self.steps[k] for k in self.order)
            if not step.is_resolved and (
                step.dynamic_source == target
                or any(isinstance(i.source, FromDynamicCollect)
                       and i.source.dynamic_output == target for i in step.inputs))
        ]

    def resolve(self, producer_key: str, output_name: str, mapping_keys: list[str]
                ) -> list[ExecutionStep]:
        """Replace the steps waiting on a dynamic output by one copy per mapping key (and
        collect steps by their resolved form), in place in the order. Returns the new steps."""
        self.resolutions.append((producer_key, output_name, list(mapping_keys)))
        new_steps: list[ExecutionStep] = []
        for step in self.unresolved_for(producer_key, output_name):
            if step.kind == "UNRESOLVED_MAPPED":
                replacements = [_resolved_copy(step, mk) for mk in mapping_keys]
            else:
                replacements = [_resolved_collect(step, (producer_key, output_name),
                                                  mapping_keys)]
            index = self.order.index(step.key)
            self.order[index:index + 1] = [s.key for s in replacements]
            del self.steps[step.key]
            was_selected = step.key in self.step_keys_to_execute
            self.step_keys_to_execute.discard(step.key)
            for s in replacements:
                self.steps[s.key] = s
                if was_selected or (self._requested is not None and s.key in self._requested):
                    self.step_keys_to_execute.add(s.key)
                    new_steps.append(s)
        return new_steps

    def step_graph(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """(parents, children) by step key, for step selection."""
        known = self.steps.keys()
        parents = {k: self.steps[k].upstream_keys() & known for k in self.order}
        children: dict[str, set[str]] = {k: set() for k in self.order}
        for k, ps in parents.items():
            for p in ps:
                children[p].add(k)
        return parents, children

    def snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable description of the plan."""
        return {
            "pipeline_name": self.pipeline_def.name,
            "step_keys_to_execute": [k for k in self.order if k in self.step_keys_to_execute],
            "steps": [
                {
                    "key": s.key,
                    "solid_handle": s.handle,
                    "solid_name": s.solid_name,
                    "solid_def": s.solid_def.name,
                    "kind": s.kind,
                    "mapping_key": s.mapping_key,
                    "inputs": [
                        {"name": i.name, "type": i.definition.dagster_type.display_name,
                         "source": i.source.describe(),
                         "upstream": sorted(i.source.step_keys())}
                        for i in s.inputs
                    ],
                    "outputs": [o.snapshot() for o in s.solid_def.output_defs],
                    "tags": {k: str(v) for k, v in s.tags.items()},
                }
                for s in (self.steps[k] for k in self.order)
            ],
        }


def _resolved_copy(step: ExecutionStep, mapping_key: str) -> ExecutionStep:
    inputs = [StepInput(i.name, i.definition, i.source.resolve(mapping_key)) for i in step.inputs]
    return ExecutionStep(
        key=f"{step.handle}[{mapping_key}]", handle=step.handle, solid_def=step.solid_def,
        node=step.node, inputs=inputs, kind="COMPUTE", mapping_key=mapping_key,
        hook_defs=step.hook_defs, retry_policy=step.retry_policy, tags=step.tags,
    )


def _resolved_collect(step: ExecutionStep, producer: tuple[str, str], mapping_keys: list[str]
                      ) -> ExecutionStep:
    """Resolve the collect inputs fed by ``producer``; the step stays UNRESOLVED_COLLECT
    (waiting on the next producer) while other collect inputs remain."""
    inputs = []
    remaining: tuple[str, str] | None = None
    for i in step.inputs:
        source = i.source
        if isinstance(source, FromDynamicCollect):
            if source.dynamic_output == producer:
                source = source.collect(mapping_keys)
            elif remaining is None:
                remaining = source.dynamic_output
        inputs.append(StepInput(i.name, i.definition, source))
    return ExecutionStep(
        key=step.handle, handle=step.handle, solid_def=step.solid_def, node=step.node,
        inputs=inputs, kind="UNRESOLVED_COLLECT" if remaining else "COMPUTE",
        dynamic_source=remaining, hook_defs=step.hook_defs,
        retry_policy=step.retry_policy, tags=step.tags,
    )


class _PlanBuilder:
    """Flattens the pipeline graph (composites included) into steps."""

    def __init__(self, pipeline_def: PipelineDefinition, run_config: dict[str, Any],
                 input_values: dict[tuple[str, str], Any] | None):
        self.pipeline_def = pipeline_def
        self.run_config = run_config or {}
        self.input_values = input_values or {}
        self.steps: list[ExecutionStep] = []
        self.by_handle: dict[str, ExecutionStep] = {}

    def build(self) -> list[ExecutionStep]:
        self._walk(self.pipeline_def.graph, "", None, {})
        return self.steps

    def _solid_run_config(self, handle: str) -> dict[str, Any]:
        node_config: Any = self.run_config
        for part in handle.split("."):
            node_config = ((node_config or {}).get("solids") or {}).get(part) or {}
        return node_config

    def _walk(self, graph: Graph, prefix: str, parent_resolver, parent_hooks_retry) -> None:
        for node_name in graph.order:
            node = graph.nodes[node_name]
            handle = f"{prefix}{node_name}"

            def resolver(inner_input_graph=graph, n=node_name, h=handle):
                return lambda input_name: self._input_source_in(
                    inner_input_graph, n, h, input_name, parent_resolver
                )

            if node.definition.is_composite:
                inner_graph: Graph = node.definition.graph
                comp_resolver = self._composite_input_resolver(
                    graph, node_name, handle, parent_resolver
                )
                inherited = {
                    "hooks": parent_hooks_retry.get("hooks", frozenset()) | node.hook_defs,
                    "retry": node.retry_policy or parent_hooks_retry.get("retry"),
                    "tags": {**parent_hooks_retry.get("tags", {}), **node.merged_tags},
                }
                self._walk(inner_graph, f"{handle}.", comp_resolver, inherited)
                continue
            self._add_step(node, handle, resolver(), parent_hooks_retry)

    def _composite_input_resolver(self, graph, node_name, handle, parent_resolver):
        """Resolves a composite's own input to a source in the enclosing graph."""

        def resolve(comp_input: str) -> InputSource | None:
            return self._dep_source(graph, node_name, handle, comp_input, parent_resolver,
                                    allow_config=True)

        return resolve

    def _input_source_in(self, graph, node_name, handle, input_name, parent_resolver):
        return self._dep_source(graph, node_name, handle, input_name, parent_resolver,
                                allow_config=False)

    def _dep_source(self, graph: Graph, node_name: str, handle: str, input_name: str,
                    parent_resolver, allow_config: bool) -> InputSource | None:
        dep = graph.dep_for(node_name, input_name)
        if dep is not None:
            return self._source_from_dep(graph, handle, dep, parent_resolver)
        if parent_resolver is not None:
            for comp_input, targets in graph.input_mappings.items():
                if (node_name, input_name) in targets:
                    source = parent_resolver(comp_input)
                    if source is not None:
                        return source
        if allow_config:
            cfg = self._solid_run_config(handle).get("inputs") or {}
            if input_name in cfg:
                return FromConfig(handle, input_name, cfg[input_name])
            input_def = graph.nodes[node_name].definition.input_dict[input_name]
            if input_def.has_default_value:
                return FromDefaultValue(input_def.default_value)
        return None

    def _leaf_output(self, graph: Graph, prefix: str, ref: OutputRef) -> tuple[str, str]:
        """Follow composite output mappings down to the leaf step's (handle, output)."""
        node = graph.nodes[ref.node]
        handle = f"{prefix}{ref.node}"
        if node.definition.is_composite:
            inner: Graph = node.definition.graph
            return self._leaf_output(inner, f"{handle}.", inner.output_mappings[ref.output])
        return handle, ref.output

    def _source_from_dep(self, graph: Graph, handle: str, dep: InputDep,
                         parent_resolver) -> InputSource:
        prefix = handle.rsplit(".", 1)[0] + "." if "." in handle else ""
        if dep.kind == "fan_in":
            return FromMultipleSources(tuple(
                self._fan_in_source(graph, prefix, handle, entry, parent_resolver)
                for entry in dep.fan_in_entries()
            ))
        leaves = [self._leaf_output(graph, prefix, ref) for ref in dep.sources]
        leaf_handle, output = leaves[0]
        upstream = self.by_handle[leaf_handle]
        out_def = upstream.solid_def.output_dict[output]
        if dep.kind == "collect":
            producer, producer_output = upstream.dynamic_source or (leaf_handle, output)
            return FromDynamicCollect(producer, leaf_handle, output,
                                      from_producer=upstream.dynamic_source is None,
                                      producer_output=producer_output)
        if out_def.is_dynamic:
            return FromPendingDynamicStepOutput(leaf_handle, output)
        if upstream.kind == "UNRESOLVED_MAPPED":
            assert upstream.dynamic_source is not None  # a mapped step knows its producer
            return FromUnresolvedStepOutput(upstream.dynamic_source[0], leaf_handle, output)
        return FromStepOutput(StepOutputHandle(leaf_handle, output))

    def _fan_in_source(self, graph: Graph, prefix: str, handle: str,
                       entry: OutputRef | str, parent_resolver) -> InputSource:
        """One entry of a fan-in: an output, or what feeds the enclosing composite's input."""
        if isinstance(entry, OutputRef):
            return FromStepOutput(StepOutputHandle(*self._leaf_output(graph, prefix, entry)))
        source = parent_resolver(entry) if parent_resolver is not None else None
        if source is None:
            composite = prefix.rstrip(".")
            raise DagsterMissingInputError(
                f'In pipeline "{self.pipeline_def.name}", input "{entry}" of composite solid '
                f'"{composite}" (fanned in to "{handle}") must get a value either (a) from a '
                "dependency or (b) from the inputs section of its configuration (solids: "
                f"{{{composite.split('.')[-1]}: {{inputs: {{{entry}: ...}}}}}}), or have a "
                "default_value."
            )
        return source

    def _add_step(self, node: Node, handle: str, resolve_input, inherited) -> None:
        solid_def: SolidDefinition = node.definition  # type: ignore[assignment]
        inputs: list[StepInput] = []
        dynamic_source: tuple[str, str] | None = None
        kind: StepKind = "COMPUTE"
        for input_def in solid_def.input_defs:
            source = resolve_input(input_def.name) or self._fallback_source(handle, input_def)
            inputs.append(StepInput(input_def.name, input_def, source))
            if isinstance(source, FromPendingDynamicStepOutput):
                dynamic_source, kind = (source.producer_key, source.output_name), \
                    "UNRESOLVED_MAPPED"
            elif isinstance(source, FromUnresolvedStepOutput):
                upstream = self.by_handle[source.upstream_handle]
                dynamic_source, kind = upstream.dynamic_source, "UNRESOLVED_MAPPED"
            elif isinstance(source, FromDynamicCollect) and kind == "COMPUTE":
                producer_step = self.by_handle[source.producer_key]
                mapped_from = self.by_handle[source.upstream_handle].dynamic_source
                assert source.from_producer or mapped_from is not None
                out_name = source.output_name if source.from_producer or mapped_from is None \
                    else mapped_from[1]
                dynamic_source, kind = (producer_step.key, out_name), "UNRESOLVED_COLLECT"
        sources = [i.source for i in inputs]
        if any(isinstance(s, FromDynamicCollect) for s in sources) and any(
                isinstance(s, FromPendingDynamicStepOutput | FromUnresolvedStepOutput)
                for s in sources):
            raise DagsterInvalidDefinitionError(
                f'Solid "{handle}" cannot both collect over a dynamic output and be mapped over '
                "another one (one copy per key); collect in a solid downstream of the map."
            )
        pipeline_def = self.pipeline_def
        step = ExecutionStep(
            key=f"{handle}[?]" if kind == "UNRESOLVED_MAPPED" else handle,
            handle=handle,
            solid_def=solid_def,
            node=node,
            inputs=inputs,
            kind=kind,
            dynamic_source=dynamic_source,
            hook_defs=node.hook_defs | inherited.get("hooks", frozenset())
            | pipeline_def.hook_defs,
            retry_policy=node.retry_policy or inherited.get("retry")
            or solid_def.retry_policy or pipeline_def.solid_retry_policy,
            tags={**inherited.get("tags", {}), **node.merged_tags},
        )
        self.steps.append(step)
        self.by_handle[handle] = step

    def _fallback_source(self, handle: str, input_def: InputDefinition) -> InputSource:
        if (handle, input_def.name) in self.input_values:
            return FromValue(self.input_values[(handle, input_def.name)])
        if input_def.root_manager_key:
            return FromRootInputManager(input_def.root_manager_key)
        cfg = self._solid_run_config(handle).get("inputs") or {}
        if input_def.name in cfg:
            return FromConfig(handle, input_def.name, cfg[input_def.name])
        if input_def.has_default_value:
            return FromDefaultValue(input_def.default_value)
        if input_def.is_nothing:
            return FromNothing()
        raise DagsterMissingInputError(
            f'In pipeline "{self.pipeline_def.name}", input "{input_def.name}" of solid '
            f'"{handle}" must get a value either (a) from a dependency or (b) from the inputs '
            f"section of its configuration (solids: {{{handle.split('.')[-1]}: {{inputs: "
            f"{{{input_def.name}: ...}}}}}}), or have a default_value."
        )


def create_execution_plan(
    pipeline_def: PipelineDefinition,
    run_config: dict[str, Any] | None = None,
    step_keys_to_execute: Iterable[str] | None = None,
    input_values: dict[tuple[str, str], Any] | None = None,
) -> ExecutionPlan:
    """Build the plan for a pipeline (already subset to the selected solids)."""
    steps = _PlanBuilder(pipeline_def, run_config or {}, input_values).build()
    return ExecutionPlan(pipeline_def, steps, step_keys_to_execute)
