"""dagster-snowflake with dagster-pandas, as a legacy file uses them: snowflake_solid_for_query's
definition (name, tags, inputs), the one-name rule, snowflake_resource's config and queries
(execute_query / execute_queries / load_table_from_local_parquet) and a typed DataFrame read
from the warehouse. Snowflake is fakesnow in patch mode (Snowflake SQL on DuckDB) under both
libraries; the HTTP-server tests are tests/integrations/test_snowflake.py."""

import fakesnow
import pandas as pd
from orch.integrations.pandas import PandasColumn, create_dagster_pandas_dataframe_type
from orch.integrations.snowflake import snowflake_resource, snowflake_solid_for_query

from orch import ModeDefinition, OutputDefinition, execute_pipeline, pipeline, solid

CONFIG = {"resources": {"snowflake": {"config": {
    "account": "acme", "user": "etl", "password": "secret", "database": "ORCH",
    "schema": "PUBLIC"}}}}
MODE = ModeDefinition(resource_defs={"snowflake": snowflake_resource})

create = snowflake_solid_for_query("CREATE OR REPLACE TABLE trips (id INT, city VARCHAR)")

Trips = create_dagster_pandas_dataframe_type(
    name="Trips", columns=[PandasColumn.integer_column("id", min_value=1),
                           PandasColumn.string_column("city")])


@solid(required_resource_keys={"snowflake"})
def fill(context, _after) -> list:
    snow = context.resources.snowflake
    inserted = snow.execute_query("INSERT INTO trips VALUES (%(id)s, %(city)s)",
                                  parameters={"id": 1, "city": "Oslo"})
    batches = snow.execute_queries(["SELECT count(*) FROM trips", "SELECT max(id) FROM trips"],
                                   fetch_results=True)
    none = snow.execute_queries(["SELECT 1"])
    empty = snow.execute_query("SELECT id FROM trips WHERE id < 0", fetch_results=True)
    return [inserted, [list(b[0]) for b in batches], none, empty]


@solid(required_resource_keys={"snowflake"}, output_defs=[OutputDefinition(Trips)])
def read(context, _after):
    rows = context.resources.snowflake.execute_query("SELECT id, city FROM trips",
                                                     fetch_results=True)
    return pd.DataFrame(rows, columns=["id", "city"]).astype({"id": "int64"})


@solid(required_resource_keys={"snowflake"})
def from_parquet(context, _after) -> list:
    import os
    pd.DataFrame({"id": [1, 2], "city": ["Lima", "Pune"]}).to_parquet("t.parquet")
    snow = context.resources.snowflake
    snow.load_table_from_local_parquet("file://" + os.path.abspath("t.parquet"), "raw")
    return [list(r) for r in snow.execute_query(
        "SELECT data:city::varchar FROM raw ORDER BY data:id::int", fetch_results=True)]


@pipeline(mode_defs=[MODE])
def warehouse():
    read(fill(create()))


@pipeline(mode_defs=[MODE])
def parquet_load():
    from_parquet(create())


def run_solid_definition():
    return {"name": create.name, "tags": dict(create.tags),
            "inputs": [i.name for i in create.input_defs],
            "resources": sorted(create.required_resource_keys)}


def run_two_query_solids_need_distinct_names():
    other = snowflake_solid_for_query("SELECT 1")

    @pipeline(mode_defs=[MODE])
    def two():
        other(create())

    return two


def run_warehouse_pipeline():
    with fakesnow.patch():
        return execute_pipeline(warehouse, run_config=CONFIG)


def run_warehouse_values():
    with fakesnow.patch():
        result = execute_pipeline(warehouse, run_config=CONFIG)
    return {"fill": result.result_for_solid("fill").output_value(),
            "read": result.result_for_solid("read").output_value().to_dict("list")}


def run_parquet_load():
    # fakesnow's patch mode gzips the PUT file and then cannot read it back (both libraries
    # fail alike); the HTTP server takes it (tests/integrations/test_snowflake.py)
    with fakesnow.patch():
        return execute_pipeline(parquet_load, run_config=CONFIG, raise_on_error=False)


def run_resource_config_needs_user_and_password():
    return execute_pipeline(warehouse, run_config={"resources": {"snowflake": {"config": {
        "account": "acme"}}}})


def run_sql_must_be_a_string():
    return snowflake_solid_for_query(["SELECT 1"])


def run_parameters_must_be_a_dict():
    return snowflake_solid_for_query("SELECT %s", parameters=[1])


def run_parameters_reach_the_solid():
    with_parameters = snowflake_solid_for_query("SELECT %(n)s", parameters={"n": 1})
    return {"name": with_parameters.name, "tags": dict(with_parameters.tags)}
