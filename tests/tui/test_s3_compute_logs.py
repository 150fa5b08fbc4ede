"""orch dev shows compute logs kept in S3: with orch.yaml's compute logs on SeaweedFS (a real
S3 server, started here and stopped by pid) and the run's local copy deleted, the compute-log
pane (key 5) shows the step's output read back from the bucket."""

from __future__ import annotations

import importlib.util
import shutil
import textwrap
import uuid

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app

from tests.integrations.cloud_servers import seaweedfs_server

if importlib.util.find_spec("s3fs") is None:
    pytest.skip("needs s3fs: pip install 'orch[aws]'", allow_module_level=True)

REPO = textwrap.dedent('''
    from orch import pipeline, solid


    @solid
    def shout(context):
        print("line one from the cloud")
        print("line two from the cloud")


    @pipeline
    def cloudy():
        shout()
''')


async def test_logs_pane_reads_the_uploaded_copy(tmp_path, monkeypatch) -> None:
    (tmp_path / "sw").mkdir()
    with seaweedfs_server(tmp_path / "sw") as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        bucket = f"orch-{uuid.uuid4().hex[:12]}"
        server.client().create_bucket(Bucket=bucket)
        home = tmp_path / "home"
        home.mkdir()
        monkeypatch.setenv("ORCH_HOME", str(home))
        (home / "orch.yaml").write_text(
            f"compute_logs: {{name: s3, config: {{bucket: {bucket}, "
            f"endpoint_url: '{server.endpoint_url}', region_name: us-east-1}}}}\n")
        repo = tmp_path / "repo.py"
        repo.write_text(REPO)
        with Instance.from_home(home) as instance:
            app = build_app(WorkspaceTarget.from_options(python_file=str(repo)), instance,
                            watch=False, pipeline="cloudy")
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
                await pilot.press("5")
                app.goto("shout")
                logs = app.query_one("#logs")
                await wait_for(pilot, lambda: logs.row_count == 2)
                rows = [logs.render_line(y).text.rstrip() for y in range(logs.row_count)]
                assert rows == ["line one from the cloud", "line two from the cloud"]
