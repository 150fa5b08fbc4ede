"""Airflow both ways (orch.integrations.airflow) on real Airflow 3 with SQLite, no mocks.

Airflow lives in a virtualenv of its own (it pins SQLAlchemy, FastAPI, ...), with orch
installed into it: ``$ORCH_AIRFLOW_VENV`` (``.ci/run`` builds and caches it), else the cache
folder ``.ci/run`` uses. Every Airflow command runs in it as a subprocess:

* orch -> Airflow: ``airflow dags test`` runs a DAG ``make_airflow_dag`` built from an orch
  pipeline; orch's storage then holds one run for the DAG run, each step's events, its
  compute logs and its outputs (fs_io_manager); a failing step is retried by Airflow as an
  orch retry, fails its step with the cause, abandons what is downstream and fails the run.
* Airflow -> orch: ``orch run`` (the venv's console script) runs the pipeline
  ``make_dagster_pipeline_from_airflow_dag`` built from a DAG of Python and Bash operators;
  the Bash operator's output is in its step's compute log, a failing operator fails its step
  with Airflow's error.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus

AIRFLOW_VERSION = "3.3.2"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _venv() -> Path:
    configured = os.environ.get("ORCH_AIRFLOW_VENV")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = Path(configured) if configured else cache / "orch-ci" / f"airflow-{AIRFLOW_VERSION}"
    if not (venv / "bin" / "airflow").exists():
        _unavailable(f"no Airflow virtualenv at {venv}: run .ci/run, or python3 -m venv {venv} "
                     f"&& {venv}/bin/pip install apache-airflow=={AIRFLOW_VERSION} -e .")
    return venv


def _unavailable(message: str) -> None:
    if os.environ.get("CI") or os.environ.get("ORCH_AIRFLOW_VENV"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A fresh AIRFLOW_HOME (SQLite, migrated: a copy of the database .ci/run migrated once
    for the venv, else ``airflow db migrate``) in a temporary folder, a dags folder and a
    code folder on PYTHONPATH; bytecode of the checkout goes to the test's folder."""
    venv = _venv()
    root = tmp_path_factory.mktemp("airflow")
    (root / "dags").mkdir()
    (root / "code").mkdir()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(root / "home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "PYTHONPATH": str(root / "code"),
        "PYTHONPYCACHEPREFIX": str(root / "pycache"),
        "ORCH_HOME": str(root / "orch"),
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import orch.core; print(orch.core.__file__)"],
                           capture_output=True, text=True, env=env, timeout=60)
    if where.returncode != 0 or Path(where.stdout.strip()).parent != REPO_ROOT / "core":
        _unavailable(f"the Airflow virtualenv {venv} imports orch from "
                     f"{where.stdout.strip() or where.stderr.strip()[-300:]}, not from this "
                     f"checkout: {venv}/bin/pip install --no-deps -e {REPO_ROOT}")
    started = time.monotonic()
    template = venv / "orch-test-home" / "airflow.db"  # .ci/run migrates it once per venv
    if template.exists():
        (root / "home").mkdir()
        shutil.copyfile(template, root / "home" / "airflow.db")
        print(f"airflow db: copied the migrated {template}")
    else:
        migrate = subprocess.run([str(venv / "bin" / "airflow"), "db", "migrate"],
                                 capture_output=True, text=True, env=env, timeout=300)
        assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
        print(f"airflow db migrate: {time.monotonic() - started:.1f}s")
    return {"venv": venv, "root": root, "env": env}


