"""The one scheduler every executor shares.

State per step, in the manner of dask's classic ``dask/local.py``:

* **waiting** — some upstream steps are not finished (``waiting[key]`` holds their keys);
* **ready** — every upstream step finished; a heap ordered by priority tag (highest first),
  then plan position, both computed once per step, so queueing and taking a step cost
  O(log n) however many are ready;
* **running** — handed to the launcher; its events come back through ``handle_event``;
* **retry** — up for retry; becomes ready again when its delay has passed;
* **finished** — succeeded, failed, skipped (all of one input's sources missing) or
  abandoned (an upstream step failed: no step event, only an ERROR log line).

Steps downstream of a dynamic output stay unresolved (``x[?]``) until the producer finishes,
then the plan is resolved into one copy per mapping key. Executors only supply a launcher:
how to start one step and how its events come back (:class:`StepLauncher`).

Policy
------
* **Priority, then plan order.** A step's priority tag (``orch/priority`` or
  ``dagster/priority``) says what the user wants first when slots are scarce; among equals,
  the plan's topological order keeps runs repeatable (the same steps start in the same
  order every time). Both are fixed per step, so the
  order never depends on when a step became ready.
* **Outcomes come from events only.** A step's state changes when its events are handled
  (``handle_event``), never when a launcher returns, so a step run in process, in a forked
  child or on a Dask worker settles the same way.
* **Retries settle like new steps.** STEP_UP_FOR_RETRY takes the step out of *running*,
  forgets the outputs of the failed attempt and parks it in *retry* until its delay has
  passed; it then queues with its original rank, ahead of later steps of lower priority.
  Dependents keep waiting: they are decided only by the final attempt.
* **What runs next can be prepared.** ``next_up`` names the waiting steps that wait only for
  running steps, best rank first; a launcher that can start a process ahead
  (:class:`PreparingLauncher`) is asked to prepare them in its spare slots whenever what runs
  or what is finished changed. Preparing never runs user code or changes a step's state: a
  prepared step is launched when it becomes ready like any other, and ended unseen if it
  finishes without running (abandoned, skipped).
* **Failure spreads, skips are per input.** A failed or abandoned upstream step abandons its
  dependents (a log line, no step event); a step is skipped when all sources of one of its
  inputs produced nothing. Both cascade in ``settle`` before anything new is launched.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from ..errors import DagsterExecutionInterruptedError
from ..events import EventRecord, EventType
from ..plan.plan import ExecutionPlan, ExecutionStep
from ..plan.sources import FromMultipleSources, StepOutputHandle
from .context import RunContext

RunStep = Callable[[ExecutionStep, int, frozenset[StepOutputHandle]], Iterator[EventRecord]]
"""``run_step(step, attempt, missing)``: the events of one attempt of a step."""


class StepLauncher(Protocol):
    """How an executor runs steps. Every event a step produces must come back, in order,
    from ``launch`` or ``poll``, ending with the step's outcome event."""

    def start(self) -> Iterator[EventRecord]:
        """Before the first step: events saying how steps will run."""
        ...

    def close(self) -> None:
        """After the last step, or when the run ends early (after ``terminate``)."""
        ...

    def free_slots(self) -> int: ...

    def running(self) -> int: ...

    def launch(self, step: ExecutionStep, attempt: int,
               missing: frozenset[StepOutputHandle]) -> Iterator[EventRecord]: ...

    def poll(self, timeout: float) -> Iterator[EventRecord]: ...

    def terminate(self) -> Iterator[EventRecord]: ...


@runtime_checkable
class PreparingLauncher(StepLauncher, Protocol):
    """A launcher that can start a step's process before the step is ready: everything a
    process needs before the step's own code runs (forking it, pointing its output at the
    step's files), done while the upstream step it waits for runs, so on a chain that work
    leaves the critical path. No user code runs in a prepared process until ``launch`` hands
    it the step; a step that never becomes ready has its prepared process ended unseen: it
    sends no event."""

    def prepare_slots(self) -> int:
        """How many more steps may be prepared now (0 when this launcher cannot)."""
        ...

    def prepare(self, step: ExecutionStep, attempt: int) -> None: ...

    def prepared(self) -> list[str]:
        """Keys of the steps prepared and not yet launched."""
        ...

    def unprepare(self, key: str) -> None:
        """End the process prepared for ``key`` (it will not run): it sends no event."""
        ...


