"""The other S3 parts against SeaweedFS: the file manager and ``file_handle_to_s3`` in a run,
``get_s3_keys`` as a sensor uses it, the compute-log manager read while a step runs and after,
and the errors a user meets (wrong keys, a missing bucket, an unsafe prefix)."""

from __future__ import annotations

import json
import pickle
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ..cloud_servers import S3Server
from ..conftest import Project, require

require("aws", "boto3", "s3fs")


def test_file_manager_and_file_handle_to_s3(project: Project, seaweedfs: S3Server,
                                            s3_bucket: str) -> None:
    project.write('''
        from orch.integrations.aws.s3 import (S3FileHandle, file_handle_to_s3, s3_file_manager,
                                              s3_resource)
        from orch import ModeDefinition, pipeline, solid


        @solid(required_resource_keys={"file_manager"})
        def write_report(context):
            handle = context.resources.file_manager.write_data(b"a,b\\n1,2\\n", ext="csv")
            assert isinstance(handle, S3FileHandle)
            return handle


        @solid(required_resource_keys={"file_manager"})
        def check_copy(context, s3_file_handle):
            return [s3_file_handle.s3_path,
                    context.resources.file_manager.read_data(s3_file_handle).decode()]


        @pipeline(mode_defs=[ModeDefinition(resource_defs={
            "s3": s3_resource, "file_manager": s3_file_manager})])
        def reports():
            check_copy(file_handle_to_s3(write_report()))
    ''')
    s3 = {"endpoint_url": seaweedfs.endpoint_url, "region_name": "us-east-1"}
    config = project.root / "run.yaml"
    config.write_text(json.dumps({
        "resources": {"s3": {"config": s3},
                      "file_manager": {"config": {**s3, "s3_bucket": s3_bucket,
                                                  "s3_prefix": "files"}}},
        "solids": {"file_handle_to_s3": {"config": {"Bucket": s3_bucket,
                                                     "Key": "reports/final.csv"}}}}))
    result = project.run("reports", "-c", str(config), env=project.env(**seaweedfs.env()))
    assert result.returncode == 0, result.stderr
    client = seaweedfs.client()
    written = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket,
                                                        Prefix="files/")["Contents"]]
    assert len(written) == 1 and written[0].endswith(".csv")
    assert client.get_object(Bucket=s3_bucket, Key="reports/final.csv")["Body"].read() == \
        b"a,b\n1,2\n"
    (materialized,) = result.of_type("ASSET_MATERIALIZATION", "file_handle_to_s3")
    # A string asset key is split into its words, as Dagster does.
    assert materialized["data"]["asset_key"] == ["s3", *s3_bucket.split("-"), "reports",
                                                 "final", "csv"]
    assert result.metadata(materialized)["final.csv"] == f"s3://{s3_bucket}/reports/final.csv"
    assert [o["data"]["output_name"] for o in result.of_type("STEP_OUTPUT",
                                                             "file_handle_to_s3")] == \
        ["s3_file_handle"]


def test_get_s3_keys_oldest_first_after_the_cursor(seaweedfs: S3Server, s3_bucket: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from orch.integrations.aws.s3 import get_s3_keys
    from orch.integrations.aws.s3.resources import S3Settings

    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)
    client = S3Settings(endpoint_url=seaweedfs.endpoint_url, region_name="us-east-1").client()
    for key in ["in/c.csv", "in/a.csv", "in/b.csv"]:  # written in this order
        client.put_object(Bucket=s3_bucket, Key=key, Body=b"x")
        time.sleep(1.1)  # LastModified has one-second resolution
    client.put_object(Bucket=s3_bucket, Key="other/z.csv", Body=b"x")
    assert get_s3_keys(s3_bucket, prefix="in/", s3_session=client) == \
        ["in/c.csv", "in/a.csv", "in/b.csv"]
    assert get_s3_keys(s3_bucket, prefix="in/", since_key="in/c.csv", s3_session=client) == \
        ["in/a.csv", "in/b.csv"]
    assert get_s3_keys(s3_bucket, prefix="in/", since_key="in/b.csv", s3_session=client) == []
    assert get_s3_keys(s3_bucket, prefix="in/", since_key="gone", s3_session=client) == \
        ["in/c.csv", "in/a.csv", "in/b.csv"]
    # Without a session: boto3's chain, which reads the endpoint from the environment.
    monkeypatch.setenv("AWS_ENDPOINT_URL", seaweedfs.endpoint_url)
    assert get_s3_keys(s3_bucket, prefix="in/a") == ["in/a.csv"]


def test_wrong_keys_and_missing_bucket_fail_with_the_reason(
        project: Project, seaweedfs: S3Server, s3_bucket: str) -> None:
    project.write('''
        from orch.integrations.aws.s3 import s3_pickle_io_manager, s3_resource
        from orch import ModeDefinition, pipeline, solid

        @solid
        def one(context):
            return 1

        @pipeline(mode_defs=[ModeDefinition(resource_defs={
            "io_manager": s3_pickle_io_manager, "s3": s3_resource})])
        def p():
            one()
    ''')

    def run(bucket: str, **env: str):
        config = project.root / "c.yaml"
        config.write_text(json.dumps({"resources": {
            "io_manager": {"config": {"s3_bucket": bucket}},
            "s3": {"config": {"endpoint_url": seaweedfs.endpoint_url,
                              "region_name": "us-east-1"}}}}))
        return project.run("p", "-c", str(config), env=project.env(**{**seaweedfs.env(),
                                                                      **env}))

    missing = run("no-such-bucket-here")
    assert missing.returncode == 1
    text = json.dumps(missing.events)
    assert "The bucket s3://no-such-bucket-here does not exist" in text

    wrong = run(s3_bucket, AWS_SECRET_ACCESS_KEY="not-the-secret")
    assert wrong.returncode == 1
    assert f"No access to the bucket s3://{s3_bucket} (Forbidden): check the credentials" in \
        json.dumps(wrong.events)