def _airflow(airflow: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    venv = airflow["venv"]
    assert isinstance(venv, Path)
    started = time.monotonic()
    proc = subprocess.run([str(venv / "bin" / "airflow"), *args], capture_output=True,
                          text=True, env=airflow["env"], timeout=timeout)
    print(f"airflow {' '.join(args)}: {time.monotonic() - started:.1f}s")
    return proc


def _write(airflow: dict, folder: str, name: str, source: str) -> None:
    root = airflow["root"]
    assert isinstance(root, Path)
    (root / folder / name).write_text(textwrap.dedent(source))


def _instance(airflow: dict) -> Instance:
    return Instance.from_home(airflow["env"]["ORCH_HOME"])


def _runs_of_dag(instance: Instance, dag_id: str):
    return instance.get_runs(tags={"airflow_dag_id": dag_id})


def _types(instance: Instance, run_id: str, step: str) -> list[str]:
    return [e.event_type.value for e in instance.get_logs_for_run(run_id, step_key=step)
            if e.event_type is not None]


PIPELINES = '''
from orch import Field, Int, OutputDefinition, pipeline, solid


@solid(config_schema={"n": Field(Int, default_value=3)})
def numbers(context):
    print("numbers: making", context.solid_config["n"])
    return list(range(context.solid_config["n"]))


@solid
def total(context, xs):
    print("total of", xs)
    context.log.info("adding up")
    return sum(xs)


@solid
def double(xs):
    return [2 * x for x in xs]


@solid
def report(context, t, d):
    print(f"report: total={t} doubled={d}")
    return {"total": t, "doubled": d}


@pipeline
def af_pipe():
    xs = numbers()
    report(total(xs), double(xs))


@solid
def boom(context, xs):
    print("boom: about to fail, retry", context.retry_number)
    raise ValueError(f"bad numbers {xs}")


@solid
def after(xs):
    return xs


@solid
def side():
    print("side branch runs")
    return 1


@solid(output_defs=[OutputDefinition(int, "maybe", is_required=False)])
def quiet():
    if False:
        yield


@solid
def never(maybe):
    return maybe


@solid
def tail(x):
    return x


@pipeline
def af_fail():
    after(boom(numbers()))
    side()
    tail(never(quiet()))
'''

DAGS = '''
import datetime
from orch.integrations.airflow import make_airflow_dag

dag, tasks = make_airflow_dag(
    module_name="af_pipes", pipeline_name="af_pipe",
    run_config={"solids": {"numbers": {"config": {"n": 4}}}},
    # A legacy file's Airflow 2 names: schedule and max_active_tasks in Airflow 3.
    dag_kwargs={"schedule_interval": "@daily", "concurrency": 2},
    tags={"team": "ingest"})

fail_dag, fail_tasks = make_airflow_dag(
    module_name="af_pipes", pipeline_name="af_fail", dag_id="af_fail_dag",
    dag_kwargs={"default_args": {"retries": 1,
                                 "retry_delay": datetime.timedelta(seconds=0)}})

# A task that fails before it reaches its step (as one Airflow could not start, or killed):
# no orch code of it runs, and what is downstream of it is upstream_failed.
lost_dag, lost_tasks = make_airflow_dag(
    module_name="af_pipes", pipeline_name="af_pipe", dag_id="af_lost_dag",
    run_config={"solids": {"numbers": {"config": {"n": 4}}}},
    dag_kwargs={"default_args": {"retries": 0}})


def _never_starts(context):
    raise RuntimeError("this task never reaches its step")


next(t for t in lost_tasks if t.task_id == "total")._pre_execute_hook = _never_starts
'''


def test_airflow_dag_runs_each_step_in_one_orch_run(airflow):
    _write(airflow, "code", "af_pipes.py", PIPELINES)
    _write(airflow, "dags", "orch_dags.py", DAGS)
    proc = _airflow(airflow, "dags", "test", "af_pipe")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    with _instance(airflow) as instance:
        runs = _runs_of_dag(instance, "af_pipe")
        assert len(runs) == 1
        run = runs[0]
        assert run.status is PipelineRunStatus.SUCCESS
        assert run.pipeline_name == "af_pipe"
        assert run.tags["team"] == "ingest"
        assert run.tags["airflow_run_id"].startswith("manual__")
        assert run.tags["airflow_execution_date"]
        assert run.run_id.startswith("af_pipe__manual__")
        assert run.run_config == {"solids": {"numbers": {"config": {"n": 4}}}}
        run_types = [e.event_type for e in instance.get_logs_for_run(run.run_id)
                     if e.step_key is None and e.event_type is not None]
        assert run_types[0] is EventType.PIPELINE_START
        assert run_types[-1] is EventType.PIPELINE_SUCCESS
        assert run_types.count(EventType.PIPELINE_START) == 1
        for step in ("numbers", "total", "double", "report"):
            types = _types(instance, run.run_id, step)
            assert types[0] == "LOGS_CAPTURED", (step, types)
            assert "STEP_START" in types and types[-1] == "STEP_SUCCESS", (step, types)
            assert "HANDLED_OUTPUT" in types
        assert "LOADED_INPUT" in _types(instance, run.run_id, "report")
        # Each task ran its step in Airflow's task process, against ORCH_HOME.
        pids = {e.pid for e in instance.get_logs_for_run(run.run_id, of_type=EventType.STEP_START)}
        assert os.getpid() not in pids

        def stdout(step: str) -> str:
            data, _, complete = instance.compute_log_manager.read(run.run_id, step, "stdout")
            assert complete, step
            return data.decode()

        # (contained, not equal: a line Airflow's own threads log meanwhile lands there too)
        assert "numbers: making 4\n" in stdout("numbers")
        assert "total of [0, 1, 2, 3]\n" in stdout("total")
        assert "report: total=6 doubled=[0, 2, 4, 6]\n" in stdout("report")
        assert "numbers" not in stdout("report")
        log_lines = [e.message for e in instance.get_logs_for_run(run.run_id, step_key="total")
                     if e.event_type is None]
        assert "adding up" in log_lines

        output = Path(airflow["env"]["ORCH_HOME"]) / "storage" / run.run_id / "report" / "result"
        assert pickle.loads(output.read_bytes()) == {"total": 6, "doubled": [0, 2, 4, 6]}
    # Airflow's own record: every task of the DAG run succeeded.
    assert "state=success" in proc.stdout + proc.stderr


def test_failing_step_is_retried_by_airflow_then_fails_the_run(airflow):
    _write(airflow, "code", "af_pipes.py", PIPELINES)
    _write(airflow, "dags", "orch_dags.py", DAGS)
    proc = _airflow(airflow, "dags", "test", "af_fail_dag")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]  # Airflow's DAG run failed too
    assert "bad numbers [0, 1, 2]" in out  # the cause, in Airflow's task log

    with _instance(airflow) as instance:
        runs = _runs_of_dag(instance, "af_fail_dag")
        assert len(runs) == 1
        run = runs[0]
        assert run.status is PipelineRunStatus.FAILURE
        boom = instance.get_logs_for_run(run.run_id, step_key="boom")
        types = [e.event_type for e in boom if e.event_type is not None]
        # Try 1 failed and Airflow retried it (orch records a retry); try 2 failed for good.
        assert types.count(EventType.STEP_UP_FOR_RETRY) == 1
        assert EventType.STEP_RESTARTED in types
        assert types.index(EventType.STEP_UP_FOR_RETRY) < types.index(EventType.STEP_RESTARTED)
        assert types[-1] is EventType.STEP_FAILURE
        failure = [e for e in boom if e.event_type is EventType.STEP_FAILURE][-1]
        assert failure.data["error"]["cls_name"] == "ValueError"
        assert "bad numbers [0, 1, 2]" in failure.data["error"]["message"]
        data, _, _ = instance.compute_log_manager.read(run.run_id, "boom", "stdout")
        assert "boom: about to fail, retry 0\nboom: about to fail, retry 1\n" in data.decode()
        # Downstream of the failure: never run (Airflow: upstream_failed), abandoned in orch.
        after = instance.get_logs_for_run(run.run_id, step_key="after")
        assert [e.event_type for e in after] == [None]
        assert after[0].data["abandoned"] is True
        # The other branch ran; the step whose input was never produced was skipped.
        assert _types(instance, run.run_id, "side")[-1] == "STEP_SUCCESS"
        assert _types(instance, run.run_id, "never") == ["STEP_SKIPPED"]
        # Airflow skips the task downstream of a skipped one without running it: recorded.
        (skipped,) = instance.get_logs_for_run(run.run_id, step_key="tail")
        assert skipped.event_type is EventType.STEP_SKIPPED
        assert skipped.data == {"skipped_by": "airflow"}
        last = instance.get_logs_for_run(run.run_id)[-1]
        assert last.event_type is EventType.PIPELINE_FAILURE and last.step_key is None
        assert last.data["failed_steps"] == ["boom"]
        assert last.data["abandoned_steps"] == ["after"]


