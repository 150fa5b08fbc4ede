"""``redshift_resource`` (legacy ``dagster_aws.redshift.resources``): a new psycopg2
connection per call, TLS required by default (``sslmode: require``).

As in dagster-aws, ``execute_query(..., fetch_results=True)`` returns the rows, or ``None``
when the query returned none (``execute_queries`` gives ``[]`` for that query); an
``error_callback(exc, cursor, log)`` handles a failing query instead of raising it, after the
failed transaction is closed so it can run diagnostic queries on the same cursor. Unlike
dagster-aws, which hands ``schema`` to libpq (``invalid connection option "schema"``), the
``schema`` key sets the session's ``search_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from orch.core.config import Field, IntSource, StringSource
from orch.core.definitions.resource import resource
from orch.core.errors import DagsterInvariantViolationError

ErrorCallback = Callable[[Exception, Any, Any], None]


class RedshiftError(Exception):
    pass


def connect_args(config: dict[str, Any]) -> dict[str, Any]:
    """psycopg2.connect's keyword arguments for the resource config: every key given, with
    ``schema`` as ``options=-c search_path=<schema>``."""
    args = {k: config[k] for k in ("host", "port", "user", "password", "database",
                                   "connect_timeout", "sslmode") if config.get(k) is not None}
    if config.get("schema"):
        schema = str(config["schema"]).replace("\\", "\\\\").replace(" ", "\\ ")
        args["options"] = f"-c search_path={schema}"
    return args


def _check_query_args(fetch_results: Any, cursor_factory: Any, error_callback: Any) -> None:
    if not isinstance(fetch_results, bool):
        raise DagsterInvariantViolationError(
            f"fetch_results must be a bool, got {fetch_results!r}.")
    if error_callback is not None and not callable(error_callback):
        raise DagsterInvariantViolationError("error_callback must be callable.")
    if cursor_factory is not None:
        import psycopg2.extensions

        if not (isinstance(cursor_factory, type)
                and issubclass(cursor_factory, psycopg2.extensions.cursor)):
            raise DagsterInvariantViolationError(
                "cursor_factory must be a subclass of psycopg2.extensions.cursor.")


class _BaseRedshiftResource:
    def __init__(self, context: Any):
        config = context.resource_config or {}
        self.conn_args = connect_args(config)
        self.autocommit = config.get("autocommit")
        self.log = context.log

    def _info(self, message: str) -> None:
        if self.log is not None:
            self.log.info(message)


class RedshiftResource(_BaseRedshiftResource):
    """What ``context.resources.redshift`` is."""

    def execute_query(self, query: str, fetch_results: bool = False, cursor_factory: Any = None,
                      error_callback: ErrorCallback | None = None) -> list[tuple] | None:
        if not isinstance(query, str):
            raise DagsterInvariantViolationError(f"query must be a str, got {query!r}.")
        _check_query_args(fetch_results, cursor_factory, error_callback)
        results = self._run([query], fetch_results, cursor_factory, error_callback)
        return (results[0] or None) if fetch_results and results else None

    def execute_queries(self, queries: list[str], fetch_results: bool = False,
                        cursor_factory: Any = None,
                        error_callback: ErrorCallback | None = None) -> list[list[tuple]] | None:
        if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
            raise DagsterInvariantViolationError(f"queries must be a list of str, got {queries!r}.")
        _check_query_args(fetch_results, cursor_factory, error_callback)
        results = self._run(queries, fetch_results, cursor_factory, error_callback)
        return results if fetch_results else None

    def _run(self, queries: list[str], fetch_results: bool, cursor_factory: Any,
             error_callback: ErrorCallback | None) -> list[list[tuple]]:
        results: list[list[tuple]] = []
        with self._get_conn() as conn, self._get_cursor(conn, cursor_factory) as cursor:
            for query in queries:
                try:
                    self._info(f"Executing query '{query}'")
                    cursor.execute(query)
                    if fetch_results and cursor.rowcount > 0:
                        results.append(cursor.fetchall())
                    else:
                        results.append([])
                        self._info("Empty result from query")
                except Exception as exc:
                    # the failed transaction accepts no more queries: close it, so that the
                    # callback can query (pg_last_copy_id(), stl_load_errors) on this cursor
                    if not self.autocommit:
                        conn.commit()
                    if error_callback is None:
                        raise
                    error_callback(exc, cursor, self.log)
        return results

    @contextmanager
    def _get_conn(self) -> Iterator[Any]:
        import psycopg2

        conn = psycopg2.connect(**self.conn_args)
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _get_cursor(self, conn: Any, cursor_factory: Any = None) -> Iterator[Any]:
        if self.autocommit is not None:
            conn.autocommit = self.autocommit
        with conn:
            with conn.cursor(cursor_factory=cursor_factory) as cursor:
                yield cursor
            if not self.autocommit:
                conn.commit()


class FakeRedshiftResource(_BaseRedshiftResource):
    """dagster-aws' own fake, kept for legacy tests: ``[(1,)]`` for a query and, whatever
    the queries, ``[[(1,)], [(1,)], [(1,)]]`` for ``execute_queries`` (as dagster-aws)."""

    QUERY_RESULT = [(1,)]

    def execute_query(self, query: str, fetch_results: bool = False, cursor_factory: Any = None,
                      error_callback: ErrorCallback | None = None) -> list[tuple] | None:
        self._info(f"Executing query '{query}'")
        return self.QUERY_RESULT if fetch_results else None

    def execute_queries(self, queries: list[str], fetch_results: bool = False,
                        cursor_factory: Any = None,
                        error_callback: ErrorCallback | None = None) -> list[list[tuple]] | None:
        for query in queries:
            self._info(f"Executing query '{query}'")
        return [self.QUERY_RESULT] * 3 if fetch_results else None


def define_redshift_config() -> dict[str, Any]:
    return {
        "host": Field(StringSource, description="Redshift host", is_required=True),
        "port": Field(IntSource, description="Redshift port", is_required=False,
                      default_value=5439),
        "user": Field(StringSource, description="Username for Redshift connection",
                      is_required=False),
        "password": Field(StringSource, description="Password for Redshift connection",
                          is_required=False),
        "database": Field(StringSource, description="Name of the default database to use.",
                          is_required=False),
        "schema": Field(StringSource, is_required=False,
                        description="The session's search_path (orch; dagster-aws passed it to "
                                    "libpq, which rejects it)."),
        "autocommit": Field(bool, is_required=False,
                            description="None by default, which honors the server's setting."),
        "connect_timeout": Field(int, description="Connection timeout in seconds.",
                                 is_required=False, default_value=5),
        "sslmode": Field(str, is_required=False, default_value="require",
                         description="libpq's sslmode: require (the default), verify-full, ..."),
    }


@resource(config_schema=define_redshift_config(),
          description="Resource for connecting to the Redshift data warehouse")
def redshift_resource(context: Any) -> RedshiftResource:
    """``context.resources.redshift.execute_query("SELECT 1", fetch_results=True)``."""
    return RedshiftResource(context)


@resource(config_schema=define_redshift_config(),
          description="Fake resource for connecting to the Redshift data warehouse. Usage is "
                      "identical to the real redshift_resource. Will always return [(1,)] for "
                      "the single query case and [[(1,)], [(1,)], [(1,)]] for the multi query "
                      "case.")
def fake_redshift_resource(context: Any) -> FakeRedshiftResource:
    return FakeRedshiftResource(context)
