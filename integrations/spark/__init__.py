"""Spark jobs for orch (legacy ``dagster_spark``): ``from dagster_spark import
create_spark_solid, spark_resource`` becomes ``from orch.integrations.spark import ...``.

``create_spark_solid`` makes a solid that runs ``spark-submit`` for its config (an application
jar or a Python file, a master URL, ``spark_conf``) through the ``spark`` resource. Nothing
here imports pyspark: spark-submit is found in ``spark_home``, ``$SPARK_HOME`` or, beyond the
legacy library, the installed pyspark package (``pip install 'orch[pyspark]'``, Java 17+).
"""

from .configs import define_spark_config, spark_config
from .resources import SparkResource, spark_resource
from .solids import create_spark_op, create_spark_solid
from .utils import (
    SparkOpError,
    SparkSolidError,
    construct_spark_shell_command,
    flatten_dict,
    parse_spark_config,
)

__all__ = [
    "SparkOpError",
    "SparkResource",
    "SparkSolidError",
    "construct_spark_shell_command",
    "create_spark_op",
    "create_spark_solid",
    "define_spark_config",
    "flatten_dict",
    "parse_spark_config",
    "spark_config",
    "spark_resource",
]