AIRFLOW_DAG = '''
from datetime import datetime, timedelta

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, task
from airflow.sdk import dag as taskflow


def extract(**context):
    print("extracting for", context["ds"], "in orch run", context["run_id"])


def load(table):
    print("loading", table)


with DAG("etl-daily", start_date=datetime(2024, 1, 1), schedule=None,
         description="daily ETL") as dag:
    e = PythonOperator(task_id="extract", python_callable=extract)
    t = BashOperator(task_id="transform",
                     bash_command="echo transforming {{ ds }} in $AIRFLOW_CTX_DAG_ID; "
                                  "echo warned >&2")
    lo = PythonOperator(task_id="load", python_callable=load, op_kwargs={"table": "sales"})
    e >> t >> lo
    e >> lo

@taskflow(dag_id="etl-taskflow", start_date=datetime(2024, 1, 1), schedule=None)
def etl_taskflow():
    @task
    def extract():
        return [1, 2, 3]

    @task(multiple_outputs=True)
    def stats(xs):
        return {"n": len(xs), "total": sum(xs)}

    @task
    def report(n, total, said):
        print("report:", n, "rows, sum", total, "| bash said:", said)

    def pull(ti):
        print("pulled", ti.xcom_pull(task_ids="extract"),
              ti.xcom_pull(task_ids="stats", key="total"))

    s = stats(extract())
    shout = BashOperator(task_id="shout",
                         bash_command="echo rows={{ ti.xcom_pull(task_ids='stats', key='n') }}")
    s >> shout
    report(s["n"], s["total"], shout.output) >> PythonOperator(task_id="pull",
                                                                python_callable=pull)


taskflow_dag = etl_taskflow()

with DAG("etl-broken", start_date=datetime(2024, 1, 1), schedule=None) as broken_dag:
    fails = BashOperator(task_id="fails", bash_command="echo half done; exit 3", retries=1,
                         retry_delay=timedelta(seconds=0))
    later = BashOperator(task_id="later", bash_command="echo never",
                         execution_timeout=timedelta(seconds=30))
    fails >> later
'''

