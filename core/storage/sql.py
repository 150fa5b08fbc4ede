"""What the SQL storages share: the connection interface they are written against, and
:class:`SqlStorage`, the parts of a storage that span runs and events (deletion, the queue's
compare-and-set, crash-recovery writes, the compute-log index, daemon heartbeats).

The run, event-log and schedule mixins (``runs.py``, ``event_log.py``, ``sql_schedules.py``)
and this module use one SQL dialect that SQLite and PostgreSQL both speak: ``?`` placeholders
(a PostgreSQL handle rewrites them to its own), ``INSERT ... ON CONFLICT``, ``RETURNING``, no
``INSERT OR REPLACE``. What differs per backend is a hook on the storage class:

* ``_insert_rows(conn, rows)`` — the event hot path; returns the storage id of the last row
  and guarantees the batch's ids are consecutive and commit in id order;
* ``_serialize(conn)`` — called first in a compare-and-set transaction, so two of them (two
  dequeuers claiming under one limit) run one after the other;
* ``_step_index_hint`` — SQLite's ``INDEXED BY`` for step-filtered reads.

A backend's database handle (``db``) is a :class:`SqlDatabase`.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from ..events import EventRecord, closing_step_failure
from ..runs import IN_PROGRESS_STATUSES, PipelineRunStatus
from .base import ComputeLogInfo, DaemonHeartbeat, RunLimit, RunWorker, Storage
from .event_log import SqlEventLogStorage, step_stats
from .runs import SqlRunStorage
from .serde import dumps_compact, loads
from .sql_schedules import SqlScheduleStorage

# Every table a wipe empties (daemon heartbeats and instigator states have their own wipes).
WIPED_TABLES = ("runs", "run_tags", "snapshots", "event_logs", "asset_keys",
                "asset_materializations", "compute_logs", "ticks", "instigator_run_keys",
                "bulk_actions")
# The tables `orch instance info` counts and `orch instance copy` copies.
DESCRIBED_TABLES = (*WIPED_TABLES, "instigators", "daemon_heartbeats")


class SqlConnection(Protocol):
    """A DB-API connection (or a wrapper of one) that takes ``?`` placeholders."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any: ...


class SqlDatabase(Protocol):
    """One backend's database: transactions, and what the storages ask of it."""

    # What a duplicate key raises (``add_run`` of a run id that exists).
    integrity_errors: tuple[type[BaseException], ...]

    def read(self) -> AbstractContextManager[Any]: ...

    def snapshot(self) -> AbstractContextManager[Any]:
        """A connection whose reads all see one consistent snapshot (for copying)."""
        ...

    def write(self) -> AbstractContextManager[Any]: ...

    def change_token(self) -> Any: ...

    def close(self) -> None: ...


