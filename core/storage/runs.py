"""Run storage in SQL: runs, run tags, content-addressed snapshots, cancel flags.

A mixin of :class:`~orch.core.storage.sql.SqlStorage` (it expects ``self.db``; the SQL is the
dialect ``sql.py`` describes, for SQLite and PostgreSQL alike). Status and start/end times are
never written here: they follow run-level events (see ``event_log.py``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..errors import DagsterError, DagsterRunNotFoundError
from ..runs import IN_PROGRESS_STATUSES, PipelineRun, PipelineRunStatus, system_tag_key
from .base import RunWorker
from .paths import check_run_id
from .recovery import process_start_token
from .serde import canonical_json, dumps_compact, dumps_or_none, loads, loads_or_none, text_id


class DagsterRunAlreadyExists(DagsterError):
    """A run with this run id is already stored."""


_RUN_COLUMNS = (
    "run_id, pipeline_name, status, mode, run_config, tags, solid_selection, solids_to_execute, "
    "step_keys_to_execute, parent_run_id, root_run_id, pipeline_snapshot_id, "
    "execution_plan_snapshot_id, pipeline_origin, create_timestamp, start_time, end_time, "
    "worker_pid"
)
_IN_PROGRESS = tuple(s.value for s in IN_PROGRESS_STATUSES)
# Recovery also fails a run left NOT_STARTED by a process that died before launching it.
_RECOVERABLE = (PipelineRunStatus.NOT_STARTED.value, *_IN_PROGRESS)


def _row_to_run(row: tuple[Any, ...]) -> PipelineRun:
    return PipelineRun(
        run_id=row[0],
        pipeline_name=row[1],
        status=PipelineRunStatus(row[2]),
        mode=row[3],
        run_config=loads(row[4]) if row[4] else {},
        tags=loads(row[5]) if row[5] else {},
        solid_selection=loads_or_none(row[6]),
        solids_to_execute=loads_or_none(row[7]),
        step_keys_to_execute=loads_or_none(row[8]),
        parent_run_id=row[9],
        root_run_id=row[10],
        pipeline_snapshot_id=row[11],
        execution_plan_snapshot_id=row[12],
        pipeline_origin=loads_or_none(row[13]),
        create_timestamp=row[14],
        start_time=row[15],
        end_time=row[16],
        worker_pid=row[17],
    )


def _timestamp(value: float | dt.datetime | None) -> float | None:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return value


def _set_tag_rows(conn: Any, run_id: str, tags: dict[str, str]) -> None:
    conn.execute("DELETE FROM run_tags WHERE run_id = ?", (run_id,))
    conn.executemany(
        "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
        [(run_id, k, str(v)) for k, v in tags.items()],
    )


def set_worker(conn: Any, run_id: str, pid: int) -> bool:
    """Record ``pid`` as the process responsible for an in-progress run (with its start
    token, so a reused pid is told apart); False if the run is not in progress."""
    cur = conn.execute(
        "UPDATE runs SET worker_pid = ?, worker_start_token = ? "
        f"WHERE run_id = ? AND status IN ({', '.join('?' * len(_RECOVERABLE))})",
        (pid, process_start_token(pid), run_id, *_RECOVERABLE),
    )
    return cur.rowcount > 0


class SqlRunStorage:
    """Runs, tags, snapshots and cancel flags (mixin; needs ``self.db``)."""

    db: Any

    # -- runs --------------------------------------------------------------------------
    def add_run(self, run: PipelineRun) -> PipelineRun:
        check_run_id(run.run_id)
        now = time.time()
        run = replace(run, create_timestamp=run.create_timestamp or now)
        token = process_start_token(run.worker_pid) if run.worker_pid else None
        try:
            with self.db.write() as conn:
                conn.execute(
                    "INSERT INTO runs (run_id, pipeline_name, status, mode, run_config, tags, "
                    "solid_selection, solids_to_execute, step_keys_to_execute, parent_run_id, "
                    "root_run_id, pipeline_snapshot_id, execution_plan_snapshot_id, "
                    "pipeline_origin, create_timestamp, update_timestamp, start_time, end_time, "
                    "worker_pid, worker_start_token) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run.run_id,
                        run.pipeline_name,
                        run.status.value,
                        run.mode,
                        dumps_compact(run.run_config or {}),
                        dumps_compact(run.tags or {}),
                        dumps_or_none(run.solid_selection),
                        dumps_or_none(run.solids_to_execute),
                        dumps_or_none(run.step_keys_to_execute),
                        run.parent_run_id,
                        run.root_run_id,
                        run.pipeline_snapshot_id,
                        run.execution_plan_snapshot_id,
                        dumps_or_none(run.pipeline_origin),
                        run.create_timestamp,
                        now,
                        run.start_time,
                        run.end_time,
                        run.worker_pid,
                        token,
                    ),
                )
                _set_tag_rows(conn, run.run_id, run.tags or {})
        except self.db.integrity_errors as e:
            raise DagsterRunAlreadyExists(f"a run with id {run.run_id} already exists") from e
        return run

    def get_run(self, run_id: str) -> PipelineRun | None:
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return _row_to_run(row) if row else None

    def _run_filters(
        self,
        statuses: Iterable[PipelineRunStatus] | None,
        pipeline_name: str | None,
        tags: dict[str, str | Sequence[str]] | None,
        created_before: float | dt.datetime | None = None,
        created_after: float | dt.datetime | None = None,
        parent_run_id: str | None = None,
        root_run_id: str | None = None,
        run_ids: Iterable[str] | None = None,
    ) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: Iterable[Any]) -> None:
            values = list(values)
            where.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "1 = 0")
            params.extend(values)

        if statuses is not None:
            any_of("status", [PipelineRunStatus(s).value for s in statuses])
        if run_ids is not None:
            any_of("run_id", run_ids)
        for column, value in (
            ("pipeline_name", pipeline_name),
            ("parent_run_id", parent_run_id),
            ("root_run_id", root_run_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if created_before is not None:
            where.append("create_timestamp < ?")
            params.append(_timestamp(created_before))
        if created_after is not None:
            where.append("create_timestamp > ?")
            params.append(_timestamp(created_after))
        for key, value in (tags or {}).items():
            values = [value] if isinstance(value, str) else list(value)
            where.append(
                "run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value IN "
                f"({', '.join('?' * len(values))}))"
            )
            params.append(system_tag_key(key))
            params.extend(values)
        return where, params

    def get_runs(
        self,
        statuses: Iterable[PipelineRunStatus] | None = None,
        pipeline_name: str | None = None,
        tags: dict[str, str | Sequence[str]] | None = None,
        created_before: float | dt.datetime | None = None,
        created_after: float | dt.datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        *,
        parent_run_id: str | None = None,
        root_run_id: str | None = None,
        run_ids: Iterable[str] | None = None,
    ) -> list[PipelineRun]:
        """Runs newest first. ``cursor`` is the run id of the last run of the previous page."""
        where, params = self._run_filters(
            statuses,
            pipeline_name,
            tags,
            created_before,
            created_after,
            parent_run_id,
            root_run_id,
            run_ids,
        )
        with self.db.read() as conn:
            if cursor is not None:
                row = conn.execute("SELECT id FROM runs WHERE run_id = ?", (cursor,)).fetchone()
                if row is None:
                    raise DagsterRunNotFoundError(f"cursor run {cursor} not found")
                where.append("id < ?")
                params.append(row[0])
            sql = f"SELECT {_RUN_COLUMNS} FROM runs"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY id DESC"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            rows = conn.execute(sql, params).fetchall()
        return [_row_to_run(r) for r in rows]

    def get_runs_count(
        self,
        statuses: Iterable[PipelineRunStatus] | None = None,
        pipeline_name: str | None = None,
        tags: dict[str, str | Sequence[str]] | None = None,
    ) -> int:
        where, params = self._run_filters(statuses, pipeline_name, tags)
        sql = "SELECT count(*) FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        with self.db.read() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def update_run(self, run: PipelineRun) -> PipelineRun:
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT worker_pid, worker_start_token FROM runs WHERE run_id = ?", (run.run_id,)
            ).fetchone()
            if row is None:
                raise DagsterRunNotFoundError(f"run {run.run_id} not found")
            token = row[1]
            if run.worker_pid != row[0]:
                token = process_start_token(run.worker_pid) if run.worker_pid else None
            conn.execute(
                "UPDATE runs SET pipeline_name = ?, mode = ?, run_config = ?, tags = ?, "
                "solid_selection = ?, solids_to_execute = ?, step_keys_to_execute = ?, "
                "parent_run_id = ?, root_run_id = ?, pipeline_snapshot_id = ?, "
                "execution_plan_snapshot_id = ?, pipeline_origin = ?, worker_pid = ?, "
                "worker_start_token = ?, update_timestamp = ? WHERE run_id = ?",
                (
                    run.pipeline_name,
                    run.mode,
                    dumps_compact(run.run_config or {}),
                    dumps_compact(run.tags or {}),
                    dumps_or_none(run.solid_selection),
                    dumps_or_none(run.solids_to_execute),
                    dumps_or_none(run.step_keys_to_execute),
                    run.parent_run_id,
                    run.root_run_id,
                    run.pipeline_snapshot_id,
                    run.execution_plan_snapshot_id,
                    dumps_or_none(run.pipeline_origin),
                    run.worker_pid,
                    token,
                    time.time(),
                    run.run_id,
                ),
            )
            _set_tag_rows(conn, run.run_id, run.tags or {})
            stored = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run.run_id,)
            ).fetchone()
        return _row_to_run(stored)

    def add_run_tags(self, run_id: str, tags: dict[str, str]) -> None:
        with self.db.write() as conn:
            row = conn.execute("SELECT tags FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise DagsterRunNotFoundError(f"run {run_id} not found")
            merged = {**(loads(row[0]) if row[0] else {}), **{k: str(v) for k, v in tags.items()}}
            conn.execute(
                "UPDATE runs SET tags = ?, update_timestamp = ? WHERE run_id = ?",
                (dumps_compact(merged), time.time(), run_id),
            )
            _set_tag_rows(conn, run_id, merged)

    # -- snapshots ---------------------------------------------------------------------
    def add_snapshot(self, snapshot_type: str, body: dict[str, Any]) -> str:
        text = canonical_json(body)
        snapshot_id = text_id(text)  # the text once: a large plan's is milliseconds
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO snapshots (snapshot_id, snapshot_type, snapshot_body, create_timestamp) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (snapshot_id) DO NOTHING",
                (snapshot_id, snapshot_type, text, time.time()),
            )
        return snapshot_id

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT snapshot_body FROM snapshots WHERE snapshot_id = ?", (snapshot_id,)
            ).fetchone()
        return loads(row[0]) if row else None

    # -- cancellation and workers ------------------------------------------------------
    def request_cancel(self, run_id: str) -> bool:
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE runs SET cancel_requested = 1, update_timestamp = ? "
                "WHERE run_id = ? AND status NOT IN ('SUCCESS', 'FAILURE', 'CANCELED')",
                (time.time(), run_id),
            )
        return cur.rowcount > 0

    def is_cancel_requested(self, run_id: str) -> bool:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT cancel_requested FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return bool(row and row[0])

    def set_run_worker(self, run_id: str, pid: int) -> bool:
        with self.db.write() as conn:
            return set_worker(conn, run_id, pid)

    def in_progress_run_workers(self) -> list[RunWorker]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT run_id, pipeline_name, status, worker_pid, worker_start_token FROM runs "
                f"WHERE status IN ({', '.join('?' * len(_RECOVERABLE))}) "
                "AND worker_pid IS NOT NULL",
                _RECOVERABLE,
            ).fetchall()
        return [RunWorker(r[0], r[1], PipelineRunStatus(r[2]), r[3], r[4]) for r in rows]
