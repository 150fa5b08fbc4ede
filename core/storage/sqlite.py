"""``SqliteStorage``: the embedded storage, one SQLite file (``ORCH_HOME/orch.db``).

It combines the run storage (``runs.py``) and the event log (``event_log.py``) over one
:class:`SqliteDatabase`, and adds what spans both: deletion, wipe, crash-recovery writes and
the compute-log index. ``SqliteStorage(":memory:")`` is the ephemeral instance's storage.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..events import EventRecord, closing_step_failure
from ..runs import IN_PROGRESS_STATUSES, PipelineRunStatus
from .base import ComputeLogInfo, DaemonHeartbeat, RunLimit, RunWorker, Storage
from .event_log import SqliteEventLogStorage, asset_key_text, step_stats
from .runs import SqliteRunStorage
from .schema import ensure_schema, migrate, read_schema_version
from .serde import dumps_compact, loads
from .sqlite_base import MEMORY, SqliteDatabase
from .sqlite_schedules import SqliteScheduleStorage

DEFAULT_DB_NAME = "orch.db"

_TABLES = ("runs", "run_tags", "snapshots", "event_logs", "asset_keys", "compute_logs",
           "ticks", "instigator_run_keys", "bulk_actions")
_DESCRIBED = (*_TABLES, "instigators")


class SqliteStorage(SqliteRunStorage, SqliteEventLogStorage, SqliteScheduleStorage, Storage):
    """Runs, events, asset keys and the compute-log index in one SQLite database.

    ``orch.yaml``::

        storage:
          module: orch.core.storage.sqlite
          class: SqliteStorage
          config: {path: orch.db, busy_timeout_s: 30}   # path relative to ORCH_HOME
    """

    transient_errors = (sqlite3.OperationalError,)

    def __init__(self, path: str | Path = MEMORY, *, busy_timeout_s: float = 30.0) -> None:
        self.db = SqliteDatabase(path, busy_timeout_s=busy_timeout_s)
        try:
            # (version found, version now): what opening did, for `orch instance migrate`.
            self.schema_on_open = ensure_schema(self.db)
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None) -> SqliteStorage:
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
        with self.db.read() as conn:
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in _DESCRIBED}
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

    def close(self) -> None:
        self.db.close()

    def wipe(self) -> None:
        with self.db.write() as conn:
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table}")

    def delete_run(self, run_id: str) -> bool:
        with self.db.write() as conn:
            deleted = conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount
            for table in ("run_tags", "event_logs", "compute_logs"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            # An asset whose latest materialization went with the run falls back to the
            # latest one that remains, or disappears.
            for (key,) in conn.execute(
                "SELECT asset_key FROM asset_keys WHERE last_run_id = ?", (run_id,)
            ).fetchall():
                conn.execute("DELETE FROM asset_keys WHERE asset_key = ?", (key,))
                self._restore_latest_materialization(conn, key)
        return bool(deleted)

    def _restore_latest_materialization(self, conn: sqlite3.Connection, key: str) -> None:
        rows = conn.execute(
            "SELECT id, run_id, timestamp, body FROM event_logs "
            "WHERE event_type = 'ASSET_MATERIALIZATION' ORDER BY id DESC"
        )
        for event_id, run_id, timestamp, body in rows:
            asset_key = loads(body).get("asset_key") if body else None
            if asset_key and asset_key_text(asset_key) == key:
                conn.execute(
                    "INSERT INTO asset_keys (asset_key, last_event_id, last_run_id, "
                    "last_timestamp) VALUES (?, ?, ?, ?)",
                    (key, event_id, run_id, timestamp),
                )
                return

    # -- crash recovery ----------------------------------------------------------------
    def store_events_if_status(self, run_id: str, statuses: Iterable[PipelineRunStatus],
                               events: Sequence[EventRecord],
                               limits: Sequence[RunLimit] = ()) -> bool:
        with self.db.write() as conn:
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
            _upsert_compute_logs(conn, [info])

    def store_batch(self, events: Sequence[EventRecord],
                    compute_logs: Sequence[ComputeLogInfo]) -> None:
        """Events and compute-log index rows in one transaction."""
        with self.db.write() as conn:
            if events:
                self._insert_events(conn, events)
            _upsert_compute_logs(conn, compute_logs)

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
                "INSERT OR REPLACE INTO daemon_heartbeats "
                "(daemon_type, daemon_id, pid, timestamp, errors) VALUES (?, ?, ?, ?, ?)",
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


def _in_progress(conn: sqlite3.Connection, limit: RunLimit) -> int:
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


def _upsert_compute_logs(conn: sqlite3.Connection, rows: Sequence[ComputeLogInfo]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO compute_logs (run_id, step_key, stdout_path, stderr_path, "
        "stdout_bytes, stderr_bytes, complete, start_time, end_time) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(i.run_id, i.step_key, i.stdout_path, i.stderr_path, i.stdout_bytes, i.stderr_bytes,
          int(i.complete), i.start_time, i.end_time) for i in rows],
    )