PIPELINE_FILE = '''
from etl_dags import broken_dag, dag, taskflow_dag
from orch.integrations.airflow import make_dagster_pipeline_from_airflow_dag

etl = make_dagster_pipeline_from_airflow_dag(dag, tags={"source": "airflow"})
broken = make_dagster_pipeline_from_airflow_dag(broken_dag)
taskflow = make_dagster_pipeline_from_airflow_dag(taskflow_dag)
'''


REPO_FILE = '''
from orch.integrations.airflow import make_dagster_repo_from_airflow_dags_path

airflow_repo = make_dagster_repo_from_airflow_dags_path(DAGS_FOLDER, "airflow_repo")
'''


def _orch_run(airflow: dict, pipeline: str, *args: str, file: str = "etl_pipelines.py"):
    venv, root = airflow["venv"], airflow["root"]
    assert isinstance(venv, Path) and isinstance(root, Path)
    started = time.monotonic()
    proc = subprocess.run([str(venv / "bin" / "orch"), "run", "-f",
                           str(root / "code" / file), "-p", pipeline, "--json",
                           *args], capture_output=True, text=True, env=airflow["env"],
                          timeout=300, cwd=root)
    print(f"orch run {pipeline}: {time.monotonic() - started:.1f}s")
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc, events


def test_a_task_that_never_reaches_its_step_is_ended_with_the_dag_run(airflow):
    # No task is left to end the orch run (total failed before its step; report was never
    # run): the DAG's on_failure_callback does, naming what never finished.
    _write(airflow, "code", "af_pipes.py", PIPELINES)
    _write(airflow, "dags", "orch_dags.py", DAGS)
    proc = _airflow(airflow, "dags", "test", "af_lost_dag")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "this task never reaches its step" in out
    with _instance(airflow) as instance:
        (run,) = _runs_of_dag(instance, "af_lost_dag")
        assert run.status is PipelineRunStatus.FAILURE
        events = instance.get_logs_for_run(run.run_id)
        assert _types(instance, run.run_id, "double")[-1] == "STEP_SUCCESS"
        assert _types(instance, run.run_id, "total") == []
        assert events[-1].event_type is EventType.PIPELINE_FAILURE
        assert "ended (failed) with steps ['total', 'report'] unfinished" in events[-1].message


