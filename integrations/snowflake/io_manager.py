"""The Snowflake IO manager (legacy ``build_snowflake_io_manager`` and dagster-snowflake-
pandas' ``SnowflakePandasTypeHandler``): each output is the table named after the output
(or the output's ``table`` metadata) in ``<database>.<schema>``, emptied and written again
each run; inputs load with ``SELECT`` (the ``columns`` input metadata narrows it). With
``partition_expr`` output metadata, a partitioned run replaces only the rows whose
``partition_expr`` equals its partition."""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from orch.core.config import Field, IntSource, StringSource
from orch.core.definitions.io_manager import IOManager, IOManagerDefinition, io_manager
from orch.core.errors import DagsterInvariantViolationError

from .resources import SnowflakeConnection


class TableSlice(NamedTuple):
    table: str
    schema: str
    database: str
    columns: Sequence[str] | None = None
    partition: tuple[str, str] | None = None  # (partition_expr, partition key)


class DbTypeHandler(ABC):
    """How one in-memory type is written to and read from a table slice."""

    @abstractmethod
    def handle_output(self, context: Any, table_slice: TableSlice, obj: Any,
                      connection: SnowflakeConnection) -> Mapping[str, Any] | None: ...

    @abstractmethod
    def load_input(self, context: Any, table_slice: TableSlice,
                   connection: SnowflakeConnection) -> Any: ...

    @property
    @abstractmethod
    def supported_types(self) -> Sequence[type]: ...


def _where(table_slice: TableSlice) -> str:
    if table_slice.partition is None:
        return ""
    expr, key = table_slice.partition
    return f"\nWHERE {expr} = '{key.replace(chr(39), chr(39) * 2)}'"


def select_statement(table_slice: TableSlice) -> str:
    columns = ", ".join(table_slice.columns) if table_slice.columns else "*"
    return (f"SELECT {columns} FROM {table_slice.database}.{table_slice.schema}."
            f"{table_slice.table}{_where(table_slice)}")


def cleanup_statement(table_slice: TableSlice) -> str:
    return (f"DELETE FROM {table_slice.database}.{table_slice.schema}.{table_slice.table}"
            f"{_where(table_slice)}")


class SnowflakeIOManager(IOManager):
    def __init__(self, type_handlers: Sequence[DbTypeHandler], config: Mapping[str, Any],
                 log: Any):
        self.handlers: dict[type, DbTypeHandler] = {}
        for handler in type_handlers:
            for handled in handler.supported_types:
                if handled in self.handlers:
                    raise DagsterInvariantViolationError(
                        "DbIOManager provided with two handlers for the same type. "
                        f"Type: '{handled}'. Handler classes: '{type(handler)}' and "
                        f"'{type(self.handlers[handled])}'.")
                self.handlers[handled] = handler
        self.config = dict(config)
        self.log = log

    def connection(self, table_slice: TableSlice) -> SnowflakeConnection:
        """A connection whose current database and schema are the slice's."""
        return SnowflakeConnection({**self.config, "database": table_slice.database,
                                    "schema": table_slice.schema}, self.log)

    def _handler(self, obj_type: Any) -> DbTypeHandler:
        handler = self.handlers.get(obj_type)
        if handler is None and len(set(self.handlers.values())) == 1 and obj_type is Any:
            handler = next(iter(self.handlers.values()))  # an untyped input: the only handler
        if handler is None:
            raise DagsterInvariantViolationError(
                f"DbIOManager does not have a handler for type '{obj_type}'. Has handlers for "
                f"types '{', '.join(str(t) for t in self.handlers)}'")
        return handler

    def table_slice(self, output: Any, columns: Sequence[str] | None = None) -> TableSlice:
        metadata = output.metadata or {}
        if metadata.get("schema") and self.config.get("schema"):
            raise DagsterInvariantViolationError(
                f"Schema {metadata['schema']} specified via output metadata, but conflicting "
                f"schema {self.config['schema']} was provided via run_config. Schema can only "
                "be specified one way.")
        partition = None
        if metadata.get("partition_expr") and output.partition_key is not None:
            partition = (metadata["partition_expr"], output.partition_key)
        return TableSlice(table=metadata.get("table") or output.name,
                          schema=metadata.get("schema") or self.config.get("schema") or "public",
                          database=self.config["database"], columns=columns,
                          partition=partition)

    def handle_output(self, context: Any, obj: Any) -> None:
        table_slice = self.table_slice(context)
        handler = self._handler(type(obj))
        import snowflake.connector

        connection = self.connection(table_slice)
        try:
            connection.execute_query(cleanup_statement(table_slice))
        except snowflake.connector.ProgrammingError:
            pass  # the table does not exist yet
        metadata = handler.handle_output(context, table_slice, obj, connection) or {}
        context.add_output_metadata({**metadata, "Query": select_statement(table_slice)})

    def load_input(self, context: Any) -> Any:
        obj_type = getattr(context.dagster_type, "typing_type", Any)
        python_type = getattr(context.dagster_type, "python_type", None)
        if obj_type not in self.handlers and python_type in self.handlers:
            obj_type = python_type
        table_slice = self.table_slice(context.upstream_output,
                                       (context.metadata or {}).get("columns"))
        return self._handler(obj_type).load_input(context, table_slice,
                                                  self.connection(table_slice))


