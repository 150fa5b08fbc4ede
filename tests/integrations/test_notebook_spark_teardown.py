"""A notebook solid that needs the ``pyspark`` resource builds its own Spark session inside the
kernel (a session does not pickle), so the kernel starts a JVM of its own. When the notebook
has run, that session is stopped and no java process of it is left: the kernel's resources
are torn down (in a teardown cell, as dagstermill does, even after a failing cell) before
papermill shuts the kernel down. ``orch run`` on local Spark, a real kernel."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import psutil

from .conftest import Project, local_spark_conf, require

require("notebook", "papermill", "ipykernel", "nbformat", "dill")
require("pyspark", "pyspark")

import nbformat  # noqa: E402

REPO = '''
from orch import ModeDefinition, OutputDefinition, pipeline
from orch.integrations.notebook import define_dagstermill_solid
from orch.integrations.pyspark import pyspark_resource

count = define_dagstermill_solid("count", "count.ipynb",
                                 output_defs=[OutputDefinition(int, "jvm")],
                                 required_resource_keys={"pyspark"})


@pipeline(mode_defs=[ModeDefinition(resource_defs={"pyspark": pyspark_resource})])
def spark_notebook():
    count()
'''

CELLS = [
    ("import orch.integrations.notebook as dagstermill\n"
     "context = dagstermill.get_context()", ["parameters"]),
    ("spark = context.resources.pyspark.spark_session\n"
     "jvm = spark.sparkContext._gateway.proc.pid  # the JVM this kernel started\n"
     "context.log.info(f'{spark.range(5).count()} rows on the JVM {jvm}')\n"
     "dagstermill.yield_result(jvm, 'jvm')", []),
    ("raise ValueError('after the session was used')", []),
]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _java_of(token: str) -> list[psutil.Process]:
    """The live java processes started under this test's run (its environment carries
    ``token``); others' Spark tests on the machine are not ours."""
    found = []
    for proc in psutil.process_iter(["name"]):
        try:
            if (proc.info["name"] == "java" and _alive(proc.pid)
                    and proc.environ().get("ORCH_TEST_RUN") == token):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):  # a zombie too
            continue
    return found


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for source, tags in CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, str(path))


def test_the_kernels_spark_session_is_stopped_after_a_failing_cell(project: Project):
    """The teardown cell runs after a failing cell too. (A passing notebook's session is
    stopped in test_legacy_spark_notebook; one orch run here, two JVMs: ~40 s on 2 loaded
    CPUs.)"""
    project.write(REPO)
    _notebook(project.root / "count.ipynb")
    conf = local_spark_conf(project.root / "spark")
    config = project.write(
        "resources:\n  pyspark:\n    config:\n      spark_conf: " + repr(conf).replace("'", '"')
        + "\n", "run.yaml")
    token = uuid.uuid4().hex
    run = project.run("spark_notebook", "-c", str(config), timeout=300,
                      env=project.env(ORCH_TEST_RUN=token, SPARK_LOCAL_IP="127.0.0.1"))
    assert run.returncode == 1, run.stderr[-3000:]
    [failure] = run.of_type("STEP_FAILURE", "count")
    assert "after the session was used" in failure["data"]["error"]["message"]
    messages = [(e.get("step_key"), e.get("message", "")) for e in run.events
                if e.get("event_type") is None]
    jvm = next(int(m.split()[-1]) for _, m in messages if m.startswith("5 rows on the JVM"))
    # The kernel's own session (a JVM of its own, not the run process's) is stopped by the
    # kernel's pyspark resource in the step (the run process's stops at the run's end), and
    # its JVM is gone when the step is.
    assert ("count", "Stopped the Spark session") in messages, messages
    assert not _alive(jvm)
    # The run process's JVM exits once that process has (pyspark's gateway reads its stdin to
    # EOF): no java of this run is left.
    deadline = time.monotonic() + 30
    while _java_of(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _java_of(token)
    assert not left, [(p.pid, p.cmdline()[:3]) for p in left]
