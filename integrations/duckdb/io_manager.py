"""The DuckDB IO manager: outputs as tables in a DuckDB database file.

DuckDB lets one process at a time open a file for writing; steps of a multiprocess run are
separate processes, so a connection that finds the file locked, or still being created by
another step's first connection, waits (``lock_timeout``) and tries again, and each operation
holds its connection only while it runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orch.core.config import Array, Field, IntSource, StringSource
from orch.core.definitions.events import AssetMaterialization
from orch.core.definitions.io_manager import IOManager, io_manager
from orch.core.errors import DagsterInvariantViolationError

from .._tables import from_arrow, identifier, materialization, table_metadata, to_arrow

PARTITION_COLUMN = "_partition"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


NEW_FILE_SECONDS = 5.0  # a file younger than this that is not a database yet is being made


def _transient(exc: Exception, database: str | os.PathLike) -> bool:
    """Another process holds the file's lock, or is creating the file: a step that opens it
    while a parallel step's first connection is still writing its header finds a file that
    "is not a valid DuckDB database file". A file older than that is a real error."""
    message = str(exc).lower()
    if "lock" in message:
        return True
    if "not a valid duckdb database file" not in message:
        return False
    try:
        return time.time() - os.stat(database).st_mtime < NEW_FILE_SECONDS
    except OSError:
        return True  # gone again: the next attempt creates it


@contextmanager
def connect(database: str | os.PathLike, lock_timeout: float = 60.0) -> Iterator[Any]:
    """A DuckDB connection to ``database``, waiting while another process holds its lock."""
    import duckdb

    deadline = time.monotonic() + lock_timeout
    delay = 0.01
    while True:
        try:
            con = duckdb.connect(os.fspath(database))
            break
        except duckdb.IOException as exc:
            if not _transient(exc, database) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
    try:
        yield con
    finally:
        con.close()


class DuckDBIOManager(IOManager):
    """Stores DataFrames and Arrow tables as DuckDB tables in ``database``."""

    def __init__(self, database: str | os.PathLike, schema: str = "main",
                 lock_timeout: float = 60.0, asset_key_prefix: list[str] | None = None):
        self.database = Path(database)
        self.schema = schema
        self.lock_timeout = lock_timeout
        self.asset_key_prefix = list(asset_key_prefix or [])

    def table_for(self, context: Any) -> str:
        """``"<schema>"."<step_key>__<output>[__<mapping_key>]"``."""
        name = identifier(context.step_key, context.name, context.mapping_key or "")
        return f"{_quoted(self.schema)}.{_quoted(name)}"

    def handle_output(self, context: Any, obj: Any) -> AssetMaterialization:
        arrow = to_arrow(obj, "duckdb_io_manager", context)
        table = self.table_for(context)
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with connect(self.database, self.lock_timeout) as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(self.schema)}")
            con.register("orch_output", arrow)
            if context.partition_key is None:
                con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM orch_output")
            else:
                self._replace_partition(con, table, context.partition_key)
            con.unregister("orch_output")
            con.execute("CHECKPOINT")
        return materialization(context, self.asset_key_prefix, {
            "database": str(self.database), "table": table, **table_metadata(arrow),
            "database_bytes": self.database.stat().st_size})

    @staticmethod
    def _replace_partition(con: Any, table: str, partition: str) -> None:
        select = f"SELECT *, ?::VARCHAR AS {PARTITION_COLUMN} FROM orch_output"
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS {select} LIMIT 0", [partition])
        con.execute(f"DELETE FROM {table} WHERE {PARTITION_COLUMN} = ?", [partition])
        con.execute(f"INSERT INTO {table} BY NAME {select}", [partition])

    def load_input(self, context: Any) -> Any:
        import duckdb

        up = context.upstream_output
        table = self.table_for(up)
        query, params = f"SELECT * FROM {table}", []
        if up.partition_key is not None:
            query = (f"SELECT * EXCLUDE ({PARTITION_COLUMN}) FROM {table} "
                     f"WHERE {PARTITION_COLUMN} = ?")
            params = [up.partition_key]
        with connect(self.database, self.lock_timeout) as con:
            try:
                arrow = con.sql(query, params=params).to_arrow_table()
            except duckdb.CatalogException:
                raise DagsterInvariantViolationError(
                    f'No stored output "{up.name}" of step "{up.step_key}": table {table} is '
                    f"not in {self.database}.") from None
        return from_arrow(arrow, context)


@io_manager(config_schema={
    "database": Field(StringSource, is_required=False,
                      description="The DuckDB file. Default: the instance's storage "
                                  "directory /orch.duckdb."),
    "schema": Field(StringSource, is_required=False, default_value="main"),
    "lock_timeout": Field(IntSource, is_required=False, default_value=60,
                          description="Seconds to wait while another process writes."),
    "asset_key_prefix": Field(Array(str), is_required=False, default_value=[]),
})
def duckdb_io_manager(init_context: Any) -> DuckDBIOManager:
    """Stores DataFrame/Arrow outputs as DuckDB tables; records rows, columns, schema, the
    table and the database's size."""
    config = init_context.resource_config or {}
    database = config.get("database") or Path(init_context.instance.storage_dir) / "orch.duckdb"
    return DuckDBIOManager(database, config.get("schema", "main"),
                           float(config.get("lock_timeout", 60)), config.get("asset_key_prefix"))
