"""Run coordinators: *when* a submitted run starts. Run launchers (``core/launcher.py``) say
*how*. Every way of starting a run — ``orch run``, ``orch launch``, watch mode, the code
server, the app — stores the run NOT_STARTED and hands it to
:meth:`orch.core.instance.Instance.submit_run`, which asks the instance's coordinator.

``default`` (:class:`DefaultRunCoordinator`) launches at once.

``queued`` (:class:`QueuedRunCoordinator`) writes PIPELINE_ENQUEUED (status QUEUED) and
leaves the run to a dequeuer — :func:`run_dequeuer`, inside any long-lived orch process
(``orch dev``, ``orch queue run``). One pass of the dequeuer (:meth:`QueuedRunCoordinator.
dequeue`) follows this policy:

1. Free slots are ``max_concurrent_runs`` minus the runs in progress (STARTING, STARTED,
   CANCELING). None free: nothing happens.
2. The queue is every QUEUED run, oldest first, then stably sorted by priority
   (``orch/priority``, else ``dagster/priority``; a missing or non-integer tag is 0), highest
   first: FIFO within a priority.
3. Tag limits are counted from the runs in progress: a ``{key, limit}`` limit counts runs with
   the key (any value); ``{key, value: "v", limit}`` runs with exactly that value;
   ``{key, value: {applyLimitPerUniqueValue: true}, limit}`` each value on its own.
4. Runs are taken in queue order until the slots are used up. A run that any limit blocks is
   skipped — it uses no slot and blocks nobody behind it. A taken run is *claimed* in one
   transaction (PIPELINE_DEQUEUED moves it QUEUED → STARTING, only if still QUEUED, naming
   the dequeuer as responsible), so two dequeuers — or one restarted after a crash — never
   launch a run twice, and a dequeuer that dies between claim and launch leaves a run that
   recovery fails rather than one stuck STARTING. Then the launcher starts it. A launch that
   raises fails that run, with the error.

A submitter that executes its own run (``orch run``, watch mode: a process that already holds
the code) does not wait for a dequeuer: :func:`wait_for_turn` runs passes that may take only
*its* run — same order, same limits, so the runs ahead of it keep their slots — and launches
it with the submitter's launcher; if another dequeuer takes it first, that one launches it.

Cancelling a QUEUED run needs no launcher: CANCELING then CANCELED, in one transaction, only if
it is still QUEUED; a run that already started is terminated by its launcher.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import DagsterError
from .events import EventRecord, EventType
from .runs import (
    IN_PROGRESS_STATUSES,
    LEGACY_PRIORITY_TAG,
    PRIORITY_TAG,
    PipelineRun,
    PipelineRunStatus,
)
from .storage.base import RunLimit

if TYPE_CHECKING:
    from .instance import Instance
    from .launcher import RunLauncher

DEFAULT_MAX_CONCURRENT_RUNS = 10
DEFAULT_DEQUEUE_INTERVAL = 1.0


class RunCoordinatorError(DagsterError):
    """A run that cannot be submitted (not NOT_STARTED, bad coordinator config)."""


class RunCoordinator(ABC):
    """Decides when a stored NOT_STARTED run is handed to the instance's run launcher."""

    #: Whether runs wait for a dequeuer (a long-lived process must run :func:`run_dequeuer`).
    queues_runs = False

    @classmethod
    def from_config(cls, config: dict[str, Any], root: Path) -> RunCoordinator:
        return cls(**config)

    @abstractmethod
    def submit_run(self, instance: Instance, run: PipelineRun,
                   launcher: RunLauncher | None = None) -> PipelineRun:
        """Start ``run`` now (with ``launcher``, the submitter's own, if it offers one; else
        the instance's) or queue it. Returns the run as stored afterwards."""

    def cancel_run(self, instance: Instance, run_id: str) -> bool:
        """Stop a run: its launcher terminates a started one. False if it had finished."""
        run = instance.get_run(run_id)
        if run is None or run.status.is_finished:
            return False
        return instance.run_launcher.terminate(instance, run_id)


def _check_submittable(run: PipelineRun) -> None:
    if run.status is not PipelineRunStatus.NOT_STARTED:
        raise RunCoordinatorError(
            f"Run {run.run_id} is {run.status.value}: only a NOT_STARTED run can be submitted.")


class DefaultRunCoordinator(RunCoordinator):
    """Launches every submitted run at once."""

    def submit_run(self, instance: Instance, run: PipelineRun,
                   launcher: RunLauncher | None = None) -> PipelineRun:
        _check_submittable(run)
        (launcher or instance.run_launcher).launch_run(instance, run)
        return instance.get_run(run.run_id) or run


class TagLimit(NamedTuple):
    """At most ``limit`` runs in progress with tag ``key`` (== ``value`` when it is a string;
    per distinct value when ``per_value``)."""

    key: str
    limit: int
    value: str | None = None
    per_value: bool = False

    @classmethod
    def from_config(cls, entry: Any) -> TagLimit:
        if not isinstance(entry, dict) or "key" not in entry or "limit" not in entry:
            raise RunCoordinatorError(
                f"tag_concurrency_limits: each entry needs `key` and `limit`, got {entry!r}")
        unknown = set(entry) - {"key", "value", "limit"}
        if unknown:
            raise RunCoordinatorError(
                f"tag_concurrency_limits: unexpected {sorted(unknown)} in {entry!r}")
        limit = entry["limit"]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise RunCoordinatorError(
                f"tag_concurrency_limits: `limit` must be a whole number ≥ 0, got {limit!r}")
        value = entry.get("value")
        if isinstance(value, dict):
            if set(value) != {"applyLimitPerUniqueValue"}:
                raise RunCoordinatorError(
                    "tag_concurrency_limits: `value` is a string or "
                    f"{{applyLimitPerUniqueValue: true}}, got {value!r}")
            return cls(str(entry["key"]), limit, per_value=bool(value["applyLimitPerUniqueValue"]))
        return cls(str(entry["key"]), limit, None if value is None else str(value))

    def bucket(self, tags: dict[str, str]) -> tuple[str, str | None] | None:
        """The counter a run with ``tags`` falls in, or None if the limit does not apply."""
        if self.key not in tags:
            return None
        if self.value is not None and tags[self.key] != self.value:
            return None
        return (self.key, tags[self.key] if self.per_value else self.value)


def run_priority(run: PipelineRun) -> int:
    raw = run.tags.get(PRIORITY_TAG, run.tags.get(LEGACY_PRIORITY_TAG, 0))
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


class QueueState:
    """What one dequeue pass saw: the queue in launch order, and why each run waits."""

    def __init__(self, queue: list[PipelineRun] | None = None):
        self.queue: list[PipelineRun] = list(queue or [])
        self.waiting: dict[str, str] = {}
        self.launched: list[str] = []


