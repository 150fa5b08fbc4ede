"""Pilot tests of `orch dev`: the real app, a real instance, real run workers."""

from __future__ import annotations

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus, StepStatus
from orch.tui.app import OrchApp, parse_filter
from orch.tui.widgets.event_log import EventLog
from orch.tui.widgets.log_file_view import LogFileView
from orch.tui.widgets.tables import PlanTable, RunsTable

from sample_repo import sales

SIZE = (120, 40)



@pytest.fixture
def instance(orch_home):
    with Instance.from_home(orch_home) as inst:
        yield inst


async def test_app_shows_pipelines_and_dag(instance, make_snapshot):
    app = OrchApp(lambda: make_snapshot(sales.sales_report, sales.hello), instance,
                  watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes)
        assert list(app.pipelines) == ["sales_report", "hello"]
        assert set(app.dag.canvas.nodes) == {"load_orders", "clean_orders", "report_rejected",
                                             "summarize", "write_report"}
        assert app.dag.cursor == "load_orders"
        await pilot.press("right")
        assert app.dag.cursor == "clean_orders"
        await pilot.press("space")
        assert app.dag.selected == {"clean_orders"}
        assert "1 selected" in app.sub_title


async def test_launch_a_run_and_watch_it_finish(instance, tmp_path):
    """The sample repository, as the README opens it: launchpad, edited config, ctrl+l."""
    from pathlib import Path

    from orch.core.workspace import WorkspaceTarget
    from orch.tui import build_app

    sample = Path(sales.__file__)
    target = WorkspaceTarget.from_options(python_file=str(sample))
    app = build_app(target, instance, watch=False, pipeline="sales_report")
    out_dir = str(tmp_path / "reports")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.pipelines))
        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.query("#config-editor"))
        await pilot.click("#config-editor")
        await pilot.press("f7", *f"solids: {{write_report: {{config: {{out_dir: {out_dir}}}}}}}")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        view = app.run_view
        assert view.status is PipelineRunStatus.SUCCESS
        assert app.dag._status == dict.fromkeys(
            ["load_orders", "clean_orders", "report_rejected", "summarize", "write_report"],
            StepStatus.SUCCESS)
        plan = app.query_one(PlanTable)
        assert "summarize.top_customer" in plan.rows
        lines = "\n".join(app.query_one(EventLog).lines)
        assert "PIPELINE_SUCCESS" in lines and "STEP_SUCCESS" in lines
        assert (Path(out_dir) / "report.txt").exists() or any(Path(out_dir).iterdir())
        # The compute log pane shows the step's captured stdout.
        app.goto("write_report")
        await pilot.pause(0.3)
        log_view = app.query_one(LogFileView)
        assert log_view.index is not None
        assert "report written to" in log_view.index.read(0)
        await wait_for(pilot, lambda: app.query_one(RunsTable).row_count == 1)


async def test_event_filter_parsing():
    f = parse_filter("level=WARNING type=STEP step=clean rows")
    assert (f.event_type, f.step, f.text) == ("STEP", "clean", "rows")
    assert f.min_level == 30


def test_orch_dev_with_a_missing_target_says_so(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    orch = str(Path(sys.executable).parent / "orch")
    done = subprocess.run([orch, "dev", str(tmp_path / "nope.py")], capture_output=True,
                          text=True, env={**__import__("os").environ,
                                          "ORCH_HOME": str(tmp_path / "home")})
    assert done.returncode == 2
    assert "nope.py" in done.stderr and "does not exist" in done.stderr


async def test_opens_on_the_chosen_pipelines_latest_run(instance, make_snapshot, tmp_path):
    from orch import execute_pipeline

    result = execute_pipeline(sales.sales_report, instance=instance, run_config={
        "solids": {"write_report": {"config": {"out_dir": str(tmp_path)}}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    app = OrchApp(lambda: make_snapshot(sales.hello, sales.sales_report), instance,
                  watch=False, pipeline="sales_report")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        assert app.current == "sales_report"
        assert app.run_view.run_id == result.run_id
        assert set(app.dag._status.values()) == {StepStatus.SUCCESS}
