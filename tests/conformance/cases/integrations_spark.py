"""dagster-spark and dagster-pyspark as a legacy file uses them, without starting Spark (the
runs on local Spark are tests/integrations/test_spark.py and test_pyspark.py): a spark-submit
solid's definition and config, the spark-submit command line, flatten_dict, a missing
application jar failing the step before spark-submit runs, and the PySpark DataFrame type's
name, loader and materializer. (A step with a DataFrame input or output needs the pyspark
resource, the loader's, in Dagster as in orch: that starts Spark, so the type check is
tested in tests/integrations/test_pyspark.py on the test session's Spark session.)

Recorded with an oracle that also has ``dagster-spark==0.15.10 dagster-pyspark==0.15.10``
(which import pyspark: ``pip install pyspark``, from the same wheel CI caches)."""

import os

from orch.integrations.pyspark import DataFrame
from orch.integrations.spark import (
    create_spark_solid,
    define_spark_config,
    spark_resource,
)
from orch.integrations.spark.utils import construct_spark_shell_command, flatten_dict

from orch import ModeDefinition, execute_pipeline, pipeline

totals = create_spark_solid("totals", "org.example.Totals")


@pipeline(mode_defs=[ModeDefinition(resource_defs={"spark": spark_resource})])
def spark_submit():
    totals()


def run_spark_solid_definition():
    return {"name": totals.name, "description": totals.description, "tags": dict(totals.tags),
            "inputs": [(i.name, i.dagster_type.display_name) for i in totals.input_defs],
            "outputs": [(o.name, o.dagster_type.display_name) for o in totals.output_defs],
            "resources": sorted(totals.required_resource_keys)}


def run_spark_config_fields():
    return {name: field.is_required for name, field in sorted(define_spark_config().items())}


def run_shell_command():
    return construct_spark_shell_command(
        application_jar="app.jar", main_class="org.example.Main", master_url="local[2]",
        spark_conf={"spark": {"executor": {"memory": "1g"}, "app": {"name": "totals"}},
                    "spark.eventLog.enabled": "false"},
        deploy_mode="client", application_arguments="10", spark_home="/opt/spark")


def run_flatten_dict():
    return flatten_dict({"spark": {"executor": {"memory": "1g", "cores": 2}}, "x": 1})


def run_missing_application_jar():
    return execute_pipeline(spark_submit, run_config={"solids": {"totals": {"config": {
        "master_url": "local[2]", "application_jar": os.path.join("nowhere", "app.jar"),
        "application_arguments": "10"}}}}, raise_on_error=False)


def run_dataframe_type():
    return {"name": DataFrame.display_name, "loader": DataFrame.loader is not None,
            "materializer": DataFrame.materializer is not None}


def run_shell_command_without_arguments():
    return construct_spark_shell_command(application_jar="app.jar", main_class="org.example.Main",
                                         spark_home="/opt/spark")
