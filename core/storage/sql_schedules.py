"""SQL implementation of :class:`~orch.core.storage.schedules.ScheduleStorage`: a mixin of
:class:`~orch.core.storage.sql.SqlStorage` (it expects ``self.db``; SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..events import EventRecord, EventType
from .base import AssetKeyLike, normalize_asset_key
from .schedules import (
    Backfill,
    BulkActionStatus,
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleStorage,
    Tick,
    TickStatus,
)
from .serde import dumps_compact, loads, loads_or_none

_STATE_COLUMNS = ("repository_name, name, instigator_type, status, start_timestamp, cursor, "
                  "last_tick_timestamp, last_run_key, origin, update_timestamp")
_TICK_COLUMNS = ("selector_id, instigator_type, name, status, timestamp, run_ids, run_keys, "
                 "origin_run_ids, error, skip_reason, cursor, failure_count, end_timestamp, id")
_BACKFILL_COLUMNS = ("backfill_id, status, pipeline_name, partition_set_name, partition_names, "
                     "tags, origin, last_submitted_partition_name, submitted_count, error, "
                     "create_timestamp, update_timestamp")


_STATE_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS.split(", "))
_INSERT_TICK = (
    "INSERT INTO ticks (selector_id, instigator_type, name, status, timestamp, run_ids, "
    "run_keys, origin_run_ids, error, skip_reason, cursor, failure_count, end_timestamp) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")


def _state(row: tuple[Any, ...]) -> InstigatorState:
    return InstigatorState(row[0], row[1], InstigatorType(row[2]), InstigatorStatus(row[3]),
                           row[4], row[5], row[6], row[7], loads_or_none(row[8]), row[9])


def _tick(row: tuple[Any, ...]) -> Tick:
    return Tick(row[0], InstigatorType(row[1]), row[2], TickStatus(row[3]), row[4],
                loads(row[5]), loads(row[6]), loads(row[7]), row[8], row[9], row[10], row[11],
                row[12], row[13])


def _backfill(row: tuple[Any, ...]) -> Backfill:
    return Backfill(row[0], BulkActionStatus(row[1]), row[2], row[3], loads(row[4]),
                    loads(row[5]), loads_or_none(row[6]), row[7], row[8], row[9], row[10],
                    row[11])


class SqlScheduleStorage(ScheduleStorage):
    """Instigator state, ticks, run keys and backfills on the instance's database."""

    db: Any

    # -- instigator state ----------------------------------------------------------------
    def get_instigator_state(self, selector: str) -> InstigatorState | None:
        with self.db.read() as conn:
            row = conn.execute(f"SELECT {_STATE_COLUMNS} FROM instigators WHERE selector_id = ?",
                               (selector,)).fetchone()
        return _state(row) if row else None

    def all_instigator_states(self, instigator_type: InstigatorType | None = None,
                              repository_name: str | None = None) -> list[InstigatorState]:
        sql = f"SELECT {_STATE_COLUMNS} FROM instigators WHERE 1 = 1"
        params: list[Any] = []
        if instigator_type is not None:
            sql += " AND instigator_type = ?"
            params.append(InstigatorType(instigator_type).value)
        if repository_name is not None:
            sql += " AND repository_name = ?"
            params.append(repository_name)
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY selector_id", params).fetchall()
        return [_state(r) for r in rows]

    def put_instigator_state(self, state: InstigatorState) -> InstigatorState:
        state = replace(state, update_timestamp=time.time())
        with self.db.write() as conn:
            conn.execute(
                f"INSERT INTO instigators (selector_id, {_STATE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (selector_id) DO UPDATE "
                f"SET {_STATE_UPDATE}",
                (state.selector_id, state.repository_name, state.name,
                 state.instigator_type.value, state.status.value, state.start_timestamp,
                 state.cursor, state.last_tick_timestamp, state.last_run_key,
                 dumps_compact(state.origin) if state.origin is not None else None,
                 state.update_timestamp))
        return state

    def delete_instigator_states(self, instigator_type: InstigatorType) -> int:
        """Forget every state and tick of one type (``orch schedule wipe``)."""
        with self.db.write() as conn:
            selectors = [r[0] for r in conn.execute(
                "SELECT selector_id FROM instigators WHERE instigator_type = ?",
                (instigator_type.value,))]
            conn.execute("DELETE FROM ticks WHERE instigator_type = ?", (instigator_type.value,))
            conn.execute("DELETE FROM instigators WHERE instigator_type = ?",
                         (instigator_type.value,))
            for selector in selectors:
                conn.execute("DELETE FROM instigator_run_keys WHERE selector_id = ?",
                             (selector,))
        return len(selectors)

    # -- ticks -------------------------------------------------------------------------
    def create_tick(self, tick: Tick) -> Tick:
        """Insert a STARTED tick. For a schedule, a tick already stored for the same time is
        returned instead (the unique index): the caller resumes or skips it."""
        with self.db.write() as conn:
            if tick.instigator_type is InstigatorType.SCHEDULE:
                row = conn.execute(
                    f"SELECT {_TICK_COLUMNS} FROM ticks WHERE selector_id = ? AND "
                    "timestamp = ? AND instigator_type = 'SCHEDULE'",
                    (tick.selector_id, tick.timestamp)).fetchone()
                if row is not None:
                    return _tick(row)
            (tick_id,) = conn.execute(_INSERT_TICK, self._tick_values(tick)).fetchone()
        return replace(tick, tick_id=tick_id)

    @staticmethod
    def _tick_values(tick: Tick) -> tuple[Any, ...]:
        return (tick.selector_id, tick.instigator_type.value, tick.name, tick.status.value,
                tick.timestamp, dumps_compact(tick.run_ids), dumps_compact(tick.run_keys),
                dumps_compact(tick.origin_run_ids), tick.error, tick.skip_reason, tick.cursor,
                tick.failure_count, tick.end_timestamp)

    def save_tick(self, tick: Tick, state: InstigatorState | None = None) -> Tick:
        """Store a finished tick in one transaction with the instigator's new state: an
        update when it has an id, else an insert (for a schedule, onto the tick already
        stored for that time, if any). One write for a tick that launched nothing."""
        if tick.tick_id is not None:
            return self.update_tick(tick, state)
        with self.db.write() as conn:
            if tick.instigator_type is InstigatorType.SCHEDULE:
                row = conn.execute(
                    "SELECT id FROM ticks WHERE selector_id = ? AND timestamp = ? AND "
                    "instigator_type = 'SCHEDULE'", (tick.selector_id, tick.timestamp)).fetchone()
                if row is not None:
                    tick = replace(tick, tick_id=row[0])
            if tick.tick_id is None:
                (tick_id,) = conn.execute(_INSERT_TICK, self._tick_values(tick)).fetchone()
                tick = replace(tick, tick_id=tick_id)
            else:
                self._update_tick(conn, tick)
            if state is not None:
                self._update_state(conn, state)
        return tick

    def _update_tick(self, conn: Any, tick: Tick) -> None:
        conn.execute(
            "UPDATE ticks SET selector_id = ?, instigator_type = ?, name = ?, status = ?, "
            "timestamp = ?, run_ids = ?, run_keys = ?, origin_run_ids = ?, error = ?, "
            "skip_reason = ?, cursor = ?, failure_count = ?, end_timestamp = ? "
            "WHERE id = ?", (*self._tick_values(tick), tick.tick_id))

    @staticmethod
    def _update_state(conn: Any, state: InstigatorState) -> None:
        conn.execute(
            "UPDATE instigators SET cursor = ?, last_tick_timestamp = ?, last_run_key = ?, "
            "update_timestamp = ? WHERE selector_id = ?",
            (state.cursor, state.last_tick_timestamp, state.last_run_key, time.time(),
             state.selector_id))

    def get_schedule_tick(self, selector: str, timestamp: float) -> Tick | None:
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {_TICK_COLUMNS} FROM ticks WHERE selector_id = ? AND timestamp = ? "
                "AND instigator_type = 'SCHEDULE'", (selector, timestamp)).fetchone()
        return _tick(row) if row else None

    def update_tick(self, tick: Tick, state: InstigatorState | None = None) -> Tick:
        """Store the tick's outcome and, in the same transaction, the instigator's new state
        (a sensor's cursor moves only together with the tick that moved it)."""
        if tick.tick_id is None:
            raise ValueError("update_tick needs a stored tick (tick_id)")
        with self.db.write() as conn:
            self._update_tick(conn, tick)
            if state is not None:
                self._update_state(conn, state)
        return tick

    def get_ticks(self, selector: str, limit: int | None = None,
                  statuses: Iterable[TickStatus] | None = None,
                  before: float | None = None, after: float | None = None) -> list[Tick]:
        """Ticks of one instigator, newest first."""
        sql = f"SELECT {_TICK_COLUMNS} FROM ticks WHERE selector_id = ?"
        params: list[Any] = [selector]
        if statuses is not None:
            values = [TickStatus(s).value for s in statuses]
            sql += f" AND status IN ({', '.join('?' * len(values))})"
            params.extend(values)
        if before is not None:
            sql += " AND timestamp < ?"
            params.append(before)
        if after is not None:
            sql += " AND timestamp > ?"
            params.append(after)
        sql += " ORDER BY timestamp DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.db.read() as conn:
            return [_tick(r) for r in conn.execute(sql, params).fetchall()]

    def get_latest_tick(self, selector: str) -> Tick | None:
        ticks = self.get_ticks(selector, limit=1)
        return ticks[0] if ticks else None

    def get_latest_ticks(self, selectors: Sequence[str]) -> dict[str, Tick]:
        """The newest tick of each selector, in one query (for loops over many)."""
        if not selectors:
            return {}
        found: dict[str, Tick] = {}
        with self.db.read() as conn:
            for start in range(0, len(selectors), 500):
                chunk = list(selectors[start:start + 500])
                rows = conn.execute(
                    f"SELECT {_TICK_COLUMNS} FROM ticks WHERE id IN (SELECT max(id) FROM ticks "
                    f"WHERE selector_id IN ({', '.join('?' * len(chunk))}) GROUP BY selector_id)",
                    chunk).fetchall()
                for row in rows:
                    tick = _tick(row)
                    found[tick.selector_id] = tick
        return found

    def purge_ticks(self, selector: str | None, before: float,
                    statuses: Iterable[TickStatus] | None = None,
                    instigator_type: InstigatorType | None = None) -> int:
        """Delete ticks older than ``before`` (of one instigator, or of all)."""
        sql = "DELETE FROM ticks WHERE timestamp < ? AND status != 'STARTED'"
        params: list[Any] = [before]
        if selector is not None:
            sql += " AND selector_id = ?"
            params.append(selector)
        if statuses is not None:
            values = [TickStatus(s).value for s in statuses]
            sql += f" AND status IN ({', '.join('?' * len(values))})"
            params.extend(values)
        if instigator_type is not None:
            sql += " AND instigator_type = ?"
            params.append(InstigatorType(instigator_type).value)
        with self.db.write() as conn:
            return conn.execute(sql, params).rowcount

    # -- run keys ----------------------------------------------------------------------
    def get_run_key(self, selector: str, run_key: str) -> str | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT run_id FROM instigator_run_keys WHERE selector_id = ? "
                               "AND run_key = ?", (selector, run_key)).fetchone()
        return row[0] if row else None

    def claim_run_key(self, selector: str, run_key: str, run_id: str) -> str:
        """Record ``run_id`` as the run for ``run_key`` unless one is recorded already;
        returns the run id that holds the key."""
        with self.db.write() as conn:
            conn.execute("INSERT INTO instigator_run_keys (selector_id, run_key, run_id, "
                         "create_timestamp) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         (selector, run_key, run_id, time.time()))
            row = conn.execute("SELECT run_id FROM instigator_run_keys WHERE selector_id = ? "
                               "AND run_key = ?", (selector, run_key)).fetchone()
        return row[0]

    # -- events the sensors read ---------------------------------------------------------
    def get_latest_event_id(self) -> int:
        with self.db.read() as conn:
            row = conn.execute("SELECT max(id) FROM event_logs").fetchone()
        return row[0] or 0

    def get_events_of_types_after(self, event_types: Sequence[EventType], after_id: int,
                                  limit: int) -> list[EventRecord]:
        from .event_log import _SELECT, rows_to_events

        values = [EventType(t).value for t in event_types]
        with self.db.read() as conn:
            rows = conn.execute(
                _SELECT + f" WHERE event_type IN ({', '.join('?' * len(values))}) AND id > ? "
                "ORDER BY id LIMIT ?", (*values, after_id, limit)).fetchall()
        return rows_to_events(rows)

    def get_materializations_after(self, asset_key: AssetKeyLike, after_id: int,
                                   limit: int) -> list[EventRecord]:
        """ASSET_MATERIALIZATION events of ``asset_key`` with storage id > ``after_id``,
        oldest first."""
        wanted = normalize_asset_key(asset_key)
        found: list[EventRecord] = []
        cursor = after_id
        while len(found) < limit:
            batch = self.get_events_of_types_after([EventType.ASSET_MATERIALIZATION], cursor,
                                                   500)
            if not batch:
                break
            for event in batch:
                key = event.data.get("asset_key")
                if key is not None and normalize_asset_key(key) == wanted:
                    found.append(event)
                    if len(found) >= limit:
                        break
            cursor = batch[-1].storage_id or cursor
        return found

    # -- backfills ---------------------------------------------------------------------
    def add_backfill(self, backfill: Backfill) -> Backfill:
        now = time.time()
        backfill = replace(backfill, create_timestamp=backfill.create_timestamp or now,
                           update_timestamp=now)
        with self.db.write() as conn:
            conn.execute(
                f"INSERT INTO bulk_actions ({_BACKFILL_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._backfill_values(backfill))
        return backfill

    @staticmethod
    def _backfill_values(b: Backfill) -> tuple[Any, ...]:
        return (b.backfill_id, b.status.value, b.pipeline_name, b.partition_set_name,
                dumps_compact(b.partition_names), dumps_compact(b.tags),
                dumps_compact(b.origin) if b.origin is not None else None,
                b.last_submitted_partition_name, b.submitted_count, b.error,
                b.create_timestamp, b.update_timestamp)

    def update_backfill(self, backfill: Backfill) -> Backfill:
        backfill = replace(backfill, update_timestamp=time.time())
        with self.db.write() as conn:
            conn.execute(
                "UPDATE bulk_actions SET status = ?, last_submitted_partition_name = ?, "
                "submitted_count = ?, error = ?, update_timestamp = ? WHERE backfill_id = ?",
                (backfill.status.value, backfill.last_submitted_partition_name,
                 backfill.submitted_count, backfill.error, backfill.update_timestamp,
                 backfill.backfill_id))
        return backfill

    def checkpoint_backfill(self, backfill_id: str, last_submitted_partition_name: str,
                            submitted_count: int) -> Backfill | None:
        with self.db.write() as conn:
            done = conn.execute(
                "UPDATE bulk_actions SET last_submitted_partition_name = CASE WHEN "
                "submitted_count <= ? THEN ? ELSE last_submitted_partition_name END, "
                "submitted_count = MAX(submitted_count, ?), update_timestamp = ? "
                "WHERE backfill_id = ?",
                (submitted_count, last_submitted_partition_name, submitted_count, time.time(),
                 backfill_id)).rowcount
        return self.get_backfill(backfill_id) if done else None

    def get_backfill(self, backfill_id: str) -> Backfill | None:
        with self.db.read() as conn:
            row = conn.execute(f"SELECT {_BACKFILL_COLUMNS} FROM bulk_actions WHERE "
                               "backfill_id = ?", (backfill_id,)).fetchone()
        return _backfill(row) if row else None

    def get_backfills(self, status: BulkActionStatus | None = None) -> list[Backfill]:
        sql = f"SELECT {_BACKFILL_COLUMNS} FROM bulk_actions"
        params: tuple[Any, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (BulkActionStatus(status).value,)
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY create_timestamp DESC", params).fetchall()
        return [_backfill(r) for r in rows]
