"""Snowflake for orch (legacy ``dagster_snowflake``): ``from dagster_snowflake import X``
becomes ``from orch.integrations.snowflake import X``.

Install with ``pip install 'orch[snowflake]'``; snowflake-connector-python is imported when a
query runs, not with this package. Beyond the legacy config, ``host``, ``port`` and
``protocol`` reach a server other than ``<account>.snowflakecomputing.com``.
"""

from .io_manager import (
    DbTypeHandler,
    SnowflakeIOManager,
    SnowflakePandasTypeHandler,
    TableSlice,
    build_snowflake_io_manager,
    snowflake_io_manager,
)
from .resources import SnowflakeConnection, snowflake_resource
from .solids import snowflake_solid_for_query

__all__ = [
    "DbTypeHandler",
    "SnowflakeConnection",
    "SnowflakeIOManager",
    "SnowflakePandasTypeHandler",
    "TableSlice",
    "build_snowflake_io_manager",
    "snowflake_io_manager",
    "snowflake_resource",
    "snowflake_solid_for_query",
]
