"""The sample S3 sensor (sample_repo/s3_landing.py) against SeaweedFS, through the CLI a user
runs: preview shows one request per object, ticks launch one run per new object (the cursor
remembers the last key), and each run reads its object."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from ..cloud_servers import S3Server
from ..conftest import ORCH, Project, require

require("aws", "boto3", "s3fs")

SAMPLE = Path(__file__).resolve().parents[3] / "sample_repo" / "s3_landing.py"


def orch(project: Project, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ORCH, *args], capture_output=True, text=True, env=env,
                          cwd=project.root, timeout=120)


def runs_of(project: Project, env: dict[str, str]) -> list[dict]:
    proc = orch(project, env, "runs", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_one_run_per_new_object(project: Project, seaweedfs: S3Server, s3_bucket: str) -> None:
    env = project.env(**seaweedfs.env(), AWS_ENDPOINT_URL=seaweedfs.endpoint_url,
                      ORCH_SAMPLE_S3_BUCKET=s3_bucket)
    client = seaweedfs.client()
    for key, body in [("landing/a.csv", b"1,2\n"), ("landing/b.csv", b"3\n")]:
        client.put_object(Bucket=s3_bucket, Key=key, Body=body)
        time.sleep(1.1)  # LastModified has one-second resolution
    client.put_object(Bucket=s3_bucket, Key="elsewhere/c.csv", Body=b"x")

    preview = orch(project, env, "sensor", "preview", "-f", str(SAMPLE), "new_s3_objects")
    assert preview.returncode == 0, preview.stderr
    assert "landing/a.csv" in preview.stdout and "landing/b.csv" in preview.stdout
    assert "elsewhere" not in preview.stdout

    assert orch(project, env, "sensor", "start", "-f", str(SAMPLE),
                "new_s3_objects").returncode == 0
    tick = orch(project, env, "sensor", "tick", "-f", str(SAMPLE))
    assert tick.returncode == 0, tick.stderr
    client.put_object(Bucket=s3_bucket, Key="landing/d.csv", Body=b"4567")
    tick = orch(project, env, "sensor", "tick", "-f", str(SAMPLE),
                "--now", str(time.time() + 60))
    assert tick.returncode == 0, tick.stderr
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        runs = runs_of(project, env)
        if len(runs) == 3 and all(r["status"] in ("SUCCESS", "FAILURE") for r in runs):
            break
        time.sleep(0.5)
    assert sorted(r["tags"].get("orch/run_key") for r in runs) == \
        ["landing/a.csv", "landing/b.csv", "landing/d.csv"]
    assert {r["status"] for r in runs} == {"SUCCESS"}