def test_airflow_dag_as_orch_pipeline_through_orch_run(airflow):
    _write(airflow, "code", "etl_dags.py", AIRFLOW_DAG)
    _write(airflow, "code", "etl_pipelines.py", PIPELINE_FILE)
    proc, events = _orch_run(airflow, "airflow_etl_daily", "--tags",
                             '{"airflow_execution_date": "2026-11-30T00:00:00+00:00"}')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run_id = events[0]["run_id"]
    successes = [e["step_key"] for e in events if e["event_type"] == "STEP_SUCCESS"]
    assert successes == ["airflow_extract", "airflow_transform", "airflow_load"]

    with _instance(airflow) as instance:
        run = instance.get_run(run_id)
        assert run is not None and run.status is PipelineRunStatus.SUCCESS
        assert run.tags["is_airflow_ingest_pipeline"] == "true"
        assert run.tags["source"] == "airflow"
        # The DAG's dependencies are the pipeline's (load waits for extract and transform),
        # as the run's stored pipeline snapshot has them.
        snapshot = instance.get_run_snapshot(run.pipeline_snapshot_id)
        assert snapshot is not None
        upstream = {solid["name"]: sorted(src[0] for inp in solid["inputs"].values()
                                          for src in inp["sources"])
                    for solid in snapshot["graph"]["solids"]}
        assert upstream == {"airflow_extract": [], "airflow_transform": ["airflow_extract"],
                            "airflow_load": ["airflow_extract", "airflow_transform"]}
        assert {sol["name"]: sol["tags"]["airflow_task_id"]
                for sol in snapshot["graph"]["solids"]}["airflow_load"] == "load"

        def log(step: str, stream: str = "stdout") -> str:
            return instance.compute_log_manager.read(run_id, step, stream)[0].decode()

        # Templates rendered with the logical date; the Bash output and Airflow's log lines
        # are in the step's compute log.
        assert "transforming 2026-11-30 in etl-daily" in log("airflow_transform")
        assert "warned" in log("airflow_transform")
        assert "Command exited with return code 0" in log("airflow_transform")
        assert f"extracting for 2026-11-30 in orch run {run_id}" in log("airflow_extract")
        assert "loading sales" in log("airflow_load")


def test_taskflow_values_pass_as_xcoms_between_step_processes(airflow):
    """TaskFlow arguments, multiple_outputs, a Bash operator's output and ti.xcom_pull, under
    the multiprocess executor: each step a process of its own, the XComs in the run's
    storage."""
    _write(airflow, "code", "etl_dags.py", AIRFLOW_DAG)
    _write(airflow, "code", "etl_pipelines.py", PIPELINE_FILE)
    proc, events = _orch_run(airflow, "airflow_etl_taskflow", "--executor", "multiprocess")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run_id = events[0]["run_id"]
    with _instance(airflow) as instance:
        def log(step: str) -> str:
            return instance.compute_log_manager.read(run_id, step, "stdout")[0].decode()

        assert "report: 3 rows, sum 6 | bash said: rows=3" in log("airflow_report")
        assert "pulled [1, 2, 3] 6" in log("airflow_pull")
        xcom = Path(airflow["env"]["ORCH_HOME"]) / "storage" / run_id / "airflow_stats" / "xcom"
        assert sorted(p.name for p in xcom.iterdir()) == ["n", "return_value", "total"]


