"""``EventWriter``: the single writer of one run's events.

``write`` appends to an in-memory batch; the batch is committed in one transaction when

* it reaches ``batch_size`` events (default 1000),
* a background timer ticks every ``flush_interval`` seconds (default 0.05) and commits whatever
  is queued, so no event waits longer than that (the thread sleeps after a quiet second and
  the next write wakes it, committing that write at once),
* a run-level event (``PIPELINE_*``) is written: it is committed with everything before it, at
  once, on the writing thread;
* a step outcome (``STEP_SUCCESS/FAILURE/SKIPPED``) or ``STEP_UP_FOR_RETRY`` is written: it is
  committed with everything before it on the writing thread when the previous outcome came
  ``inline_after`` (20 ms) or longer before — steps of that length or more, for which the
  commit is cheap beside the step, and whose outcome is then stored before the next step's
  code runs (code that holds the interpreter lock for long, in C, would otherwise keep the
  timer thread from committing it: seconds, measured); in a burst of faster steps it waits
  for the timer's next tick, with everything else written meanwhile. A burst then costs one
  transaction per tick, not one per step or per few steps: committing each outcome inline
  took a third of an in-process chain step on a machine whose commits take ~0.5 ms, and
  waking the timer 2 ms after each commit (this writer's policy until 2026-12-04) kept the
  two threads handing the interpreter lock back and forth — the step thread waited for it
  after each of its file-system calls (``fs_io_manager``, compute logs), and a warm chain or
  fan-out step cost 0.4 to 0.5 ms where it costs 0.3 now,
* or ``flush``/``close`` is called (``close`` runs at interpreter exit for writers left open).

So a process killed with SIGKILL loses at most the events of the last 50 ms window that had not
reached one of those points — a few ms more while a step's code keeps the interpreter busy,
since the timer thread then runs within Python's switch interval (5 ms). Step outcomes are in
that window only for steps shorter than ``inline_after``: resuming the run after such a kill
(``--from-failure``) executes again at most that window's worth of fast steps.

Events reach the writer as they are emitted, log lines included: the run worker hands a
step's ``context.log`` lines (and its ``log_event`` events, and the log lines of resources)
to ``write_soon`` while the step's code is still running (``core/execution/live.py``), not
when the step next yields or returns; ``write_soon`` only queues, and the timer commits them
within ``flush_interval`` like any other event. A step in a step process sends them over its
pipe within 20 ms (``executors/multiprocess.py``), and the run worker writes them on
arrival. So a log line is in storage within about 50 ms of ``context.log`` (70 ms from a step
process), whatever the step does next, and the 50 ms bound above holds for it from the moment
it was logged.

Compute-log index rows (``write_compute_log``: where a step's stdout/stderr files are, and
whether the capture has ended) ride in the same batches, committed in the same transaction as
the events written before them (``Storage.store_batch``): a capture's first row lands with its
``LOGS_CAPTURED`` event, and a row that marks a capture complete is committed like a step
outcome (at once, or at the timer's next tick) — unless it is written with
``write_compute_log_lazily``, as an executor whose steps run elsewhere does once the step's
process is gone: then it rides with the next commit (the step's outcome, if that is still to
be written, else the next step's events, or the timer's within ``flush_interval``), instead of
a commit of its own 2 ms after the outcome's, which woke the timer thread once a step. The files themselves are written directly, from
the step's start (with the ranges that say which bytes are whose, for steps sharing a run's
files: ``compute_logs.py``); readers find a step's bytes from those, and the index only adds
sizes and the complete flag, so a SIGKILL loses at most the same window of index rows and
never a byte of output.

Fork safety: the timer thread only ever holds the writer's locks while it flushes, and an
``os.register_at_fork`` hook takes both locks around ``fork()``, so a forked child never inherits
a half-written batch or a connection in use. In the child the writer starts empty (the parent
still owns and commits the batch it had).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from types import TracebackType

from ..events import RUN_EVENT_TYPES, STEP_OUTCOME_TYPES, EventRecord, EventType
from ..metrics import safely
from .base import ComputeLogInfo, Storage
from .serde import dumps_compact

_log = logging.getLogger(__name__)

FLUSH_NOW_TYPES: frozenset[EventType] = (
    RUN_EVENT_TYPES | STEP_OUTCOME_TYPES | {EventType.STEP_UP_FOR_RETRY}
)

_live_writers: weakref.WeakSet[EventWriter] = weakref.WeakSet()


class EventWriter:
    """Buffers one run's events and commits them in small batches (see module docstring).

    ``flush_interval=None`` turns the timer off (no thread): events are then committed only by
    count, by the ``flush_on`` event types, and by ``flush``/``close``. ``flush_on`` defaults to
    :data:`FLUSH_NOW_TYPES` (run events, step outcomes, retries).
    """

    def __init__(
        self,
        storage: Storage,
        run_id: str,
        *,
        batch_size: int = 1000,
        flush_interval: float | None = 0.05,
        flush_on: frozenset[EventType] = FLUSH_NOW_TYPES,
        inline_after: float = 0.02,
        observer: Callable[[EventRecord], None] | None = None,
    ) -> None:
        self.storage = storage
        # Told each run event and step outcome as it is written (the instance's metrics
        # reporter, core/metrics.py); its errors are logged, never raised.
        self.observer = observer
        self.run_id = run_id
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.flush_on = flush_on
        # Without a timer thread nothing could commit a deferred outcome: commit at once.
        self.inline_after = inline_after if flush_interval is not None else 0.0
        self._init_state()
        _live_writers.add(self)

    def _init_state(self) -> None:
        self._buf: list[EventRecord] = []
        # Compute-log index rows to commit with the batch; a newer row of a step replaces one
        # still queued (the complete row supersedes the first).
        self._logs: dict[tuple[str, str], ComputeLogInfo] = {}
        self._lock = threading.Lock()  # guards _buf, _logs, _closed, _timer_idle
        self._cond = threading.Condition(self._lock)  # the timer thread sleeps on it
        self._flush_lock = threading.Lock()  # one flush at a time, so batches commit in order
        self._closed = False
        self._last_outcome = 0.0  # when the last outcome (or completed capture) was written
        self._urgent = False  # a full batch waits: the timer commits it without waiting
        self._thread: threading.Thread | None = None
        # True while no timer ticks (no thread yet, or it sleeps after a quiet spell): the next
        # write wakes it. Otherwise write() never signals the thread, which keeps the hot path
        # free of thread hand-offs.
        self._timer_idle = self.flush_interval is not None

    # -- writing -----------------------------------------------------------------------
    def write(self, event: EventRecord) -> None:
        """Queue one event of this run; commits at once if it is a run event or step outcome."""
        with self._lock:
            full = self._queue(event)
        if self.observer is not None and event.event_type in FLUSH_NOW_TYPES:
            safely(self.observer, event)
        if full or event.event_type in RUN_EVENT_TYPES:
            self.flush()
        elif event.event_type in self.flush_on:
            self._commit_soon()

    def _queue(self, event: EventRecord) -> bool:
        """Append ``event`` to the batch (under ``_lock``), waking an idle timer; True when
        the batch is full."""
        if event.run_id != self.run_id:
            raise ValueError(
                f"event of run {event.run_id} given to the writer of run {self.run_id}"
            )
        if self._closed:
            raise RuntimeError(f"the event writer of run {self.run_id} is closed")
        self._buf.append(event)
        if self._timer_idle:
            self._wake_timer()
        return len(self._buf) >= self.batch_size

    def write_soon(self, event: EventRecord) -> None:
        """Queue one event for the timer's next commit (within ``flush_interval``), never
        committing on the calling thread: for what a step emits while its code runs (its log
        lines, ``live.py``), which must not wait on storage nor be interrupted inside it (a
        step timeout's alarm fires in that thread). A full batch wakes the timer to commit
        it at once. Run events and step outcomes, and a writer without a timer, take
        :meth:`write`."""
        if self.flush_interval is None or event.event_type in FLUSH_NOW_TYPES:
            self.write(event)
            return
        with self._lock:
            if self._queue(event) and not self._urgent:
                self._urgent = True
                self._cond.notify()

    def write_compute_log(self, info: ComputeLogInfo) -> None:
        """Queue a compute-log index row (``ComputeLogManager`` calls this as its ``index``):
        committed with the events around it; a row that marks the capture complete is
        committed like a step outcome (see the module docstring). Once the writer is closed
        (an executor cleaning up after the run's last event) the row is stored at once."""
        if self._queue_compute_log(info) and info.complete:
            self._commit_soon()

    def write_compute_log_lazily(self, info: ComputeLogInfo) -> None:
        """Queue a compute-log index row for the next commit, whatever triggers it (see the
        module docstring): a row marking a capture complete does not commit on its own."""
        self._queue_compute_log(info)

    def _queue_compute_log(self, info: ComputeLogInfo) -> bool:
        """Queue ``info`` for the next commit (True), or store it now if closed (False)."""
        with self._lock:
            closed = self._closed
            if not closed:
                self._logs[(info.run_id, info.step_key)] = info
                if self._timer_idle:
                    self._wake_timer()
        if closed:
            self.storage.upsert_compute_log(info)
        return not closed

    def _commit_soon(self) -> None:
        """Commit here when the previous outcome came ``inline_after`` ago or more (always,
        for a writer without a timer); in a burst of faster ones, the timer's next tick
        commits it (see the module docstring)."""
        now = time.monotonic()
        in_burst = now - self._last_outcome < self.inline_after
        self._last_outcome = now
        if not in_burst:
            self.flush()

    def flush(self) -> None:
        """Commit everything written so far.

        If storage is unavailable (its ``transient_errors``: locked, full, read-only) the
        events stay queued and it raises. Any other failure is the batch's own content: the
        events whose data cannot be stored are replaced by a note saying why (see
        :func:`unpoison`) and the rest is committed; a batch is never queued again for it.
        """
        with self._flush_lock:
            with self._lock:
                batch, logs = self._buf, self._logs
                if not batch and not logs:
                    return
                self._buf, self._logs = [], {}
                self._urgent = False  # a full batch waiting is in this commit
            try:
                self._store(batch, logs)
            except self.storage.transient_errors:
                self._requeue(batch, logs)
                raise
            except (Exception, RecursionError):
                self._store_unpoisoned(batch, logs)

    def _store(self, batch: list[EventRecord], logs: dict[tuple[str, str], ComputeLogInfo]
               ) -> None:
        if logs:
            self.storage.store_batch(batch, list(logs.values()))
        else:
            self.storage.store_events(batch)

    def _requeue(self, batch: list[EventRecord], logs: dict[tuple[str, str], ComputeLogInfo]
                 ) -> None:
        """Put an uncommitted batch back in front of what was written meanwhile."""
        with self._lock:
            self._buf[:0] = batch
            self._logs = {**logs, **self._logs}

    def _store_unpoisoned(self, batch: list[EventRecord],
                          logs: dict[tuple[str, str], ComputeLogInfo]) -> None:
        cleaned = [unpoison(e) for e in batch]
        try:
            self._store(cleaned, logs)
        except self.storage.transient_errors:
            self._requeue(cleaned, logs)
            raise
        except Exception:
            _log.exception("orch: dropped %d events of run %s that could not be stored",
                           len(cleaned), self.run_id)

    def close(self) -> None:
        """Flush and stop the timer thread. Idempotent."""
        try:
            self.flush()
        finally:
            with self._lock:
                self._closed = True
                self._cond.notify()
            thread = self._thread
            if thread is not None and thread is not threading.current_thread():
                thread.join()
            _live_writers.discard(self)

    @property
    def pending(self) -> int:
        """Events written but not yet committed."""
        return len(self._buf)

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- timer -------------------------------------------------------------------------
    _IDLE_TICKS = 20  # quiet ticks (1 s at 50 ms) before the timer sleeps until the next write

    def _wake_timer(self) -> None:
        """Start or wake the timer thread; call with ``self._lock`` held."""
        self._timer_idle = False
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._timer_loop, name=f"orch-event-writer-{self.run_id[:8]}", daemon=True
            )
            self._thread.start()
        else:
            self._cond.notify()

    def _timer_loop(self) -> None:
        """Every ``flush_interval``: commit whatever is queued (so nothing waits longer)."""
        interval = self.flush_interval or 0.05
        quiet = 0
        while True:
            with self._cond:
                if self._closed:
                    return
                if self._urgent:
                    pass
                elif quiet >= self._IDLE_TICKS:
                    self._timer_idle = True
                    quiet = 0
                    self._cond.wait()
                else:
                    self._cond.wait(interval)
                if self._closed:
                    return
                queued = bool(self._buf or self._logs)
                self._urgent = False
            if not queued:
                quiet += 1
                continue
            quiet = 0
            try:
                self.flush()
            except self.storage.transient_errors as e:
                # The events stay queued; the next write, flush or tick retries.
                _log.error("orch: could not commit events of run %s (%s); will retry",
                           self.run_id, e)
            except Exception:
                _log.exception("orch: could not commit events of run %s; will retry", self.run_id)

    # -- fork --------------------------------------------------------------------------
    def _before_fork(self) -> None:
        self._flush_lock.acquire()
        self._lock.acquire()

    def _after_fork_in_parent(self) -> None:
        self._lock.release()
        self._flush_lock.release()

    def _after_fork_in_child(self) -> None:
        closed = self._closed
        self._init_state()
        self._closed = closed


def unpoison(event: EventRecord) -> EventRecord:
    """``event`` itself if storage can encode it, else a copy whose data says why not
    (its type, step and message stay, so the run's record stays whole)."""
    reason = _unstorable_reason(event)
    if reason is None:
        return event
    return EventRecord(
        event.run_id, event.pipeline_name, event.event_type,
        f"{event.message} [orch could not store this event's data: {reason}]",
        event.step_key, event.level if isinstance(event.level, int) else 40, event.timestamp,
        event.pid, {"unstorable": reason, "keys": sorted(map(str, event.data))},
    )


def _unstorable_reason(event: EventRecord) -> str | None:
    if not isinstance(event.message, str) or not isinstance(event.level, int):
        return "its message or level is not plain text"
    try:
        dumps_compact(event.data)
    except RecursionError:
        return "its data is cyclic or nested too deeply (RecursionError)"
    except Exception as exc:
        return f"its data cannot be encoded ({type(exc).__name__}: {exc})"
    return None


_forking: list[EventWriter] = []


def _before_fork() -> None:
    _forking[:] = list(_live_writers)
    for w in _forking:
        w._before_fork()


def _after_fork_in_parent() -> None:
    for w in reversed(_forking):
        w._after_fork_in_parent()
    _forking.clear()


def _after_fork_in_child() -> None:
    for w in _forking:
        w._after_fork_in_child()
    _forking.clear()


def forget_writers() -> None:
    """In a process that never writes events (a run worker's step zygote, forked once and
    forking a process per step): stop tracking the writers it inherited. They were emptied
    when it was forked; forgetting them spares every later fork their locks, and the pages
    that taking them would copy."""
    _live_writers.clear()


def _close_all_at_exit() -> None:
    for w in list(_live_writers):
        try:
            w.close()
        except Exception:
            _log.exception("orch: could not flush events of run %s at exit", w.run_id)


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
atexit.register(_close_all_at_exit)
