"""orch dev shows compute logs kept in S3: with orch.yaml's compute logs on SeaweedFS (a real
S3 server, started here and stopped by pid) and the run's local copy deleted, the compute-log
pane (key 5) shows the step's output read back from the bucket — for a run in the app's own
process pool, and for a run on a Dask LocalCluster of worker processes whose outputs go
through s3_pickle_io_manager."""

from __future__ import annotations

import importlib.util
import pickle
import shutil
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app
from orch.tui.services.launcher import LaunchChoice

from tests.integrations.cloud_servers import S3Server, seaweedfs_server

if importlib.util.find_spec("s3fs") is None:
    pytest.skip("needs s3fs: pip install 'orch[aws]'", allow_module_level=True)

REPO = textwrap.dedent('''
    from orch import ModeDefinition, pipeline, solid
    from orch.integrations.aws.s3 import s3_pickle_io_manager, s3_resource


    @solid
    def shout(context):
        print("line one from the cloud")
        print("line two from the cloud")


    @pipeline
    def cloudy():
        shout()


    @solid
    def word(context):
        print("word from a Dask worker")
        return "cloud"


    @solid
    def echo(context, word):
        print(f"echo of {word} from a Dask worker")
        return word * 2


    @pipeline(mode_defs=[ModeDefinition(resource_defs={
        "io_manager": s3_pickle_io_manager, "s3": s3_resource})])
    def cloudy_dask():
        echo(word())
''')


def _home(tmp_path: Path, server: S3Server, bucket: str, monkeypatch: Any) -> Path:
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    server.client().create_bucket(Bucket=bucket)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ORCH_HOME", str(home))
    (home / "orch.yaml").write_text(
        f"compute_logs: {{name: s3, config: {{bucket: {bucket}, "
        f"endpoint_url: '{server.endpoint_url}', region_name: us-east-1}}}}\n")
    (tmp_path / "repo.py").write_text(REPO)
    return home


async def _logs_rows(pilot: Any, app: Any, step: str, count: int) -> list[str]:
    await pilot.press("5")
    app.goto(step)
    logs = app.query_one("#logs")
    await wait_for(pilot, lambda: logs.row_count == count)
    return [logs.render_line(y).text.rstrip() for y in range(logs.row_count)]


async def test_logs_pane_reads_the_uploaded_copy(tmp_path, monkeypatch) -> None:
    (tmp_path / "sw").mkdir()
    with seaweedfs_server(tmp_path / "sw") as server:
        bucket = f"orch-{uuid.uuid4().hex[:12]}"
        home = _home(tmp_path, server, bucket, monkeypatch)
        with Instance.from_home(home) as instance:
            app = build_app(WorkspaceTarget.from_options(python_file=str(tmp_path / "repo.py")),
                            instance, watch=False, pipeline="cloudy")
            async with app.run_test(size=(140, 42)) as pilot:
                await wait_for(pilot, lambda: app.dag.canvas is not None
                               and app.dag.canvas.nodes and app.current == "cloudy")
                await pilot.press("r")
                await wait_for(pilot, lambda: app.run_view is not None
                               and app.run_view.finished)
                run_id = app.run_view.run_id
                key = f"dagster/storage/{run_id}/compute_logs/shout.out"
                body = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
                assert body == b"line one from the cloud\nline two from the cloud\n"
                shutil.rmtree(home / "logs")  # no local copy: only S3 has the output now
                assert await _logs_rows(pilot, app, "shout", 2) == [
                    "line one from the cloud", "line two from the cloud"]


async def test_a_dask_run_launched_from_orch_dev_shows_its_logs_from_s3(
        tmp_path, monkeypatch) -> None:
    pytest.importorskip("distributed")
    (tmp_path / "sw").mkdir()
    with seaweedfs_server(tmp_path / "sw") as server:
        bucket = f"orch-{uuid.uuid4().hex[:12]}"
        home = _home(tmp_path, server, bucket, monkeypatch)
        choice = LaunchChoice(run_config={
            "execution": {"dask": {"config": {"cluster": {"local": {
                "n_workers": 2, "processes": True}}}}},
            "resources": {"io_manager": {"config": {"s3_bucket": bucket}},
                          "s3": {"config": {"endpoint_url": server.endpoint_url,
                                            "region_name": "us-east-1"}}}})
        with Instance.from_home(home) as instance:
            app = build_app(WorkspaceTarget.from_options(python_file=str(tmp_path / "repo.py")),
                            instance, watch=False, pipeline="cloudy_dask",
                            initial_choice=choice)
            async with app.run_test(size=(140, 42)) as pilot:
                await wait_for(pilot, lambda: app.dag.canvas is not None
                               and app.dag.canvas.nodes and app.current == "cloudy_dask")
                await pilot.press("r")
                await wait_for(pilot, lambda: app.run_view is not None
                               and app.run_view.finished, seconds=90)
                run_id = app.run_view.run_id
                run = instance.get_run(run_id)
                assert run is not None and run.status.value == "SUCCESS", run
                events = instance.get_logs_for_run(run_id)
                assert any(e.message.startswith("Executing steps on the Dask cluster")
                           for e in events)
                s3 = server.client()
                outputs = f"dagster/storage/{run_id}/"
                assert pickle.loads(s3.get_object(Bucket=bucket, Key=f"{outputs}echo/result")
                                    ["Body"].read()) == "cloudcloud"
                logs = f"dagster/storage/{run_id}/compute_logs/"
                listed = s3.list_objects_v2(Bucket=bucket, Prefix=logs)["Contents"]
                assert sorted(o["Key"] for o in listed) == [
                    f"{logs}{step}.{stream}" for step in ("echo", "word")
                    for stream in ("err", "out")]
                shutil.rmtree(home / "logs")  # no local copy: only S3 has the output now
                # The step's prints (from S3), between its context.log lines where they
                # were written (the IO manager's debug lines, from the event log).
                echo = await _logs_rows(pilot, app, "echo", 3)
                assert "Loading S3 object from: s3://" in echo[0]
                assert echo[1] == "echo of cloud from a Dask worker"
                assert "Writing S3 object at: s3://" in echo[2]
                word = await _logs_rows(pilot, app, "word", 2)
                assert word[0] == "word from a Dask worker"
                assert "Writing S3 object at: s3://" in word[1]
