"""PySpark for orch (legacy ``dagster_pyspark``): ``from dagster_pyspark import
pyspark_resource, DataFrame`` becomes ``from orch.integrations.pyspark import ...``.

Install with ``pip install 'orch[pyspark]'`` (pyspark, which needs Java 17+); pyspark is
imported when the resource is built or a DataFrame is checked, loaded or stored. Beyond the
legacy library: the resource stops the Spark session it started at teardown, and
``pyspark_parquet_io_manager`` stores DataFrame outputs as parquet.
"""

from ..spark.utils import flatten_dict
from .io_manager import PySparkParquetIOManager, pyspark_parquet_io_manager
from .resources import PySparkResource, pyspark_resource, spark_session_from_config
from .types import DataFrame, PySparkDataFrame, dataframe_loader, dataframe_materializer

__all__ = [
    "DataFrame",
    "PySparkDataFrame",
    "PySparkParquetIOManager",
    "PySparkResource",
    "dataframe_loader",
    "dataframe_materializer",
    "flatten_dict",
    "pyspark_parquet_io_manager",
    "pyspark_resource",
    "spark_session_from_config",
]
