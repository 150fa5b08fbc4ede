"""Tailing a run's events by storage-id cursor, from any process.

:meth:`EventTail.poll` first compares the storage's change token (for SQLite, ``PRAGMA
data_version`` plus the handle's own commit count: no table is read), so polling an idle run
every few milliseconds costs next to nothing. When something was committed it reads the events
after its cursor and moves the cursor past them: each event is returned exactly once, in order.
:func:`follow` waits between polls with ``Storage.wait_for_change``, which a storage told of
commits (PostgreSQL's LISTEN/NOTIFY) ends as soon as one lands.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from ..events import EventRecord, EventType
from .base import Storage

DEFAULT_POLL_INTERVAL = 0.02


class EventTail:
    """New events of one run after ``cursor`` (a storage id; -1 for the start)."""

    def __init__(
        self,
        storage: Storage,
        run_id: str,
        cursor: int = -1,
        of_type: EventType | Iterable[EventType] | None = None,
        step_key: str | None = None,
    ) -> None:
        self.storage = storage
        self.run_id = run_id
        self.cursor = cursor
        self.of_type = (
            of_type if of_type is None or isinstance(of_type, EventType) else set(of_type)
        )
        self.step_key = step_key
        self.seen_token: object = None  # the change token when it last read everything

    def poll(self, limit: int | None = None, *, final: bool = False) -> list[EventRecord]:
        """Events committed since the last call (at most ``limit``), oldest first.

        ``final``: read even if the change token has not moved — for the last read once the
        run is known to be over (its status read as finished, its worker exited). A storage
        told of commits asynchronously (PostgreSQL's NOTIFY) may learn of the last commit a
        moment after a reader saw its effect; that read must not depend on the token."""
        token = self.storage.change_token()
        if token == self.seen_token and not final:
            return []
        events = self.storage.get_logs_for_run(
            self.run_id, self.cursor, of_type=self.of_type, step_key=self.step_key, limit=limit
        )
        if events:
            self.cursor = events[-1].storage_id  # type: ignore[assignment]
        if limit is None or len(events) < limit:
            self.seen_token = token  # drained everything committed before `token`
        return events


def follow(
    storage: Storage,
    tail: EventTail,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    until_finished: bool = True,
    timeout: float | None = None,
) -> Iterator[EventRecord]:
    """Yield the tail's events as they are committed.

    With ``until_finished`` it returns once the run is finished (or unknown) and every event
    committed up to then has been yielded; ``timeout`` (seconds) bounds the wait either way.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        finished = False
        if until_finished:
            run = storage.get_run(tail.run_id)
            finished = run is None or run.status.is_finished
        # Read after the status: a finished status means its final events are committed.
        events = tail.poll(final=finished)
        yield from events
        if finished:
            return
        if deadline is not None and time.monotonic() >= deadline:
            return
        if not events:
            storage.wait_for_change(tail.seen_token, poll_interval)
