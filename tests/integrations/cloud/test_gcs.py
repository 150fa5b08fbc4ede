"""GCS (orch.integrations.gcp.gcs) against fake-gcs-server, a GCS emulator (no auth), through
``orch run`` with ``STORAGE_EMULATOR_HOST`` set, as a user points the GCS client at one."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import textwrap
import uuid
from collections.abc import Iterator

import pytest

from ..cloud_servers import fake_gcs_server
from ..conftest import ORCH, Project, require

require("gcp", "google.cloud.storage", "gcsfs")

REPO = '''
from orch.integrations.gcp.gcs import (GCSFileHandle, gcs_file_manager, gcs_pickle_io_manager,
                                       gcs_resource)
from orch import ModeDefinition, pipeline, solid


@solid(required_resource_keys={"file_manager"})
def extract(context):
    print("extracting")
    handle = context.resources.file_manager.write_data(b"id\\n1\\n2\\n", ext="csv")
    assert isinstance(handle, GCSFileHandle)
    return handle


@solid(required_resource_keys={"file_manager"})
def count(context, handle):
    rows = context.resources.file_manager.read_data(handle).decode().split()[1:]
    print(f"{len(rows)} rows in {handle.gcs_path}")
    return len(rows)


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "io_manager": gcs_pickle_io_manager, "gcs": gcs_resource, "file_manager": gcs_file_manager})])
def rows():
    count(extract())
'''


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fake_gcs_server(tmp_path_factory.mktemp("fake-gcs")) as endpoint:
        yield endpoint


@pytest.fixture
def bucket(gcs: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs)
    name = f"orch-{uuid.uuid4().hex[:12]}"
    storage.Client(project="orch-test").create_bucket(name)
    return name


def blobs(bucket: str, prefix: str = "") -> dict[str, bytes]:
    from google.cloud import storage

    client = storage.Client(project="orch-test")
    return {b.name: b.download_as_bytes() for b in client.list_blobs(bucket, prefix=prefix)}


def test_outputs_files_and_compute_logs_in_gcs(project: Project, gcs: str, bucket: str) -> None:
    project.write(REPO)
    project.home.mkdir()
    (project.home / "orch.yaml").write_text(textwrap.dedent(f"""
        compute_logs:
          name: gcs
          config: {{bucket: {bucket}, prefix: logs}}
    """))
    config = project.root / "run.yaml"
    config.write_text(json.dumps({
        "resources": {"io_manager": {"config": {"gcs_bucket": bucket}},
                      "gcs": {"config": {"project": "orch-test"}},
                      "file_manager": {"config": {"gcs_bucket": bucket, "gcs_prefix": "files",
                                                  "project": "orch-test"}}},
        "execution": {"multiprocess": {}}}))
    env = project.env(STORAGE_EMULATOR_HOST=gcs)
    result = project.run("rows", "-c", str(config), env=env)
    assert result.returncode == 0, result.stderr
    run_id = result.run_id
    stored = blobs(bucket)
    prefix = f"dagster/storage/{run_id}/files/"
    assert pickle.loads(stored[f"{prefix}count/result"]) == 2
    handle = pickle.loads(stored[f"{prefix}extract/result"])
    assert handle.gcs_path.startswith(f"gs://{bucket}/files/") and handle.gcs_key.endswith(".csv")
    assert stored[handle.gcs_key] == b"id\n1\n2\n"
    logs = f"logs/storage/{run_id}/compute_logs/"
    assert stored[f"{logs}extract.out"] == b"extracting\n"
    assert stored[f"{logs}count.out"] == f"2 rows in {handle.gcs_path}\n".encode()

    def step_stdout(step: str) -> str:
        proc = subprocess.run([ORCH, "runs", "logs", run_id, "--step", step, "--stdout"],
                              capture_output=True, text=True, env=env, cwd=project.root,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    shutil.rmtree(project.home / "logs")
    assert step_stdout("extract") == "extracting\n"


def test_a_missing_bucket_fails_the_step_saying_so(project: Project, gcs: str,
                                                   bucket: str) -> None:
    project.write(REPO)
    config = project.root / "run.yaml"
    config.write_text(json.dumps({"resources": {
        "io_manager": {"config": {"gcs_bucket": "no-such-bucket"}},
        "file_manager": {"config": {"gcs_bucket": bucket}}}}))
    result = project.run("rows", "-c", str(config), env=project.env(STORAGE_EMULATOR_HOST=gcs))
    assert result.returncode == 1
    assert "The bucket gs://no-such-bucket does not exist" in json.dumps(result.events)


def test_store_listing_and_ranged_reads(gcs: str, bucket: str) -> None:
    from google.cloud import storage
    from orch.integrations.gcp.gcs import gcs_store

    store = gcs_store(bucket, storage.Client(project="orch-test"))
    store.put("a/one", b"0123456789")
    store.put("a/two", b"x")
    store.put("empty", b"")
    assert store.get("empty") == b"" and store.size("empty") == 0
    store.delete("empty")
    store.put("b/three", b"y")
    assert [o.key for o in store.list("a/")] == ["a/one", "a/two"]
    assert store.get("a/one", start=3, end=6) == b"345"
    assert store.size("a/one") == 10 and store.size("a/nothing") is None
    assert store.delete_prefix("a") == 2
    assert [o.key for o in store.list("")] == ["b/three"]
