"""The SQLite schema, its version, and the migrations between versions.

``schema_version`` holds one row per applied version. Opening a database whose version is newer
than this code knows raises :class:`OrchInstanceSchemaError` before anything is written; an
older one is migrated forward when it is opened (``orch instance migrate`` does the same
explicitly and reports it), all pending migrations and their ``schema_version`` rows in one
``BEGIN IMMEDIATE`` transaction, so a concurrent opener waits and then sees the finished schema.
Migrations must stay additive (new tables, nullable or defaulted columns) so that a process
still running the previous orch keeps working.

Adding a migration: bump :data:`SCHEMA_VERSION` and add its DDL as
``MIGRATION_STATEMENTS[n]``. The statements are written for SQLite and are also what the
PostgreSQL storage applies, through :func:`postgres_ddl` (types only: ``INTEGER`` → ``BIGINT``,
``REAL`` → ``DOUBLE PRECISION``, an integer primary key → ``BIGSERIAL``), so one list is the
schema of both backends. A migration that needs more on SQLite (a table rewrite) puts a
function in ``MIGRATIONS[n]`` instead; it runs inside the transaction (no ``executescript``,
which would commit) and may wrap the connection in ``sqlite_utils.Database(conn)`` (imported
there, not at module level: sqlite-utils takes ~90 ms to import because it imports numpy);
``MIGRATION_STATEMENTS[n]`` then still says what PostgreSQL does. A migration that must also
fill its new table from existing rows puts that in ``MIGRATION_BACKFILLS[n]`` (backend-neutral
SQL); both backends run it after the statements.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from ..errors import DagsterError
from .schedules import V2_STATEMENTS
from .sqlite_base import SqliteDatabase

SCHEMA_VERSION = 4


class OrchInstanceSchemaError(DagsterError):
    """The database's schema cannot be used by this version of orch."""


DagsterInstanceSchemaError = OrchInstanceSchemaError

_V1 = [
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- creation order; get_runs pages on it
        run_id TEXT NOT NULL UNIQUE,
        pipeline_name TEXT NOT NULL,
        status TEXT NOT NULL,
        mode TEXT,
        run_config TEXT,                        -- JSON
        tags TEXT,                              -- JSON object; exploded into run_tags
        solid_selection TEXT,                   -- JSON list
        solids_to_execute TEXT,                 -- JSON list
        step_keys_to_execute TEXT,              -- JSON list
        parent_run_id TEXT,
        root_run_id TEXT,
        pipeline_snapshot_id TEXT,
        execution_plan_snapshot_id TEXT,
        pipeline_origin TEXT,                   -- JSON
        create_timestamp REAL NOT NULL,
        update_timestamp REAL NOT NULL,
        start_time REAL,
        end_time REAL,
        worker_pid INTEGER,
        worker_start_token REAL,                -- process start time, to tell a reused pid
        cancel_requested INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX ix_runs_status ON runs (status)",
    "CREATE INDEX ix_runs_pipeline_name ON runs (pipeline_name, id)",
    "CREATE INDEX ix_runs_parent_run_id ON runs (parent_run_id)",
    "CREATE INDEX ix_runs_root_run_id ON runs (root_run_id)",
    "CREATE INDEX ix_runs_create_timestamp ON runs (create_timestamp)",
    """CREATE TABLE run_tags (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT
    )""",
    "CREATE INDEX ix_run_tags_key_value ON run_tags (key, value)",
    "CREATE INDEX ix_run_tags_run_id ON run_tags (run_id)",
    """CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        snapshot_id TEXT NOT NULL UNIQUE,       -- sha256 of the canonical JSON body
        snapshot_type TEXT NOT NULL,            -- 'pipeline' or 'execution_plan'
        snapshot_body TEXT NOT NULL,
        create_timestamp REAL NOT NULL
    )""",
    """CREATE TABLE event_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- the read cursor
        run_id TEXT NOT NULL,
        timestamp REAL NOT NULL,
        event_type TEXT,                        -- NULL for plain log lines
        step_key TEXT,
        level INTEGER NOT NULL,
        message TEXT NOT NULL,
        pid INTEGER,
        pipeline_name TEXT,
        body TEXT                               -- JSON payload (EventRecord.data); NULL if empty
    )""",
    "CREATE INDEX ix_event_logs_run_id ON event_logs (run_id, id)",
    # Step and type filters are always within one run (step keys repeat in every run of a
    # pipeline), so one index serves both. A commit touches one leaf of it per step; an index
    # led by event_type would touch one leaf per type in the batch, which measured 25-40% of
    # write throughput when every step outcome commits (benchmarks/bench_events.py).
    "CREATE INDEX ix_event_logs_step_key_event_type ON event_logs (run_id, step_key, event_type)",
    """CREATE TABLE asset_keys (
        asset_key TEXT PRIMARY KEY,             -- JSON list of strings
        last_event_id INTEGER NOT NULL,         -- event_logs.id of the latest materialization
        last_run_id TEXT NOT NULL,
        last_timestamp REAL NOT NULL
    )""",
    """CREATE TABLE compute_logs (
        run_id TEXT NOT NULL,
        step_key TEXT NOT NULL,
        stdout_path TEXT,
        stderr_path TEXT,
        stdout_bytes INTEGER NOT NULL DEFAULT 0,
        stderr_bytes INTEGER NOT NULL DEFAULT 0,
        complete INTEGER NOT NULL DEFAULT 0,
        start_time REAL,
        end_time REAL,
        PRIMARY KEY (run_id, step_key)
    )""",
]