def build_snowflake_io_manager(type_handlers: Sequence[DbTypeHandler]) -> IOManagerDefinition:
    """An IO manager writing outputs to Snowflake tables through ``type_handlers``."""

    @io_manager(config_schema={
        "database": StringSource, "account": StringSource, "user": StringSource,
        "password": StringSource,
        "warehouse": Field(StringSource, is_required=False),
        "schema": Field(StringSource, is_required=False),
        "host": Field(StringSource, is_required=False, description="orch: a non-default host."),
        "port": Field(IntSource, is_required=False),
        "protocol": Field(StringSource, is_required=False),
    })
    def snowflake_io_manager(init_context: Any) -> SnowflakeIOManager:
        return SnowflakeIOManager(type_handlers, init_context.resource_config or {},
                                  init_context.log)

    return snowflake_io_manager


_SNOWFLAKE_TYPES = (("bool", "BOOLEAN"), ("int", "NUMBER(38,0)"), ("uint", "NUMBER(38,0)"),
                    ("double", "FLOAT"), ("float", "FLOAT"), ("string", "VARCHAR"),
                    ("large_string", "VARCHAR"), ("date32", "DATE"),
                    ("timestamp", "TIMESTAMP_NTZ"), ("decimal", "NUMBER(38,9)"))


def _column_type(arrow_type: Any) -> str:
    text = str(arrow_type)
    for prefix, snowflake_type in _SNOWFLAKE_TYPES:
        if text.startswith(prefix):
            return snowflake_type
    return "VARIANT"


class SnowflakePandasTypeHandler(DbTypeHandler):
    """pandas DataFrames: columns are upper-cased on the way in (Snowflake's folding) and
    lower-cased on the way out; rows go up as one parquet file (``PUT`` + ``COPY INTO ...
    MATCH_BY_COLUMN_NAME``)."""

    def handle_output(self, context: Any, table_slice: TableSlice, obj: Any,
                      connection: SnowflakeConnection) -> Mapping[str, Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = obj.rename(str.upper, axis="columns")
        if table_slice.partition is not None:
            expr, key = table_slice.partition
            if expr.upper() not in frame.columns:
                frame = frame.assign(**{expr.upper(): key})
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        name = f"{table_slice.database}.{table_slice.schema}.{table_slice.table}"
        columns = ", ".join(f'"{f.name}" {_column_type(f.type)}' for f in arrow.schema)
        with tempfile.TemporaryDirectory(prefix="orch-snowflake-") as tmp:
            path = os.path.join(tmp, f"{table_slice.table}.parquet")
            pq.write_table(arrow, path)
            connection.execute_queries([
                f"CREATE TABLE IF NOT EXISTS {name} ({columns})",
                "CREATE OR REPLACE FILE FORMAT orch_parquet_format TYPE = 'parquet'",
                f"PUT file://{path} @%{table_slice.table} OVERWRITE = TRUE",
                f"COPY INTO {name} FROM @%{table_slice.table} FILE_FORMAT = "
                "(FORMAT_NAME = 'orch_parquet_format') MATCH_BY_COLUMN_NAME = "
                "CASE_INSENSITIVE PURGE = TRUE",
            ])
        return {"row_count": len(obj),
                "dataframe_columns": {str(c): str(t) for c, t in obj.dtypes.items()}}

    def load_input(self, context: Any, table_slice: TableSlice,
                   connection: SnowflakeConnection) -> Any:
        from contextlib import closing

        with connection.get_connection() as conn, closing(conn.cursor()) as cursor:
            connection._log(select_statement(table_slice))
            cursor.execute(select_statement(table_slice))
            frame = cursor.fetch_pandas_all()
        frame.columns = [str(c).lower() for c in frame.columns]
        return frame

    @property
    def supported_types(self) -> Sequence[type]:
        import pandas as pd

        return [pd.DataFrame]


snowflake_io_manager = build_snowflake_io_manager([SnowflakePandasTypeHandler()])
