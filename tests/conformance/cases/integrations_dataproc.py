"""dagster-gcp's Dataproc parts as a legacy file uses them: dataproc_solid's definition and
config (defaults, required keys, strict shapes, the Component enum, free-form maps, StringSource
env values), dataproc_resource's config, the solid's calls on a dataproc resource the file
defines itself, and DataprocResource's own calls (create_cluster's polling, wait_for_job's DONE
/ ERROR / CANCELLED / timeout, cluster_context_manager) on an in-memory stand-in for the
discovery client. dagster-gcp 0.15.10 builds that client from a discovery document it
downloads (google-api-python-client < 2), so its __init__ cannot run offline: the case makes
the object without it and hands it the stand-in. Sleeps are skipped (time.sleep is patched).
The calls against a Dataproc REST fake are tests/integrations/cloud/test_dataproc.py."""

import os
import time
from contextlib import contextmanager

from orch.integrations.gcp import dataproc_resource, dataproc_solid
from orch.integrations.gcp.dataproc.resources import DataprocResource
from orch.integrations.gcp.dataproc.types import DataprocError

from orch import ModeDefinition, execute_pipeline, pipeline, resource, validate_run_config

RESOURCE = {"projectId": "orch-test", "region": "europe-west1", "clusterName": "etl"}
JOB_CONFIG = {"projectId": "orch-test", "region": "europe-west1",
              "job": {"placement": {"clusterName": "etl"},
                      "pysparkJob": {"mainPythonFileUri": "gs://jobs/count.py"}}}


@pipeline(mode_defs=[ModeDefinition(resource_defs={"dataproc": dataproc_resource})])
def dataproc_pipeline():
    dataproc_solid()


def _config(resource_config=None, solid_config=None):
    return {"resources": {"dataproc": {"config": RESOURCE if resource_config is None
                                       else resource_config}},
            "solids": {"dataproc_solid": {"config": {"job_config": JOB_CONFIG}
                                          if solid_config is None else solid_config}}}


def _resolved(run_config):
    resolved = validate_run_config(dataproc_pipeline, run_config)
    return {"resource": resolved["resources"]["dataproc"]["config"],
            "solid": resolved["solids"]["dataproc_solid"]["config"]}


# ------------------------------------------------------------------ definitions and config

def run_solid_definition():
    return {"name": dataproc_solid.name,
            "inputs": [i.name for i in dataproc_solid.input_defs],
            "outputs": [o.name for o in dataproc_solid.output_defs],
            "resources": sorted(dataproc_solid.required_resource_keys)}


def run_minimal_config_and_its_defaults():
    return _resolved(_config())


def run_full_config_passes_through():
    cluster = {"masterConfig": {"numInstances": 1, "machineTypeUri": "n1-standard-4",
                                "diskConfig": {"bootDiskSizeGb": 100},
                                "accelerators": [{"acceleratorCount": 1,
                                                  "acceleratorTypeUri": "nvidia-tesla-t4"}]},
               "workerConfig": {"numInstances": 2, "isPreemptible": False},
               "gceClusterConfig": {"zoneUri": "europe-west1-b", "tags": ["etl"],
                                    "metadata": {"team": "data"}},
               "softwareConfig": {"imageVersion": "2.1", "optionalComponents": ["JUPYTER"],
                                  "properties": {"spark:spark.executor.memory": "4g"}},
               "initializationActions": [{"executableFile": "gs://init/setup.sh"}]}
    job = {"reference": {"jobId": "count-1"}, "placement": {"clusterName": "etl"},
           "labels": {"owner": "etl"}, "scheduling": {"maxFailuresPerHour": 2},
           "sparkJob": {"mainClass": "org.example.Count", "args": ["a"],
                        "properties": {"spark.executor.cores": "2"},
                        "loggingConfig": {"driverLogLevels": {"root": "INFO"}}}}
    return _resolved(_config({**RESOURCE, "cluster_config": cluster}, {
        "job_config": {**JOB_CONFIG, "job": job}, "job_timeout_in_seconds": 60,
        "job_scoped_cluster": False}))


def run_env_values_for_the_project():
    os.environ["ORCH_CONFORMANCE_DATAPROC_PROJECT"] = "from-env"
    try:
        return _resolved(_config({**RESOURCE, "projectId": {
            "env": "ORCH_CONFORMANCE_DATAPROC_PROJECT"}}))
    finally:
        del os.environ["ORCH_CONFORMANCE_DATAPROC_PROJECT"]


def run_resource_needs_project_region_and_cluster():
    return _resolved(_config({}))


def run_solid_needs_a_job_config():
    return _resolved(_config(solid_config={}))


def run_job_config_needs_project_and_region():
    return _resolved(_config(solid_config={"job_config": {"job": {}}}))


