"""``SqliteStorage``: the embedded storage, one SQLite file (``ORCH_HOME/orch.db``).

The SQL storage (``sql.py``: runs, events, schedules, the compute-log index) over one
:class:`SqliteDatabase`, with SQLite's schema and migrations (``schema.py``) and its bulk
insert. ``SqliteStorage(":memory:")`` is the ephemeral instance's storage.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path
from typing import Any

from .event_log import _INSERT
from .schema import ensure_schema, migrate, read_schema_version
from .sql import SqlStorage
from .sqlite_base import MEMORY, SqliteDatabase

DEFAULT_DB_NAME = "orch.db"


class SqliteStorage(SqlStorage):
    """Runs, events, asset keys and the compute-log index in one SQLite database.

    ``orch.yaml``::

        storage:
          module: orch.core.storage.sqlite
          class: SqliteStorage
          config: {path: orch.db, busy_timeout_s: 30}   # path relative to ORCH_HOME
    """

    transient_errors = (sqlite3.OperationalError,)
    _step_index_hint = " INDEXED BY ix_event_logs_step_key_event_type"

    def __init__(self, path: str | Path = MEMORY, *, busy_timeout_s: float = 30.0) -> None:
        self.db = SqliteDatabase(path, busy_timeout_s=busy_timeout_s)
        try:
            # (version found, version now): what opening did, for `orch instance migrate`.
            self.schema_on_open = ensure_schema(self.db)
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, *,
                    migrating: bool = False) -> SqliteStorage:
        """(SQLite migrates whenever it opens, so ``migrating`` changes nothing.)"""
        config = dict(config)
        path = Path(config.pop("path", DEFAULT_DB_NAME))
        if root_dir is not None and not path.is_absolute():
            path = root_dir / path
        return cls(path, **config)

    @property
    def path(self) -> str:
        return self.db.path

    # -- lifecycle ---------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.db.read() as conn:
            return read_schema_version(conn) or 0

    def migrate(self) -> tuple[int | None, int]:
        """(version found when this storage opened, version now): opening already migrates,
        so this reports that and applies anything newer."""
        return self.schema_on_open[0], migrate(self.db)[1]

    def describe(self) -> dict[str, Any]:
        counts = self.row_counts()
        with self.db.read() as conn:
            journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        size = 0
        if not self.db.is_memory:
            size = sum(
                os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p)
            )
        return {
            "kind": "sqlite",
            "path": self.path,
            "schema_version": self.schema_version(),
            "journal_mode": journal_mode,
            "size_bytes": size,
            "rows": counts,
        }

    def _insert_rows(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> int:
        """The rows in a few multi-row INSERTs (:func:`_chunks`). Each statement releases
        the interpreter lock once; ``executemany`` released and took it back for every row,
        so a commit on the writer's thread handed the lock back and forth with the thread
        running steps ~20 times, and that thread then waited for it after each of its own
        system calls (in-process chain_500 through ``orch run``: 0.84 -> 0.75 ms a step)."""
        for start, size in _chunks(len(rows)):
            conn.execute(_insert_of(size),
                         [value for row in rows[start:start + size] for value in row])
        # One writer holds the lock for the whole transaction (BEGIN IMMEDIATE), so the
        # batch's ids are consecutive, end at last_insert_rowid() and commit in order.
        return int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])


_CHUNK_SIZES = (64, 16, 4, 1)  # rows per INSERT: four statements, each kept prepared


def _chunks(count: int) -> list[tuple[int, int]]:
    """(start, size) of the INSERTs for ``count`` rows: as many of the largest size as fit,
    then of each smaller one (at most 3 + 3 + 3 statements beyond the 64-row ones)."""
    chunks: list[tuple[int, int]] = []
    start = 0
    for size in _CHUNK_SIZES:
        while count - start >= size:
            chunks.append((start, size))
            start += size
    return chunks


@functools.cache
def _insert_of(rows: int) -> str:
    """``event_log._INSERT`` with ``rows`` rows of VALUES (576 parameters at most)."""
    head, values = _INSERT.split(" VALUES ")
    return f"{head} VALUES {', '.join([values] * rows)}"
