"""Dataproc (``dataproc_resource``, ``dataproc_solid``) through ``orch run``, its calls made by
google-api-python-client against a local HTTP fake of the Dataproc v1 REST API
(``dataproc_fake.py``; no Dataproc emulator exists, so the fake is the stand-in and runs no
job: each job's outcome is set by the test)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ..conftest import ORCH, Project, require
from ..dataproc_fake import FakeDataproc, fake_dataproc

require("gcp", "googleapiclient")

REPO = '''
from orch import ModeDefinition, pipeline, solid
from orch.integrations.gcp import dataproc_resource, dataproc_solid


@pipeline(mode_defs=[ModeDefinition(resource_defs={"dataproc": dataproc_resource})])
def pyspark_job():
    dataproc_solid()


@solid(required_resource_keys={"dataproc"})
def list_jobs(context):
    """The legacy clients stay reachable: a user's own call on the jobs collection."""
    dataproc = context.resources.dataproc
    return dataproc.dataproc_jobs.get(projectId=dataproc.project_id, region=dataproc.region,
                                      jobId="known").execute()["status"]["state"]


@pipeline(mode_defs=[ModeDefinition(resource_defs={"dataproc": dataproc_resource})])
def own_calls():
    list_jobs()
'''

CLUSTER_CONFIG = {"masterConfig": {"numInstances": 1, "machineTypeUri": "n1-standard-4"},
                  "workerConfig": {"numInstances": 2},
                  "softwareConfig": {"imageVersion": "2.1", "optionalComponents": ["JUPYTER"]}}
JOB = {"reference": {"jobId": "wordcount-1"}, "placement": {"clusterName": "etl-cluster"},
       "pysparkJob": {"mainPythonFileUri": "gs://jobs/wordcount.py", "args": ["gs://in/"]},
       "labels": {"team": "data"}}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeDataproc]:
    with fake_dataproc() as fake:
        yield fake


@pytest.fixture
def dataproc(server: FakeDataproc) -> FakeDataproc:
    server.reset()
    return server


def _config(project: Project, fake: FakeDataproc, job: dict[str, Any] | None = None,
            **solid: Any) -> str:
    config = {
        "resources": {"dataproc": {"config": {
            "projectId": "orch-test", "region": "europe-west1", "clusterName": "etl-cluster",
            "cluster_config": CLUSTER_CONFIG, "api_endpoint": fake.endpoint,
            "anonymous": True, "poll_interval_seconds": 0.05}}},
        "solids": {"dataproc_solid": {"config": {
            "job_config": {"projectId": "orch-test", "region": "europe-west1",
                           "job": JOB if job is None else job},
            **solid}}},
    }
    path = project.root / "dataproc.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _messages(run, step: str = "dataproc_solid") -> list[str]:
    return [e["message"] for e in run.events if e.get("step_key") == step]


def test_a_job_scoped_cluster_is_created_the_job_submitted_polled_to_done_and_deleted(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    run = project.run("pyspark_job", "-c", _config(project, dataproc))
    assert run.returncode == 0, run.stderr
    assert dataproc.calls() == [
        "POST clusters", "GET clusters/etl-cluster", "POST jobs:submit",
        "GET jobs/wordcount-1", "DELETE clusters/etl-cluster"]
    create, submit = (r.body for r in dataproc.requests if r.method == "POST")
    assert create == {"projectId": "orch-test", "clusterName": "etl-cluster",
                      "config": CLUSTER_CONFIG}
    assert submit == {"projectId": "orch-test", "region": "europe-west1", "job": JOB}
    polls = [r for r in dataproc.requests if r.path.endswith("/jobs/wordcount-1")]
    assert len(polls) == 2  # RUNNING, then DONE: no poll after the job is done
    assert dataproc.deleted == ["etl-cluster"] and not dataproc.clusters
    logged = _messages(run)
    assert "Submitted job ID wordcount-1" in logged, logged
    assert "Dataproc job wordcount-1 is DONE" in logged, "\n".join(str(e) for e in run.events)
    assert any(m.startswith("submitting job with config: {") and
               m.endswith("and timeout of: 1200 seconds") for m in logged), logged
    assert run.of_type("STEP_SUCCESS", "dataproc_solid")


def test_a_job_in_error_fails_the_step_with_the_jobs_details_and_the_cluster_is_deleted(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    details = ("Job failed with message [ZeroDivisionError: division by zero]. Additional "
               "details can be found at: gs://dataproc-staging/jobs/wordcount-1/driveroutput")
    dataproc.job_error = details
    run = project.run("pyspark_job", "-c", _config(project, dataproc))
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "dataproc_solid")
    error = failure["data"]["error"]
    assert error["cls_name"] == "DataprocError"
    assert error["message"].startswith("DataprocError: Job error: {'state': 'ERROR'") \
        or error["message"].startswith("Job error: {'state': 'ERROR'"), error["message"]
    assert details in error["message"]
    assert dataproc.calls()[-1] == "DELETE clusters/etl-cluster"
    assert not dataproc.clusters


def test_a_cluster_that_fails_to_provision_fails_the_step_and_is_deleted(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    dataproc.cluster_error = "Insufficient 'CPUS' quota. Requested 12.0, available 8.0."
    run = project.run("pyspark_job", "-c", _config(project, dataproc))
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "dataproc_solid")
    assert "Could not provision cluster -- status: {'state': 'ERROR'" in \
        failure["data"]["error"]["message"]
    assert "Insufficient 'CPUS' quota" in failure["data"]["error"]["message"]
    assert "POST jobs:submit" not in dataproc.calls()
    assert dataproc.calls()[-1] == "DELETE clusters/etl-cluster"


def test_an_existing_cluster_is_used_as_it_is_and_an_unplaced_job_goes_to_it(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    dataproc.add_cluster("orch-test", "europe-west1", "etl-cluster")
    job = {"sparkJob": {"mainClass": "org.example.Count", "jarFileUris": ["gs://j/c.jar"]}}
    run = project.run("pyspark_job", "-c", _config(project, dataproc, job=job,
                                                   job_scoped_cluster=False))
    assert run.returncode == 0, run.stderr
    calls = dataproc.calls()
    assert calls[0] == "POST jobs:submit" and calls[1].startswith("GET jobs/"), calls
    assert len(calls) == 2  # neither created nor deleted
    (submit,) = (r.body for r in dataproc.requests if r.method == "POST")
    assert submit["job"] == {**job, "placement": {"clusterName": "etl-cluster"}}
    assert dataproc.clusters


def test_a_missing_existing_cluster_fails_the_step_with_dataprocs_answer(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    run = project.run("pyspark_job", "-c", _config(project, dataproc, job_scoped_cluster=False))
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "dataproc_solid")
    assert failure["data"]["error"]["cls_name"] == "HttpError"
    assert "Not found: Cluster projects/orch-test/regions/europe-west1/clusters/etl-cluster" \
        in failure["data"]["error"]["message"]
    assert dataproc.calls() == ["POST jobs:submit"]


def test_a_job_not_done_within_its_timeout_fails_the_step(project: Project,
                                                          dataproc: FakeDataproc) -> None:
    project.write(REPO)
    dataproc.job_polls = None  # RUNNING for ever
    run = project.run("pyspark_job", "-c", _config(project, dataproc,
                                                   job_timeout_in_seconds=1))
    assert run.returncode == 1
    (failure,) = run.of_type("STEP_FAILURE", "dataproc_solid")
    assert "Job run timed out: {'state': 'RUNNING'" in failure["data"]["error"]["message"]
    assert dataproc.calls()[-1] == "DELETE clusters/etl-cluster"


def _interrupted(project: Project, dataproc: FakeDataproc, **solid: Any) -> str:
    """``orch run`` stopped with Ctrl-C while its job runs: what it printed."""
    dataproc.job_polls = None  # the job runs until the user stops the run
    proc = subprocess.Popen([ORCH, "run", "-f", "repo.py", "-p", "pyspark_job", "-c",
                             _config(project, dataproc, **solid)], cwd=project.root,
                            env=project.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(r.path.endswith("/jobs/wordcount-1") for r in dataproc.requests):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0 and "CANCELED" in out, out
    return out


def test_an_interrupted_run_cancels_its_job_and_deletes_its_cluster(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    _interrupted(project, dataproc)
    assert dataproc.calls()[-2:] == ["POST jobs/wordcount-1:cancel",
                                     "DELETE clusters/etl-cluster"]
    assert not dataproc.clusters


def test_an_interrupted_run_on_an_existing_cluster_cancels_its_job(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    dataproc.add_cluster("orch-test", "europe-west1", "etl-cluster")
    _interrupted(project, dataproc, job_scoped_cluster=False)
    assert dataproc.calls()[-1] == "POST jobs/wordcount-1:cancel"
    job = dataproc.jobs[("orch-test", "europe-west1", "wordcount-1")]
    assert job["status"]["state"] == "CANCELLED" and dataproc.clusters


def test_an_unknown_config_key_is_refused_before_anything_is_called(
        project: Project, dataproc: FakeDataproc) -> None:
    project.write(REPO)
    run = project.run("pyspark_job", "-c", _config(project, dataproc, job={
        "pysparkJob": {"mainPythonFileUri": "gs://j/a.py", "pyFiles": ["gs://j/b.py"]}}))
    assert run.returncode != 0
    assert "pyFiles" in run.stderr, run.stderr
    assert dataproc.requests == []


def test_the_resource_exposes_the_discovery_clients(project: Project,
                                                    dataproc: FakeDataproc) -> None:
    project.write(REPO)
    dataproc.add_cluster("orch-test", "europe-west1", "etl-cluster")
    dataproc.handle("POST", "/v1/projects/orch-test/regions/europe-west1/jobs:submit", {
        "job": {"reference": {"jobId": "known"}, "placement": {"clusterName": "etl-cluster"}}})
    config = yaml.safe_load(open(_config(project, dataproc)))
    del config["solids"]
    path = project.root / "own.yaml"
    path.write_text(yaml.safe_dump(config))
    run = project.run("own_calls", "-c", str(path))
    assert run.returncode == 0, run.stderr
    assert dataproc.calls()[-1] == "GET jobs/known"