def run_unknown_cluster_key_is_refused():
    return _resolved(_config({**RESOURCE, "cluster_config": {
        "masterConfig": {"numInstance": 1}}}))


def run_job_type_outside_the_schema_is_refused():
    return _resolved(_config(solid_config={"job_config": {
        **JOB_CONFIG, "job": {"sparkRJob": {"mainRFileUri": "gs://r/a.R"}}}}))


def run_wrong_type_is_refused():
    return _resolved(_config({**RESOURCE, "cluster_config": {
        "workerConfig": {"numInstances": "two"}}}, {
        "job_config": JOB_CONFIG, "job_timeout_in_seconds": "soon"}))


def run_unknown_component_is_refused():
    return _resolved(_config({**RESOURCE, "cluster_config": {
        "softwareConfig": {"optionalComponents": ["JUPYTER", "SPARK"]}}}))


# ------------------------------------------------------------------ the solid's calls

CALLS = []


class RecordingDataproc:
    """A user's own dataproc resource: records what the solid asks of it."""

    def __init__(self, error=None):
        self.error = error

    @contextmanager
    def cluster_context_manager(self):
        CALLS.append(["create_cluster"])
        try:
            yield self
        finally:
            CALLS.append(["delete_cluster"])

    def submit_job(self, job_details):
        CALLS.append(["submit_job", job_details])
        return {"reference": {"projectId": "orch-test", "jobId": "job-1"},
                "status": {"state": "PENDING"}}

    def wait_for_job(self, job_id, wait_timeout=1200):
        CALLS.append(["wait_for_job", job_id, wait_timeout])
        if self.error:
            raise DataprocError(self.error)


@resource
def recording(_):
    return RecordingDataproc()


@resource
def failing(_):
    return RecordingDataproc(error="Job error: {'state': 'ERROR', 'details': 'boom'}")


@pipeline(mode_defs=[ModeDefinition(resource_defs={"dataproc": recording})])
def recorded():
    dataproc_solid()


@pipeline(mode_defs=[ModeDefinition(resource_defs={"dataproc": failing})])
def recorded_failure():
    dataproc_solid()


def _run(pipeline_def, solid_config):
    CALLS.clear()
    result = execute_pipeline(pipeline_def, run_config={"solids": {"dataproc_solid": {
        "config": solid_config}}}, raise_on_error=False)
    failure = result.result_for_solid("dataproc_solid").failure_data
    error = failure.error if failure is not None else None
    while error is not None and error.cause is not None:  # the user's error under the wrapper
        error = error.cause
    return {"success": result.success, "calls": list(CALLS),
            "error": None if error is None else  # the message after "<class>: "
            [error.cls_name, error.message.strip().split(": ", 1)[1]]}


def run_solid_on_a_job_scoped_cluster():
    return _run(recorded, {"job_config": JOB_CONFIG})


def run_solid_on_an_existing_cluster():
    return _run(recorded, {"job_config": JOB_CONFIG, "job_scoped_cluster": False,
                           "job_timeout_in_seconds": 30})


def run_solid_whose_job_fails():
    return _run(recorded_failure, {"job_config": JOB_CONFIG})


# ------------------------------------------------------------------ DataprocResource's calls

class _Request:
    def __init__(self, service, name, kwargs, answer):
        self.service, self.name, self.kwargs, self.answer = service, name, kwargs, answer

    def execute(self):
        self.service.calls.append([self.name, self.kwargs])
        return self.answer()


class _Collection:
    def __init__(self, service, kind):
        self.service, self.kind = service, kind

    def _request(self, verb, kwargs, answer):
        return _Request(self.service, f"{self.kind}.{verb}", kwargs, answer)

    def create(self, **kwargs):
        return self._request("create", kwargs, lambda: {"name": "operations/create"})

    def delete(self, **kwargs):
        return self._request("delete", kwargs, lambda: {"name": "operations/delete"})

    def submit(self, **kwargs):
        return self._request("submit", kwargs, lambda: {"reference": {"jobId": "job-1"}})

    def get(self, **kwargs):
        states = self.service.states[self.kind]
        return self._request("get", kwargs, lambda: {"status": dict(
            states.pop(0) if len(states) > 1 else states[0])})


class FakeDiscovery:
    """``dataproc.projects().regions().clusters()|jobs()``, answering from scripted states."""

    def __init__(self, clusters=(), jobs=()):
        self.calls = []
        self.states = {"clusters": [{"state": s} if isinstance(s, str) else s
                                    for s in clusters],
                       "jobs": [{"state": s} if isinstance(s, str) else s for s in jobs]}

    def projects(self):
        return self

    def regions(self):
        return self

    def clusters(self):
        return _Collection(self, "clusters")

    def jobs(self):
        return _Collection(self, "jobs")


