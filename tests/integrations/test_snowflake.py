"""Snowflake through ``orch run`` against fakesnow's HTTP server, a stand-in (Snowflake SQL on
DuckDB, no authentication) that the real snowflake-connector-python talks to: the resource's
queries and their log lines, snowflake_solid_for_query, the legacy parquet load into a VARIANT
table, and the DataFrame IO manager."""

from __future__ import annotations

import pickle

import yaml

from .conftest import require

require("snowflake", "snowflake.connector", "pandas", "pyarrow")

REPO = '''
import pandas as pd
from orch import ModeDefinition, OutputDefinition, fs_io_manager, pipeline, solid
from orch.integrations.snowflake import (snowflake_io_manager, snowflake_resource,
                                         snowflake_solid_for_query)

MODE = ModeDefinition(resource_defs={"snowflake": snowflake_resource, "io_manager": fs_io_manager,
                                     "warehouse": snowflake_io_manager})

# every snowflake_solid_for_query is named snowflake_solid: one per pipeline (or .alias it)
create = snowflake_solid_for_query("CREATE OR REPLACE TABLE trips (id INT, city VARCHAR)")
# one with parameters, in a pipeline of its own
insert_lima = snowflake_solid_for_query("INSERT INTO cities VALUES (%(id)s, %(city)s)",
                                        parameters={"id": 8, "city": "Lima"})


@solid(required_resource_keys={"snowflake"})
def insert_row(context, _after):
    context.resources.snowflake.execute_query("INSERT INTO trips VALUES (%(id)s, %(city)s)",
                                              parameters={"id": 7, "city": "Oslo"})


@solid(required_resource_keys={"snowflake"})
def setup(context) -> int:
    context.resources.snowflake.execute_queries(
        ["CREATE DATABASE IF NOT EXISTS ORCH", "CREATE SCHEMA IF NOT EXISTS ORCH.PUBLIC"])
    return 1


@solid(required_resource_keys={"snowflake"})
def read(context, _after) -> list:
    rows = context.resources.snowflake.execute_query("SELECT id, city FROM trips ORDER BY id",
                                                     fetch_results=True)
    empty = context.resources.snowflake.execute_query("SELECT id FROM trips WHERE id < 0",
                                                      fetch_results=True)
    return [list(r) for r in rows] + [empty]


@solid(required_resource_keys={"snowflake"})
def from_parquet(context, _after) -> list:
    pd.DataFrame({"id": [1, 2], "city": ["Lima", "Pune"]}).to_parquet("trips.parquet")
    snow = context.resources.snowflake
    snow.load_table_from_local_parquet("file://" + __import__("os").path.abspath(
        "trips.parquet"), "raw_trips")
    return snow.execute_query("SELECT data:city::varchar FROM raw_trips ORDER BY data:id",
                              fetch_results=True)


@pipeline(mode_defs=[MODE])
def queries():
    done = setup()
    read(insert_row(create.alias("create_table")(done)))
    from_parquet(done)


@solid(output_defs=[OutputDefinition(io_manager_key="warehouse", metadata={"schema": "PUBLIC",
                                                                            "table": "trips"})])
def trips(context, _after):
    return pd.DataFrame({"Id": [1, 2, 3], "City": ["a", "b", "c"], "Km": [1.5, 2.5, 4.0]})


@solid
def longest(context, trips: pd.DataFrame) -> dict:
    return {"columns": list(trips.columns), "km": float(trips.km.max()), "rows": len(trips)}


@pipeline(mode_defs=[MODE])
def frames():
    longest(trips(setup()))


@solid(required_resource_keys={"snowflake"})
def make_cities(context, _after):
    context.resources.snowflake.execute_query("CREATE OR REPLACE TABLE cities (id INT, name VARCHAR)")


@solid(required_resource_keys={"snowflake"})
def read_cities(context, _after) -> list:
    return context.resources.snowflake.execute_query("SELECT id, name FROM cities",
                                                     fetch_results=True)


@pipeline(mode_defs=[MODE])
def parameterised():
    read_cities(insert_lima.alias("insert_lima")(make_cities(setup())))


@solid(required_resource_keys={"snowflake"})
def bad_sql(context):
    context.resources.snowflake.execute_query("SELEC 1")


@pipeline(mode_defs=[MODE])
def broken():
    bad_sql()
'''


def _config(project, fakesnow, with_io_manager=False):
    keys = {**fakesnow, "database": "ORCH", "schema": "PUBLIC"}
    config = {"resources": {"snowflake": {"config": keys}}}
    if with_io_manager:
        io_keys = {k: v for k, v in keys.items() if k != "schema"}
        config["resources"]["warehouse"] = {"config": io_keys}
    path = project.root / "snowflake.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _unpickle(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def test_queries_run_on_the_warehouse_and_are_logged(project, fakesnow):
    project.write(REPO)
    run = project.run("queries", "-c", _config(project, fakesnow))
    assert run.returncode == 0, run.stderr
    logged = [(e["step_key"], e["message"]) for e in run.events if e["event_type"] is None]
    assert any(m == "Executing query: CREATE OR REPLACE TABLE trips (id INT, city VARCHAR)"
               for _, m in logged), logged
    assert run.of_type("STEP_SUCCESS", "read") and run.of_type("STEP_SUCCESS", "from_parquet")
    stored = project.home / "storage" / run.run_id
    # fetch_results gives the rows; an empty result is [] (Snowflake's connector)
    assert _unpickle(stored / "read" / "result") == [[7, "Oslo"], []]
    assert _unpickle(stored / "from_parquet" / "result") == [("Lima",), ("Pune",)]


def test_a_query_solid_passes_its_parameters(project, fakesnow):
    project.write(REPO)
    run = project.run("parameterised", "-c", _config(project, fakesnow))
    assert run.returncode == 0, run.stderr
    logged = [e["message"] for e in run.events if e["event_type"] is None]
    assert "Executing query: INSERT INTO cities VALUES (%(id)s, %(city)s)" in logged, logged
    stored = project.home / "storage" / run.run_id
    assert _unpickle(stored / "read_cities" / "result") == [(8, "Lima")]


def test_outputs_read_back_through_the_io_manager(project, fakesnow):
    project.write(REPO)
    config = _config(project, fakesnow, with_io_manager=True)
    for _ in range(2):  # the second run replaces the table's rows, it does not append
        run = project.run("frames", "-c", config)
        assert run.returncode == 0, run.stderr
    (handled,) = run.of_type("HANDLED_OUTPUT", "trips")
    meta = run.metadata(handled)
    assert meta["row_count"] == 3
    assert meta["Query"] == "SELECT * FROM ORCH.PUBLIC.trips"
    assert meta["dataframe_columns"] == {"Id": "int64", "City": "str", "Km": "float64"}
    (loaded,) = run.of_type("LOADED_INPUT", "longest")
    assert loaded["data"]["manager_key"] == "warehouse"
    assert run.of_type("STEP_SUCCESS", "longest")


def test_bad_sql_fails_the_step_with_snowflakes_error(project, fakesnow):
    project.write(REPO)
    run = project.run("broken", "-c", _config(project, fakesnow))
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "bad_sql")
    assert failure["data"]["error"]["cls_name"] == "ProgrammingError"
    assert "SELEC" in failure["data"]["error"]["message"]
