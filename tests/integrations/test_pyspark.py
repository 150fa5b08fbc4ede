"""pyspark_resource and pyspark_parquet_io_manager through ``orch run`` on local Spark
(``local[2]``, Java 17; started by the run itself): one session shared by a run's steps in
process (one resource initialisation, one application id), DataFrames handed between steps as
parquet, and the session stopped at teardown (the legacy resource never stopped it)."""

from __future__ import annotations

import re
import shutil

import yaml

from .conftest import Project, require
from .servers import unavailable

require("pyspark", "pyspark")

REPO = '''
from orch import ModeDefinition, pipeline, solid
from orch.integrations.pyspark import pyspark_parquet_io_manager, pyspark_resource

MODE = ModeDefinition(resource_defs={"pyspark": pyspark_resource,
                                     "io_manager": pyspark_parquet_io_manager})


@solid(required_resource_keys={"pyspark"})
def trips(context):
    spark = context.resources.pyspark.spark_session
    context.log.info(f"app {spark.sparkContext.applicationId}")
    return spark.createDataFrame([(i, i % 3) for i in range(1000)], ["x", "k"])


@solid(required_resource_keys={"pyspark"})
def totals(context, trips):
    context.log.info(f"app {context.resources.pyspark.spark_context.applicationId}")
    return trips.groupBy("k").sum("x").orderBy("k")


@solid(required_resource_keys={"pyspark"})
def report(context, totals):
    context.log.info(f"app {context.resources.pyspark.spark_context.applicationId}")
    rows = [tuple(r) for r in totals.collect()]
    context.log.info(f"totals {rows}")
    context.log.info(f"master {context.resources.pyspark.spark_context.master}")


@pipeline(mode_defs=[MODE])
def spark_job():
    report(totals(trips()))
'''

SPARK_CONF = {"spark": {"master": "local[2]",
                        "ui": {"enabled": False, "showConsoleProgress": False},
                        "driver": {"host": "127.0.0.1", "bindAddress": "127.0.0.1"},
                        "sql": {"shuffle": {"partitions": 2}}}}


def test_one_session_shared_by_the_steps_and_stopped_at_teardown(project: Project, tmp_path):
    if shutil.which("java") is None:
        unavailable("local Spark needs Java (java on PATH)")
    project.write(REPO)
    config = project.root / "run.yaml"
    config.write_text(yaml.safe_dump({"resources": {"pyspark": {"config": {
        "spark_conf": {**SPARK_CONF, "spark": {**SPARK_CONF["spark"],
                                               "local": {"dir": str(tmp_path / "spark")}}}}}}}))
    run = project.run("spark_job", "-c", str(config), timeout=300,
                      env=project.env(SPARK_LOCAL_IP="127.0.0.1"))
    assert run.returncode == 0, run.stderr[-3000:]
    logs = [(e["step_key"], e["message"]) for e in run.events if e["event_type"] is None]
    apps = {m for _, m in logs if m.startswith("app ")}
    assert len(apps) == 1, logs  # the same session in every step
    assert ("report", "totals [(0, 166833), (1, 166167), (2, 166500)]") in logs
    assert ("report", "master local[2]") in logs
    inits = [e for e in run.events if e["event_type"] == "ENGINE_EVENT"
             and e["message"].startswith("Starting initialization of resources")]
    assert len(inits) == 1 and "pyspark" in inits[0]["message"]
    assert any(m == "Stopped the Spark session" for _, m in logs), logs
    handled = [e for e in run.events if e["event_type"] == "HANDLED_OUTPUT"]
    paths = [run.metadata(e)["path"] for e in handled if run.metadata(e)]  # report's None: none
    assert [re.sub(r".*/spark/", "", p) for p in paths] == [
        f"{run.run_id}/trips/result.parquet", f"{run.run_id}/totals/result.parquet"]
