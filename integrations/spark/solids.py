"""``create_spark_solid`` (legacy ``dagster_spark.solids``)."""

from __future__ import annotations

from typing import Any

from orch.core.definitions.io_defs import InputDefinition, OutputDefinition
from orch.core.definitions.solid import solid
from orch.core.definitions.types import Nothing

from .configs import define_spark_config


def create_spark_op(name: str, main_class: str | None, description: str | None = None,
                    required_resource_keys: Any = frozenset(["spark"])) -> Any:
    """dagster-spark 0.15's op-named twin of :func:`create_spark_solid` (orch has solids)."""
    return create_spark_solid(name, main_class, description, required_resource_keys)


def create_spark_solid(name: str, main_class: str | None, description: str | None = None,
                       required_resource_keys: Any = frozenset(["spark"])) -> Any:
    """A solid that runs one spark-submit job: input ``start`` (Nothing, to order it after
    other solids), output Nothing, tags ``kind: spark`` and ``main_class``, config
    :func:`define_spark_config`."""

    @solid(name=name, description=description, config_schema=define_spark_config(),
           input_defs=[InputDefinition("start", Nothing)],
           output_defs=[OutputDefinition(Nothing)],
           tags={"kind": "spark", **({"main_class": main_class} if main_class else {})},
           required_resource_keys=set(required_resource_keys))
    def spark_solid(context: Any) -> None:
        context.resources.spark.run_spark_job(context.solid_config, main_class)

    return spark_solid
