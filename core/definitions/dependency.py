"""The dependency graph of a pipeline or composite: nodes (solid invocations) and edges.

Both the ``@pipeline`` composition DSL and the explicit ``dependencies=`` dict build a
:class:`Graph`; it validates itself on construction so a broken definition fails when it is
defined, naming the solid and the fix.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import DagsterInvalidDefinitionError
from .hooks import HookDefinition
from .io_defs import check_valid_name
from .retry import RetryPolicy
from .solid import NodeDefinition


@dataclass(frozen=True)
class DependencyDefinition:
    """``{"input": DependencyDefinition("upstream_solid", "output_name")}``."""

    solid: str
    output: str = "result"
    description: str | None = None


@dataclass(frozen=True)
class MultiDependencyDefinition:
    """Fan-in: the input receives a list with one value per dependency."""

    dependencies: list[DependencyDefinition]


@dataclass(frozen=True)
class DynamicCollectDependencyDefinition:
    """The input receives the list of every mapped copy's output."""

    solid_name: str
    output_name: str = "result"


@dataclass(frozen=True)
class SolidInvocation:
    """A key in the explicit ``dependencies`` dict: one use of a solid, maybe aliased."""

    name: str
    alias: str | None = None
    tags: dict[str, Any] | None = None
    hook_defs: frozenset[HookDefinition] | None = None
    retry_policy: RetryPolicy | None = None

    def __hash__(self) -> int:
        return hash((self.name, self.alias))


@dataclass(frozen=True)
class OutputRef:
    """An output of a node in the same graph."""

    node: str
    output: str = "result"


@dataclass(frozen=True)
class InputDep:
    """Where one input of a node gets its value inside the graph."""

    kind: Literal["direct", "fan_in", "collect"]
    sources: tuple[OutputRef, ...]
    # Fan-in only: the enclosing composite's inputs in the list, as (position, input name);
    # ``sources`` fill the other positions in order.
    mapped: tuple[tuple[int, str], ...] = ()

    def fan_in_entries(self) -> list[OutputRef | str]:
        """The fanned-in list in order: an output, or the name of a composite input."""
        entries: list[OutputRef | str] = list(self.sources)
        for position, input_name in sorted(self.mapped):
            entries.insert(position, input_name)
        return entries


@dataclass
class Node:
    """One invocation of a solid (or composite) in a graph."""

    name: str
    definition: NodeDefinition
    # Tags given at the invocation (``.tag({...})`` / ``SolidInvocation(tags=...)``).
    invocation_tags: dict[str, Any] = field(default_factory=dict)
    hook_defs: frozenset[HookDefinition] = frozenset()
    retry_policy: RetryPolicy | None = None

    @property
    def tags(self) -> dict[str, Any]:
        """The definition's tags updated with the invocation's (legacy ``Solid.tags``)."""
        return {**self.definition.tags, **self.invocation_tags}

    merged_tags = tags


