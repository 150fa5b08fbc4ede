"""``pyspark_parquet_io_manager``: each PySpark DataFrame output is written as parquet to
``<base_dir>/<run_id>/<step_key>/<output>.parquet`` (``base_dir`` default ORCH_HOME/storage/
spark; a None output is not stored) and read back with the ``pyspark`` resource's session.
Records the path on HANDLED_OUTPUT. Any other value is an error that names the output: give
it another ``io_manager_key``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orch.core.config import Field
from orch.core.definitions.io_manager import IOManager, io_manager
from orch.core.definitions.metadata import MetadataEntry, MetadataValue
from orch.core.errors import DagsterInvariantViolationError

from .types import is_spark_dataframe


class PySparkParquetIOManager(IOManager):
    def __init__(self, base_dir: str, pyspark: Any) -> None:
        self.base_dir = base_dir
        self.pyspark = pyspark

    def _path(self, context: Any) -> Path:
        return Path(self.base_dir, *context.get_run_scoped_output_identifier()).with_suffix(
            ".parquet")

    def handle_output(self, context: Any, obj: Any) -> Any:
        if obj is None:  # a solid that returns nothing: nothing to store
            return
        if not is_spark_dataframe(obj):
            raise DagsterInvariantViolationError(
                f'pyspark_parquet_io_manager stores PySpark DataFrames; output "{context.name}" '
                f'of step "{context.step_key}" is a {type(obj).__name__}. Give that output '
                "another io_manager_key.")
        path = self._path(context)
        obj.write.mode("overwrite").parquet(str(path))
        yield MetadataEntry("path", value=MetadataValue.path(str(path)))

    def load_input(self, context: Any) -> Any:
        return self.pyspark.spark_session.read.parquet(str(self._path(context.upstream_output)))


@io_manager(config_schema={"base_dir": Field(str, is_required=False)},
            required_resource_keys={"pyspark"})
def pyspark_parquet_io_manager(init_context: Any) -> PySparkParquetIOManager:
    config = init_context.resource_config or {}
    return PySparkParquetIOManager(
        config.get("base_dir") or str(Path(init_context.instance.storage_dir) / "spark"),
        init_context.resources.pyspark)
