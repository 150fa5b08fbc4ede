"""Plain state the app's handlers own: the loaded snapshot and what a run's events say.

No Textual here, so it is unit-testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orch.core.events import EventRecord, EventType

_STATUS_BY_EVENT = {
    EventType.STEP_START: "running",
    EventType.STEP_RESTARTED: "running",
    EventType.STEP_SUCCESS: "success",
    EventType.STEP_FAILURE: "failed",
    EventType.STEP_SKIPPED: "skipped",
    EventType.STEP_UP_FOR_RETRY: "retry",
}
_PRECEDENCE = ["failed", "running", "retry", "abandoned", "pending", "skipped", "success",
               "reused"]


def node_of_step(step_key: str) -> str:
    """The top-level solid a step belongs to (``outer.inner[k]`` → ``outer``)."""
    return step_key.split("[", 1)[0].split(".", 1)[0]


@dataclass
class StepState:
    key: str
    status: str = "pending"
    attempt: int = 1
    start: float | None = None
    end: float | None = None

    @property
    def mapping_key(self) -> str | None:
        return self.key.split("[", 1)[1][:-1] if "[" in self.key else None

    @property
    def duration(self) -> float | None:
        if self.start is None:
            return None
        return (self.end if self.end is not None else self.start) - self.start


@dataclass
class RunView:
    """What one run's events say so far, folded as they arrive (never re-read)."""

    run_id: str
    steps: dict[str, StepState] = field(default_factory=dict)
    status: str = "STARTING"
    started: float | None = None
    ended: float | None = None
    cursor: int = -1

    def apply(self, events: list[EventRecord]) -> set[str]:
        """Fold events in; returns the step keys whose state changed."""
        touched: set[str] = set()
        for event in events:
            if event.storage_id is not None:
                self.cursor = max(self.cursor, event.storage_id)
            et = event.event_type
            if et is None:
                if event.data.get("abandoned") and event.step_key:
                    self._step(event.step_key).status = "abandoned"
                    touched.add(event.step_key)
                continue
            if et.value.startswith("PIPELINE_"):
                self.status = et.value.removeprefix("PIPELINE_")
                if et is EventType.PIPELINE_START:
                    self.started = event.timestamp
                if et in (EventType.PIPELINE_SUCCESS, EventType.PIPELINE_FAILURE,
                          EventType.PIPELINE_CANCELED):
                    self.ended = event.timestamp
                continue
            if event.step_key is None or et not in _STATUS_BY_EVENT:
                continue
            step = self._step(event.step_key)
            step.status = _STATUS_BY_EVENT[et]
            if et is EventType.STEP_START:
                step.start = event.timestamp
            elif et is EventType.STEP_RESTARTED:
                step.attempt = int(event.data.get("retry_number", step.attempt)) + 1
            elif et in (EventType.STEP_SUCCESS, EventType.STEP_FAILURE, EventType.STEP_SKIPPED):
                step.end = event.timestamp
                if step.start is None:
                    step.start = event.timestamp
            touched.add(event.step_key)
        return touched

    def mark_reused(self, step_keys: list[str]) -> None:
        """Steps this run does not execute: a re-execution loads their outputs instead."""
        for key in step_keys:
            self._step(key).status = "reused"

    def _step(self, key: str) -> StepState:
        if key not in self.steps:
            self.steps[key] = StepState(key)
        return self.steps[key]

    @property
    def finished(self) -> bool:
        return self.status in ("SUCCESS", "FAILURE", "CANCELED")

    def node_statuses(self) -> dict[str, str]:
        """Status per top-level solid: the most telling status of its steps."""
        by_node: dict[str, list[str]] = {}
        for step in self.steps.values():
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
