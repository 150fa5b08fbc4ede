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
from typing import NoReturn

from ..errors import DagsterError
from .paths import FILE_MODE

MEMORY = ":memory:"
# A 0-byte database file older than this was not just created by a concurrent opener: it is a
# truncated instance (a full disk, a careless `>`), not a new one.
EMPTY_FILE_GRACE_S = 10.0


class OrchStorageUnavailableError(DagsterError, sqlite3.OperationalError):
    """The database cannot be used right now: the disk is full, the file or its filesystem is
    read-only, or an I/O error. Still a ``sqlite3.OperationalError`` (writers keep their
    events queued for it); its message says which file and what to do."""


class OrchEmptyDatabaseError(DagsterError):
    """``orch.db`` exists but is empty: refuse to treat it as a new instance."""


_HINTS = (
    ("disk is full", "the disk is full: free some space and run the command again"),
    ("readonly", "the database or its filesystem is read-only: make it writable"),
    ("read-only", "the database or its filesystem is read-only: make it writable"),
    ("disk i/o error", "the disk reported an I/O error"),
    ("unable to open", "the file cannot be opened (a missing or unwritable directory?)"),
)


def unavailable(path: str, error: sqlite3.OperationalError) -> sqlite3.OperationalError:
    """``error`` as an :class:`OrchStorageUnavailableError` saying what to do, when it is one
    of those (disk full, read-only, I/O); other errors (a bad statement) unchanged."""
    text = str(error)
    if _read_only(path):
        text = f"{text} (the file or its filesystem is read-only)"
    elif _disk_full(path):
        text = f"{text} (the disk is full)"
    for needle, hint in _HINTS:
        if needle in text.lower():
            wrapped = OrchStorageUnavailableError(f"cannot write to {path}: {text} — {hint}.")
            wrapped.__cause__ = error
            return wrapped
    return error

# Connections inherited over fork are parked here rather than closed: closing one in the child
# could release locks that belong to the parent's connection.
_INHERITED: list[sqlite3.Connection] = []


def _read_only(path: str) -> bool:
    target = path if os.path.exists(path) else os.path.dirname(path) or "."
    try:
        if os.statvfs(target).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(target, os.W_OK)


def _disk_full(path: str) -> bool:
    try:
        st = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def _raise_unavailable(path: str, error: sqlite3.OperationalError) -> NoReturn:
    wrapped = unavailable(path, error)
    if wrapped is error:
        raise error
    raise wrapped from error


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
        self.integrity_errors: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
        self._conn: sqlite3.Connection | None = self._connect()
        # Commits made through this handle. PRAGMA data_version only moves for commits made by
        # *other* connections, so change detection combines both (see change_token).
        self.local_commits = 0

    def _connect(self) -> sqlite3.Connection:
        if not self.is_memory:
            self._check_file()
        try:
            return self._open()
        except sqlite3.OperationalError as e:
            _raise_unavailable(self.path, e)

    def _check_file(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            # Private from the first byte; SQLite gives the -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
            return
        if st.st_size == 0 and time.time() - st.st_mtime > EMPTY_FILE_GRACE_S \
                and not os.path.exists(self.path + "-wal"):
            raise OrchEmptyDatabaseError(
                f"{self.path} is empty (0 bytes): it is not a new instance but one whose "
                "database was truncated (a full disk?). Move it away to start a new instance, "
                "or restore it from a backup."
            )

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,  # autocommit; transactions are explicit BEGIN/COMMIT
            check_same_thread=False,  # the lock below serialises use across threads
            timeout=self.busy_timeout_s,
        )
        if not self.is_memory:
            self._enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            # Statement journals and temporary b-trees in memory: on disk each of the event
            # writer's larger commits created, wrote and unlinked a file in /var/tmp (46-98 a
            # 500-step run), file-system metadata work beside the steps' own.
            conn.execute("PRAGMA temp_store=MEMORY")
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
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """The connection inside a read transaction: every read sees one snapshot."""
        with self.read() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any exception. A full
        disk or read-only file raises :class:`OrchStorageUnavailableError`."""
        self._after_fork_check()
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as e:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                _raise_unavailable(self.path, e)
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
