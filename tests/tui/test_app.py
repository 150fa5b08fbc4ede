"""Pilot tests of `orch dev`: the real app, a real instance, real run workers."""

from __future__ import annotations

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.launcher import create_run, launch_run
from orch.tui.app import OrchApp, parse_filter
from orch.tui.widgets.event_log import EventLog
from orch.tui.widgets.log_file_view import LogFileView
from orch.tui.widgets.tables import PlanTable, RunsTable

from orch import reconstructable
from sample_repo import sales

SIZE = (120, 40)



def _launcher(instance, pipelines):
    """Launch like the CLI does, but from the test process: create the run, start a worker."""

    def launch(request):
        pipeline = reconstructable(pipelines[request.pipeline])
        kwargs = {"run_config": request.run_config or {}}
        if request.executor:
            kwargs["run_config"] = {**kwargs["run_config"],
                                    "execution": {request.executor: {}}}
        run = create_run(instance, pipeline, **kwargs)
        launch_run(instance, run)
        return run.run_id

    return launch


@pytest.fixture
def instance(orch_home):
    with Instance.from_home(orch_home) as inst:
        yield inst


async def test_app_shows_pipelines_and_dag(instance, no_launch, make_snapshot):
    app = OrchApp(lambda: make_snapshot(sales.sales_report, sales.hello), instance, [],
                  watch=False, launch=no_launch)
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


async def test_launch_a_run_and_watch_it_finish(instance, make_snapshot, tmp_path):
    from orch.tui.screens.launchpad import LaunchChoice

    pipelines = {"sales_report": sales.sales_report}
    app = OrchApp(lambda: make_snapshot(sales.sales_report), instance, [], watch=False,
                  launch=_launcher(instance, pipelines))
    out_dir = str(tmp_path / "reports")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.pipelines))
        app.launch_configs["sales_report"] = LaunchChoice(
            {"solids": {"write_report": {"config": {"out_dir": out_dir}}}}, None, None,
            "in_process")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        view = app.run_view
        assert view.status == "SUCCESS"
        assert app.dag._status == {"load_orders": "success", "clean_orders": "success",
                                   "report_rejected": "success", "summarize": "success",
                                   "write_report": "success"}
        plan = app.query_one(PlanTable)
        assert "summarize.top_customer" in plan.rows
        lines = "\n".join(app.query_one(EventLog).lines)
        assert "PIPELINE_SUCCESS" in lines and "STEP_SUCCESS" in lines
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


async def test_opens_on_the_chosen_pipelines_latest_run(instance, make_snapshot, no_launch,
                                                        tmp_path):
    from orch import execute_pipeline

    result = execute_pipeline(sales.sales_report, instance=instance, run_config={
        "solids": {"write_report": {"config": {"out_dir": str(tmp_path)}}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    app = OrchApp(lambda: make_snapshot(sales.hello, sales.sales_report), instance, [],
                  watch=False, launch=no_launch, pipeline="sales_report")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        assert app.current == "sales_report"
        assert app.run_view.run_id == result.run_id
        assert set(app.dag._status.values()) == {"success"}