def test_failing_airflow_operator_fails_its_step_with_the_cause(airflow):
    """Through a repository of the DAGs Airflow's DagBag finds in a folder."""
    root = airflow["root"]
    assert isinstance(root, Path)
    (root / "code" / "bag").mkdir(exist_ok=True)
    _write(airflow, "code/bag", "etl_dags.py", AIRFLOW_DAG)
    _write(airflow, "code", "bag_repo.py",
           f"DAGS_FOLDER = {str(root / 'code' / 'bag')!r}\n" + textwrap.dedent(REPO_FILE))
    proc, events = _orch_run(airflow, "airflow_etl_broken", file="bag_repo.py")
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    failures = [e for e in events if e["event_type"] == "STEP_FAILURE"]
    assert [e["step_key"] for e in failures] == ["airflow_fails"]
    # The operator's retries=1 is the solid's retry policy: one retry, then the failure.
    retries = [e for e in events if e["event_type"] == "STEP_UP_FOR_RETRY"]
    assert [e["step_key"] for e in retries] == ["airflow_fails"]
    # As for any solid whose retries ran out: RetryRequested, caused by the last error.
    error = failures[0]["data"]["error"]
    assert error["cls_name"] == "RetryRequested"
    assert error["cause"]["cls_name"] == "AirflowException"
    assert "non-zero exit code 3" in error["cause"]["message"]
    assert not [e for e in events if e.get("step_key") == "airflow_later"
                and e["event_type"] == "STEP_START"]
    assert events[-1]["event_type"] == "PIPELINE_FAILURE"
    with _instance(airflow) as instance:
        out = instance.compute_log_manager.read(events[0]["run_id"], "airflow_fails")[0]
        assert "half done" in out.decode()
        assert out.decode().count("Command exited with return code 3") == 2  # both attempts
        run = instance.get_run(events[0]["run_id"])
        assert run is not None and run.pipeline_snapshot_id
        snapshot = instance.get_run_snapshot(run.pipeline_snapshot_id)
        assert snapshot is not None
        tags = {sol["name"]: sol["tags"] for sol in snapshot["graph"]["solids"]}
        assert tags["airflow_later"]["orch/timeout"] == "30.0"  # its execution_timeout


TASK = '''
import sys
from orch.core.definitions.reconstructable import ReconstructablePipeline
from orch.integrations.airflow.steps import AirflowTaskRun, PipelineTarget, execute_solid_in_task

target = PipelineTarget(ReconstructablePipeline("af_pipe", module_name="af_pipes"),
                        run_config={"solids": {"numbers": {"config": {"n": 5}}}})
task = AirflowTaskRun("procs", "scheduled__2026-12-01T00:00:00+00:00",
                      "2026-12-01T00:00:00+00:00")
print(execute_solid_in_task(target, sys.argv[1], task).outcome)
'''


def test_tasks_in_processes_of_their_own_share_one_run(tmp_path):
    """What Airflow's LocalExecutor does (``dags test`` runs every task in one process): each
    task a process that exits after its step, two of them at once. No Airflow needed: the
    runtime half imports none. The first task's process does not stay the run's worker, so
    the next task to open the instance does not fail the run as crashed."""
    (tmp_path / "af_pipes.py").write_text(textwrap.dedent(PIPELINES))
    (tmp_path / "task.py").write_text(textwrap.dedent(TASK))
    env = {**os.environ, "ORCH_HOME": str(tmp_path / "home"), "PYTHONPATH": str(tmp_path),
           "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}

    def start(solid: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(tmp_path / "task.py"), solid], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(*procs: subprocess.Popen) -> list[str]:
        outs = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-3000:]
            outs.append(out.strip().splitlines()[-1])
        return outs

    assert finish(start("numbers")) == ["success"]
    assert finish(start("total"), start("double")) == ["success", "success"]
    assert finish(start("report")) == ["success"]
    with Instance.from_home(tmp_path / "home") as instance:
        (run,) = instance.get_runs()
        assert run.status is PipelineRunStatus.SUCCESS, [
            e.message for e in instance.get_logs_for_run(run.run_id) if e.level >= 40]
        assert run.run_id == "procs__scheduled__2026-12-01T00_00_00_00_00"
        assert run.worker_pid is None
        starts = instance.get_logs_for_run(run.run_id, of_type=EventType.STEP_START)
        assert len({e.pid for e in starts}) == 4
        output = tmp_path / "home" / "storage" / run.run_id / "report" / "result"
        assert pickle.loads(output.read_bytes()) == {"total": 10, "doubled": [0, 2, 4, 6, 8]}
        data, _, complete = instance.compute_log_manager.read(run.run_id, "double", "stdout")
        assert complete and data == b""
        data, _, _ = instance.compute_log_manager.read(run.run_id, "total", "stdout")
        assert data == b"total of [0, 1, 2, 3, 4]\n"


LOST = """
import time
from orch import pipeline, solid


@solid
def first():
    return 1


@solid
def hangs(x):
    print("hangs: started", flush=True)
    time.sleep(120)
    return x


@solid
def last(x):
    return x


@pipeline
def lost_pipe():
    last(hangs(first()))
"""