_V3 = [
    # The daemon's heartbeats: one row per loop (scheduler, sensors, run queue, ...).
    """CREATE TABLE daemon_heartbeats (
        daemon_type TEXT PRIMARY KEY,           -- the loop: QUEUED_RUN_COORDINATOR, ...
        daemon_id TEXT NOT NULL,                -- the daemon process that wrote it
        pid INTEGER NOT NULL,
        timestamp REAL NOT NULL,
        errors TEXT NOT NULL DEFAULT '[]'       -- JSON: the loop's recent errors
    )""",
]

_V4 = [
    # Every materialization by asset key, so an asset's history is an index range however
    # many events the instance has (written with the event, in its transaction).
    """CREATE TABLE asset_materializations (
        event_id INTEGER PRIMARY KEY,           -- event_logs.id of the materialization
        asset_key TEXT NOT NULL,                -- JSON list of strings, as asset_keys
        run_id TEXT NOT NULL,
        step_key TEXT,
        partition TEXT,
        timestamp REAL NOT NULL
    )""",
    "CREATE INDEX ix_asset_materializations_key ON asset_materializations (asset_key, event_id)",
    "CREATE INDEX ix_asset_materializations_run ON asset_materializations (run_id)",
]

# version -> the DDL that brings a database from version - 1 to it (both backends).
MIGRATION_STATEMENTS: dict[int, list[str]] = {
    1: _V1,
    2: V2_STATEMENTS,  # schedules, sensors and backfills (schedules.py)
    3: _V3,
    4: _V4,  # the asset index
}


def backfill_asset_index(conn: Any) -> None:
    """Fill ``asset_materializations`` from the events already stored (schema 4). Written in
    the SQL both backends speak (``?`` placeholders): each backend runs it after the
    statements of :data:`MIGRATION_STATEMENTS` ``[4]``."""
    from .event_log import asset_key_text
    from .serde import loads

    rows = conn.execute(
        "SELECT id, run_id, step_key, timestamp, body FROM event_logs "
        "WHERE event_type = 'ASSET_MATERIALIZATION' ORDER BY id").fetchall()
    entries = []
    for event_id, run_id, step_key, timestamp, body in rows:
        data = loads(body) if body else {}
        if data.get("asset_key"):
            partition = data.get("partition")
            entries.append((event_id, asset_key_text(data["asset_key"]), run_id, step_key,
                            None if partition is None else str(partition), timestamp))
    if entries:
        conn.executemany(
            "INSERT INTO asset_materializations (event_id, asset_key, run_id, step_key, "
            "partition, timestamp) VALUES (?, ?, ?, ?, ?, ?)", entries)


# version -> what a backend runs after that version's statements (data, not schema).
MIGRATION_BACKFILLS: dict[int, Callable[[Any], None]] = {4: backfill_asset_index}


def _statements(version: int) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in MIGRATION_STATEMENTS[version]:
            conn.execute(statement)
        if version in MIGRATION_BACKFILLS:
            MIGRATION_BACKFILLS[version](conn)

    return apply


# version -> how SQLite gets there (the statements, unless a migration needs more).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    v: _statements(v) for v in MIGRATION_STATEMENTS}

_PG_TYPES = (
    (re.compile(r"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?"), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
)


def postgres_ddl(statement: str) -> str:
    """A statement of :data:`MIGRATION_STATEMENTS` in PostgreSQL's types."""
    for pattern, replacement in _PG_TYPES:
        statement = pattern.sub(replacement, statement)
    return statement


def read_schema_version(conn: sqlite3.Connection) -> int | None:
    """The database's schema version; None for an empty database.

    Raises :class:`OrchInstanceSchemaError` for a database that has tables but is not orch's.
    Whether ``schema_version`` exists and whether other tables do is one statement, so one
    snapshot: a database another process creates meanwhile (every table and its version in
    one transaction) is either seen whole or not at all, never as tables without a version.
    """
    (has_version, n_tables) = conn.execute(
        "SELECT coalesce(sum(name = 'schema_version'), 0), count(*) FROM sqlite_master "
        "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    if has_version:  # once there, it stays: a later statement sees it too
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] if row[0] is not None else 0
    if n_tables:
        raise OrchInstanceSchemaError(
            f"database at {_db_name(conn)} has tables but no schema_version: it is not an orch "
            "database"
        )
    return None


def _db_name(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"


def _check_not_newer(conn: sqlite3.Connection, version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise OrchInstanceSchemaError(
            f"database at {_db_name(conn)} has schema version {version} but this orch "
            f"understands up to {SCHEMA_VERSION}; upgrade orch"
        )


def migrate(db: SqliteDatabase) -> tuple[int | None, int]:
    """Bring the database to :data:`SCHEMA_VERSION`; returns (version before, version after)."""
    with db.write() as conn:
        before = read_schema_version(conn)
        _check_not_newer(conn, before)
        if before is None:
            conn.execute(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
        for version in range((before or 0) + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](conn)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, time.time()),
            )
    return before, SCHEMA_VERSION


def ensure_schema(db: SqliteDatabase) -> tuple[int | None, int]:
    """Check the version on open and create or migrate when needed.

    Returns (version found, version in use); one cheap read when the schema is current.
    """
    try:
        with db.read() as conn:
            version = read_schema_version(conn)
            _check_not_newer(conn, version)
    except sqlite3.OperationalError:
        # Another process is creating the database (busy while it switches to WAL): ask again
        # inside a write transaction, which waits for it.
        return migrate(db)
    if version == SCHEMA_VERSION:
        return version, version
    return migrate(db)
