"""One PostgreSQL database per process: a small connection pool, transactions, and change
detection by LISTEN/NOTIFY.

* **Connections.** ``pool_size`` connections a process (autocommit): the first is opened when
  the database is (so a wrong URL fails at once) and lent to one caller at a time; only when
  a second caller wants one while it is lent (the event writer's thread beside the main one,
  the app's workers) does a ``psycopg_pool.ConnectionPool`` of the other ``pool_size - 1``
  start, lazily. A command that reads from one thread — ``orch runs list`` — so never imports
  psycopg_pool nor starts its threads (~6 ms). :meth:`PostgresDatabase.read` lends a
  connection for statements that each see their own snapshot; :meth:`~PostgresDatabase.write`
  one for a transaction (READ COMMITTED) that ends with ``NOTIFY orch_changes`` and commits,
  or rolls back on any exception. A lent connection that comes back broken is closed and the
  next caller gets a new one; one left inside a transaction is rolled back.
* **Placeholders.** The storages' SQL uses ``?`` (the dialect of ``orch.core.storage.sql``);
  the connection handed out rewrites it to psycopg's ``%s`` (statements hold no ``?`` or ``%``
  of their own; ``%`` would be escaped).
* **Change token.** One more connection per process, opened by the first
  :meth:`~PostgresDatabase.change_token` (a command that only reads never opens it), LISTENs
  on ``orch_changes``.
  :meth:`~PostgresDatabase.change_token` drains what arrived on its socket without a round trip
  (~30 µs) and counts it, plus this process's own commits (their notification comes back a
  moment later). :meth:`~PostgresDatabase.wait_for_change` blocks on that socket, so a tail in
  another process wakes when a commit lands. A notification arrives a moment after its
  commit is visible, so a reader that concludes a run is over reads once more regardless of
  the token (``EventTail.poll(final=True)``). If the listener is off (``listen: false``) or
  its connection is lost, the token is the server's ``pg_current_snapshot()`` (one query; it
  moves with every committed write: a finished transaction leaves the in-progress list or
  advances ``xmax``), readers poll at their own pace, and the listener is reconnected at
  most once a second.
* **Errors.** A connection that fails (server down, network) raises
  :class:`OrchPostgresUnavailableError`, naming the server (password masked); event writers
  keep their batch for it, as they do for a locked SQLite file.
* **Fork.** A forked child never touches the pool or listener it inherited (their sockets are
  the parent's): they are parked, never closed, and the child opens its own on first use.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg
from orch.core.storage.sqlite_base import OrchStorageUnavailableError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

_log = logging.getLogger(__name__)
CHANNEL = "orch_changes"
_INHERITED: list[Any] = []  # pools and listeners inherited over fork: never closed here


class OrchPostgresUnavailableError(OrchStorageUnavailableError):
    """The PostgreSQL server cannot be reached or used right now. (An
    ``OrchStorageUnavailableError``: the CLI prints it as one line, writers retry.)"""


@lru_cache(maxsize=1024)
def to_psycopg(sql: str) -> str:
    """``?`` placeholders as ``%s`` (and a literal ``%`` escaped)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A pooled psycopg connection that takes ``?`` placeholders (see module docstring)."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[Any]:
        return self.raw.execute(to_psycopg(sql), tuple(parameters))

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        cursor.executemany(to_psycopg(sql), list(parameters))
        return cursor


