"""What a run's events say so far: the state of each step and of the run, folded from the
stored events in order. ``orch run``'s progress, its JUnit report and the app's panes all read
this one fold, so they agree on what happened.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .runs import FINISHED_STATUSES, PipelineRunStatus, is_forward, status_after_event

PENDING, RUNNING, SUCCESS, FAILED, SKIPPED, RETRYING, NOT_EXECUTED, CANCELED = (
    "pending", "running", "success", "failed", "skipped", "retrying", "not executed",
    "canceled")
# Not reached by events: a step downstream of a failure (the scheduler logs it), and a step a
# re-execution does not run because it loads that step's outputs from an earlier run.
ABANDONED, REUSED = "abandoned", "reused"
FINISHED_RUN_STATUSES = tuple(sorted(s.value for s in FINISHED_STATUSES))


@dataclass
class StepState:
    key: str
    status: str = PENDING
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

    ``status`` is the latest run-level status (``START``, ``CANCELING``, ``SUCCESS`` …);
    ``finished`` says whether it is final. ``cursor`` is the storage id of the last event
    folded in, for reading on from there."""

    def __init__(self, run_id: str, step_keys: Iterable[str] = (), run: Any = None):
        self.run_id = run_id
        self.run = run
        self.steps: dict[str, StepState] = {k: StepState(k) for k in step_keys}
        self.status: str | None = None
        self._run_status: PipelineRunStatus | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.run_error: dict[str, Any] | None = None
        self.run_message = ""
        self.cursor = -1
        self.followed_since = time.time()

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_RUN_STATUSES

    def _step(self, key: str) -> StepState:
        if key not in self.steps:
            # A dynamic copy `x[k]` replaces its placeholder `x[?]`, in place.
            placeholder = f"{key.split('[', 1)[0]}[?]"
            items = list(self.steps.items())
            index = next((i for i, (k, _) in enumerate(items) if k == placeholder), None)
            state = StepState(key)
            if index is None:
                items.append((key, state))
            else:
                resolved = [i for i, (k, _) in enumerate(items)
                            if k.split("[", 1)[0] == key.split("[", 1)[0] and k != placeholder]
                items.insert((resolved[-1] + 1) if resolved else index, (key, state))
            self.steps = dict(items)
        return self.steps[key]

    def visible_steps(self) -> list[StepState]:
        resolved = {k.split("[", 1)[0] for k in self.steps if "[" in k and not k.endswith("[?]")}
        return [s for k, s in self.steps.items()
                if not (k.endswith("[?]") and k.split("[", 1)[0] in resolved)]

    def mark_reused(self, step_keys: Iterable[str]) -> None:
        """Steps this run does not execute: a re-execution loads their outputs instead."""
        for key in step_keys:
            self._step(key).status = REUSED

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
                state.status, state.message = ABANDONED, e.message
                return e.step_key
            return None
        if e.step_key:
            state = self._step(e.step_key)
            if t in ("STEP_START", "STEP_RESTARTED"):
                state.status = RUNNING
                state.attempts += 1
                if state.start is None:
                    state.start = e.timestamp
                state.end = None
            elif t == "STEP_SUCCESS":
                state.status, state.end = SUCCESS, e.timestamp
            elif t == "STEP_FAILURE":
                # A step its run left open when it was canceled ends canceled, not failed.
                state.status = CANCELED if e.data.get("canceled") else FAILED
                state.end = e.timestamp
                state.error = e.data.get("error") or {"message": e.message}
                state.message = e.message
            elif t == "STEP_SKIPPED":
                state.status, state.end, state.message = SKIPPED, e.timestamp, e.message
            elif t == "STEP_UP_FOR_RETRY":
                state.status, state.message = RETRYING, e.message
                state.error = e.data.get("error")
            else:
                return None
            return e.step_key
        if not t.startswith("PIPELINE_"):
            return None
        # The run only moves forward, as storage enforces it: a late run event (a STARTING
        # committed after the worker's own events by an older orch) changes nothing.
        new = status_after_event(e.event_type)
        if new is not None and not is_forward(self._run_status, new):
            return None
        self._run_status = new or self._run_status
        self.status = t.removeprefix("PIPELINE_")
        if t == "PIPELINE_START":
            self.started = e.timestamp
        elif self.finished:
            self._finish(e)
        return None

    def _finish(self, e: Any) -> None:
        self.ended = e.timestamp
        self.run_message = e.message
        self.run_error = e.data.get("error")
        unfinished = CANCELED if self.status == "CANCELED" else FAILED
        for state in self.steps.values():
            if state.status in (PENDING, RUNNING, RETRYING):
                state.status = NOT_EXECUTED if state.status == PENDING else unfinished
                if state.end is None and state.start is not None:
                    state.end = e.timestamp
                if state.status == FAILED and state.error is None:
                    state.error = {"message": f"Step did not finish ({self.status})."}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.visible_steps():
            out[s.status] = out.get(s.status, 0) + 1
        return out

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.time()) - self.started
