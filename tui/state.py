"""Plain state the app's handlers own: the loaded snapshot and what a run's events say.

No Textual here, so it is unit-testable on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from orch.core.run_progress import RunProgress
from orch.core.runs import StepStatus

# The app follows a run with the same fold `orch run` uses.
RunView = RunProgress

SourceOf = Callable[[str, str], str]
TargetsOf = Callable[[str, str], list[str]]

# The most telling status first: a node shows its worst step.
_PRECEDENCE = [StepStatus.FAILURE, StepStatus.CANCELED, StepStatus.IN_PROGRESS,
               StepStatus.UP_FOR_RETRY, StepStatus.ABANDONED, StepStatus.NOT_EXECUTED,
               StepStatus.PENDING, StepStatus.SKIPPED, StepStatus.SUCCESS, StepStatus.REUSED]


def node_of_step(step_key: str, nodes: Iterable[str] | None = None) -> str:
    """The drawn node a step belongs to: its top-level solid (``outer.inner[k]`` →
    ``outer``), or, with ``nodes`` (a graph with expanded composites), the deepest drawn
    handle that contains it (``outer.inner``)."""
    handle = step_key.split("[", 1)[0]
    if nodes is not None:
        shown = nodes if isinstance(nodes, set | frozenset | dict) else set(nodes)
        parts = handle.split(".")
        for depth in range(len(parts), 0, -1):
            candidate = ".".join(parts[:depth])
            if candidate in shown:
                return candidate
    return handle.split(".", 1)[0]


def node_statuses(view: RunProgress, nodes: Iterable[str] | None = None
                  ) -> dict[str, StepStatus]:
    """Status per drawn node: the most telling status of its steps."""
    shown = set(nodes) if nodes is not None else None
    by_node: dict[str, list[StepStatus]] = {}
    for step in view.visible_steps():
        by_node.setdefault(node_of_step(step.key, shown), []).append(step.status)
    return {node: min(states, key=_PRECEDENCE.index) for node, states in by_node.items()}


def mapped_summaries(view: RunProgress, nodes: Iterable[str] | None = None) -> dict[str, str]:
    """For nodes whose steps are mapped copies: how many, and how many in each state
    (four copies, three succeeded, one failed: ``x4 ✓3 ✗1`` with a multiplication sign),
    most telling state last."""
    shown = set(nodes) if nodes is not None else None
    copies: dict[str, list[StepStatus]] = {}
    for step in view.visible_steps():
        if "[" in step.key and not step.key.endswith("[?]"):
            copies.setdefault(node_of_step(step.key, shown), []).append(step.status)
    out = {}
    for node, states in copies.items():
        counts = {st: states.count(st) for st in sorted(set(states), key=_PRECEDENCE.index,
                                                         reverse=True)}
        out[node] = f"\u00d7{len(states)} " + " ".join(f"{st.glyph}{n}"
                                                  for st, n in counts.items())
    return out


def pipeline_graph(pipeline_snapshot: dict[str, Any],
                   expanded: set[str] | frozenset[str] = frozenset()
                   ) -> tuple[list[str], list[tuple[str, str]]]:
    """Solids and the edges between them, from a pipeline snapshot: top-level solids, with
    each composite handle in ``expanded`` replaced by its inner solids (``comp.inner``),
    wired through the composite's input and output mappings."""
    definitions = pipeline_snapshot.get("solid_definitions") or {}
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []

    def flatten(graph: dict[str, Any], prefix: str) -> tuple[SourceOf, TargetsOf]:
        inner: dict[str, tuple[dict[str, Any], tuple[SourceOf, TargetsOf]]] = {}
        for solid in graph["solids"]:
            handle = prefix + solid["name"]
            definition = definitions.get(solid["definition"]) or {}
            if solid.get("is_composite") and handle in expanded and definition.get("graph"):
                inner[solid["name"]] = (definition, flatten(definition["graph"], handle + "."))
            else:
                nodes.append(handle)

        def source_of(name: str, output: str) -> str:
            """The drawn node that produces ``name``'s ``output``."""
            if name not in inner:
                return prefix + name
            definition, (inner_source, _) = inner[name]
            node, inner_output = definition["output_mappings"][output]
            return inner_source(node, inner_output)

        def targets_of(name: str, input_name: str) -> list[str]:
            """The drawn nodes that take ``name``'s input ``input_name``."""
            if name not in inner:
                return [prefix + name]
            definition, (_, inner_targets) = inner[name]
            return [t for node, inner_input in
                    (definition.get("input_mappings") or {}).get(input_name, [])
                    for t in inner_targets(node, inner_input)]

        for solid in graph["solids"]:
            for input_name, dep in solid["inputs"].items():
                for source_node, output in dep["sources"]:
                    for target in targets_of(solid["name"], input_name):
                        edges.append((source_of(source_node, output), target))
        return source_of, targets_of

    flatten(pipeline_snapshot["graph"], "")
    return nodes, list(dict.fromkeys(edges))


def composite_handles(pipeline_snapshot: dict[str, Any]) -> set[str]:
    """Handles of every composite solid, at any depth."""
    definitions = pipeline_snapshot.get("solid_definitions") or {}
    found: set[str] = set()

    def walk(graph: dict[str, Any], prefix: str) -> None:
        for solid in graph["solids"]:
            definition = definitions.get(solid["definition"]) or {}
            if solid.get("is_composite") and definition.get("graph"):
                found.add(prefix + solid["name"])
                walk(definition["graph"], prefix + solid["name"] + ".")

    walk(pipeline_snapshot["graph"], "")
    return found


def downstream_of(nodes: set[str], edges: list[tuple[str, str]]) -> set[str]:
    """``nodes`` and everything downstream of them."""
    from orch.core.selection import downstream_closure

    children: dict[str, set[str]] = {}
    for a, b in edges:
        children.setdefault(a, set()).add(b)
    return downstream_closure(nodes, children)


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def error_location(traceback_text: str) -> str | None:
    """``file:line`` of the innermost frame of a traceback text (the user's, as the loader
    keeps only user frames), or None."""
    frames = _FRAME.findall(traceback_text)
    return f"{frames[-1][0]}:{frames[-1][1]}" if frames else None


def banner_text(error: str, has_definitions: bool) -> str:
    """The broken-load banner: what failed, where, what is on screen, how to see more."""
    lines = error.strip().splitlines() or ["error"]
    where = error_location(error)
    kept = "keeping the last good definitions" if has_definitions else \
        "no definitions could be loaded yet"
    return (f"⚠ {lines[0]}\n"
            + (f"  at {where}" + (f": {lines[-1].strip()}" if len(lines) > 1 else "") + "\n"
               if where else "")
            + f"  {kept} — press ! (or ctrl+p → Show load error) for the traceback")