class ActiveExecution:
    """Which steps are waiting, ready, running, up for retry and finished."""

    def __init__(self, plan: ExecutionPlan,
                 known_mapping_keys: dict[tuple[str, str], list[str]] | None = None):
        self.plan = plan
        self.waiting: dict[str, set[str]] = {}
        # Heap of (-priority, plan position, key); see ``_queue``.
        self._ready: list[tuple[int, int, str]] = []
        self._rank: dict[str, tuple[int, int, str]] = {}
        self.running: set[str] = set()
        self.retry_at: dict[str, float] = {}
        self.attempts: dict[str, int] = {}
        self.succeeded: set[str] = set()
        self.failed: set[str] = set()
        self.skipped: set[str] = set()
        self.abandoned: set[str] = set()
        self.produced: set[StepOutputHandle] = set()
        self.mapping_keys: dict[tuple[str, str], list[str]] = {}
        # Collect steps whose producer succeeded with zero values: they run with [].
        self._empty_collect_ok: set[str] = set()
        self._candidates: deque[str] = deque()
        # Counts the changes to what runs and what is finished: a caller that acts on them
        # (preparing the next steps) looks again only when it moved.
        self.changes = 0
        self._dependents: dict[str, set[str]] = {}
        self._position = {k: i for i, k in enumerate(plan.order)}
        for (producer, output), keys in (known_mapping_keys or {}).items():
            if producer not in plan.step_keys_to_execute:
                self._note_empty_collects(plan.resolve(producer, output, keys), keys)
        # Selected steps still waiting for a dynamic output's keys (``x[?]``, collects).
        self._unresolved: set[str] = set()
        for step in plan.executable_steps():
            if step.is_resolved:
                self._add_waiting(step)
            else:
                self._unresolved.add(step.key)

    # -- bookkeeping ----------------------------------------------------------------------
    def _is_external(self, key: str) -> bool:
        """A step outside this run's selection: its outputs come from an earlier run."""
        return key not in self.plan.step_keys_to_execute

    def _finished(self, key: str) -> bool:
        return key in self.succeeded or key in self.failed or key in self.skipped \
            or key in self.abandoned

    def _add_waiting(self, step: ExecutionStep) -> None:
        pending = {k for k in step.upstream_keys()
                   if not self._is_external(k) and not self._finished(k)}
        if pending:
            self.waiting[step.key] = pending
            for upstream in pending:
                self._dependents.setdefault(upstream, set()).add(step.key)
        else:
            self._candidates.append(step.key)

    def _mark_finished(self, key: str) -> None:
        self.changes += 1
        self.running.discard(key)
        for other in sorted(self._dependents.pop(key, ()), key=self._plan_position):
            pending = self.waiting.get(other)
            if pending is None:
                continue
            pending.discard(key)
            if not pending:
                del self.waiting[other]
                self._candidates.append(other)

    def _plan_position(self, key: str) -> int:
        return self._position.get(key, 0)

    def _queue(self, key: str) -> None:
        """Make a step ready. Its rank is computed once per step, never by a sort."""
        rank = self._rank.get(key)
        if rank is None:
            rank = self._rank[key] = (-self.plan.steps[key].priority(),
                                      self._plan_position(key), key)
        heapq.heappush(self._ready, rank)

    @property
    def ready(self) -> list[str]:
        """Ready step keys in the order they will be taken."""
        return [key for _, _, key in sorted(self._ready)]

    def _resolve_dynamic(self, step_key: str) -> None:
        step = self.plan.steps.get(step_key)
        if step is None:
            return
        for out in step.solid_def.output_defs:
            if not out.is_dynamic:
                continue
            keys = self.mapping_keys.get((step_key, out.name), [])
            new_steps = self.plan.resolve(step_key, out.name, keys)
            self._unresolved = {k for k in self._unresolved
                                if k in self.plan.step_keys_to_execute
                                and not self.plan.steps[k].is_resolved}
            # A producer that ran and yielded no values: collect gets an empty list (legacy
            # behaviour). A skipped producer, or an optional dynamic output that did not fire,
            # skips the collect instead.
            if step_key in self.succeeded and out.is_required:
                self._note_empty_collects(new_steps, keys)
            for new_step in new_steps:
                self._position[new_step.key] = len(self._position)
                if new_step.is_resolved:  # a collect step may still wait on another producer
                    self._add_waiting(new_step)
                else:
                    self._unresolved.add(new_step.key)

    def _note_empty_collects(self, new_steps: list[ExecutionStep], keys: list[str]) -> None:
        if keys:
            return
        for new_step in new_steps:
            if new_step.mapping_key is None:
                self._empty_collect_ok.add(new_step.key)

    # -- events -------------------------------------------------------------------------
    def handle_event(self, event: EventRecord) -> None:
        key = event.step_key
        event_type = event.event_type
        if key is None or event_type is None:
            return
        if event_type is EventType.STEP_OUTPUT:
            mapping_key = event.data.get("mapping_key")
            output = event.data["output_name"]
            self.produced.add(StepOutputHandle(key, output, mapping_key))
            if mapping_key is not None:
                self.mapping_keys.setdefault((key, output), []).append(mapping_key)
        elif event_type is EventType.STEP_SUCCESS:
            self.succeeded.add(key)
            self._mark_finished(key)
            self._resolve_dynamic(key)
        elif event_type is EventType.STEP_FAILURE:
            self.failed.add(key)
            self._mark_finished(key)
        elif event_type is EventType.STEP_SKIPPED:
            self.skipped.add(key)
            self._mark_finished(key)
            self._resolve_dynamic(key)
        elif event_type is EventType.STEP_UP_FOR_RETRY:
            # Outputs of the failed attempt do not count: the retry yields its own.
            self.produced = {h for h in self.produced if h.step_key != key}
            for producer_output in [po for po in self.mapping_keys if po[0] == key]:
                del self.mapping_keys[producer_output]
            self.running.discard(key)
            self.changes += 1
            self.attempts[key] = self.attempts.get(key, 0) + 1
            self.retry_at[key] = time.monotonic() + float(event.data.get("seconds_to_wait") or 0)

    # -- decisions ----------------------------------------------------------------------
    def _output_missing(self, handle: StepOutputHandle) -> bool:
        return not self._is_external(handle.step_key) and handle not in self.produced

    def missing_for(self, step: ExecutionStep) -> frozenset[StepOutputHandle]:
        return frozenset(
            h for i in step.inputs for h in i.source.handles() if self._output_missing(h)
        )

    def _skip_reason(self, step: ExecutionStep) -> list[str] | None:
        for step_input in step.inputs:
            source = step_input.source
            handles = source.handles()
            if isinstance(source, FromMultipleSources) and not source.sources:
                if step.key in self._empty_collect_ok:
                    continue
                return [f"{step_input.name} (no values were collected)"]
            if handles and all(self._output_missing(h) for h in handles):
                return sorted({h.describe() for h in handles})
        return None

    def settle(self, run_context: RunContext) -> Iterator[EventRecord]:
        """Decide the candidates: abandon, skip, or queue as ready. Cascades."""
        yield from self._settle_candidates(run_context)
        # Unresolved steps whose producer failed can never resolve: abandon them, which may
        # make their resolved dependents (e.g. a step after a collect) candidates in turn.
        while (yield from self._abandon_unresolvable(run_context)):
            yield from self._settle_candidates(run_context)

    def _settle_candidates(self, run_context: RunContext) -> Iterator[EventRecord]:
        while self._candidates:
            key = self._candidates.popleft()
            step = self.plan.steps[key]
            failed_deps = sorted(k for k in step.upstream_keys()
                                 if k in self.failed or k in self.abandoned)
            if failed_deps:
                self.abandoned.add(key)
                self._mark_finished(key)
                yield run_context.event(
                    None, f"Dependencies for step {key} failed: {failed_deps}. Not executing.",
                    key, logging.ERROR, {"abandoned": True, "failed_dependencies": failed_deps},
                )
                continue
            reason = self._skip_reason(step)
            if reason is not None:
                event = run_context.event(
                    EventType.STEP_SKIPPED,
                    f"Skipping step {key} due to skipped dependencies: {reason}.", key,
                    data={"missing": reason},
                )
                self.handle_event(event)
                yield event
                continue
            self._queue(key)

    def _abandon_unresolvable(self, run_context: RunContext) -> Iterator[EventRecord]:
        """Abandon unresolved steps of failed producers; returns whether any were."""
        abandoned_any = False
        # Nothing to scan without a failed producer or an unresolved step.
        if not self._unresolved or (not self.failed and not self.abandoned):
            return abandoned_any
        for key in [k for k in self.plan.order if k in self._unresolved]:
            step = self.plan.steps[key]
            failed_producers = sorted(
                k for k in step.upstream_keys() if k in self.failed or k in self.abandoned
            )
            if failed_producers:
                self.abandoned.add(key)
                self._unresolved.discard(key)
                self.waiting.pop(key, None)
                self._mark_finished(key)
                abandoned_any = True
                yield run_context.event(
                    None, f"Dependencies for step {key} failed: {failed_producers}. "
                    "Not executing.", key, logging.ERROR,
                    {"abandoned": True, "failed_dependencies": failed_producers},
                )
        return abandoned_any

    def take_ready(self, limit: int) -> list[ExecutionStep]:
        now = time.monotonic()
        if self.retry_at:
            for key, when in list(self.retry_at.items()):
                if when <= now:
                    del self.retry_at[key]
                    self._queue(key)
        taken = [heapq.heappop(self._ready)[2] for _ in range(min(limit, len(self._ready)))]
        if taken:
            self.changes += 1
        self.running.update(taken)
        return [self.plan.steps[k] for k in taken]

    @property
    def has_ready_or_candidates(self) -> bool:
        return bool(self._ready or self._candidates)

    def next_up(self, limit: int, exclude: frozenset[str] | set[str] = frozenset()
                ) -> list[ExecutionStep]:
        """Up to ``limit`` waiting steps (not in ``exclude``) that wait only for running
        steps — those that become ready next if the running steps succeed — highest rank
        first. Costs the running steps' dependents (a set larger than the running set is
        no subset of it: that check is one comparison)."""
        if limit <= 0:
            return []
        running, waiting = self.running, self.waiting
        found = {dependent for key in running for dependent in self._dependents.get(key, ())
                 if dependent in waiting and dependent not in exclude
                 and waiting[dependent] <= running}
        return [self.plan.steps[key] for key in heapq.nsmallest(limit, found, key=self._rank_of)]

    def _rank_of(self, key: str) -> tuple[int, int, str]:
        return self._rank.get(key) or (-self.plan.steps[key].priority(),
                                       self._plan_position(key), key)

    def is_finished(self, key: str) -> bool:
        return self._finished(key)

    def seconds_to_next_retry(self) -> float | None:
        if not self.retry_at:
            return None
        return max(0.0, min(self.retry_at.values()) - time.monotonic())

    @property
    def is_complete(self) -> bool:
        if self.waiting or self._ready or self.running or self.retry_at or self._candidates:
            return False
        return not self._unresolved

    @property
    def unfinished_steps(self) -> list[str]:
        return sorted(set(self.waiting) | set(self.ready) | self.running | set(self.retry_at))

    def failed_steps(self) -> list[str]:
        return [k for k in self.plan.order if k in self.failed]


