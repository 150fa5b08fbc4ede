"""create_spark_solid and spark_resource (orch.integrations.spark, legacy dagster_spark): a
real spark-submit of a small Python job on local Spark (``local[2]``), with its application
arguments and ``spark_conf`` as ``--conf`` pairs; a job that exits nonzero fails the step with
SparkSolidError; a missing application file fails before spark-submit runs. spark-submit comes
from the installed pyspark package (no SPARK_HOME needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import require
from .servers import unavailable

require("pyspark", "pyspark")

JOB = '''
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
n, out = int(sys.argv[1]), sys.argv[2]
df = spark.range(n)
rows = df.groupBy((df.id % 3).alias("k")).sum("id").orderBy("k").collect()
conf = spark.sparkContext.getConf()
with open(out, "w") as f:
    f.write(f"{spark.sparkContext.master} {conf.get('spark.orch.probe')} "
            f"{[tuple(r) for r in rows]} {' '.join(sys.argv[3:])}")
print("job done", flush=True)
spark.stop()
'''


def _pipeline():
    from orch.integrations.spark import create_spark_solid, spark_resource

    from orch import ModeDefinition, pipeline

    totals = create_spark_solid("totals", main_class="org.example.Totals")

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"spark": spark_resource})])
    def spark_submit():
        totals()

    return spark_submit, totals


def _config(job: Path, arguments: str, scratch: Path) -> dict:
    return {"solids": {"totals": {"config": {
        "master_url": "local[2]", "application_jar": str(job),
        "application_arguments": arguments, "deploy_mode": "client",
        "spark_conf": {"spark": {"ui": {"enabled": False},
                                 "driver": {"host": "127.0.0.1", "bindAddress": "127.0.0.1"},
                                 "local": {"dir": str(scratch)},
                                 "orch": {"probe": "from-config"}}}}}}}


def test_the_spark_solid_definition_matches_the_legacy_one():
    _, totals = _pipeline()
    assert totals.tags == {"kind": "spark", "main_class": "org.example.Totals"}
    assert [i.name for i in totals.input_defs] == ["start"]
    assert totals.input_defs[0].dagster_type.is_nothing
    assert totals.output_defs[0].dagster_type.is_nothing
    assert set(totals.required_resource_keys) == {"spark"}


def test_spark_submit_runs_a_python_job_on_local_spark(tmp_path: Path, monkeypatch):
    if shutil.which("java") is None:
        unavailable("spark-submit needs Java (java on PATH)")
    from orch import execute_pipeline

    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    monkeypatch.delenv("SPARK_HOME", raising=False)
    job = tmp_path / "totals.py"
    job.write_text(JOB)
    out = tmp_path / "out.txt"
    spark_submit, _ = _pipeline()
    result = execute_pipeline(spark_submit, run_config=_config(
        job, f"1000 {out} 'two words'", tmp_path / "spark"))
    assert result.success
    assert out.read_text() == ("local[2] from-config [(0, 166833), (1, 166167), (2, 166500)] "
                               "two words")
    logs = [e.message for e in result.all_events if e.event_type is None]
    assert any(m.startswith("Running spark-submit: ") and "--master local[2]" in m
               and "--conf spark.orch.probe=from-config" in m for m in logs), logs


def test_a_failing_job_and_a_missing_file_fail_the_step(tmp_path: Path, monkeypatch):
    if shutil.which("java") is None:
        unavailable("spark-submit needs Java (java on PATH)")
    from orch.integrations.spark import SparkSolidError

    from orch import execute_pipeline

    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    spark_submit, _ = _pipeline()
    failing = tmp_path / "failing.py"
    failing.write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(SparkSolidError, match="exited with 3"):
        execute_pipeline(spark_submit, run_config=_config(failing, "", tmp_path))
    with pytest.raises(SparkSolidError, match="does not exist"):
        execute_pipeline(spark_submit, run_config=_config(tmp_path / "nope.py", "", tmp_path))
