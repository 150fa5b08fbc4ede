"""``spark_resource`` (legacy ``dagster_spark.resources``): runs spark-submit jobs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from orch.core.definitions.resource import resource

from .utils import SparkOpError, construct_spark_shell_command


class SparkResource:
    """What ``context.resources.spark`` is: ``run_spark_job(config, main_class)``."""

    def __init__(self, logger: Any = None) -> None:
        self.logger = logger

    def run_spark_job(self, config: Mapping[str, Any], main_class: str | None) -> None:
        """Run spark-submit for a solid's config (``define_spark_config``). Its output goes to
        the step's compute log; a nonzero exit raises :class:`SparkOpError`."""
        application_jar = config["application_jar"]
        if not os.path.exists(application_jar):
            raise SparkOpError(
                f"Application jar {application_jar} does not exist. A valid jar must be built "
                "before running this solid.")
        command = construct_spark_shell_command(
            application_jar=application_jar, main_class=main_class,
            master_url=config.get("master_url"), spark_conf=config.get("spark_conf"),
            deploy_mode=config.get("deploy_mode"),
            application_arguments=config.get("application_arguments"),
            spark_home=config.get("spark_home"))
        if self.logger is not None:
            self.logger.info("Running spark-submit: " + " ".join(command))
        # A Python application runs on this interpreter unless the user chose one.
        env = {"PYSPARK_PYTHON": sys.executable, **os.environ}
        sys.stdout.flush()
        sys.stderr.flush()
        returncode = subprocess.call(command, env=env)
        if returncode != 0:
            raise SparkOpError(
                f"Spark job failed (spark-submit exited with {returncode}). Please consult "
                "your logs.")


@resource(description="Runs spark-submit jobs (create_spark_solid).")
def spark_resource(context: Any) -> SparkResource:
    return SparkResource(context.log)
