"""S3 (orch.integrations.aws.s3) against SeaweedFS, a real S3 server with SigV4 auth, through
``orch run`` as a user runs a legacy file whose only change is its imports."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from ..cloud_servers import S3Server
from ..conftest import ORCH, Project, require

require("aws", "boto3", "s3fs")

LEGACY_FILE = '''
import os
from orch.integrations.aws.s3 import s3_pickle_io_manager, s3_resource

from orch import ModeDefinition, pipeline, solid, DynamicOutputDefinition, DynamicOutput


@solid
def numbers(context):
    print("numbers: writing three")
    return [1, 2, 3]


@solid(output_defs=[DynamicOutputDefinition(int)])
def fan(context, numbers):
    for n in numbers:
        yield DynamicOutput(n, mapping_key=f"n{n}")


@solid
def square(context, n):
    print(f"square of {n}")
    return n * n


@solid
def total(context, squares):
    if os.environ.get("FAIL_TOTAL"):
        raise RuntimeError("total failed on purpose")
    print(f"total is {sum(squares)}")
    return sum(squares)


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "io_manager": s3_pickle_io_manager, "s3": s3_resource})])
def squares():
    total(fan(numbers()).map(square).collect())
'''


# A LocalCluster of two worker processes: steps run in processes the run worker did not
# fork, which reach the outputs only through the bucket.
EXECUTION = {
    "in_process": {},
    "multiprocess": {},
    "dask": {"config": {"cluster": {"local": {"n_workers": 2, "processes": True}}}},
}


def run_config(project: Project, server: S3Server, bucket: str, executor: str) -> Path:
    config = {
        "resources": {
            "io_manager": {"config": {"s3_bucket": bucket, "s3_prefix": "team/dagster"}},
            "s3": {"config": {"endpoint_url": server.endpoint_url,
                              "region_name": "us-east-1"}},
        },
        "execution": {executor: EXECUTION[executor]},
    }
    path = project.root / f"{executor}.yaml"
    path.write_text(json.dumps(config))
    return path


def s3_logs_config(project: Project, server: S3Server, bucket: str) -> None:
    project.home.mkdir(exist_ok=True)
    (project.home / "orch.yaml").write_text(textwrap.dedent(f"""
        compute_logs:
          name: s3
          config:
            bucket: {bucket}
            endpoint_url: {server.endpoint_url}
            region_name: us-east-1
    """))


def keys(server: S3Server, bucket: str, prefix: str = "") -> list[str]:
    listed = server.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def body(server: S3Server, bucket: str, key: str) -> bytes:
    return server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.mark.parametrize("executor", ["multiprocess", "in_process", "dask"])
def test_outputs_and_compute_logs_in_s3(project: Project, seaweedfs: S3Server,
                                        s3_bucket: str, executor: str) -> None:
    project.write(LEGACY_FILE)
    s3_logs_config(project, seaweedfs, s3_bucket)
    config = run_config(project, seaweedfs, s3_bucket, executor)
    result = project.run("squares", "-c", str(config), env=project.env(**seaweedfs.env()))
    assert result.returncode == 0, result.stderr
    run_id = result.run_id
    if executor == "dask":  # the steps ran in the cluster's two worker processes
        [note] = [e for e in result.of_type("ENGINE_EVENT")
                  if e["message"].startswith("Executing steps on the Dask cluster")]
        assert note["data"]["workers"] == 2
        run_pid = result.events[0]["pid"]
        assert run_pid not in {e["pid"] for e in result.of_type("STEP_START")}

    prefix = f"team/dagster/storage/{run_id}/"
    assert keys(seaweedfs, s3_bucket, prefix) == sorted(
        [f"{prefix}numbers/result", *(f"{prefix}fan/result/n{i}" for i in (1, 2, 3)),
         *(f"{prefix}square[n{i}]/result" for i in (1, 2, 3)), f"{prefix}total/result"])
    assert pickle.loads(body(seaweedfs, s3_bucket, f"{prefix}total/result")) == 14
    handled = result.of_type("HANDLED_OUTPUT", "total")[0]
    assert result.metadata(handled)["uri"] == f"s3://{s3_bucket}/{prefix}total/result"

    # Compute logs: uploaded under the legacy layout when each step ended.
    logs = f"dagster/storage/{run_id}/compute_logs/"
    assert body(seaweedfs, s3_bucket, f"{logs}total.out") == b"total is 14\n"
    assert body(seaweedfs, s3_bucket, f"{logs}square[n2].out") == b"square of 2\n"
    assert f"{logs}numbers.err" in keys(seaweedfs, s3_bucket, logs)

    # Read back as a user does, from the local copy, then with it gone (another machine).
    def step_stdout(step: str) -> str:
        proc = subprocess.run([ORCH, "runs", "logs", run_id, "--step", step, "--stdout"],
                              capture_output=True, text=True, env=project.env(**seaweedfs.env()),
                              cwd=project.root, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert step_stdout("total") == "total is 14\n"
    shutil.rmtree(project.home / "logs")
    assert step_stdout("total") == "total is 14\n"
    assert step_stdout("square[n3]") == "square of 3\n"


def test_reexecution_loads_upstream_outputs_from_s3(project: Project, seaweedfs: S3Server,
                                                    s3_bucket: str) -> None:
    project.write(LEGACY_FILE)
    s3_logs_config(project, seaweedfs, s3_bucket)
    config = run_config(project, seaweedfs, s3_bucket, "multiprocess")
    env = project.env(**seaweedfs.env())
    failed = project.run("squares", "-c", str(config), env={**env, "FAIL_TOTAL": "1"})
    assert failed.returncode == 1
    assert failed.of_type("STEP_FAILURE", "total")
    for local in ("logs", "storage"):  # nothing of the parent left on this disk
        shutil.rmtree(project.home / local, ignore_errors=True)

    again = project.run("squares", "-c", str(config), "--parent", failed.run_id,
                        "--from-failure", env=env)
    assert again.returncode == 0, again.stderr
    assert {e["step_key"] for e in again.of_type("STEP_SUCCESS")} == {"total"}
    loaded = again.of_type("LOADED_INPUT", "total")
    assert loaded, again.events
    parent = f"team/dagster/storage/{failed.run_id}/"
    child = f"team/dagster/storage/{again.run_id}/"
    assert keys(seaweedfs, s3_bucket, child) == [f"{child}total/result"]
    assert f"{parent}square[n1]/result" in keys(seaweedfs, s3_bucket, parent)
    assert pickle.loads(body(seaweedfs, s3_bucket, f"{child}total/result")) == 14
    logs = f"dagster/storage/{again.run_id}/compute_logs/"
    assert body(seaweedfs, s3_bucket, f"{logs}total.out") == b"total is 14\n"


def test_a_dask_reexecution_of_one_step_loads_its_inputs_from_s3(
        project: Project, seaweedfs: S3Server, s3_bucket: str) -> None:
    """The parent runs on a LocalCluster of worker processes; the re-execution of ``total``
    alone (``--parent RUN -s total``), on a new cluster, with nothing of the parent left on
    local disk, reads the mapped squares from the parent's keys — and fails naming the key
    once one of them is deleted from the bucket."""
    project.write(LEGACY_FILE)
    s3_logs_config(project, seaweedfs, s3_bucket)
    config = run_config(project, seaweedfs, s3_bucket, "dask")
    env = project.env(**seaweedfs.env())
    parent = project.run("squares", "-c", str(config), env=env)
    assert parent.returncode == 0, parent.stderr
    parent_keys = f"team/dagster/storage/{parent.run_id}/"
    assert f"{parent_keys}square[n2]/result" in keys(seaweedfs, s3_bucket, parent_keys)
    for local in ("logs", "storage"):
        shutil.rmtree(project.home / local, ignore_errors=True)
    assert not [p for p in project.home.rglob("*") if parent.run_id in p.name]

    again = project.run("squares", "-c", str(config), "--parent", parent.run_id,
                        "-s", "total", env=env)
    assert again.returncode == 0, again.stderr
    assert {e["step_key"] for e in again.of_type("STEP_SUCCESS")} == {"total"}
    assert again.of_type("LOADED_INPUT", "total")
    child = f"team/dagster/storage/{again.run_id}/"
    assert keys(seaweedfs, s3_bucket, child) == [f"{child}total/result"]
    assert pickle.loads(body(seaweedfs, s3_bucket, f"{child}total/result")) == 14
    logs = f"dagster/storage/{again.run_id}/compute_logs/"
    assert body(seaweedfs, s3_bucket, f"{logs}total.out") == b"total is 14\n"

    seaweedfs.client().delete_object(Bucket=s3_bucket, Key=f"{parent_keys}square[n2]/result")
    gone = project.run("squares", "-c", str(config), "--parent", parent.run_id,
                       "-s", "total", env=env)
    assert gone.returncode == 1
    [failure] = gone.of_type("STEP_FAILURE", "total")
    assert f"{parent_keys}square[n2]/result" in json.dumps(failure), failure
