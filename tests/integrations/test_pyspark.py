"""pyspark_resource, the PySpark DataFrame type and pyspark_parquet_io_manager on local Spark
(``local[2]``, Java 17).

Through ``orch run`` (a fresh process, so the run starts its own session): in process one
session serves all the run's steps (one resource initialisation, one application id) and is
stopped at teardown (the legacy resource never stopped it); under the multiprocess executor
each step process starts its own, once. The tests that run pipelines in this process share
one session (the ``spark_session`` fixture): the resource reuses a running session and leaves
it running."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import Project, local_spark_conf, require
from .servers import unavailable

require("pyspark", "pyspark")

REPO = '''
import signal

from orch import ModeDefinition, pipeline, solid
from orch.integrations.pyspark import pyspark_parquet_io_manager, pyspark_resource

MODE = ModeDefinition(resource_defs={"pyspark": pyspark_resource,
                                     "io_manager": pyspark_parquet_io_manager})


@solid(required_resource_keys={"pyspark"})
def trips(context):
    spark = context.resources.pyspark.spark_session
    context.log.info(f"app {spark.sparkContext.applicationId}")
    handler = signal.getsignal(signal.SIGINT)
    name = ("SIG_IGN" if handler == signal.SIG_IGN
            else getattr(handler, "__qualname__", type(handler).__qualname__))
    then = getattr(handler, "previous", None)
    context.log.info(f"sigint {name}" + (f" then {then.__qualname__}" if then else ""))
    return spark.createDataFrame([(i, i % 3) for i in range(1000)], ["x", "k"])


@solid(required_resource_keys={"pyspark"})
def report(context, trips):
    context.log.info(f"app {context.resources.pyspark.spark_context.applicationId}")
    rows = [tuple(r) for r in trips.groupBy("k").sum("x").orderBy("k").collect()]
    context.log.info(f"totals {rows}")
    context.log.info(f"master {context.resources.pyspark.spark_context.master}")


@pipeline(mode_defs=[MODE])
def spark_job():
    report(trips())
'''


@pytest.fixture
def java() -> None:
    if shutil.which("java") is None:
        unavailable("local Spark needs Java (java on PATH)")


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_one_session_per_process_stopped_at_teardown(java, project: Project, tmp_path: Path,
                                                     executor: str):
    project.write(REPO)
    config = project.root / "run.yaml"
    config.write_text(yaml.safe_dump({"resources": {"pyspark": {"config": {
        "spark_conf": local_spark_conf(tmp_path / "spark")}}}}))
    run = project.run("spark_job", "-c", str(config), "--executor", executor, timeout=300,
                      env=project.env(SPARK_LOCAL_IP="127.0.0.1"))
    assert run.returncode == 0, run.stderr[-3000:]
    logs = [(e["step_key"], e["message"]) for e in run.events if e["event_type"] is None]
    apps = {(step, m) for step, m in logs if m.startswith("app ")}
    inits = [e for e in run.events if e["event_type"] == "ENGINE_EVENT"
             and e["message"].startswith("Finished initialization of resources")
             and "pyspark" in e["data"]["init_ms"]]
    stops = [step for step, m in logs if m == "Stopped the Spark session"]
    if executor == "in_process":  # one session for the run: the same application in each step
        assert len({m for _, m in apps}) == 1 and len(apps) == 2, logs
        assert len(inits) == 1 and inits[0]["step_key"] is None
        assert stops == [None], logs
    else:  # one session per step process, started once there
        assert len({m for _, m in apps}) == 2, logs
        assert sorted(e["step_key"] for e in inits) == ["report", "trips"]
        assert sorted(stops) == ["report", "trips"], logs
    assert ("report", "totals [(0, 166833), (1, 166167), (2, 166500)]") in logs
    assert ("report", "master local[2]") in logs
    # Ctrl-C stays orch's: the run worker's cancel (after canceling the Spark jobs), or a
    # step process's SIG_IGN; never pyspark's handler, which starting the session installs.
    sigint = [m for step, m in logs if m.startswith("sigint ")]
    assert sigint == (["sigint _CancelJobsFirst then _CancelWatch.on_signal"]
                      if executor == "in_process" else ["sigint SIG_IGN"]), logs
    handled = [e for e in run.events if e["event_type"] == "HANDLED_OUTPUT"]
    paths = [run.metadata(e)["path"] for e in handled if run.metadata(e)]  # report's None: none
    assert [re.sub(r".*/spark/", "", p) for p in paths] == [f"{run.run_id}/trips/result.parquet"]


def _pipeline(spark_session):
    """A pipeline whose input is a DataFrame read from config and whose output is written by
    the DataFrame type's materializer; each solid logs the application it ran in."""
    from orch.integrations.pyspark import DataFrame, pyspark_resource

    from orch import InputDefinition, ModeDefinition, OutputDefinition, pipeline, solid

    @solid(input_defs=[InputDefinition("people", DataFrame)],
           output_defs=[OutputDefinition(DataFrame)], required_resource_keys={"pyspark"})
    def adults(context, people):
        context.log.info(f"app {context.resources.pyspark.spark_context.applicationId}")
        return people.filter(people.age >= 18).select("name")

    @solid(output_defs=[OutputDefinition(DataFrame)])
    def not_a_frame(_context):
        return [("ada", 36)]

    mode = ModeDefinition(resource_defs={"pyspark": pyspark_resource})

    @pipeline(mode_defs=[mode])
    def people_pipeline():
        adults()

    @pipeline(mode_defs=[mode])
    def wrong_type():
        not_a_frame()

    return people_pipeline, wrong_type


