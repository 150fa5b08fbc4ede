"""A loopback HTTP fake of the Dataproc v1 REST API, written for these tests: no Dataproc
emulator exists (none on PyPI or npm). It answers the calls dagster-gcp's resource makes,
through google-api-python-client, at the paths of Dataproc's discovery document:

- ``POST   /v1/projects/{p}/regions/{r}/clusters`` (an operation; the cluster is CREATING,
  then RUNNING after ``cluster_polls`` reads, or ERROR when ``cluster_error`` is set)
- ``GET    /v1/projects/{p}/regions/{r}/clusters/{name}`` (404 when there is none)
- ``DELETE /v1/projects/{p}/regions/{r}/clusters/{name}``
- ``POST   /v1/projects/{p}/regions/{r}/jobs:submit`` (the job on an existing cluster,
  ``placement.clusterName``, or 404 as Dataproc answers; PENDING)
- ``GET    /v1/projects/{p}/regions/{r}/jobs/{id}`` (RUNNING, then after ``job_polls`` reads
  DONE, or ERROR with ``job_error`` as its status' ``details``; never done if ``job_polls`` is
  None)
- ``POST   /v1/projects/{p}/regions/{r}/jobs/{id}:cancel`` (CANCELLED; 400 once it is done)

It runs nothing: a job's outcome is what the test sets. Errors have Google's JSON shape
(``{"error": {"code", "message", "status"}}``). Every request is recorded in ``requests``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_BASE = r"^/v1/projects/(?P<project>[^/]+)/regions/(?P<region>[^/]+)"
_ROUTES = [
    ("POST", re.compile(_BASE + r"/clusters$"), "create_cluster"),
    ("GET", re.compile(_BASE + r"/clusters/(?P<name>[^/:]+)$"), "get_cluster"),
    ("DELETE", re.compile(_BASE + r"/clusters/(?P<name>[^/:]+)$"), "delete_cluster"),
    ("POST", re.compile(_BASE + r"/jobs:submit$"), "submit_job"),
    ("GET", re.compile(_BASE + r"/jobs/(?P<job_id>[^/:]+)$"), "get_job"),
    ("POST", re.compile(_BASE + r"/jobs/(?P<job_id>[^/:]+):cancel$"), "cancel_job"),
]


class _HttpError(Exception):
    def __init__(self, code: int, status: str, message: str):
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Request:
    method: str
    path: str
    body: Any


@dataclass
class FakeDataproc:
    cluster_polls: int = 2
    job_polls: int | None = 2
    job_error: str | None = None
    cluster_error: str | None = None
    endpoint: str = ""
    requests: list[Request] = field(default_factory=list)
    clusters: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    jobs: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    _reads: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ what the tests use

    def calls(self) -> list[str]:
        """The requests as ``METHOD path-after-the-region`` (``POST clusters``, ``GET
        clusters/c``, ``POST jobs:submit``, ``GET jobs/<id>``), repeats in a row folded."""
        out: list[str] = []
        for r in self.requests:
            call = f"{r.method} {re.sub(_BASE + '/', '', r.path)}"
            if not out or out[-1] != call:
                out.append(call)
        return out

    def add_cluster(self, project: str, region: str, name: str) -> None:
        """A cluster that already runs (for ``job_scoped_cluster: false``)."""
        self.clusters[(project, region, name)] = {
            "projectId": project, "clusterName": name, "config": {},
            "clusterUuid": str(uuid.uuid4()),
            "status": {"state": "RUNNING", "stateStartTime": _now()}}
        self._reads[name] = self.cluster_polls

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.clusters.clear()
            self.jobs.clear()
            self.deleted.clear()
            self._reads.clear()
            self.cluster_polls, self.job_polls = 2, 2
            self.job_error = self.cluster_error = None

    # ------------------------------------------------------------------ the API

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(Request(method, path, body))
            for verb, pattern, name in _ROUTES:
                match = pattern.match(path)
                if verb == method and match:
                    try:
                        return 200, getattr(self, f"_{name}")(body=body, **match.groupdict())
                    except _HttpError as e:
                        return e.code, {"error": {"code": e.code, "message": e.message,
                                                  "status": e.status}}
            return 404, {"error": {"code": 404, "message": f"no route {method} {path}",
                                   "status": "NOT_FOUND"}}

    def _operation(self, project: str, region: str, kind: str, name: str) -> dict[str, Any]:
        return {"name": f"projects/{project}/regions/{region}/operations/{uuid.uuid4()}",
                "metadata": {
                    "@type": "type.googleapis.com/google.cloud.dataproc.v1."
                             "ClusterOperationMetadata",
                    "clusterName": name, "operationType": kind,
                    "status": {"state": "PENDING", "stateStartTime": _now()}}}

    def _cluster(self, project: str, region: str, name: str) -> dict[str, Any]:
        cluster = self.clusters.get((project, region, name))
        if cluster is None:
            raise _HttpError(404, "NOT_FOUND", f"Not found: Cluster projects/{project}/"
                                               f"regions/{region}/clusters/{name}")
        return cluster

    def _create_cluster(self, project: str, region: str, body: Any) -> dict[str, Any]:
        name = (body or {}).get("clusterName")
        if not name:
            raise _HttpError(400, "INVALID_ARGUMENT", "Cluster name is required")
        if (project, region, name) in self.clusters:
            raise _HttpError(409, "ALREADY_EXISTS", f"Already exists: Failed to create "
                                                    f"cluster: Cluster projects/{project}/"
                                                    f"regions/{region}/clusters/{name}")
        self.clusters[(project, region, name)] = {
            "projectId": project, "clusterName": name, "config": body.get("config") or {},
            "clusterUuid": str(uuid.uuid4()),
            "status": {"state": "CREATING", "stateStartTime": _now()}}
        self._reads[name] = 0
        return self._operation(project, region, "CREATE", name)

    def _get_cluster(self, project: str, region: str, name: str, body: Any) -> dict[str, Any]:
        cluster = self._cluster(project, region, name)
        self._reads[name] = self._reads.get(name, 0) + 1
        if cluster["status"]["state"] == "CREATING" and self._reads[name] >= self.cluster_polls:
            cluster["status"] = ({"state": "ERROR", "detail": self.cluster_error}
                                 if self.cluster_error else {"state": "RUNNING"})
            cluster["status"]["stateStartTime"] = _now()
        return cluster

    def _delete_cluster(self, project: str, region: str, name: str, body: Any) -> dict[str, Any]:
        self._cluster(project, region, name)
        del self.clusters[(project, region, name)]
        self.deleted.append(name)
        return self._operation(project, region, "DELETE", name)

    def _submit_job(self, project: str, region: str, body: Any) -> dict[str, Any]:
        job = dict((body or {}).get("job") or {})
        cluster_name = (job.get("placement") or {}).get("clusterName")
        if not cluster_name:
            raise _HttpError(400, "INVALID_ARGUMENT", "Job placement is required")
        cluster = self._cluster(project, region, cluster_name)
        job_id = (job.get("reference") or {}).get("jobId") or uuid.uuid4().hex
        if (project, region, job_id) in self.jobs:
            raise _HttpError(409, "ALREADY_EXISTS", f"Already exists: Job {job_id}")
        job.update({
            "reference": {"projectId": project, "jobId": job_id},
            "placement": {"clusterName": cluster_name,
                          "clusterUuid": cluster["clusterUuid"]},
            "status": {"state": "PENDING", "stateStartTime": _now()},
            "driverOutputResourceUri": f"gs://dataproc-staging/google-cloud-dataproc-"
                                       f"metainfo/jobs/{job_id}/driveroutput",
        })
        self.jobs[(project, region, job_id)] = job
        self._reads[job_id] = 0
        return job

    def _get_job(self, project: str, region: str, job_id: str, body: Any) -> dict[str, Any]:
        job = self.jobs.get((project, region, job_id))
        if job is None:
            raise _HttpError(404, "NOT_FOUND", f"Not found: Job projects/{project}/regions/"
                                               f"{region}/jobs/{job_id}")
        self._reads[job_id] += 1
        state = job["status"]["state"]
        if state in ("PENDING", "RUNNING"):
            if self.job_polls is not None and self._reads[job_id] >= self.job_polls:
                job["status"] = ({"state": "ERROR", "details": self.job_error}
                                 if self.job_error else {"state": "DONE"})
            else:
                job["status"] = {"state": "RUNNING"}
            job["status"]["stateStartTime"] = _now()
        return job


    def _cancel_job(self, project: str, region: str, job_id: str, body: Any) -> dict[str, Any]:
        job = self.jobs.get((project, region, job_id))
        if job is None:
            raise _HttpError(404, "NOT_FOUND", f"Not found: Job projects/{project}/regions/"
                                               f"{region}/jobs/{job_id}")
        if job["status"]["state"] not in ("PENDING", "RUNNING"):
            raise _HttpError(400, "FAILED_PRECONDITION", f"Job {job_id} is in state "
                                                         f"{job['status']['state']}")
        job["status"] = {"state": "CANCELLED", "stateStartTime": _now()}
        return job


def _handler(fake: FakeDataproc) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            code, answer = fake.handle(self.command, urlsplit(self.path).path, body)
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_dataproc() -> Iterator[FakeDataproc]:
    """The fake on a free loopback port, in a thread; its ``endpoint`` is the URL."""
    fake = FakeDataproc()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
