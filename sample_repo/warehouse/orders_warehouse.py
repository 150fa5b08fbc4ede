"""Orders into a warehouse: the sales CSV read into a typed pandas DataFrame (column
constraints, summary statistics), stored as parquet, cleaned and aggregated in DuckDB, and
published to Snowflake, read back from there to check it.

Needs the extras: ``pip install -e '.[pandas,parquet,duckdb,snowflake]'``; the ``fakesnow``
preset talks to a fakesnow server (``fakesnow -s -p 8765``, its port in ``SNOWFLAKE_PORT``).
Written in the legacy style: under Dagster it runs with ``orch`` imports changed to
``dagster``, ``orch.integrations.pandas`` to ``dagster_pandas`` and
``orch.integrations.snowflake`` to ``dagster_snowflake`` (the parquet and DuckDB IO managers
are orch's own).
"""

from pathlib import Path

import pandas as pd
from orch.integrations.duckdb import duckdb_io_manager
from orch.integrations.pandas import (
    PandasColumn,
    create_dagster_pandas_dataframe_type,
    summary_statistics,
)
from orch.integrations.parquet import parquet_io_manager
from orch.integrations.snowflake import snowflake_io_manager, snowflake_resource

from orch import (
    Field,
    ModeDefinition,
    OutputDefinition,
    PresetDefinition,
    fs_io_manager,
    pipeline,
    solid,
)

HERE = Path(__file__).parent
DEFAULT_CSV = str(HERE.parent / "data" / "orders.csv")
REGIONS = {"emea", "amer", "apac"}

Orders = create_dagster_pandas_dataframe_type(
    name="Orders",
    description="Raw orders as exported: the amount is missing for cancelled ones.",
    columns=[
        PandasColumn.integer_column("order_id", min_value=1, unique=True, non_nullable=True),
        PandasColumn.string_column("customer", non_nullable=True),
        PandasColumn.categorical_column("region", categories=REGIONS),
        PandasColumn.float_column("amount", ignore_missing_vals=True),
        PandasColumn.categorical_column(
            "status", categories={"shipped", "cancelled", "pending", "refunded"}),
    ],
    event_metadata_fn=summary_statistics,
)

ShippedOrders = create_dagster_pandas_dataframe_type(
    name="ShippedOrders",
    columns=[
        PandasColumn.integer_column("order_id", unique=True, non_nullable=True),
        PandasColumn.float_column("amount", min_value=0.0, non_nullable=True),
    ],
    event_metadata_fn=summary_statistics,
)

RegionRevenue = create_dagster_pandas_dataframe_type(
    name="RegionRevenue",
    columns=[
        PandasColumn.categorical_column("region", categories=REGIONS, non_nullable=True),
        PandasColumn.float_column("revenue", min_value=0.0),
        PandasColumn.integer_column("orders", min_value=1),
    ],
)


@solid(config_schema={"path": Field(str, default_value=DEFAULT_CSV)},
       output_defs=[OutputDefinition(Orders, io_manager_key="parquet")])
def load_orders(context):
    """Read the orders CSV; stored as parquet."""
    orders = pd.read_csv(context.solid_config["path"])
    context.log.info(f"read {len(orders)} orders")
    return orders


@solid(output_defs=[OutputDefinition(ShippedOrders, io_manager_key="duckdb")])
def shipped_orders(context, orders: pd.DataFrame):
    """Shipped orders with a positive amount; a DuckDB table."""
    return orders[(orders.status == "shipped") & (orders.amount > 0)].reset_index(drop=True)


@solid(output_defs=[OutputDefinition(RegionRevenue, io_manager_key="duckdb")])
def revenue_by_region(context, shipped: pd.DataFrame):
    """Revenue and order count per region; a DuckDB table."""
    grouped = shipped.groupby("region", as_index=False).agg(
        revenue=("amount", "sum"), orders=("order_id", "count"))
    return grouped.sort_values("region").reset_index(drop=True)


@solid(required_resource_keys={"snowflake"})
def prepare_warehouse(context) -> str:
    database = context.resources.snowflake.conn_args["database"]
    context.resources.snowflake.execute_queries([
        f"CREATE DATABASE IF NOT EXISTS {database}",
        f"CREATE SCHEMA IF NOT EXISTS {database}.PUBLIC",
    ])
    return database


@solid(output_defs=[OutputDefinition(RegionRevenue, io_manager_key="warehouse",
                                     metadata={"table": "region_revenue"})])
def publish_revenue(context, revenue: pd.DataFrame, database: str):
    """The region revenue, written to the Snowflake table region_revenue."""
    context.log.info(f"publishing {len(revenue)} regions to {database}.PUBLIC.region_revenue")
    return revenue


@solid
def check_published(context, published: pd.DataFrame, revenue: pd.DataFrame) -> float:
    """Read back from Snowflake: the totals match what DuckDB computed."""
    total = round(float(published.revenue.sum()), 2)
    assert total == round(float(revenue.revenue.sum()), 2), (total, revenue)
    context.log.info(f"{len(published)} regions in Snowflake, revenue {total}")
    return total


SNOWFLAKE = {"account": "fakesnow", "user": "orch", "password": "any",
             "host": "127.0.0.1", "port": {"env": "SNOWFLAKE_PORT"}, "protocol": "http",
             "database": "ORCH_SAMPLE"}


@pipeline(
    mode_defs=[ModeDefinition(resource_defs={
        "io_manager": fs_io_manager, "parquet": parquet_io_manager, "duckdb": duckdb_io_manager,
        "snowflake": snowflake_resource, "warehouse": snowflake_io_manager})],
    preset_defs=[PresetDefinition("fakesnow", run_config={"resources": {
        "snowflake": {"config": {**SNOWFLAKE, "schema": "PUBLIC"}},
        "warehouse": {"config": {**SNOWFLAKE, "schema": "PUBLIC"}},
    }})],
)
def orders_warehouse():
    revenue = revenue_by_region(shipped_orders(load_orders()))
    check_published(publish_revenue(revenue, prepare_warehouse()), revenue)
