"""PySpark for orch (legacy ``dagster_pyspark``): ``from dagster_pyspark import pyspark_resource``
becomes ``from orch.integrations.pyspark import pyspark_resource``.

Install with ``pip install 'orch[pyspark]'`` (pyspark, which needs Java 17+); pyspark is
imported when the resource is built. Beyond the legacy library: the resource stops its Spark
session at teardown, and ``pyspark_parquet_io_manager`` stores DataFrame outputs as parquet.
"""

from .io_manager import PySparkParquetIOManager, pyspark_parquet_io_manager
from .resources import PySparkResource, flatten_dict, pyspark_resource

__all__ = [
    "PySparkParquetIOManager",
    "PySparkResource",
    "flatten_dict",
    "pyspark_parquet_io_manager",
    "pyspark_resource",
]
