"""The PySpark DataFrame Dagster type (legacy ``dagster_pyspark.DataFrame``, named
``PySparkDataFrame``): a value must be a ``pyspark.sql.DataFrame``. Its input config reads one
through the ``pyspark`` resource's session (``csv|parquet|json|jdbc|orc|table|text|other``,
``other`` being ``read.load``), its output config writes it (``csv|parquet|json|jdbc|orc|
saveAsTable|text|other``, ``other`` being ``write.save``); the options pass through to Spark.
pyspark is imported only when a check, loader or materializer runs."""

from __future__ import annotations

import sys
from typing import Any

from orch.core.config import Enum, EnumValue, Field, Permissive, Selector
from orch.core.definitions.events import AssetMaterialization, TypeCheck
from orch.core.definitions.types import DagsterType, dagster_type_loader, dagster_type_materializer

WriteMode = Enum("WriteMode", [EnumValue("append"), EnumValue("overwrite"),
                               EnumValue("ignore"), EnumValue("error"),
                               EnumValue("errorifexists")])


def _path_options(**fields: Any) -> Permissive:
    return Permissive({"path": Field(str, description="A path in any Hadoop-supported file "
                                                      "system."), **fields})


def _mode() -> Field:
    return Field(WriteMode, is_required=False,
                 description="What to do when data already exists (default: error).")


_WRITE = Selector({
    "csv": _path_options(mode=_mode()),
    "parquet": _path_options(mode=_mode(), partitionBy=Field(str, is_required=False)),
    "json": _path_options(mode=_mode()),
    "jdbc": Permissive({"url": Field(str), "table": Field(str), "mode": _mode(),
                        "properties": Field(Permissive(), is_required=False)}),
    "orc": _path_options(mode=_mode(), partitionBy=Field(str, is_required=False)),
    "saveAsTable": Permissive({"name": Field(str), "format": Field(str, is_required=False),
                               "mode": _mode(), "partitionBy": Field(str, is_required=False),
                               "options": Field(Permissive(), is_required=False)}),
    "text": _path_options(),
    "other": Permissive(),
})

_READ = Selector({
    "csv": _path_options(),
    "parquet": _path_options(),
    "json": _path_options(),
    "jdbc": Permissive({"url": Field(str), "table": Field(str),
                        "properties": Field(Permissive(), is_required=False)}),
    "orc": _path_options(),
    "table": Permissive({"tableName": Field(str)}),
    "text": _path_options(),
    "other": Permissive(),
})


def _without(options: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != key}


@dagster_type_materializer(_WRITE)
def dataframe_materializer(_context: Any, config: dict[str, Any], spark_df: Any) -> Any:
    """``outputs: [{result: {parquet: {path: out.parquet, mode: overwrite}}}]``."""
    (file_type, options), = config.items()
    write = spark_df.write
    if file_type == "other":
        write.save(**options)
        return AssetMaterialization.file(str(options.get("path", "")))
    if file_type == "saveAsTable":
        write.saveAsTable(**options)
        return AssetMaterialization.file(options["name"])
    getattr(write, file_type)(**options)
    return AssetMaterialization.file(options["url"] if file_type == "jdbc" else options["path"])


@dagster_type_loader(_READ, required_resource_keys={"pyspark"})
def dataframe_loader(context: Any, config: dict[str, Any]) -> Any:
    """``inputs: {df: {csv: {path: in.csv, header: true}}}``, read with the ``pyspark``
    resource's session."""
    read = context.resources.pyspark.spark_session.read
    (file_type, options), = config.items()
    if file_type == "other":
        return read.load(**options)
    if file_type in ("jdbc", "table"):
        return getattr(read, file_type)(**options)
    return getattr(read, file_type)(options["path"], **_without(options, "path"))


def is_spark_dataframe(value: Any) -> bool:
    """Whether ``value`` is a PySpark DataFrame (without importing pyspark to say no)."""
    module = sys.modules.get("pyspark.sql")
    return module is not None and isinstance(value, module.DataFrame)


def _type_check(_context: Any, value: Any) -> TypeCheck:
    if is_spark_dataframe(value):
        return TypeCheck(True)
    return TypeCheck(False, description=(
        f"Value of type {type(value)} failed type check for Dagster type PySparkDataFrame, "
        "expected value to be of Python type DataFrame."))


DataFrame = DagsterType(_type_check, name="PySparkDataFrame",
                        description="A PySpark data frame.", loader=dataframe_loader,
                        materializer=dataframe_materializer)
PySparkDataFrame = DataFrame