class QueuedRunCoordinator(RunCoordinator):
    """Queues submitted runs; :meth:`dequeue` launches them within the limits (see the module
    docstring for the policy)."""

    queues_runs = True

    def __init__(self, max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS,
                 tag_concurrency_limits: Sequence[Any] | None = None,
                 dequeue_interval_seconds: float = DEFAULT_DEQUEUE_INTERVAL):
        if not isinstance(max_concurrent_runs, int) or max_concurrent_runs < 0:
            raise RunCoordinatorError(
                f"max_concurrent_runs must be a whole number ≥ 0, got {max_concurrent_runs!r}")
        self.max_concurrent_runs = max_concurrent_runs
        self.tag_limits = [TagLimit.from_config(e) for e in tag_concurrency_limits or []]
        self.dequeue_interval_seconds = float(dequeue_interval_seconds)

    def submit_run(self, instance: Instance, run: PipelineRun,
                   launcher: RunLauncher | None = None) -> PipelineRun:
        _check_submittable(run)
        instance.handle_new_event(EventRecord(
            run.run_id, run.pipeline_name, EventType.PIPELINE_ENQUEUED,
            "Placed the run in the queue."))
        instance.report_queue_depth()
        return instance.get_run(run.run_id) or run

    def cancel_run(self, instance: Instance, run_id: str) -> bool:
        run = instance.get_run(run_id)
        if run is None:
            return False
        if run.status is PipelineRunStatus.QUEUED:
            events = [EventRecord(run_id, run.pipeline_name, kind, message)
                      for kind, message in (
                          (EventType.PIPELINE_CANCELING, "Canceling the queued run."),
                          (EventType.PIPELINE_CANCELED, "Canceled the run before it started."))]
            if instance.storage.store_events_if_status(run_id, [PipelineRunStatus.QUEUED],
                                                       events):
                return True
        return super().cancel_run(instance, run_id)

    # -- the dequeuer ------------------------------------------------------------------
    def queue_state(self, instance: Instance) -> QueueState:
        """The queue in launch order and, for each run, why it waits (without launching)."""
        return self._pass(instance, launch=False)

    def dequeue(self, instance: Instance) -> QueueState:
        """One pass: launch what the limits allow. Returns what it saw and launched."""
        state = self._pass(instance, launch=True)
        instance.report_queue_depth(len(state.queue) - len(state.launched))
        return state

    def dequeue_own(self, instance: Instance, run_id: str, launcher: RunLauncher
                    ) -> QueueState:
        """One pass that launches only ``run_id`` (with ``launcher``) if it is due: the runs
        ahead of it that are due keep their slots for a dequeuer to launch."""
        return self._pass(instance, launch=True, only=run_id, launcher=launcher)

    def _pass(self, instance: Instance, launch: bool, only: str | None = None,
              launcher: RunLauncher | None = None) -> QueueState:
        queued = instance.get_runs(statuses=[PipelineRunStatus.QUEUED])
        queued.sort(key=lambda r: (r.create_timestamp or 0.0))
        queued.sort(key=run_priority, reverse=True)  # stable: FIFO within a priority
        state = QueueState(queue=queued)
        active = instance.get_runs(statuses=list(IN_PROGRESS_STATUSES))
        counts: Counter[tuple[str, str | None]] = Counter()
        for run in active:
            for bucket in self._buckets(run):
                counts[bucket] += 1
        free = self.max_concurrent_runs - len(active)
        for run in queued:
            if free <= 0:
                state.waiting[run.run_id] = (
                    f"waiting for a slot: max_concurrent_runs is {self.max_concurrent_runs}, "
                    f"{len(active)} in progress"
                    + (f", {self.max_concurrent_runs - len(active)} taken by runs ahead"
                       if self.max_concurrent_runs > len(active) else ""))
                continue
            blocked = self._blocked_by(run, counts)
            if blocked is not None:
                state.waiting[run.run_id] = blocked
                continue
            launching = launch and only in (None, run.run_id)
            if launching and not self._claim_and_launch(instance, run, launcher):
                continue
            free -= 1
            for bucket in self._buckets(run):
                counts[bucket] += 1
            if launching:
                state.launched.append(run.run_id)
            else:
                state.waiting[run.run_id] = "next: a slot is free (no dequeuer has taken it yet)"
            if run.run_id == only:
                break
        return state

    def _buckets(self, run: PipelineRun) -> list[tuple[str, str | None]]:
        return [b for b in (limit.bucket(run.tags) for limit in self.tag_limits) if b]

    def _blocked_by(self, run: PipelineRun, counts: Counter[tuple[str, str | None]]
                    ) -> str | None:
        for limit in self.tag_limits:
            bucket = limit.bucket(run.tags)
            if bucket is not None and counts[bucket] >= limit.limit:
                what = f"{limit.key}={bucket[1]}" if bucket[1] is not None else \
                    f"tag {limit.key}"
                return (f"tag limit: {counts[bucket]} run(s) with {what} in progress, "
                        f"limit {limit.limit}")
        return None

    def _claim_and_launch(self, instance: Instance, run: PipelineRun,
                          launcher: RunLauncher | None = None) -> bool:
        # The limits are checked again inside the claim's transaction: another dequeuer may
        # have launched runs since this pass counted them.
        limits = [RunLimit(self.max_concurrent_runs)] + [
            RunLimit(limit.limit, *bucket) for limit in self.tag_limits
            if (bucket := limit.bucket(run.tags)) is not None]
        claimed = instance.storage.store_events_if_status(
            run.run_id, [PipelineRunStatus.QUEUED],
            [EventRecord(run.run_id, run.pipeline_name, EventType.PIPELINE_DEQUEUED,
                         f"Process {os.getpid()} took the run from the queue.",
                         data={"worker_pid": os.getpid()})], limits)
        if not claimed:  # another dequeuer took it or a slot, or it was canceled meanwhile
            return False
        try:
            (launcher or instance.run_launcher).launch_run(instance, run)
        except Exception as exc:  # the launch failed: that run fails, the queue goes on
            instance.handle_new_event(EventRecord(
                run.run_id, run.pipeline_name, EventType.PIPELINE_FAILURE,
                f"Caught an error for run {run.run_id} while removing it from the queue; "
                f"marking the run failed: {type(exc).__name__}: {exc}", level=logging.ERROR,
                data={"error": {"cls_name": type(exc).__name__,
                                "message": f"{type(exc).__name__}: {exc}"}}))
        return True


