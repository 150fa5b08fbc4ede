"""Schema versioning: creation, refusal of newer or foreign databases, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.runs import PipelineRun
from orch.core.storage import schema
from orch.core.storage.schema import SCHEMA_VERSION, OrchInstanceSchemaError

# SQLite's file and its migration on open; PostgreSQL's schema: test_postgres.py.
pytestmark = pytest.mark.sqlite_only

NEXT = SCHEMA_VERSION + 1  # a pretend next version


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_new_database_gets_the_current_version(home: Path) -> None:
    with Instance.get() as inst:
        assert inst.schema_version() == SCHEMA_VERSION
        assert inst.migrate() == (None, SCHEMA_VERSION)  # created from nothing
    with Instance.get() as inst:
        assert inst.migrate() == (SCHEMA_VERSION, SCHEMA_VERSION)
    conn = sqlite3.connect(home / "orch.db")
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_database_is_refused_and_left_alone(home: Path) -> None:
    with Instance.get() as inst:
        inst.create_run(PipelineRun("p"))
    db = home / "orch.db"
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 5,))
    conn.commit()
    conn.close()
    before = _dump(db)
    with pytest.raises(OrchInstanceSchemaError) as info:
        Instance.get()
    assert str(info.value) == (
        f"database at {db} has schema version {SCHEMA_VERSION + 5} but this orch understands "
        f"up to {SCHEMA_VERSION}; upgrade orch"
    )
    assert _dump(db) == before


def test_foreign_database_is_refused(home: Path) -> None:
    home.mkdir()
    conn = sqlite3.connect(home / "orch.db")
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()
    with pytest.raises(OrchInstanceSchemaError, match="not an orch database"):
        Instance.get()


@pytest.fixture
def version_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pretend next schema version that adds a column (through sqlite-utils)."""

    def add_note_column(conn: sqlite3.Connection) -> None:
        import sqlite_utils

        sqlite_utils.Database(conn)["runs"].add_column("note", str)

    monkeypatch.setattr(schema, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(schema.MIGRATIONS, NEXT, add_note_column)


def _make_v1_database() -> str:
    with Instance.get() as inst:
        return inst.create_run(PipelineRun("p")).run_id


def _columns(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    finally:
        conn.close()


def test_older_database_is_migrated_on_open(home: Path, request: pytest.FixtureRequest) -> None:
    run_id = _make_v1_database()
    request.getfixturevalue("version_2")
    with Instance.get() as inst:
        assert inst.schema_version() == NEXT
        assert inst.migrate() == (SCHEMA_VERSION, NEXT)
        assert inst.get_run(run_id) is not None
    assert "note" in _columns(home / "orch.db")
    with Instance.get() as inst:
        assert inst.migrate() == (NEXT, NEXT)


def test_migrate_is_one_transaction(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing migration leaves the database at the version before it."""
    _make_v1_database()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", NEXT)
    monkeypatch.setitem(schema.MIGRATIONS, NEXT, broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        Instance.get()
    conn = sqlite3.connect(home / "orch.db")
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == \
        SCHEMA_VERSION
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0]
        == 0
    )


class _CreatedAfterFirstStatement:
    """A connection on which another process creates the whole database (every table and its
    version, one transaction) right after the reader's first statement."""

    def __init__(self, conn: sqlite3.Connection, create: object):
        self.conn, self.create, self.statements = conn, create, 0

    def execute(self, sql: str, *args: object) -> _Rows:
        try:
            return _Rows(self.conn.execute(sql, *args).fetchall())  # the statement is done
        finally:  # also when it failed ("no such table")
            self.statements += 1
            if self.statements == 1:
                self.create()  # type: ignore[operator]


class _Rows:
    def __init__(self, rows: list[tuple[object, ...]]):
        self.rows = rows

    def fetchone(self) -> tuple[object, ...] | None:
        return self.rows[0] if self.rows else None


def test_a_database_created_while_it_is_read_is_seen_whole_or_not_at_all(home: Path) -> None:
    # A reader opening a fresh ORCH_HOME while another process created it got "has tables but
    # no schema_version: it is not an orch database" (its two statements saw two snapshots).
    home.mkdir()
    db = home / "orch.db"
    reader = sqlite3.connect(db, isolation_level=None)

    def create() -> None:
        with Instance.get():
            pass

    version = schema.read_schema_version(_CreatedAfterFirstStatement(reader, create))  # type: ignore[arg-type]
    assert version in (None, SCHEMA_VERSION)  # not yet, or the whole database: no error
    assert schema.read_schema_version(reader) == SCHEMA_VERSION
    reader.close()
