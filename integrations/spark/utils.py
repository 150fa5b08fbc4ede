"""Flattening ``spark_conf`` and building the spark-submit command line (legacy
``dagster_spark.utils``)."""

from __future__ import annotations

import importlib.util
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class SparkSolidError(Exception):
    """A spark-submit job failed, or spark-submit cannot be found (what is raised is the
    subclass :class:`SparkOpError`, as in dagster-spark 0.15)."""


class SparkOpError(SparkSolidError):
    pass


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


def spark_value(value: Any) -> str:
    """A config value as Spark reads it: ``True`` is ``true``, as in spark-defaults.conf."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def parse_spark_config(spark_conf: Mapping[str, Any] | None) -> list[str]:
    """``--conf k=v`` for each flattened property."""
    args: list[str] = []
    for key, value in flatten_dict(spark_conf or {}):
        args += ["--conf", f"{key}={spark_value(value)}"]
    return args


def pyspark_home() -> str | None:
    """The Spark home inside the installed pyspark package (it ships bin/spark-submit), found
    without importing pyspark."""
    try:
        spec = importlib.util.find_spec("pyspark")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    home = Path(next(iter(spec.submodule_search_locations)))
    return str(home) if (home / "bin" / "spark-submit").exists() else None


def construct_spark_shell_command(application_jar: str, main_class: str | None,
                                  master_url: str | None = None,
                                  spark_conf: Mapping[str, Any] | None = None,
                                  deploy_mode: str | None = None,
                                  application_arguments: str | None = None,
                                  spark_home: str | None = None) -> list[str]:
    """``<spark_home>/bin/spark-submit --class <main_class> [--master m] [--deploy-mode d]
    --conf k=v… <application_jar> <application_arguments…>`` as an argument list (the legacy
    library ran one shell string; the arguments string is split as a shell would)."""
    spark_home = spark_home or os.environ.get("SPARK_HOME") or pyspark_home()
    if spark_home is None:
        raise SparkOpError(
            "No spark home set. You must either pass spark_home in config or set $SPARK_HOME "
            "in your environment (got None), or install pyspark (pip install 'orch[pyspark]').")
    command = [os.path.join(spark_home, "bin", "spark-submit")]
    if main_class:
        command += ["--class", main_class]
    if master_url:
        command += ["--master", master_url]
    if deploy_mode:
        command += ["--deploy-mode", deploy_mode]
    command += parse_spark_config(spark_conf)
    command.append(application_jar)
    if application_arguments:
        command += shlex.split(application_arguments)
    return command
