"""Plain state the app's handlers own: the loaded snapshot and what a run's events say.

No Textual here, so it is unit-testable on its own.
"""

from __future__ import annotations

from typing import Any

from orch.core.run_progress import RunProgress

# The app follows a run with the same fold `orch run` uses.
RunView = RunProgress

_PRECEDENCE = ["failed", "canceled", "running", "retrying", "abandoned", "not executed",
               "pending", "skipped", "success", "reused"]


def node_of_step(step_key: str) -> str:
    """The top-level solid a step belongs to (``outer.inner[k]`` → ``outer``)."""
    return step_key.split("[", 1)[0].split(".", 1)[0]


def node_statuses(view: RunProgress) -> dict[str, str]:
    """Status per top-level solid: the most telling status of its steps."""
    by_node: dict[str, list[str]] = {}
    for step in view.visible_steps():
        by_node.setdefault(node_of_step(step.key), []).append(step.status)
    return {node: min(states, key=_PRECEDENCE.index) for node, states in by_node.items()}


def pipeline_graph(pipeline_snapshot: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """Top-level solids and the edges between them, from a pipeline snapshot."""
    solids = pipeline_snapshot["graph"]["solids"]
    nodes = [s["name"] for s in solids]
    edges = []
    for s in solids:
        for dep in s["inputs"].values():
            for source_node, _output in dep["sources"]:
                edges.append((source_node, s["name"]))
    return nodes, list(dict.fromkeys(edges))


def downstream_of(nodes: set[str], edges: list[tuple[str, str]]) -> set[str]:
    """``nodes`` and everything downstream of them."""
    children: dict[str, set[str]] = {}
    for a, b in edges:
        children.setdefault(a, set()).add(b)
    found = set(nodes)
    frontier = list(nodes)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found
