"""Events a step emits while its code runs, delivered before the step's stream reaches them.

``context.log`` lines, ``context.log_event`` events and the log lines of resources and IO
managers go into a buffer that the step's event stream drains where they were written (after
the events the step yielded before them, before those it yields after). The stream reaches
that point at the step's next yield or at its end, so a step that logs and then computes for
a minute used to keep its lines back for that minute, from storage and from every live view.

The one consumer of a run's events — the run worker, which owns the run's event writer, or a
step process, which owns its pipe to the run worker — sets ``RunContext.live`` to a
:class:`LiveEvents` whose ``deliver`` queues an event without waiting on storage (the
writer's timed commit, ``EventWriter.write_soon``; the pipe's timed write). Each such event
is handed to it the moment it is emitted, and the consumer skips it when the stream yields it
later (:meth:`LiveEvents.taken`), so it is stored once, by the same single writer.

The order stays the stream's: a generator hands each event it yields to its consumer before
it runs again, so every event the step yielded before the log line was queued before it, and
every event after it is queued after it. The delivery is by identity (the event object
itself is kept until the stream yields it), and only in the process that set it up: a process
forked from it (a step process that did not set its own, a fork in user code) keeps the
buffer-only behaviour.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..events import EventRecord


class LiveEvents:
    """See the module docstring. ``deliver(event)`` must not block on storage: it runs on the
    step's thread, inside user code (and under a step timeout's alarm)."""

    __slots__ = ("_closed", "_deliver", "_early", "_pid")

    def __init__(self, deliver: Callable[[EventRecord], None]) -> None:
        self._deliver = deliver
        self._pid = os.getpid()
        # id -> the event itself: holding it means no other object can take its id before
        # the stream yields it (a step closed early never yields what it buffered).
        self._early: dict[int, EventRecord] = {}
        self._closed = False

    def __call__(self, event: EventRecord) -> None:
        """An event was emitted (and buffered for the stream): deliver it now."""
        if self._closed or os.getpid() != self._pid:
            return
        key = id(event)
        self._early[key] = event
        try:
            self._deliver(event)
        except BaseException:
            self._early.pop(key, None)  # the stream's copy is then delivered as ever
            raise

    def close(self) -> None:
        """The run is over: later events (a thread its code left logging) are not delivered."""
        self._closed = True

    def taken(self, event: EventRecord) -> bool:
        """Whether the stream's ``event`` was delivered already (then it is forgotten here)."""
        early = self._early
        return bool(early) and early.pop(id(event), None) is event
