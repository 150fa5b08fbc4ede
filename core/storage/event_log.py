"""Event log storage in SQL: the ``event_logs`` table, step stats and asset keys.

A mixin of :class:`~orch.core.storage.sql.SqlStorage` (it expects ``self.db`` and the
backend's ``_insert_rows``). :meth:`SqlEventLogStorage.store_events` is the hot path: the
batch's rows, prepared as tuples, go to the backend's bulk insert (SQLite: one
``executemany``; PostgreSQL: ``COPY``), plus the run-status and asset-key updates that the
batch implies, all in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from ..events import EventRecord, EventType
from ..runs import (
    FINISHED_STATUSES,
    STEP_STATUS_EVENT_TYPES,
    PipelineRunStatus,
    status_after_event,
    statuses_before,
    step_status_after_event,
)
from .base import AssetKeyLike, AssetSummary, StepStats, normalize_asset_key
from .runs import set_worker
from .serde import canonical_json, dumps_compact, loads

_INSERT = (
    "INSERT INTO event_logs "
    "(run_id, timestamp, event_type, step_key, level, message, pid, pipeline_name, body) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Column order matches EventRecord's positional fields, then the id (storage_id).
_SELECT = (
    "SELECT run_id, pipeline_name, event_type, message, step_key, level, timestamp, pid, body, id "
    "FROM event_logs"
)
_EVENT_TYPES: dict[str, EventType] = {t.value: t for t in EventType}
_RUN_STATUS_BY_EVENT: dict[EventType, PipelineRunStatus] = {
    t: s for t in EventType if (s := status_after_event(t)) is not None
}
_STATUSES_BEFORE: dict[PipelineRunStatus, tuple[str, ...]] = {
    s: tuple(b.value for b in statuses_before(s)) for s in PipelineRunStatus
}
_MATERIALIZATION = EventType.ASSET_MATERIALIZATION
_NEEDS_MORE_THAN_INSERT = frozenset(_RUN_STATUS_BY_EVENT) | {_MATERIALIZATION}

_STEP_ENDS = frozenset(
    {EventType.STEP_SUCCESS.value, EventType.STEP_FAILURE.value, EventType.STEP_SKIPPED.value}
)
_STEP_STARTS = frozenset({EventType.STEP_START.value, EventType.STEP_RESTARTED.value})


def _event_type(value: str | None) -> EventType | None:
    if value is None:
        return None
    return _EVENT_TYPES.get(value) or EventType(value)


def rows_to_events(rows: Iterable[tuple[Any, ...]]) -> list[EventRecord]:
    """Rows selected with ``_SELECT`` → records with ``storage_id`` set."""
    return [
        EventRecord(
            r[0],
            r[1] or "",
            _event_type(r[2]),
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            loads(r[8]) if r[8] else {},
            r[9],
        )
        for r in rows
    ]


def step_stats(conn: Any, run_id: str) -> list[StepStats]:
    """The steps of a run folded from their step events (within the caller's snapshot or
    transaction)."""
    types = STEP_STATUS_EVENT_TYPES
    # A failure's body says whether the run's cancel ended the step (CANCELED, not FAILURE).
    rows = conn.execute(
        "SELECT step_key, event_type, timestamp, "
        "CASE WHEN event_type = 'STEP_FAILURE' THEN body END FROM event_logs "
        f"WHERE run_id = ? AND event_type IN ({', '.join('?' * len(types))}) "
        "AND step_key IS NOT NULL ORDER BY id",
        [run_id, *types],
    ).fetchall()
    stats: dict[str, list[Any]] = {}  # step_key -> [status, start, end, attempts]
    for step_key, event_type, timestamp, body in rows:
        s = stats.setdefault(step_key, [None, None, None, 0])
        s[0] = step_status_after_event(event_type, bool(body and loads(body).get("canceled")))
        if event_type in _STEP_STARTS:
            s[3] += 1
            if s[1] is None:
                s[1] = timestamp
            s[2] = None
        elif event_type in _STEP_ENDS:
            s[2] = timestamp
    return [StepStats(run_id, k, s[0], s[1], s[2], s[3]) for k, s in stats.items()]


def asset_key_text(key: AssetKeyLike) -> str:
    return canonical_json(normalize_asset_key(key))


class SqlEventLogStorage:
    """The event log, step stats and asset keys (mixin; needs ``self.db``)."""

    db: Any
    # SQLite's planner needs telling to use the step's index range (see get_logs_for_run).
    _step_index_hint = ""

    def _insert_rows(self, conn: Any, rows: list[tuple[Any, ...]]) -> int:
        raise NotImplementedError  # each backend's bulk insert (sql.SqlStorage)

    # -- writing -----------------------------------------------------------------------
    def store_events(self, events: Sequence[EventRecord]) -> None:
        if not events:
            return
        with self.db.write() as conn:
            self._insert_events(conn, events)

    def _insert_events(self, conn: Any, events: Sequence[EventRecord]) -> None:
        """Insert within the caller's transaction; sets storage ids, run status, asset keys."""
        encode = dumps_compact
        last_id = self._insert_rows(
            conn,
            [
                (
                    e.run_id,
                    e.timestamp,
                    None if e.event_type is None else e.event_type._value_,
                    e.step_key,
                    e.level,
                    e.message,
                    e.pid,
                    e.pipeline_name,
                    encode(e.data) if e.data else None,
                )
                for e in events
            ],
        )
        # The backend guarantees the batch's ids are consecutive and end at last_id.
        storage_id = last_id - len(events)
        special = []
        for e in events:
            storage_id += 1
            e.storage_id = storage_id
            if e.event_type in _NEEDS_MORE_THAN_INSERT:
                special.append(e)
        for e in special:
            if e.event_type is _MATERIALIZATION:
                self._record_materialization(conn, e)
            else:
                self._apply_run_event(conn, e, _RUN_STATUS_BY_EVENT[e.event_type])

    @staticmethod
    def _apply_run_event(
        conn: Any, e: EventRecord, status: PipelineRunStatus
    ) -> None:
        """Move the run to ``status`` if that is forward (see ``runs.statuses_before``)."""
        before = _STATUSES_BEFORE[status]
        conn.execute(
            "UPDATE runs SET status = ?, update_timestamp = ?, "
            "start_time = CASE WHEN ? THEN COALESCE(start_time, ?) ELSE start_time END, "
            "end_time = CASE WHEN ? THEN ? ELSE end_time END "
            f"WHERE run_id = ? AND status IN ({', '.join('?' * len(before))})",
            (
                status.value,
                time.time(),
                status is PipelineRunStatus.STARTED,
                e.timestamp,
                status in FINISHED_STATUSES,
                e.timestamp,
                e.run_id,
                *before,
            ),
        )
        # Who runs it, for crash recovery: a launcher names the process responsible for the
        # run in data["worker_pid"] (itself until the worker it starts takes over); the
        # process that starts executing the plan is the worker from then on (also when a
        # cancel request already moved the run on to CANCELING).
        named = e.pid if status is PipelineRunStatus.STARTED else e.data.get("worker_pid")
        if isinstance(named, int):
            set_worker(conn, e.run_id, named)

    @staticmethod
    def _record_materialization(conn: Any, e: EventRecord) -> None:
        key = e.data.get("asset_key")
        if not key:
            return
        conn.execute(
            "INSERT INTO asset_keys (asset_key, last_event_id, last_run_id, last_timestamp) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (asset_key) DO UPDATE SET "
            "last_event_id = excluded.last_event_id, last_run_id = excluded.last_run_id, "
            "last_timestamp = excluded.last_timestamp",
            (asset_key_text(key), e.storage_id, e.run_id, e.timestamp),
        )
        partition = e.data.get("partition")
        conn.execute(
            "INSERT INTO asset_materializations (event_id, asset_key, run_id, step_key, "
            "partition, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
            (e.storage_id, asset_key_text(key), e.run_id, e.step_key,
             None if partition is None else str(partition), e.timestamp),
        )

    # -- reading -----------------------------------------------------------------------
    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: EventType | Iterable[EventType] | None = None,
        step_key: str | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """Events of a run with ``storage_id > cursor``, oldest first."""
        sql = _SELECT
        if step_key is not None:
            # Without statistics SQLite's planner prefers the (run_id, id) index for its
            # order, which reads every event of the run; the step's own range is ~10x faster.
            sql += self._step_index_hint
        sql += " WHERE run_id = ? AND id > ?"
        params: list[Any] = [run_id, cursor]
        if of_type is not None:
            types = [of_type] if isinstance(of_type, EventType) else list(of_type)
            sql += f" AND event_type IN ({', '.join('?' * len(types))})"
            params.extend(EventType(t).value for t in types)
        if step_key is not None:
            sql += " AND step_key = ?"
            params.append(step_key)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return rows_to_events(rows)

    def get_step_stats(self, run_id: str) -> list[StepStats]:
        """One entry per step that has step events, in order of first appearance."""
        with self.db.read() as conn:
            return step_stats(conn, run_id)

    def all_asset_keys(self) -> list[list[str]]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT asset_key FROM asset_keys ORDER BY asset_key").fetchall()
        return [loads(r[0]) for r in rows]

    def get_latest_materialization(self, asset_key: AssetKeyLike) -> EventRecord | None:
        with self.db.read() as conn:
            rows = conn.execute(
                _SELECT + " WHERE id = (SELECT last_event_id FROM asset_keys WHERE asset_key = ?)",
                (asset_key_text(asset_key),),
            ).fetchall()
        events = rows_to_events(rows)
        return events[0] if events else None

    def get_asset_summaries(self, prefix: Sequence[str] = ()) -> list[AssetSummary]:
        """Every asset key (under ``prefix``) with its materialization count and latest one."""
        sql = ("SELECT k.asset_key, k.last_event_id, k.last_run_id, k.last_timestamp, "
               "(SELECT count(*) FROM asset_materializations m WHERE m.asset_key = k.asset_key)"
               " FROM asset_keys k")
        wanted = list(prefix)
        params: tuple[Any, ...] = ()
        if wanted:  # the canonical JSON of the prefix, less its closing bracket
            start = asset_key_text(wanted)[:-1]
            sql += " WHERE substr(k.asset_key, 1, ?) = ?"
            params = (len(start), start)
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY k.asset_key", params).fetchall()
        out = []
        for key, event_id, run_id, timestamp, count in rows:
            path = loads(key)
            if path[:len(wanted)] == wanted:
                out.append(AssetSummary(path, int(count), event_id, run_id, timestamp))
        return out

    def get_asset_materializations(self, asset_key: AssetKeyLike, limit: int | None = None,
                                   before_id: int | None = None) -> list[EventRecord]:
        """The asset's materialization events, newest first (an index range)."""
        sql = (_SELECT + " WHERE id IN (SELECT event_id FROM asset_materializations "
               "WHERE asset_key = ?")
        params: list[Any] = [asset_key_text(asset_key)]
        if before_id is not None:
            sql += " AND event_id < ?"
            params.append(before_id)
        sql += " ORDER BY event_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        sql += ") ORDER BY id DESC"
        with self.db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return rows_to_events(rows)

    def get_run_assets(self, run_id: str) -> dict[str, list[list[str]]]:
        """The assets each step of a run materialized (from the asset index)."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT step_key, asset_key FROM asset_materializations WHERE run_id = ? "
                "ORDER BY event_id", (run_id,)).fetchall()
        out: dict[str, list[list[str]]] = {}
        for step_key, key in rows:
            path = loads(key)
            if step_key and path not in out.setdefault(step_key, []):
                out[step_key].append(path)
        return out

    def wipe_asset(self, asset_key: AssetKeyLike) -> int:
        """Forget an asset: its key and its index rows (the events stay in their runs'
        logs, as Dagster's wipe leaves them); how many materializations it had."""
        key = asset_key_text(asset_key)
        with self.db.write() as conn:
            count = conn.execute("DELETE FROM asset_materializations WHERE asset_key = ?",
                                 (key,)).rowcount
            conn.execute("DELETE FROM asset_keys WHERE asset_key = ?", (key,))
        return int(count)

    def change_token(self) -> object:
        return self.db.change_token()