LOST_TASK = TASK.replace('"af_pipe", module_name="af_pipes"', '"lost_pipe", module_name="lost_pipes"'
                         ).replace('run_config={"solids": {"numbers": {"config": {"n": 5}}}}',
                                   "run_config=None")


def test_a_task_killed_in_its_step_is_ended_with_the_dag_run(tmp_path):
    """A task process SIGKILLed inside its step (out of memory, a kill) reports nothing, and
    Airflow then marks what is downstream upstream_failed without running it: no task is
    left to end the orch run. The DAG's callback (end_dag_run) ends it when the DAG run
    ends: the killed step fails naming its task, the run fails naming what never finished."""
    from orch.core.definitions.reconstructable import ReconstructablePipeline
    from orch.integrations.airflow.steps import PipelineTarget, end_dag_run

    (tmp_path / "lost_pipes.py").write_text(textwrap.dedent(LOST))
    (tmp_path / "task.py").write_text(textwrap.dedent(LOST_TASK))
    home = tmp_path / "home"
    env = {**os.environ, "ORCH_HOME": str(home), "PYTHONPATH": str(tmp_path),
           "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}

    def task(solid: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(tmp_path / "task.py"), solid], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = task("first")
    assert first.communicate(timeout=120)[0].strip().splitlines()[-1] == "success"
    hanging = task("hangs")
    deadline = time.monotonic() + 60
    with Instance.from_home(home) as instance:
        (run,) = instance.get_runs()
        while not instance.get_logs_for_run(run.run_id, of_type=EventType.STEP_START)[1:]:
            assert time.monotonic() < deadline and hanging.poll() is None
            time.sleep(0.05)
    hanging.kill()
    hanging.communicate(timeout=60)
    with Instance.from_home(home) as instance:
        assert instance.get_run(run.run_id).status is PipelineRunStatus.STARTED  # stuck
    sys.path.insert(0, str(tmp_path))
    try:
        target = PipelineTarget(ReconstructablePipeline("lost_pipe", module_name="lost_pipes"),
                                instance_home=str(home))
        airflow_run = "scheduled__2026-12-01T00:00:00+00:00"
        assert end_dag_run(target, "procs", airflow_run, "failed") is True
        assert end_dag_run(target, "procs", airflow_run, "failed") is False  # once
    finally:
        sys.path.remove(str(tmp_path))
    with Instance.from_home(home) as instance:
        assert instance.get_run(run.run_id).status is PipelineRunStatus.FAILURE
        events = instance.get_logs_for_run(run.run_id)
        (failure,) = [e for e in events if e.event_type is EventType.STEP_FAILURE]
        assert failure.step_key == "hangs" and "had not reported an outcome" in failure.message
        assert events[-1].event_type is EventType.PIPELINE_FAILURE
        assert "ended (failed) with steps ['hangs', 'last'] unfinished" in events[-1].message
        data, _, _ = instance.compute_log_manager.read(run.run_id, "hangs", "stdout")
        assert data == b"hangs: started\n"  # what the killed step wrote is kept


def test_make_airflow_dag_refuses_what_airflow_tasks_cannot_run():
    """Checked before Airflow is imported (so here, where it is not installed): outputs kept
    in memory cannot reach the next task's process, a dynamic fan-out has no fixed tasks."""
    from orch.core.errors import DagsterInvariantViolationError
    from orch.integrations.airflow import make_airflow_dag

    from orch import (
        DynamicOutput,
        DynamicOutputDefinition,
        ModeDefinition,
        mem_io_manager,
        pipeline,
        solid,
    )

    @solid
    def one():
        return 1

    @solid
    def inc(x):
        return x + 1

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": mem_io_manager})])
    def in_memory():
        inc(one())

    with pytest.raises(DagsterInvariantViolationError, match="fs_io_manager"):
        make_airflow_dag(in_memory)

    @solid(output_defs=[DynamicOutputDefinition(int)])
    def fan_out():
        for i in range(2):
            yield DynamicOutput(i, mapping_key=str(i))

    @pipeline
    def dynamic():
        fan_out().map(inc)

    with pytest.raises(DagsterInvariantViolationError, match="dynamic output"):
        make_airflow_dag(dynamic)
    with pytest.raises(DagsterInvariantViolationError, match="needs pipeline_name"):
        make_airflow_dag("some.module")