def run_dequeuer(instance: Instance, stop: threading.Event, *,
                 interval: float | None = None, on_pass: Any = None) -> None:
    """Dequeue until ``stop`` is set. A pass runs when anything was committed to the
    instance (a submit, a run ending — read from the storage's change token, which costs no
    query) and at least every ``interval`` seconds; ``on_pass(state)`` sees each pass."""
    coordinator = instance.run_coordinator
    if not isinstance(coordinator, QueuedRunCoordinator):
        return
    every = coordinator.dequeue_interval_seconds if interval is None else interval
    seen: object = None
    last = 0.0
    while not stop.is_set():
        token = instance.storage.change_token()
        now = time.monotonic()
        if token != seen or now - last >= every:
            seen, last = token, now
            state = coordinator.dequeue(instance)
            if on_pass is not None:
                on_pass(state)
            if state.launched:
                seen = None  # launching committed events: look again at once
                continue
        stop.wait(0.01)


def wait_for_turn(instance: Instance, run_id: str, launcher: RunLauncher, *,
                  on_wait: Callable[[str], None] | None = None,
                  interval: float | None = None) -> bool:
    """For a submitter that executes its own QUEUED run: wait until the queue lets it start
    (the order and limits of :meth:`QueuedRunCoordinator.dequeue_own`), then launch it with
    ``launcher``; True. False once the run left the queue otherwise (another dequeuer
    launched it, or it was canceled). ``on_wait(reason)`` hears each new reason it waits.
    Wakes on any commit to the instance (a run ending frees a slot), and polls every
    ``interval`` seconds. A KeyboardInterrupt leaves the run QUEUED: the caller cancels it."""
    coordinator = instance.run_coordinator
    if not isinstance(coordinator, QueuedRunCoordinator):
        raise RunCoordinatorError("wait_for_turn: the instance's coordinator does not queue runs")
    every = coordinator.dequeue_interval_seconds if interval is None else interval
    seen: object = None
    last, reason = 0.0, None
    while True:
        token = instance.storage.change_token()
        now = time.monotonic()
        if token != seen or now - last >= every:
            seen, last = token, now
            state = coordinator.dequeue_own(instance, run_id, launcher)
            if run_id in state.launched:
                return True
            if run_id not in {r.run_id for r in state.queue}:
                return False
            if on_wait is not None and state.waiting.get(run_id) != reason:
                reason = state.waiting.get(run_id)
                on_wait(reason or "waiting")
        time.sleep(0.01)


def queue_reasons(instance: Instance) -> dict[str, str]:
    """Why each queued run waits (empty when the coordinator does not queue)."""
    coordinator = instance.run_coordinator
    if not isinstance(coordinator, QueuedRunCoordinator):
        return {}
    return coordinator.queue_state(instance).waiting