def test_dataframe_type_loads_and_materializes_and_the_running_session_is_reused(
        spark_session, tmp_path: Path):
    from orch import execute_pipeline

    people_pipeline, wrong_type = _pipeline(spark_session)
    source = tmp_path / "people.csv"
    source.write_text("name,age\nada,36\nbob,12\ncy,18\n")
    out = tmp_path / "adults.parquet"
    result = execute_pipeline(people_pipeline, run_config={
        "resources": {"pyspark": {"config": {"spark_conf": {"spark": {"master": "local[2]"}}}}},
        "solids": {"adults": {
            "inputs": {"people": {"csv": {"path": str(source), "header": True,
                                          "inferSchema": True}}},
            "outputs": [{"result": {"parquet": {"path": str(out), "mode": "overwrite"}}}]}}})
    assert result.success
    logs = [e.message for e in result.all_events if e.event_type is None]
    assert f"app {spark_session.sparkContext.applicationId}" in logs  # the running session
    assert "Stopped the Spark session" not in logs  # ... is left running
    assert sorted(r.name for r in spark_session.read.parquet(str(out)).collect()) == ["ada", "cy"]
    materialized = [e for e in result.event_list if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert materialized and str(out) in str(materialized[0].data)
    assert spark_session.range(3).count() == 3  # still usable after the run

    failed = execute_pipeline(wrong_type, raise_on_error=False)
    assert not failed.success
    checks = [e for e in failed.event_list if e.event_type_value == "STEP_FAILURE"]
    assert "PySparkDataFrame" in str(checks[0].data)


def test_parquet_io_manager_hands_dataframes_between_steps_in_process(spark_session,
                                                                     tmp_path: Path):
    from orch.integrations.pyspark import pyspark_parquet_io_manager, pyspark_resource

    from orch import ModeDefinition, execute_pipeline, pipeline, solid

    @solid(required_resource_keys={"pyspark"})
    def numbers(context):
        return context.resources.pyspark.spark_session.range(10)

    @solid
    def evens(_context, numbers):
        return numbers.filter(numbers.id % 2 == 0)

    @solid
    def total(context, evens):
        context.log.info(f"total {evens.groupBy().sum('id').collect()[0][0]}")

    @pipeline(mode_defs=[ModeDefinition(resource_defs={
        "pyspark": pyspark_resource, "io_manager": pyspark_parquet_io_manager})])
    def chain():
        total(evens(numbers()))

    result = execute_pipeline(chain, run_config={"resources": {"io_manager": {"config": {
        "base_dir": str(tmp_path / "frames")}}}})
    assert result.success
    assert "total 20" in [e.message for e in result.all_events if e.event_type is None]
    stored = sorted(p.relative_to(tmp_path / "frames" / result.run_id).as_posix()
                    for p in (tmp_path / "frames" / result.run_id).glob("*/*.parquet"))
    assert stored == ["evens/result.parquet", "numbers/result.parquet"]  # total's None: none


CTRL_C_REPO = '''
import time
from pathlib import Path

from orch import ModeDefinition, pipeline, solid
from orch.integrations.pyspark import pyspark_resource


@solid(required_resource_keys={"pyspark"})
def slow(context):
    sc = context.resources.pyspark.spark_context
    Path("job-started").write_text("")
    return sc.parallelize(range(120), 2).map(lambda x: time.sleep(1) or x).count()  # ~60 s


@solid
def after(context, n):
    context.log.info(f"after ran with {n}")


@pipeline(mode_defs=[ModeDefinition(resource_defs={"pyspark": pyspark_resource})])
def ctrl_c():
    after(slow())
'''


def test_ctrl_c_cancels_a_running_spark_job_and_the_run_at_once(java, project: Project,
                                                                 tmp_path: Path):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) during a Spark job: the
    run is CANCELED within seconds, not when the ~60 s job ends, and the session is stopped.
    (pyspark's own SIGINT handler made it a step failure; without canceling the jobs first
    the step stayed blocked in py4j until the job finished.)"""
    import json
    import os
    import signal
    import subprocess
    import time

    from .conftest import ORCH

    project.write(CTRL_C_REPO)
    config = project.root / "run.yaml"
    config.write_text(yaml.safe_dump({"resources": {"pyspark": {"config": {
        "spark_conf": local_spark_conf(tmp_path / "spark")}}}}))
    proc = subprocess.Popen([ORCH, "run", "-f", str(project.root / "repo.py"), "-c", str(config),
                             "--json"], cwd=project.root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=project.env(SPARK_LOCAL_IP="127.0.0.1"))
    try:
        deadline = time.monotonic() + 240
        while not (project.root / "job-started").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        time.sleep(2)  # in the Spark job, inside a py4j call
        os.killpg(proc.pid, signal.SIGINT)
        interrupted = time.monotonic()
        out, err = proc.communicate(timeout=120)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    kinds = [e["event_type"] for e in events]
    messages = [e["message"] for e in events if e["event_type"] is None]
    assert proc.returncode == 130, err[-3000:]
    assert "PIPELINE_CANCELED" in kinds and "Stopped the Spark session" in messages, kinds
    assert not [m for m in messages if m.startswith("after ran")]
    assert took < 30, f"the run took {took:.1f} s to stop after Ctrl-C"
