"""Redshift through ``orch run`` against its stand-in, PostgreSQL with TLS required and
password authentication (started and stopped by pid): the legacy query semantics (None for
an empty result, error_callback), ``schema`` as the session's search_path, and TLS on by
default (``sslmode: require``; the server refuses connections without it)."""

from __future__ import annotations

import pickle

import yaml

from .conftest import require

require("redshift", "psycopg2")

REPO = '''
from orch import ModeDefinition, fs_io_manager, pipeline, solid
from orch.integrations.aws.redshift import redshift_resource

MODE = ModeDefinition(resource_defs={"redshift": redshift_resource, "io_manager": fs_io_manager})


@solid(required_resource_keys={"redshift"})
def queries(context) -> dict:
    rs = context.resources.redshift
    rs.execute_queries(["CREATE SCHEMA IF NOT EXISTS analytics",
                        "CREATE TABLE IF NOT EXISTS trips (id int, city text)",
                        "TRUNCATE trips",
                        "INSERT INTO trips VALUES (1, 'Oslo'), (2, 'Lima')"])
    return {
        "rows": rs.execute_query("SELECT id, city FROM trips ORDER BY id", fetch_results=True),
        "empty": rs.execute_query("SELECT id FROM trips WHERE id < 0", fetch_results=True),
        "not_fetched": rs.execute_query("SELECT 1"),
        "batches": rs.execute_queries(["SELECT count(*) FROM trips",
                                       "SELECT id FROM trips WHERE id < 0"], fetch_results=True),
        "session": rs.execute_query(
            "SELECT current_schema(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            fetch_results=True),
        "table_schema": rs.execute_query(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'trips'",
            fetch_results=True),
    }


@solid(required_resource_keys={"redshift"})
def handled(context) -> list:
    seen = []

    def on_error(exc, cursor, log):
        cursor.execute("SELECT 41 + 1")  # the failed transaction is closed: the cursor works
        seen.append([type(exc).__name__, cursor.fetchall()])
        log.info("diagnosed")

    result = context.resources.redshift.execute_query("SELECT * FROM missing_table",
                                                      fetch_results=True,
                                                      error_callback=on_error)
    return [result, seen]


@solid(required_resource_keys={"redshift"})
def unhandled(context):
    context.resources.redshift.execute_query("SELECT * FROM missing_table")


@pipeline(mode_defs=[MODE])
def warehouse():
    queries()
    handled()


@pipeline(mode_defs=[MODE])
def failing():
    unhandled()
'''


def _config(project, server, **overrides):
    keys = {"host": "127.0.0.1", "port": server.port, "user": server.user,
            "password": {"env": "RS_PASSWORD"}, "database": server.database,
            "schema": "analytics", **overrides}
    path = project.root / "redshift.yaml"
    path.write_text(yaml.safe_dump({"resources": {"redshift": {"config": keys}}}))
    return str(path)


def _stored(project, run, step):
    with open(project.home / "storage" / run.run_id / step / "result", "rb") as f:
        return pickle.load(f)


def test_queries_have_the_legacy_semantics_over_tls(project, pg_tls):
    project.write(REPO)
    env = project.env(RS_PASSWORD=pg_tls.password)
    run = project.run("warehouse", "-c", _config(project, pg_tls), env=env)
    assert run.returncode == 0, run.stderr
    got = _stored(project, run, "queries")
    assert got["rows"] == [(1, "Oslo"), (2, "Lima")]
    assert got["empty"] is None and got["not_fetched"] is None
    assert got["batches"] == [[(2,)], []]
    assert got["session"] == [("analytics", True)]  # schema -> search_path; TLS on
    assert got["table_schema"] == [("analytics",)]
    assert _stored(project, run, "handled") == [None, [["UndefinedTable", [(42,)]]]]
    logged = [e["message"] for e in run.events if e["event_type"] is None]
    assert "Executing query 'SELECT id, city FROM trips ORDER BY id'" in logged
    assert "Empty result from query" in logged and "diagnosed" in logged


def test_an_error_without_a_callback_fails_the_step(project, pg_tls):
    project.write(REPO)
    env = project.env(RS_PASSWORD=pg_tls.password)
    run = project.run("failing", "-c", _config(project, pg_tls), env=env)
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "unhandled")
    assert failure["data"]["error"]["cls_name"] == "UndefinedTable"
    assert 'relation "missing_table" does not exist' in failure["data"]["error"]["message"]


def test_the_server_refuses_a_connection_without_tls(project, pg_tls):
    project.write(REPO)
    env = project.env(RS_PASSWORD=pg_tls.password)
    run = project.run("failing", "-c", _config(project, pg_tls, sslmode="disable"), env=env)
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "unhandled")
    assert failure["data"]["error"]["cls_name"] == "OperationalError"
    assert "no encryption" in failure["data"]["error"]["message"]
