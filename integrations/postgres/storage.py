"""``PostgresStorage``: every storage of an instance (runs, tags, snapshots, events, asset keys,
the compute-log index, instigators, ticks, backfills, daemon heartbeats) on one PostgreSQL
database, for an instance that several processes on several machines share.

It is :class:`~orch.core.storage.sql.SqlStorage` — the same SQL as SQLite's — over a
:class:`~.database.PostgresDatabase`, plus what concurrent writers need:

* **Event ids in commit order.** A tail or sensor reads ``id > cursor``; with concurrent
  writers a sequence alone hands out ids that commit out of order, so a reader could step
  past an id that commits later. Every transaction that stores events first takes one
  transaction-level advisory lock (:data:`EVENTS_LOCK`), reserves a block of ids with one
  ``setval`` and writes the batch with ``COPY`` (small batches: one pipelined
  ``executemany``): batches commit one after another, in id order. The lock is held from the
  insert to the commit only.
* **Monotonic run status.** A run event moves the run with a conditional ``UPDATE ... WHERE
  status IN (statuses before)`` (``event_log.py``), so concurrent writers never move it back.
* **Two dequeuers.** ``store_events_if_status`` (the queue's claim) takes the same lock before
  it reads the run's status and the limits' counts, so two daemons started by mistake claim a
  run, or the last slot of a limit, once.
* **Schema.** The statements of ``orch.core.storage.schema.MIGRATION_STATEMENTS`` in
  PostgreSQL's types, versioned in ``schema_version``. An empty database gets the tables on
  first use (``should_autocreate_tables``, default true); an older schema is migrated only by
  ``orch instance migrate`` (a shared database is upgraded on purpose, not by whoever runs a
  newer orch first), under an advisory lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
from orch.core.storage.schema import (
    MIGRATION_BACKFILLS,
    MIGRATION_STATEMENTS,
    SCHEMA_VERSION,
    OrchInstanceSchemaError,
    postgres_ddl,
)
from orch.core.storage.sql import SqlStorage

from .config import PostgresConfig, parse_config
from .database import OrchPostgresUnavailableError, PgConnection, PostgresDatabase

# pg_advisory_xact_lock keys (any two fixed bigints; "orch" in ASCII, then a kind).
EVENTS_LOCK = 0x6F726368_0001
MIGRATE_LOCK = 0x6F726368_0002
_COPY_ABOVE = 32  # rows; smaller batches are one pipelined executemany
_EVENT_COLUMNS = ("id, run_id, timestamp, event_type, step_key, level, message, pid, "
                  "pipeline_name, body")
_EVENT_TYPES = ["int8", "text", "float8", "text", "text", "int8", "text", "int8", "text", "text"]
# Tables whose id is a serial (their sequence follows rows copied in with explicit ids).
SERIAL_TABLES = ("runs", "run_tags", "snapshots", "event_logs", "ticks")


class PostgresStorage(SqlStorage):
    """See the module docstring. ``orch.yaml``::

        storage:
          postgres:
            postgres_url: postgresql://user:password@host:5432/db   # or {env: VAR}
    """

    transient_errors = (OrchPostgresUnavailableError, psycopg.OperationalError)

    def __init__(self, config: PostgresConfig, *, migrating: bool = False) -> None:
        self.config = config
        self.db = PostgresDatabase(config.url, config.display, pool_size=config.pool_size,
                                   listen=config.listen)
        try:
            self.schema_on_open = self._open_schema(migrating)
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, *,
                    migrating: bool = False) -> PostgresStorage:
        return cls(parse_config(config), migrating=migrating)

    @classmethod
    def from_url(cls, url: str, *, migrating: bool = False) -> PostgresStorage:
        return cls.from_config({"postgres_url": url}, None, migrating=migrating)

    # -- schema ------------------------------------------------------------------------
    def _open_schema(self, migrating: bool) -> tuple[int | None, int | None]:
        with self.db.read() as conn:
            found = _read_version(conn, self.db.display)
        if found == SCHEMA_VERSION or migrating:
            return found, found
        if found is None and self.config.should_autocreate_tables:
            return self._migrate()
        if found is None:
            raise OrchInstanceSchemaError(
                f"the PostgreSQL database {self.db.display} has no orch tables and "
                "should_autocreate_tables is false: create them with `orch instance migrate`")
        if found > SCHEMA_VERSION:
            raise _newer(self.db.display, found)
        raise OrchInstanceSchemaError(
            f"the PostgreSQL database {self.db.display} has schema version {found}; this orch "
            f"needs {SCHEMA_VERSION}: upgrade it with `orch instance migrate` (every orch "
            "that shares it must then be this version or newer)")

    def _migrate(self) -> tuple[int | None, int]:
        with self.db.write() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATE_LOCK,))
            before = _read_version(conn, self.db.display)
            if before is not None and before > SCHEMA_VERSION:
                raise _newer(self.db.display, before)
            if before is None:
                conn.execute("CREATE TABLE schema_version (version BIGINT PRIMARY KEY, "
                             "applied_at DOUBLE PRECISION NOT NULL)")
            for version in range((before or 0) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATION_STATEMENTS[version]:
                    conn.execute(postgres_ddl(statement))
                if version in MIGRATION_BACKFILLS:  # data the new tables start with
                    MIGRATION_BACKFILLS[version](conn)
                conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                             (version, time.time()))
        return before, SCHEMA_VERSION

    def schema_version(self) -> int:
        with self.db.read() as conn:
            return _read_version(conn, self.db.display) or 0

    def migrate(self) -> tuple[int | None, int]:
        """(version before, version now); "before" is the version found when this storage
        opened if opening created the tables, as for SQLite."""
        before, after = self._migrate()
        found, opened_at = self.schema_on_open
        return (found if found != opened_at else before), after

    def describe(self) -> dict[str, Any]:
        with self.db.read() as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        return {
            "kind": "postgres",
            "path": self.db.display,
            "location": self.db.display,
            "server_version": server,
            "schema_version": self.schema_version(),
            "change_detection": "LISTEN/NOTIFY" if self.db.listening else "polling",
            "size_bytes": int(size),
            "rows": self.row_counts(),
        }

    # -- the SqlStorage hooks ------------------------------------------------------------
    def _serialize(self, conn: PgConnection) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (EVENTS_LOCK,))

    def _insert_rows(self, conn: PgConnection, rows: list[tuple[Any, ...]]) -> int:
        n = len(rows)
        # One round trip: the lock (in FROM, so taken first), then the block of ids.
        (last,) = conn.execute(
            "SELECT setval('event_logs_id_seq', nextval('event_logs_id_seq') + ? - 1) "
            "FROM (SELECT pg_advisory_xact_lock(?)) AS locked", (n, EVENTS_LOCK)).fetchone()
        first = int(last) - n + 1
        numbered = [(first + i, *row) for i, row in enumerate(rows)]
        if n > _COPY_ABOVE:
            copy_rows(conn, "event_logs", _EVENT_COLUMNS, numbered, _EVENT_TYPES)
        else:
            conn.executemany(
                f"INSERT INTO event_logs ({_EVENT_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", numbered)
        return int(last)

    def change_token(self) -> object:
        return self.db.change_token()

    def wait_for_change(self, token: object, timeout: float) -> None:
        self.db.wait_for_change(token, timeout)

    # -- copying an instance in (orch instance copy) -------------------------------------
    def load_rows(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Append rows with their own ids by ``COPY`` (``orch instance copy``); the table's
        id sequence then continues after them."""
        with self.db.write() as conn:
            copy_rows(conn, table, ", ".join(columns), rows)
            if table in SERIAL_TABLES:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"GREATEST((SELECT max(id) FROM {table}), 1))")