def drive(run_context: RunContext, active: ActiveExecution, launcher: StepLauncher
          ) -> Iterator[EventRecord]:
    """Run the plan to completion through ``launcher``, yielding every event in order.

    The events a poll returns are handled at once but handed on only once the steps they
    made ready are launched (in the same order as ever: they still come before the launched
    steps' events), so a step process starts while the consumer commits the outcome before
    it — on a chain, that commit no longer delays every step.

    ``run_context.interrupted()`` is polled every turn; when it says so, running steps are
    terminated and DagsterExecutionInterruptedError is raised (the run becomes CANCELED)."""
    held: list[EventRecord] = []  # handled, not yet handed on
    preparer = launcher if isinstance(launcher, PreparingLauncher) else None
    prepared_at = -1  # active.changes when the next steps were last prepared
    while True:
        held.extend(active.settle(run_context))
        if preparer is not None:
            for key in preparer.prepared():
                if active.is_finished(key):  # abandoned or skipped: it will never run
                    preparer.unprepare(key)
        # Every step has its outcome, but a launcher may still be running steps that send
        # events after it (hooks, resource teardown): wait for them before returning.
        if active.is_complete and not launcher.running():
            yield from held
            return
        if run_context.interrupted():
            yield from held
            run_context.cancel_reported = True
            yield run_context.event(EventType.PIPELINE_CANCELING,
                                    "Sending run termination request.", level=logging.WARNING)
            yield from launcher.terminate()
            raise DagsterExecutionInterruptedError("Execution was interrupted.")
        launched = False
        try:
            for step in active.take_ready(launcher.free_slots()):
                launched = True
                attempt = active.attempts.get(step.key, 0)
                for event in launcher.launch(step, attempt, active.missing_for(step)):
                    if held:
                        yield from held
                        held = []
                    active.handle_event(event)
                    yield event
        except GeneratorExit:
            raise
        except BaseException:
            yield from held  # what was handled is never lost to a failed launch
            raise
        yield from held
        held = []
        if preparer is not None and active.changes != prepared_at:
            prepared_at = active.changes
            _prepare_next(active, preparer)
        if launcher.running():
            wait = active.seconds_to_next_retry()
            for event in launcher.poll(0.05 if wait is None else min(wait, 0.05)):
                active.handle_event(event)
                held.append(event)
        elif not launched and not active.has_ready_or_candidates:
            # Nothing ran since the last settle: only a pending retry can make progress.
            wait = active.seconds_to_next_retry()
            if wait is None:
                raise RuntimeError(
                    f"Scheduler stalled with unfinished steps {active.unfinished_steps}."
                )
            time.sleep(min(wait, 0.1))


def _prepare_next(active: ActiveExecution, launcher: PreparingLauncher) -> None:
    """Prepare the steps that become ready next (``ActiveExecution.next_up``) in the slots
    the launcher has for them."""
    slots = launcher.prepare_slots()
    if slots <= 0:
        return
    for step in active.next_up(slots, exclude=set(launcher.prepared())):
        launcher.prepare(step, active.attempts.get(step.key, 0))