class Graph:
    """Nodes and their input dependencies, validated on construction."""

    def __init__(
        self,
        owner: str,
        nodes: list[Node],
        deps: dict[str, dict[str, InputDep]],
        input_mappings: dict[str, list[tuple[str, str]]] | None = None,
        output_mappings: dict[str, OutputRef] | None = None,
    ):
        self.owner = owner
        self.nodes: dict[str, Node] = {}
        definitions: dict[str, NodeDefinition] = {}
        for node in nodes:
            check_valid_name(node.name, "Solid name")
            if node.name in self.nodes:
                raise DagsterInvalidDefinitionError(
                    f'"{owner}" has two solids named "{node.name}": give one an alias, '
                    f'e.g. {node.definition.name}.alias("{node.name}_2")().'
                )
            known = definitions.get(node.definition.name)
            if known is not None and known is not node.definition:
                raise DagsterInvalidDefinitionError(
                    f'"{owner}" uses two different solid definitions named '
                    f'"{node.definition.name}": solid definition names must be unique.'
                )
            definitions[node.definition.name] = node.definition
            self.nodes[node.name] = node
        self.deps = deps
        self.input_mappings = input_mappings or {}
        self.output_mappings = output_mappings or {}
        self._validate_edges()
        self.order = self._topological_order()

    # -- queries ----------------------------------------------------------------------
    def upstream_nodes(self, name: str) -> set[str]:
        return {src.node for dep in self.deps.get(name, {}).values() for src in dep.sources}

    def downstream_nodes(self, name: str) -> set[str]:
        return {n for n in self.nodes if name in self.upstream_nodes(n)}

    def adjacency(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """(parents, children) per node name."""
        parents = {n: self.upstream_nodes(n) for n in self.nodes}
        children: dict[str, set[str]] = {n: set() for n in self.nodes}
        for n, ps in parents.items():
            for p in ps:
                children[p].add(n)
        return parents, children

    def dep_for(self, node: str, input_name: str) -> InputDep | None:
        return self.deps.get(node, {}).get(input_name)

    def all_node_defs(self) -> dict[str, NodeDefinition]:
        """Every solid and composite definition used at any depth, by name."""
        found: dict[str, NodeDefinition] = {}
        for name in self.order:
            definition = self.nodes[name].definition
            found.setdefault(definition.name, definition)
            if definition.is_composite:
                found.update((k, v) for k, v in definition.graph.all_node_defs().items()
                             if k not in found)
        return found

    # -- validation ---------------------------------------------------------------------
    def _validate_edges(self) -> None:
        for node_name, inputs in self.deps.items():
            if node_name not in self.nodes:
                raise DagsterInvalidDefinitionError(
                    f'"{self.owner}": dependencies name solid "{node_name}", which is not in it. '
                    f"Solids: {sorted(self.nodes)}."
                )
            node_def = self.nodes[node_name].definition
            for input_name, dep in inputs.items():
                if input_name not in node_def.input_dict:
                    raise DagsterInvalidDefinitionError(
                        f'"{self.owner}": solid "{node_name}" has no input "{input_name}" '
                        f"(its inputs: {sorted(node_def.input_dict) or 'none'})."
                    )
                for src in dep.sources:
                    self._check_source(node_name, input_name, src)
                if dep.kind == "fan_in":
                    self._check_fan_in(node_name, input_name, dep)

    def _check_source(self, node_name: str, input_name: str, src: OutputRef) -> None:
        if src.node not in self.nodes:
            raise DagsterInvalidDefinitionError(
                f'"{self.owner}": input "{input_name}" of solid "{node_name}" depends on '
                f'solid "{src.node}", which does not exist. Solids: {sorted(self.nodes)}.'
            )
        up_def = self.nodes[src.node].definition
        if src.output not in up_def.output_dict:
            raise DagsterInvalidDefinitionError(
                f'"{self.owner}": input "{input_name}" of solid "{node_name}" depends on '
                f'output "{src.output}" of solid "{src.node}", which has outputs '
                f"{sorted(up_def.output_dict) or 'none'}."
            )

    def _check_fan_in(self, node_name: str, input_name: str, dep: InputDep) -> None:
        input_type = self.nodes[node_name].definition.input_dict[input_name].dagster_type
        if input_type.kind not in ("list", "any", "nothing"):
            raise DagsterInvalidDefinitionError(
                f'"{self.owner}": input "{input_name}" of solid "{node_name}" fans in several '
                f'outputs but has type "{input_type.display_name}"; give it a List type '
                "(e.g. List[Int]) or Any."
            )
        inner = getattr(input_type, "inner_type", None)
        if inner is None or inner.is_any:
            return
        for src in dep.sources:
            out_type = self.nodes[src.node].definition.output_dict[src.output].dagster_type
            if not out_type.is_any and out_type is not inner and not out_type.is_nothing:
                raise DagsterInvalidDefinitionError(
                    f'"{self.owner}": fan-in input "{input_name}" of solid "{node_name}" has type '
                    f'"{input_type.display_name}" but output "{src.output}" of "{src.node}" is '
                    f'"{out_type.display_name}". Make the types agree (or use List[Any]).'
                )

    def _topological_order(self) -> list[str]:
        """Kahn's algorithm, linear in nodes + edges: ready nodes in first-in first-out
        order, a node's children in definition order (the order users see in plans)."""
        parents, children = self.adjacency()
        index = {n: i for i, n in enumerate(self.nodes)}
        pending = {n: len(p) for n, p in parents.items()}
        ready = deque(n for n in self.nodes if pending[n] == 0)
        order: list[str] = []
        while ready:
            n = ready.popleft()
            order.append(n)
            for c in sorted(children[n], key=index.__getitem__):
                pending[c] -= 1
                if pending[c] == 0:
                    ready.append(c)
        if len(order) != len(self.nodes):
            placed = set(order)
            cycle = _find_cycle({n: parents[n] for n in self.nodes if n not in placed})
            raise DagsterInvalidDefinitionError(
                f'"{self.owner}" has a circular dependency: {" -> ".join(cycle)}. '
                "Remove one of these edges."
            )
        return order


def _find_cycle(parents: dict[str, set[str]]) -> list[str]:
    """A cycle among the nodes left after a topological sort, first node repeated at the end."""
    start = sorted(parents)[0]
    path, seen = [start], {start: 0}
    node = start
    while True:
        node = sorted(p for p in parents[node] if p in parents)[0]
        if node in seen:
            cycle = path[seen[node]:] + [node]
            return list(reversed(cycle))
        seen[node] = len(path)
        path.append(node)


def graph_from_explicit_dependencies(
    owner: str,
    solid_defs: list[NodeDefinition],
    dependencies: dict[Any, dict[str, Any]] | None,
) -> Graph:
    """Build a Graph from the explicit ``PipelineDefinition(dependencies=...)`` form."""
    defs_by_name: dict[str, NodeDefinition] = {}
    for d in solid_defs:
        if d.name in defs_by_name and defs_by_name[d.name] is not d:
            raise DagsterInvalidDefinitionError(
                f'"{owner}" has two different solid definitions named "{d.name}".'
            )
        defs_by_name[d.name] = d
    nodes: dict[str, Node] = {}
    deps: dict[str, dict[str, InputDep]] = {}
    used_defs: set[str] = set()
    for key, inputs in (dependencies or {}).items():
        inv = key if isinstance(key, SolidInvocation) else SolidInvocation(key)
        if inv.name not in defs_by_name:
            raise DagsterInvalidDefinitionError(
                f'"{owner}": dependencies name solid "{inv.name}", but no solid definition '
                f"has that name. Definitions: {sorted(defs_by_name)}."
            )
        node_name = inv.alias or inv.name
        if node_name in nodes:
            raise _duplicate_node(owner, node_name, defs_by_name[inv.name])
        nodes[node_name] = Node(
            node_name, defs_by_name[inv.name], dict(inv.tags or {}),
            frozenset(inv.hook_defs or ()), inv.retry_policy,
        )
        used_defs.add(inv.name)
        deps[node_name] = {name: _coerce_dep(dep, owner) for name, dep in (inputs or {}).items()}
    for name, d in defs_by_name.items():
        if name not in used_defs:
            if name in nodes:
                raise _duplicate_node(owner, name, d)
            nodes[name] = Node(name, d)
    return Graph(owner, list(nodes.values()), deps)


def _duplicate_node(owner: str, name: str, definition: NodeDefinition
                    ) -> DagsterInvalidDefinitionError:
    return DagsterInvalidDefinitionError(
        f'"{owner}" has two solids named "{name}": give one an alias, '
        f'e.g. SolidInvocation("{definition.name}", alias="{name}_2").'
    )


def _coerce_dep(dep: Any, owner: str) -> InputDep:
    if isinstance(dep, DependencyDefinition):
        return InputDep("direct", (OutputRef(dep.solid, dep.output),))
    if isinstance(dep, MultiDependencyDefinition):
        return InputDep(
            "fan_in", tuple(OutputRef(d.solid, d.output) for d in dep.dependencies)
        )
    if isinstance(dep, DynamicCollectDependencyDefinition):
        return InputDep("collect", (OutputRef(dep.solid_name, dep.output_name),))
    raise DagsterInvalidDefinitionError(
        f'"{owner}": a dependency must be a DependencyDefinition, MultiDependencyDefinition or '
        f"DynamicCollectDependencyDefinition, got {dep!r}."
    )
