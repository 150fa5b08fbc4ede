"""One SQLite database handle per process: connection set-up, locking and transactions.

Every storage of an instance shares one :class:`SqliteDatabase`, so a run-level event and the
run row it changes are committed in one transaction. The file is opened in WAL mode with
``synchronous=NORMAL``: a commit survives the death of the process that made it (SIGKILL, OOM);
only an OS crash or power loss can drop the last commits.

The handle is fork-aware: a forked child never touches the connection it inherited (SQLite
forbids carrying a connection across ``fork``) and opens its own on first use.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .paths import FILE_MODE

MEMORY = ":memory:"

# Connections inherited over fork are parked here rather than closed: closing one in the child
# could release locks that belong to the parent's connection.
_INHERITED: list[sqlite3.Connection] = []


class SqliteDatabase:
    """A lazily reconnecting SQLite connection guarded by a lock.

    ``path`` is a file path or ``":memory:"`` (the ephemeral instance). All access goes through
    :meth:`read` and :meth:`write`; :meth:`write` is a ``BEGIN IMMEDIATE`` transaction, so the
    write lock is taken up front and a concurrent writer waits (busy timeout) instead of failing
    half way.
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = str(path)
        self.is_memory = self.path == MEMORY
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = self._connect()
        # Commits made through this handle. PRAGMA data_version only moves for commits made by
        # *other* connections, so change detection combines both (see change_token).
        self.local_commits = 0

    def _connect(self) -> sqlite3.Connection:
        if not self.is_memory and not os.path.exists(self.path):
            # Private from the first byte; SQLite gives the -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,  # autocommit; transactions are explicit BEGIN/COMMIT
            check_same_thread=False,  # the lock below serialises use across threads
            timeout=self.busy_timeout_s,
        )
        if not self.is_memory:
            self._enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch a new database to WAL. The switch needs the database to itself and SQLite's
        busy handler does not always wait for it (several processes creating the instance at
        once got "database is locked" at once), so it is retried until the busy timeout."""
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.005
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if ("locked" not in str(e) and "busy" not in str(e)) or \
                        time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def _connection(self) -> sqlite3.Connection:
        """The connection for the current process; call only while holding ``self._lock``."""
        if self._conn is None:
            raise RuntimeError(f"database {self.path} is closed")
        return self._conn

    def _after_fork_check(self) -> None:
        # Before taking the lock: a lock copied over fork may be held by a thread that no
        # longer exists in this process.
        if self._pid != os.getpid() and not self.is_memory and self._conn is not None:
            _INHERITED.append(self._conn)
            self._lock = threading.RLock()
            self._pid = os.getpid()
            self._conn = self._connect()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for statements that only read (each is its own snapshot)."""
        self._after_fork_check()
        with self._lock:
            yield self._connection()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        self._after_fork_check()
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self.local_commits += 1

    def change_token(self) -> tuple[int, int]:
        """A value that differs whenever anything was committed since it was last taken."""
        self._after_fork_check()
        with self._lock:
            version = self._connection().execute("PRAGMA data_version").fetchone()[0]
            return version, self.local_commits

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
