"""What a run's events say so far: the state of each step and of the run, folded from the
stored events in order. ``orch run``'s progress, its JUnit report and the app's panes all read
this one fold, so they agree on what happened.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .runs import (
    PipelineRunStatus,
    StepStatus,
    is_forward,
    status_after_event,
    step_status_after_event,
)


@dataclass
class StepState:
    key: str
    status: StepStatus = StepStatus.PENDING
    start: float | None = None
    end: float | None = None
    attempts: int = 0
    error: dict[str, Any] | None = None
    message: str = ""

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now while the step runs)."""
        if self.start is None:
            return None
        return (self.end if self.end is not None else time.time()) - self.start

    @property
    def mapping_key(self) -> str | None:
        return self.key.split("[", 1)[1][:-1] if "[" in self.key else None


class RunProgress:
    """Step and run states of one run, updated from its events in order.

    ``status`` is the run's status as its run-level events so far make it (``STARTED``,
    ``CANCELING``, ``SUCCESS`` …, None before the first); ``finished`` says whether it is
    final. ``cursor`` is the storage id of the last event
    folded in, for reading on from there."""

    def __init__(self, run_id: str, step_keys: Iterable[str] = (), run: Any = None):
        self.run_id = run_id
        self.run = run
        self.steps: dict[str, StepState] = {}
        self._copies: dict[str, list[str]] = {}  # x -> its resolved copies x[a], x[b] …
        for key in step_keys:
            self._step(key)
        self.status: PipelineRunStatus | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.run_error: dict[str, Any] | None = None
        self.run_message = ""
        self.cursor = -1
        self.followed_since = time.time()

    @property
    def finished(self) -> bool:
        return self.status is not None and self.status.is_finished

    def _step(self, key: str) -> StepState:
        state = self.steps.get(key)
        if state is None:
            state = self.steps[key] = StepState(key)
            if "[" in key and not key.endswith("[?]"):
                self._copies.setdefault(key.split("[", 1)[0], []).append(key)
        return state

    def visible_steps(self) -> list[StepState]:
        """The steps in plan order, each dynamic placeholder ``x[?]`` replaced by the copies
        the run resolved (``x[a]``, ``x[b]`` in the order they appeared) at its place."""
        out: list[StepState] = []
        for key, state in self.steps.items():
            if "[" in key:
                base = key.split("[", 1)[0]
                if key.endswith("[?]"):
                    copies = self._copies.get(base)
                    out += [self.steps[c] for c in copies] if copies else [state]
                    continue
                if f"{base}[?]" in self.steps:
                    continue  # shown at its placeholder's place
            out.append(state)
        return out

    def mark_reused(self, step_keys: Iterable[str]) -> None:
        """Steps this run does not execute: a re-execution loads their outputs instead."""
        for key in step_keys:
            self._step(key).status = StepStatus.REUSED

    def apply(self, events: Iterable[Any]) -> set[str]:
        """Fold events in; returns the keys of the steps whose state changed."""
        touched: set[str] = set()
        for e in events:
            key = self.event(e)
            if key is not None:
                touched.add(key)
        return touched

    def event(self, e: Any) -> str | None:
        """Fold one event in; returns the step key it changed, if any."""
        if e.storage_id is not None:
            self.cursor = max(self.cursor, e.storage_id)
        t = e.event_type_value
        if t is None:
            if e.step_key and e.data.get("abandoned"):
                state = self._step(e.step_key)
                state.status, state.message = StepStatus.ABANDONED, e.message
                return e.step_key
            return None
        if e.step_key:
            status = step_status_after_event(t, bool(e.data.get("canceled")))
            if status is None:
                return None
            state = self._step(e.step_key)
            state.status = status
            if t in ("STEP_START", "STEP_RESTARTED"):
                state.attempts += 1
                if state.start is None:
                    state.start = e.timestamp
                state.end = None
            elif t == "STEP_UP_FOR_RETRY":
                state.message, state.error = e.message, e.data.get("error")
            else:
                state.end = e.timestamp
                if status is not StepStatus.SUCCESS:
                    state.message = e.message
                if t == "STEP_FAILURE":
                    state.error = e.data.get("error") or {"message": e.message}
            return e.step_key
        if not t.startswith("PIPELINE_"):
            return None
        # The run only moves forward, as storage enforces it: a late run event (a STARTING
        # committed after the worker's own events by an older orch) changes nothing.
        new = status_after_event(e.event_type)
        if new is None or not is_forward(self.status, new):
            return None
        self.status = new
        if new is PipelineRunStatus.STARTED:
            self.started = e.timestamp
        elif self.finished:
            self._finish(e)
        return None

    def _finish(self, e: Any) -> None:
        self.ended = e.timestamp
        self.run_message = e.message
        self.run_error = e.data.get("error")
        ended = self.status.value if self.status else "ended"
        unfinished = StepStatus.CANCELED if self.status is PipelineRunStatus.CANCELED \
            else StepStatus.FAILURE
        for state in self.steps.values():
            if state.status is StepStatus.PENDING or state.status.is_open:
                state.status = StepStatus.NOT_EXECUTED if state.status is StepStatus.PENDING \
                    else unfinished
                if state.end is None and state.start is not None:
                    state.end = e.timestamp
                if state.status is StepStatus.FAILURE and state.error is None:
                    state.error = {"message": f"Step did not finish ({ended})."}

    def counts(self) -> dict[StepStatus, int]:
        out: dict[StepStatus, int] = {}
        for s in self.visible_steps():
            out[s.status] = out.get(s.status, 0) + 1
        return out

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.time()) - self.started