def _resource(fake, cluster_config=None):
    dataproc = DataprocResource.__new__(DataprocResource)
    dataproc.config = {**RESOURCE, "cluster_config": cluster_config}
    dataproc.project_id, dataproc.region, dataproc.cluster_name = "orch-test", "r1", "etl"
    dataproc.cluster_config = cluster_config
    dataproc.dataproc = fake
    return dataproc


@contextmanager
def _no_sleep():
    sleep = time.sleep
    time.sleep = lambda seconds: None
    try:
        yield
    finally:
        time.sleep = sleep


def _calls(fake):
    """The calls made, repeats in a row folded into ``[name, kwargs, times]``."""
    out = []
    for name, kwargs in fake.calls:
        if out and out[-1][0] == name and out[-1][1] == kwargs:
            out[-1][2] += 1
        else:
            out.append([name, kwargs, 1])
    return out


def _attempt(fn):
    try:
        return {"returned": fn()}
    except DataprocError as e:
        return {"raised": type(e).__name__, "message": str(e)}


def run_create_cluster_polls_until_running():
    fake = FakeDiscovery(clusters=["PROVISIONING", "CREATING", "RUNNING"])
    with _no_sleep():
        outcome = _attempt(_resource(fake, {"masterConfig": {"numInstances": 1}}).create_cluster)
    return {**outcome, "calls": _calls(fake)}


def run_wait_for_job_until_done():
    fake = FakeDiscovery(jobs=["PENDING", "RUNNING", "DONE"])
    with _no_sleep():
        outcome = _attempt(lambda: _resource(fake).wait_for_job("job-1"))
    return {**outcome, "calls": _calls(fake)}


def run_wait_for_job_in_error():
    fake = FakeDiscovery(jobs=["RUNNING", {"state": "ERROR", "details": "Job failed: boom"}])
    with _no_sleep():
        outcome = _attempt(lambda: _resource(fake).wait_for_job("job-1"))
    return {**outcome, "calls": _calls(fake)}


def run_wait_for_job_cancelled():
    fake = FakeDiscovery(jobs=[{"state": "CANCELLED", "details": "Cancelled by a user"}])
    with _no_sleep():
        outcome = _attempt(lambda: _resource(fake).wait_for_job("job-1"))
    return {**outcome, "calls": _calls(fake)}


def run_wait_for_job_times_out():
    fake = FakeDiscovery(jobs=["RUNNING"])
    with _no_sleep():
        outcome = _attempt(lambda: _resource(fake).wait_for_job("job-1", wait_timeout=12))
    return {**outcome, "calls": _calls(fake)}


def run_submit_get_and_delete():
    fake = FakeDiscovery(clusters=["RUNNING"], jobs=["DONE"])
    dataproc = _resource(fake)
    job = {"job": {"placement": {"clusterName": "etl"}, "hiveJob": {"queryFileUri": "gs://q"}}}
    return {"submitted": dataproc.submit_job(job), "job": dataproc.get_job("job-1"),
            "cluster": dataproc.get_cluster(), "deleted": dataproc.delete_cluster(),
            "calls": _calls(fake)}


def run_cluster_context_manager_deletes_after_an_error():
    fake = FakeDiscovery(clusters=["RUNNING"])
    dataproc = _resource(fake)
    try:
        with _no_sleep(), dataproc.cluster_context_manager() as cluster:
            cluster.submit_job({"job": {"placement": {"clusterName": "etl"}}})
            raise ValueError("the job's body failed")
    except ValueError as e:
        error = str(e)
    return {"error": error, "calls": _calls(fake)}


def run_create_cluster_in_error():
    # dagster-gcp polls a cluster in ERROR until its 20 minutes are up (240 reads); orch stops
    # at the first ERROR (differences.py: dataproc-cluster-error-fails-at-once)
    fake = FakeDiscovery(clusters=["CREATING", {"state": "ERROR", "detail": "CPUS quota"}])
    with _no_sleep():
        outcome = _attempt(_resource(fake).create_cluster)
    return {**outcome, "calls": _calls(fake)}


def run_cluster_context_manager_after_failed_provisioning():
    # dagster-gcp leaves the cluster in ERROR behind; orch deletes it (differences.py:
    # dataproc-failed-cluster-is-deleted)
    fake = FakeDiscovery(clusters=[{"state": "ERROR", "detail": "CPUS quota"}])
    with _no_sleep():
        outcome = _attempt(lambda: dataproc_context(_resource(fake)))
    return {**outcome, "calls": _calls(fake)}


def dataproc_context(dataproc):
    with dataproc.cluster_context_manager():
        return "unreachable"
