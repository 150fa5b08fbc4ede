"""Plain state the app's handlers own: the loaded snapshot and what a run's events say.

No Textual here, so it is unit-testable on its own.
"""

from __future__ import annotations

import re
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
