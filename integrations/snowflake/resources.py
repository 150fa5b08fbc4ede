"""``snowflake_resource`` (legacy ``dagster_snowflake.resources``): a new connection per call,
committed on exit unless autocommit, then closed; ``execute_query`` logs
``Executing query: <sql>``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from typing import Any

from orch.core.definitions.resource import resource
from orch.core.errors import DagsterInvariantViolationError

from .configs import CONNECT_KEYS, define_snowflake_config


class SnowflakeConnection:
    """What ``context.resources.snowflake`` is."""

    def __init__(self, config: Mapping[str, Any], log: Any):
        if config.get("connector") == "sqlalchemy":
            raise DagsterInvariantViolationError(
                "snowflake_resource: connector 'sqlalchemy' is not supported by orch; leave "
                "'connector' out to use the Snowflake Connector for Python.")
        # None values would override the connector's own defaults: leave them out.
        self.conn_args = {k: config[k] for k in CONNECT_KEYS if config.get(k) is not None}
        self.autocommit = self.conn_args.get("autocommit", False)
        self.log = log

    @contextmanager
    def get_connection(self, raw_conn: bool = True) -> Iterator[Any]:
        import snowflake.connector

        conn = snowflake.connector.connect(**self.conn_args)
        try:
            yield conn
            if not self.autocommit:
                conn.commit()
        finally:
            conn.close()

    def _log(self, sql: str) -> None:
        if self.log is not None:
            self.log.info("Executing query: " + sql)

    def execute_query(self, sql: str, parameters: Any = None,
                      fetch_results: bool = False) -> list[tuple[Any, ...]] | None:
        if not isinstance(sql, str):
            raise DagsterInvariantViolationError(f"sql must be a str, got {sql!r}.")
        with self.get_connection() as conn, closing(conn.cursor()) as cursor:
            self._log(sql)
            cursor.execute(sql, parameters)
            return cursor.fetchall() if fetch_results else None

    def execute_queries(self, sql_queries: list[str], parameters: Any = None,
                        fetch_results: bool = False) -> list[list[tuple[Any, ...]]] | None:
        results = []
        with self.get_connection() as conn, closing(conn.cursor()) as cursor:
            for sql in sql_queries:
                self._log(sql)
                cursor.execute(sql, parameters)
                if fetch_results:
                    results.append(cursor.fetchall())
        return results if fetch_results else None

    def load_table_from_local_parquet(self, src: str, table: str) -> None:
        """dagster-snowflake 0.15's load: ``table`` is replaced by one VARIANT column
        ``data`` holding each parquet row as an object."""
        self.execute_queries([
            f"CREATE OR REPLACE TABLE {table} ( data VARIANT DEFAULT NULL);",
            "CREATE OR REPLACE FILE FORMAT parquet_format TYPE = 'parquet';",
            f"PUT {src} @%{table};",
            f"COPY INTO {table} FROM @%{table} FILE_FORMAT = (FORMAT_NAME = 'parquet_format');",
        ])


@resource(config_schema=define_snowflake_config(),
          description="This resource is for connecting to the Snowflake data warehouse")
def snowflake_resource(context: Any) -> SnowflakeConnection:
    """``context.resources.snowflake.execute_query("SELECT 1", fetch_results=True)``."""
    return SnowflakeConnection(context.resource_config or {}, context.log)