class SqlStorage(SqlRunStorage, SqlEventLogStorage, SqlScheduleStorage, Storage):
    """A :class:`Storage` over a :class:`SqlDatabase` (see the module docstring)."""

    db: Any

    @abstractmethod
    def _insert_rows(self, conn: Any, rows: list[tuple[Any, ...]]) -> int:
        """Insert event rows (``event_log._INSERT`` column order); the last row's id."""

    def _serialize(self, conn: Any) -> None:
        """Make this write transaction exclusive among compare-and-set writers."""

    def close(self) -> None:
        self.db.close()

    def wipe(self) -> None:
        with self.db.write() as conn:
            for table in WIPED_TABLES:
                conn.execute(f"DELETE FROM {table}")

    def load_rows(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Append rows with their own ids in one transaction (``orch instance copy``)."""
        marks = ", ".join("?" * len(columns))
        with self.db.write() as conn:
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                             rows)

    def row_counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                    for t in DESCRIBED_TABLES}

    def delete_run(self, run_id: str) -> bool:
        with self.db.write() as conn:
            deleted = conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount
            for table in ("run_tags", "event_logs", "compute_logs", "asset_materializations"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            # An asset whose latest materialization went with the run falls back to the
            # latest one that remains, or disappears.
            for (key,) in conn.execute(
                "SELECT asset_key FROM asset_keys WHERE last_run_id = ?", (run_id,)
            ).fetchall():
                conn.execute("DELETE FROM asset_keys WHERE asset_key = ?", (key,))
                self._restore_latest_materialization(conn, key)
        return bool(deleted)

    @staticmethod
    def _restore_latest_materialization(conn: Any, key: str) -> None:
        row = conn.execute(
            "SELECT event_id, run_id, timestamp FROM asset_materializations "
            "WHERE asset_key = ? ORDER BY event_id DESC LIMIT 1", (key,)).fetchone()
        if row is not None:
            conn.execute(
                "INSERT INTO asset_keys (asset_key, last_event_id, last_run_id, "
                "last_timestamp) VALUES (?, ?, ?, ?)", (key, row[0], row[1], row[2]))

    # -- compare-and-set writes --------------------------------------------------------
    def store_events_if_status(self, run_id: str, statuses: Iterable[PipelineRunStatus],
                               events: Sequence[EventRecord],
                               limits: Sequence[RunLimit] = ()) -> bool:
        with self.db.write() as conn:
            self._serialize(conn)
            row = conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None or row[0] not in {PipelineRunStatus(s).value for s in statuses}:
                return False
            if any(_in_progress(conn, limit) >= limit.limit for limit in limits):
                return False
            self._insert_events(conn, events)
        return True

    def fail_run_if_unchanged(self, worker: RunWorker, events: Sequence[EventRecord]) -> bool:
        """Also ends every step the run left open (running or up for retry) with a
        STEP_FAILURE naming the dead process, before ``events``, in the same transaction."""
        with self.db.write() as conn:
            self._serialize(conn)
            row = conn.execute(
                "SELECT status, worker_pid FROM runs WHERE run_id = ?", (worker.run_id,)
            ).fetchone()
            if row is None or row[0] != worker.status.value or row[1] != worker.pid:
                return False
            closing = [
                closing_step_failure(
                    worker.run_id, worker.pipeline_name, s.step_key,
                    f"did not finish: its run worker process {worker.pid} exited",
                    canceled=False, pid=os.getpid())
                for s in step_stats(conn, worker.run_id) if s.status.is_open
            ]
            self._insert_events(conn, [*closing, *events])
        return True

    # -- compute-log index -------------------------------------------------------------
    def upsert_compute_log(self, info: ComputeLogInfo) -> None:
        with self.db.write() as conn:
            upsert_compute_logs(conn, [info])

    def store_batch(self, events: Sequence[EventRecord],
                    compute_logs: Sequence[ComputeLogInfo]) -> None:
        """Events and compute-log index rows in one transaction."""
        with self.db.write() as conn:
            if events:
                self._insert_events(conn, events)
            upsert_compute_logs(conn, compute_logs)

    def _compute_log_rows(self, where: str, params: tuple[Any, ...]) -> list[ComputeLogInfo]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT run_id, step_key, stdout_path, stderr_path, stdout_bytes, stderr_bytes, "
                f"complete, start_time, end_time FROM compute_logs WHERE {where} "
                "ORDER BY start_time",
                params,
            ).fetchall()
        return [ComputeLogInfo(*r[:6], bool(r[6]), r[7], r[8]) for r in rows]

    def get_compute_log(self, run_id: str, step_key: str) -> ComputeLogInfo | None:
        rows = self._compute_log_rows("run_id = ? AND step_key = ?", (run_id, step_key))
        return rows[0] if rows else None

    def get_compute_logs(self, run_id: str) -> list[ComputeLogInfo]:
        return self._compute_log_rows("run_id = ?", (run_id,))

    # -- daemon heartbeats ------------------------------------------------------------------
    def add_daemon_heartbeat(self, heartbeat: DaemonHeartbeat) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO daemon_heartbeats (daemon_type, daemon_id, pid, timestamp, errors) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (daemon_type) DO UPDATE SET "
                "daemon_id = excluded.daemon_id, pid = excluded.pid, "
                "timestamp = excluded.timestamp, errors = excluded.errors",
                (heartbeat.daemon_type, heartbeat.daemon_id, heartbeat.pid, heartbeat.timestamp,
                 dumps_compact(list(heartbeat.errors))))

    def get_daemon_heartbeats(self) -> dict[str, DaemonHeartbeat]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT daemon_type, daemon_id, pid, timestamp, errors "
                                "FROM daemon_heartbeats").fetchall()
        return {r[0]: DaemonHeartbeat(r[0], r[1], r[2], r[3], tuple(loads(r[4]))) for r in rows}

    def wipe_daemon_heartbeats(self) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM daemon_heartbeats")


_IN_PROGRESS = tuple(s.value for s in IN_PROGRESS_STATUSES)


def _in_progress(conn: Any, limit: RunLimit) -> int:
    """How many in-progress runs fall in ``limit``'s bucket (within the caller's write)."""
    marks = ", ".join("?" * len(_IN_PROGRESS))
    if limit.tag_key is None:
        sql, params = f"SELECT count(*) FROM runs WHERE status IN ({marks})", []
    else:
        sql = ("SELECT count(DISTINCT r.run_id) FROM runs r JOIN run_tags t "
               f"ON t.run_id = r.run_id WHERE r.status IN ({marks}) AND t.key = ?")
        params = [limit.tag_key]
        if limit.tag_value is not None:
            sql += " AND t.value = ?"
            params.append(limit.tag_value)
    return int(conn.execute(sql, [*_IN_PROGRESS, *params]).fetchone()[0])


def upsert_compute_logs(conn: Any, rows: Sequence[ComputeLogInfo]) -> None:
    if not rows:
        return
    conn.executemany(
        "INSERT INTO compute_logs (run_id, step_key, stdout_path, stderr_path, "
        "stdout_bytes, stderr_bytes, complete, start_time, end_time) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, step_key) DO UPDATE SET "
        "stdout_path = excluded.stdout_path, stderr_path = excluded.stderr_path, "
        "stdout_bytes = excluded.stdout_bytes, stderr_bytes = excluded.stderr_bytes, "
        "complete = excluded.complete, start_time = excluded.start_time, "
        "end_time = excluded.end_time",
        [(i.run_id, i.step_key, i.stdout_path, i.stderr_path, i.stdout_bytes, i.stderr_bytes,
          int(i.complete), i.start_time, i.end_time) for i in rows],
    )


def iter_rows(conn: Any, sql: str, size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` in chunks of ``size`` (for copying a whole table)."""
    cursor = conn.execute(sql)
    while True:
        chunk = cursor.fetchmany(size)
        if not chunk:
            return
        yield from chunk