def test_unsafe_ids_never_become_keys() -> None:
    from orch.core.storage.paths import OrchInvalidIdError
    from orch.integrations.object_store import ObjectStore, PickledObjectStoreIOManager
    from orch.integrations.object_store.store import FilesystemSpec

    store = ObjectStore(FilesystemSpec("memory"), "bucket", "mem")
    with pytest.raises(OrchInvalidIdError, match="prefix"):
        PickledObjectStoreIOManager(store, "team/../other")

    class Out:
        name, mapping_key = "result", None

        def __init__(self, run_id: str, step_key: str) -> None:
            self.run_id, self.step_key = run_id, step_key

        def get_run_scoped_output_identifier(self) -> list[str]:
            return [self.run_id, self.step_key, self.name]

    manager = PickledObjectStoreIOManager(store, "dagster", files_segment=True, label="GCS")
    assert manager.key_for(Out("r1", "a[k]")) == "dagster/storage/r1/files/a[k]/result"
    with pytest.raises(OrchInvalidIdError, match="run id"):
        manager.key_for(Out("../r0", "a"))
    with pytest.raises(OrchInvalidIdError, match="step key"):
        manager.key_for(Out("r1", "a/../../x"))


def test_store_pickles_without_connections_or_local_paths(
        seaweedfs: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)
    from orch.integrations.aws.s3 import PickledObjectS3IOManager
    from orch.integrations.aws.s3.resources import S3Settings

    client = S3Settings(endpoint_url=seaweedfs.endpoint_url, region_name="us-east-1").client()
    manager = PickledObjectS3IOManager(s3_bucket, client)
    manager.store.put("dagster/x", b"1")  # the filesystem is live now
    manager.store.put("dagster/empty", b"")
    assert manager.store.get("dagster/empty") == b""  # one ranged GET, even for no bytes
    copy = pickle.loads(pickle.dumps(manager.store))
    assert copy._fs is None and copy.get("dagster/x") == b"1"
    assert b"/tmp" not in pickle.dumps(manager.store)


def test_compute_logs_readable_while_the_step_runs_and_from_s3_after(
        tmp_path: Path, seaweedfs: S3Server, s3_bucket: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from orch.core.instance import Instance

    for name, value in seaweedfs.env().items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    home.mkdir()
    (home / "orch.yaml").write_text(textwrap.dedent(f"""
        compute_logs:
          module: dagster_aws.s3.compute_log_manager    # a legacy dagster.yaml entry
          class: S3ComputeLogManager
          config: {{bucket: {s3_bucket}, endpoint_url: {seaweedfs.endpoint_url},
                   region_name: us-east-1, prefix: logs-here}}
    """))
    instance = Instance.from_home(home)
    manager = instance.compute_log_manager
    assert type(manager).__name__ == "S3ComputeLogManager"
    run_id = "run-one"
    seen: list[bytes] = []
    started, release = threading.Event(), threading.Event()

    def step() -> None:
        with manager.capture(run_id, "slow"):
            print("first half", flush=True)
            started.set()
            release.wait(30)
            print("second half", flush=True)

    worker = threading.Thread(target=step)
    worker.start()
    assert started.wait(30)
    data, offset, complete = manager.read(run_id, "slow")
    seen.append(data)
    assert (data, complete) == (b"first half\n", False)
    assert manager.read_remote(run_id, "slow") == (b"", 0, False)  # not uploaded yet
    release.set()
    worker.join(30)
    rest, _, complete = manager.read(run_id, "slow", offset=offset)
    assert (rest, complete) == (b"second half\n", True)
    assert manager.read_remote(run_id, "slow") == (b"first half\nsecond half\n", 23, True)
    assert manager.read_remote(run_id, "slow", offset=11, max_bytes=6) == (b"second", 17,
                                                                          False)
    assert seaweedfs.client().get_object(
        Bucket=s3_bucket, Key="logs-here/storage/run-one/compute_logs/slow.out",
    )["Body"].read() == b"first half\nsecond half\n"
    manager.delete_logs(run_id)
    assert "Contents" not in seaweedfs.client().list_objects_v2(Bucket=s3_bucket,
                                                                 Prefix="logs-here/")
    instance.close()


@pytest.mark.parametrize("entry, message", [
    ("name: nope", "`compute_logs` names 'nope'; choose one of: "),
    ("module: dagster_nowhere.logs\n  class: Logs",
     "`compute_logs` names the legacy dagster_nowhere.logs.Logs, which no installed orch "
     "integration provides"),
    ("name: s3\n  config: {prefix: x}",
     "`compute_logs.config` is not accepted: S3ComputeLogManager takes `bucket` (required)"),
])
def test_compute_log_entries_that_cannot_work_are_exit_2(project: Project, entry: str,
                                                         message: str) -> None:
    import subprocess

    from ..conftest import ORCH

    project.home.mkdir()
    (project.home / "orch.yaml").write_text(f"compute_logs:\n  {entry}\n")
    proc = subprocess.run([ORCH, "runs", "list"], capture_output=True, text=True,
                          env=project.env(), cwd=project.root, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr
