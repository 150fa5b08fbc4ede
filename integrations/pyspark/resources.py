"""``pyspark_resource`` (legacy ``dagster_pyspark.resources``): a ``SparkSession`` built from
``spark_conf`` (a nested mapping, flattened with dots into ``spark.*`` properties), exposed as
``.spark_session`` and ``.spark_context``. Unlike the legacy resource it stops the session at
teardown. A run's steps in one process share it: the resource is built once per run in process
(once per step process under the multiprocess executor)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from orch.core.config import Field, Permissive
from orch.core.definitions.resource import resource


def flatten_dict(nested: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"spark": {"executor": {"memory": "1g"}}}`` → ``[("spark.executor.memory", "1g")]``."""
    pairs: list[tuple[str, Any]] = []
    for key, value in nested.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs.extend(flatten_dict(value, name))
        else:
            pairs.append((name, value))
    return pairs


class PySparkResource:
    """What ``context.resources.pyspark`` is."""

    def __init__(self, spark_conf: Mapping[str, Any] | None) -> None:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder
        for key, value in flatten_dict(spark_conf or {}):
            builder = builder.config(key, str(value).lower() if isinstance(value, bool)
                                     else str(value))
        self._spark_session = builder.getOrCreate()

    @property
    def spark_session(self) -> Any:
        return self._spark_session

    @property
    def spark_context(self) -> Any:
        return self._spark_session.sparkContext

    def stop(self) -> None:
        self._spark_session.stop()


@resource(config_schema={"spark_conf": Field(Permissive(), is_required=False,
                                             description="Spark properties as a nested "
                                                         "mapping: {spark: {master: local[2]}}")},
          description="This resource provides access to a PySpark SparkSession.")
def pyspark_resource(init_context: Any) -> Iterator[PySparkResource]:
    """``context.resources.pyspark.spark_session.createDataFrame(...)``."""
    spark = PySparkResource((init_context.resource_config or {}).get("spark_conf"))
    try:
        yield spark
    finally:
        spark.stop()
        if init_context.log is not None:
            init_context.log.info("Stopped the Spark session")