def copy_rows(conn: PgConnection, table: str, columns: str, rows: Iterable[tuple[Any, ...]],
              types: list[str] | None = None) -> None:
    """``COPY`` the rows in; binary when the column ``types`` are given (2 µs a row against
    5 µs for text)."""
    binary = " (FORMAT BINARY)" if types else ""
    with conn.raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _read_version(conn: PgConnection, display: str) -> int | None:
    """The schema version; None for a database without orch's tables (and no others). Both
    tables are looked for in one statement (one snapshot), so a database another process
    creates meanwhile is seen whole or not at all, never as a runs table without a version.
    pg_tables, not to_regclass: a catalog cache can miss a table that a concurrent opener
    committed while this one waited for the migration lock."""
    has_version, has_runs = conn.execute(
        "SELECT bool_or(tablename = 'schema_version'), bool_or(tablename = 'runs') FROM "
        "pg_tables WHERE schemaname = current_schema() AND tablename IN "
        "('schema_version', 'runs')").fetchone()
    if has_version:
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row[0] is not None else 0
    if has_runs:
        raise OrchInstanceSchemaError(
            f"the PostgreSQL database {display} has a runs table but no schema_version: it "
            "is not an orch database (dagster's own tables?); point orch at a new database")
    return None


def _newer(display: str, version: int) -> OrchInstanceSchemaError:
    return OrchInstanceSchemaError(
        f"the PostgreSQL database {display} has schema version {version} but this orch "
        f"understands up to {SCHEMA_VERSION}; upgrade orch")

