"""``dataproc_resource`` (legacy ``dagster_gcp.dataproc.resources``): a client of the Dataproc
v1 REST API through google-api-python-client's discovery client, as in dagster-gcp, with the
same names and calls (``create_cluster``, ``get_cluster``, ``delete_cluster``, ``submit_job``,
``get_job``, ``wait_for_job``, ``cluster_context_manager``, the ``dataproc``,
``dataproc_clusters`` and ``dataproc_jobs`` clients).

orch differs where the legacy one wastes time or hides an error: the discovery document is the
one google-api-python-client ships (no download), polls stop as soon as the state is final
(dagster-gcp sleeps once more after it), a cluster in ``ERROR`` fails at once instead of being
polled for 20 minutes, a cluster whose provisioning failed is still deleted by
``cluster_context_manager``, an interrupted ``wait_for_job`` cancels the job, and ``api_endpoint`` / ``anonymous`` / ``poll_interval_seconds``
reach another endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from orch.core.definitions.resource import resource

from .configs import define_dataproc_create_cluster_config
from .types import DataprocError

TWENTY_MINUTES = 20 * 60
DEFAULT_ITER_TIME_SEC = 5

_CLUSTER_READY = {"RUNNING", "UPDATING"}
_CLUSTER_FAILED = {"ERROR", "ERROR_DUE_TO_UPDATE"}
_JOB_FAILED = {"CANCELLED", "ERROR"}


class _ClusterFailed(Exception):
    pass


def build_dataproc_client(api_endpoint: str | None = None, anonymous: bool = False) -> Any:
    """The ``dataproc v1`` discovery client (Google's default credentials unless
    ``anonymous``)."""
    from googleapiclient.discovery import build

    kwargs: dict[str, Any] = {"cache_discovery": False, "static_discovery": True}
    if api_endpoint:
        kwargs["client_options"] = {"api_endpoint": api_endpoint}
    if anonymous:
        from google.auth.credentials import AnonymousCredentials

        kwargs["credentials"] = AnonymousCredentials()
    return build("dataproc", "v1", **kwargs)


class DataprocResource:
    """Builds a client to the dataproc API."""

    poll_interval: float = DEFAULT_ITER_TIME_SEC
    _log: Any = None
    _accepted = False  # a create call of this resource was accepted

    def __init__(self, config: dict[str, Any], log: Any = None):
        self.config = config
        (self.project_id, self.region, self.cluster_name, self.cluster_config) = (
            self.config.get(k) for k in ("projectId", "region", "clusterName", "cluster_config")
        )
        self.poll_interval = float(config.get("poll_interval_seconds", DEFAULT_ITER_TIME_SEC))
        self._log = log
        self.dataproc = build_dataproc_client(config.get("api_endpoint"),
                                              bool(config.get("anonymous")))

    @property
    def dataproc_clusters(self) -> Any:
        return self.dataproc.projects().regions().clusters()

    @property
    def dataproc_jobs(self) -> Any:
        return self.dataproc.projects().regions().jobs()

    @contextmanager
    def _logging_to(self, log: Any) -> Iterator[None]:
        """Log to ``log`` (a step's) meanwhile, instead of the run's log."""
        previous, self._log = self._log, log
        try:
            yield
        finally:
            self._log = previous

    def _info(self, message: str) -> None:
        if self._log is not None:
            self._log.info(message)

    def create_cluster(self) -> None:
        """Create ``clusterName`` with ``cluster_config`` and wait until it is RUNNING (or
        UPDATING); a cluster in ERROR, or not ready within 20 minutes, raises
        :class:`DataprocError` with its status."""
        self.dataproc_clusters.create(
            projectId=self.project_id,
            region=self.region,
            body={
                "projectId": self.project_id,
                "clusterName": self.cluster_name,
                "config": self.cluster_config,
            },
        ).execute()
        self._accepted = True
        self._info(f"Creating Dataproc cluster {self.cluster_name} in {self.project_id}/"
                   f"{self.region}")

        def iter_fn() -> bool:
            state = self.get_cluster()["status"]["state"]
            if state in _CLUSTER_FAILED:
                raise _ClusterFailed
            return state in _CLUSTER_READY

        try:
            done = self._iter_and_sleep_until_ready(iter_fn, iter_time=self.poll_interval)
        except _ClusterFailed:
            done = False
        if not done:
            cluster = self.get_cluster()
            raise DataprocError(f"Could not provision cluster -- status: {cluster['status']}")
        self._info(f"Dataproc cluster {self.cluster_name} is running")

    def get_cluster(self) -> Any:
        return self.dataproc_clusters.get(
            projectId=self.project_id, region=self.region, clusterName=self.cluster_name
        ).execute()

    def delete_cluster(self) -> Any:
        result = self.dataproc_clusters.delete(
            projectId=self.project_id, region=self.region, clusterName=self.cluster_name
        ).execute()
        self._info(f"Deleting Dataproc cluster {self.cluster_name}")
        return result

    def submit_job(self, job_details: dict[str, Any]) -> Any:
        """Submit ``job_details`` (``{"job": {...}, "projectId", "region"}``, Dataproc's
        SubmitJobRequest); a job without ``placement.clusterName`` is placed on this
        resource's cluster."""
        job = job_details.get("job")
        if isinstance(job, dict) and not (job.get("placement") or {}).get("clusterName") \
                and self.cluster_name:
            job_details = {**job_details, "job": {
                **job, "placement": {**(job.get("placement") or {}),
                                     "clusterName": self.cluster_name}}}
        return self.dataproc_jobs.submit(
            projectId=self.project_id, region=self.region, body=job_details
        ).execute()

    def get_job(self, job_id: str) -> Any:
        return self.dataproc_jobs.get(
            projectId=self.project_id, region=self.region, jobId=job_id
        ).execute()

    def cancel_job(self, job_id: str) -> Any:
        """Ask Dataproc to cancel the job (orch: when the wait for it is interrupted, so a
        canceled run leaves no job running on a shared cluster); an error is logged, not
        raised."""
        self._info(f"Canceling Dataproc job {job_id}")
        try:
            return self.dataproc_jobs.cancel(
                projectId=self.project_id, region=self.region, jobId=job_id, body={}
            ).execute()
        except Exception as e:
            if self._log is not None:
                self._log.warning(f"Could not cancel Dataproc job {job_id}: {e}")
            return None

    def wait_for_job(self, job_id: str, wait_timeout: float = TWENTY_MINUTES) -> None:
        """Poll the job every ``poll_interval_seconds`` until it is DONE; CANCELLED or ERROR
        raises :class:`DataprocError` with the job's status (its ``details`` say why), and so
        does a job not done within ``wait_timeout`` seconds."""
        last: list[str] = []

        def iter_fn() -> bool:
            result = self.get_job(job_id)
            status = result["status"]
            if not last or last[-1] != status["state"]:
                last.append(status["state"])
                self._info(f"Dataproc job {job_id} is {status['state']}")
            if status["state"] in _JOB_FAILED:
                raise DataprocError(f"Job error: {status}")
            return status["state"] == "DONE"

        try:
            done = self._iter_and_sleep_until_ready(iter_fn, max_wait_time_sec=wait_timeout,
                                                    iter_time=self.poll_interval)
        except Exception:
            raise
        except BaseException:  # interrupted (Ctrl-C, the run canceled): stop the job too
            self.cancel_job(job_id)
            raise
        if not done:
            job = self.get_job(job_id)
            raise DataprocError(f"Job run timed out: {job['status']}")

    @staticmethod
    def _iter_and_sleep_until_ready(callable_fn: Callable[[], bool],
                                    max_wait_time_sec: float = TWENTY_MINUTES,
                                    iter_time: float = DEFAULT_ITER_TIME_SEC) -> bool:
        """Call ``callable_fn`` every ``iter_time`` seconds until it returns true (then
        true at once) or it was called ``max_wait_time_sec / iter_time`` times (then false),
        as dagster-gcp counts, without its sleep after the last call."""
        iter_time = max(iter_time, 0.001)
        max_iter = max_wait_time_sec / iter_time
        calls = 0
        while True:
            if callable_fn():
                return True
            calls += 1
            if calls >= max_iter:
                return False
            time.sleep(iter_time)

    @contextmanager
    def cluster_context_manager(self) -> Iterator[DataprocResource]:
        """Create the cluster, yield this resource, delete the cluster (also when its
        provisioning failed, once the create call was accepted)::

            with context.resources.dataproc.cluster_context_manager() as cluster:
                ...
        """
        self._accepted = False
        try:
            self.create_cluster()
            yield self
        finally:
            if self._accepted:
                self._accepted = False
                self.delete_cluster()


@resource(config_schema=define_dataproc_create_cluster_config(),
          description="Manage a Dataproc cluster resource")
def dataproc_resource(context: Any) -> DataprocResource:
    return DataprocResource(context.resource_config, log=getattr(context, "log", None))
