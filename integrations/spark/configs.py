"""The config of a spark-submit solid (legacy ``dagster_spark.configs``)."""

from __future__ import annotations

from typing import Any

from orch.core.config import Enum, EnumValue, Field, Permissive, StringSource


def spark_config() -> Field:
    """``spark_conf``: Spark properties as a nested mapping (``{spark: {executor: {memory:
    1g}}}``), flattened with dots. The legacy schema listed 313 properties; this one takes any
    (Spark itself rejects what it does not know)."""
    return Field(Permissive(), is_required=False,
                 description="Spark properties as a nested mapping: {spark: {master: local[2]}}")


def define_spark_config() -> dict[str, Any]:
    """``master_url`` and ``application_jar`` required; ``deploy_mode``, ``spark_home``,
    ``application_arguments`` (one string) and ``spark_conf`` optional."""
    return {
        "master_url": Field(StringSource, description=(
            "The master URL for the cluster (e.g. spark://23.195.26.187:7077 or local[2])")),
        "deploy_mode": Field(
            Enum("SparkDeployMode", [EnumValue("cluster"), EnumValue("client")]), is_required=False,
            description="Whether to deploy your driver on the worker nodes (cluster) or locally "
                        "as an external client (client) (default: client)"),
        "application_jar": Field(StringSource, description=(
            "Path to a bundled jar including your application and all dependencies, or a "
            "Python file. The URL must be globally visible inside of your cluster.")),
        "spark_conf": spark_config(),
        "spark_home": Field(StringSource, is_required=False, description=(
            "The path to your spark installation. Defaults to $SPARK_HOME at runtime, then to "
            "the installed pyspark package.")),
        "application_arguments": Field(StringSource, is_required=False, description=(
            "Arguments passed to the main method of your main class, if any")),
    }
