"""Copying one instance's storage into another (``orch instance copy``): SQLite → PostgreSQL
when a project becomes a team's, or back.

Every table is copied row for row with its own ids (run ids, event storage ids, tick ids stay
what they were, so cursors and references keep meaning the same), from one consistent
snapshot of the source, each table in one transaction of the target. The target must be
empty. The result says, per table, how many rows the source had and the target has now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import DagsterError
from .sql import DESCRIBED_TABLES, SqlStorage, iter_rows

# What is copied: everything `orch instance info` counts except the daemons' heartbeats
# (they describe processes of the old instance, not history).
COPIED_TABLES = tuple(t for t in DESCRIBED_TABLES if t != "daemon_heartbeats")


class OrchStorageCopyError(DagsterError):
    """The copy cannot start (the target is not empty, or not a SQL storage)."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    target_rows: int

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows


def copy_storage(source: SqlStorage, target: SqlStorage,
                 on_table: Callable[[TableCopy], None] | None = None) -> list[TableCopy]:
    """Copy every table of :data:`COPIED_TABLES`; returns the counts (see module)."""
    if not isinstance(source, SqlStorage) or not isinstance(target, SqlStorage):
        raise OrchStorageCopyError("orch instance copy copies between SQL storages only")
    held = {t: n for t, n in target.row_counts().items() if n and t in COPIED_TABLES}
    if held:
        listed = ", ".join(f"{n} {t}" for t, n in held.items())
        raise OrchStorageCopyError(
            f"the target already holds {listed}: copy into an empty database")
    results = []
    with source.db.snapshot() as conn:
        for table in COPIED_TABLES:
            columns = [d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]
            source_rows = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            order = " ORDER BY id" if "id" in columns else ""
            target.load_rows(table, columns,
                             iter_rows(conn, f"SELECT {', '.join(columns)} FROM {table}{order}"))
            result = TableCopy(table, source_rows, target.row_counts()[table])
            results.append(result)
            if on_table is not None:
                on_table(result)
    return results