class PostgresDatabase:
    """See the module docstring. ``display`` is the URL with its password masked."""

    integrity_errors: tuple[type[BaseException], ...] = (psycopg.IntegrityError,)

    def __init__(self, url: str, display: str, *, pool_size: int = 4, listen: bool = True,
                 connect_timeout: float = 10.0) -> None:
        self.url = url
        self.display = display
        self.pool_size = pool_size
        self.listen = listen
        self.connect_timeout = connect_timeout
        self.local_commits = 0
        self._notified = 0
        self._pid = os.getpid()
        self._lock = threading.Lock()  # guards the pool/listener slots and _notified
        self._first: psycopg.Connection[Any] | None = None  # lent to one caller at a time
        self._first_lent = threading.Lock()
        self._pool: ConnectionPool[Any] | None = None  # for the callers beside it
        self._listener: psycopg.Connection[Any] | None = None
        self._listener_retry = 0.0
        self._closed = False
        self._first = self._connect()  # the listener connects on first use: most never ask

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True,
                                   connect_timeout=int(self.connect_timeout))
        except psycopg.Error as e:
            raise self.unavailable(e) from e

    def _open_pool(self) -> ConnectionPool[Any]:
        """The pool for callers beside the one holding the first connection (under _lock)."""
        from psycopg_pool import ConnectionPool, PoolTimeout

        if self._pool is None:
            try:
                pool: ConnectionPool[Any] = ConnectionPool(
                    self.url, min_size=1, max_size=max(1, self.pool_size - 1), open=False,
                    kwargs={"autocommit": True,
                            "connect_timeout": int(self.connect_timeout)},
                    timeout=self.connect_timeout, name="orch")
                pool.open(wait=True, timeout=self.connect_timeout)
            except (psycopg.Error, PoolTimeout) as e:
                raise self.unavailable(e) from e
            self._pool = pool
        return self._pool

    def unavailable(self, error: BaseException) -> OrchPostgresUnavailableError:
        text = str(error).strip() or type(error).__name__
        if type(error).__name__ == "PoolTimeout":
            text = f"no connection within {self.connect_timeout:g} s ({text})"
        return OrchPostgresUnavailableError(
            f"cannot use the PostgreSQL database {self.display}: {text} — check that the "
            "server is running and the URL, user and password in orch.yaml are right.")

    def _after_fork_check(self) -> None:
        if self._pid != os.getpid():
            _INHERITED.extend(x for x in (self._first, self._pool, self._listener)
                              if x is not None)
            self._lock = threading.Lock()
            self._first_lent = threading.Lock()
            self._pid = os.getpid()
            self._first = self._pool = self._listener = None
            if not self._closed:
                self._first = self._connect()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        self._after_fork_check()
        if self._closed:
            raise RuntimeError(f"database {self.display} is closed")
        if self._first_lent.acquire(blocking=False):
            try:
                yield from self._lend_first()
            finally:
                self._first_lent.release()
            return
        from psycopg_pool import PoolTimeout

        with self._lock:
            pool = self._open_pool()
        try:
            with pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as e:
            raise self.unavailable(e) from e

    def _lend_first(self) -> Iterator[psycopg.Connection[Any]]:
        """The first connection (held: ``_first_lent``), reconnected if it broke, given back
        as the pool would give it back: outside any transaction."""
        conn = self._first
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                _INHERITED.append(conn)  # closing a broken connection may block
            conn = self._first = self._connect()
        try:
            yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as e:
            raise self.unavailable(e) from e
        finally:
            if not conn.closed and not conn.broken \
                    and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                try:
                    conn.rollback()
                except psycopg.Error:
                    _INHERITED.append(conn)
                    self._first = None

    @contextmanager
    def read(self) -> Iterator[PgConnection]:
        """A connection for statements that only read (each its own snapshot)."""
        with self._connection() as conn:
            yield PgConnection(conn)

    @contextmanager
    def snapshot(self) -> Iterator[PgConnection]:
        """A read-only REPEATABLE READ transaction: every read sees one snapshot."""
        with self._connection() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield PgConnection(conn)
            finally:
                conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[PgConnection]:
        """A transaction: committed (with a NOTIFY) on success, rolled back on an exception."""
        with self._connection() as conn:
            with conn.transaction():
                yield PgConnection(conn)
                conn.execute(f"NOTIFY {CHANNEL}")
        self.local_commits += 1

    # -- change detection --------------------------------------------------------------
    def _connect_listener(self) -> None:
        try:
            listener = psycopg.connect(self.url, autocommit=True,
                                       connect_timeout=int(self.connect_timeout))
            listener.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as e:
            _log.warning("orch: cannot LISTEN on %s (%s); polling instead", self.display, e)
            self._listener_retry = time.monotonic() + 1.0
            return
        self._listener = listener

    def _drain(self) -> int | None:
        """Count the notifications that arrived; None when there is no listener."""
        listener = self._listener
        if listener is None:
            if self.listen and not self._closed and time.monotonic() >= self._listener_retry:
                self._connect_listener()
                listener = self._listener
            if listener is None:
                return None
        pgconn = listener.pgconn
        with self._lock:
            try:
                pgconn.consume_input()
                while pgconn.notifies() is not None:
                    self._notified += 1
            except psycopg.Error as e:
                _log.warning("orch: lost the LISTEN connection to %s (%s); polling",
                             self.display, e)
                _INHERITED.append(listener)  # closing a broken connection may block
                self._listener = None
                self._listener_retry = time.monotonic() + 1.0
                return None
            return self._notified

    def change_token(self) -> tuple[Any, int]:
        """Differs whenever anything was committed since it was last taken (see module)."""
        self._after_fork_check()
        notified = self._drain()
        if notified is None:  # polling: the server's snapshot moves with every commit
            with self.read() as conn:
                snapshot = conn.execute("SELECT pg_current_snapshot()::text").fetchone()[0]
            return ("poll", snapshot), self.local_commits
        return notified, self.local_commits

    def wait_for_change(self, token: object, timeout: float) -> None:
        """Return when a notification arrives (or the token already moved), or after
        ``timeout`` seconds."""
        if self.change_token() != token:
            return
        listener = self._listener
        if listener is None:
            time.sleep(timeout)
            return
        try:
            select.select([listener.pgconn.socket], [], [], timeout)
        except (OSError, ValueError, psycopg.Error):
            time.sleep(timeout)

    @property
    def listening(self) -> bool:
        """Whether change detection is by LISTEN/NOTIFY (connecting the listener if due)."""
        self._drain()
        return self._listener is not None

    def close(self) -> None:
        self._closed = True
        if self._pid != os.getpid():
            return
        first, pool, listener = self._first, self._pool, self._listener
        self._first = self._pool = self._listener = None
        if pool is not None:
            pool.close()
        for conn in (first, listener):
            if conn is not None:
                conn.close()
