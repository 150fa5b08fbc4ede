"""Snapshot tests (pytest-textual-snapshot): fixed size, no blink, no animations, nothing
time- or host-dependent on screen. Update with `pytest tests/tui --snapshot-update`."""

from __future__ import annotations

import pytest
from orch.core.instance import Instance
from orch.tui.app import OrchApp

from sample_repo import sales

SIZE = (120, 40)


def _app(home, snapshot) -> OrchApp:
    # No launcher: snapshot tests never start runs.
    return OrchApp(lambda: snapshot, Instance.from_home(home), watch=False)


async def _loaded(pilot) -> None:
    app = pilot.app
    for _ in range(100):
        if app.dag.canvas is not None and app.dag.canvas.nodes:
            break
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def snapshot_home(tmp_path):
    return tmp_path / "home"


def test_main_screen(snap_compare, snapshot_home, make_snapshot):
    app = _app(snapshot_home, make_snapshot(sales.sales_report, sales.regional_revenue,
                                            sales.hello))
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded)


def test_dag_of_30_solids(snap_compare, snapshot_home, make_snapshot):
    from conftest import wide_pipeline as build

    app = _app(snapshot_home, make_snapshot(build(30)))
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded)


def test_launchpad(snap_compare, snapshot_home, make_snapshot):
    # A pipeline whose config holds no host paths, so the scaffold is the same everywhere.
    from conftest import configured_pipeline

    app = _app(snapshot_home, make_snapshot(configured_pipeline()))

    async def open_launchpad(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("l")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_launchpad)


NARROW = (80, 24)


def test_main_screen_80x24(snap_compare, snapshot_home, make_snapshot):
    app = _app(snapshot_home, make_snapshot(sales.sales_report, sales.regional_revenue,
                                            sales.hello))
    assert snap_compare(app, terminal_size=NARROW, run_before=_loaded)


def test_launchpad_80x24(snap_compare, snapshot_home, make_snapshot):
    from conftest import configured_pipeline

    app = _app(snapshot_home, make_snapshot(configured_pipeline()))

    async def open_launchpad(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("l")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=NARROW, run_before=open_launchpad)


def _failed_run(home) -> str:
    """A stored failed run of `hello` with a fixed error payload and fixed times (the screen
    must not depend on the host's paths or clock)."""
    from orch.core.events import EventRecord, EventType
    from orch.core.runs import PipelineRun

    with Instance.from_home(home) as instance:
        run = instance.create_run(PipelineRun(pipeline_name="hello", run_id="0" * 8 + "-" +
                                              "1" * 4 + "-" + "2" * 4 + "-" + "3" * 4 + "-"
                                              + "4" * 12))
        error = {"cls_name": "KeyError", "message": "KeyError: 'b'", "frames": [
            {"file": "repo/hello.py", "line": 12, "name": "say_hello",
             "code": 'return greetings["b"]', "kind": "user"}],
            "location": "repo/hello.py:12"}
        t = 1_700_000_000.0
        for offset, kind, step, data in (
                (0.0, EventType.PIPELINE_START, None, {}),
                (0.1, EventType.STEP_START, "say_hello", {}),
                (0.2, EventType.STEP_FAILURE, "say_hello", {"error": error}),
                (0.3, EventType.PIPELINE_FAILURE, None, {})):
            instance.handle_new_event(EventRecord(run.run_id, "hello", kind, kind.value, step,
                                                  timestamp=t + offset, pid=1, data=data))
        return run.run_id


def test_error_panel_80x24(snap_compare, snapshot_home, make_snapshot, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    _failed_run(snapshot_home)
    app = _app(snapshot_home, make_snapshot(sales.hello))

    async def show_errors(pilot) -> None:
        # Not _loaded: event polls are exclusive workers, so waiting for every worker to
        # complete would meet one a newer poll cancelled.
        for _ in range(200):
            if app.dag.canvas is not None and app.run_view is not None and \
                    app.run_view.finished:
                break
            await pilot.pause(0.05)
        await pilot.press("E")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=NARROW, run_before=show_errors)


# -- the asset pane and run comparison: runs stored with fixed ids, times and metadata --------
A_RUN = "aaaaaaaa-0000-4000-8000-000000000001"
B_RUN = "bbbbbbbb-0000-4000-8000-000000000002"
FIXED = 1_767_261_600.0  # 2026-01-01 10:00:00 UTC: runs' start times, shown as clock times


def _stored_runs(home) -> None:
    """Two runs of ``orders`` (extract → report) whose steps and assets differ: B is slower
    in extract and its rows grew. Materializations are a minute old when the pane opens."""
    import time as _time

    from orch.core.events import EventRecord, EventType
    from orch.core.runs import PipelineRun

    plan = {"steps": [{"key": "extract", "inputs": []},
                      {"key": "report", "inputs": [{"name": "rows",
                                                    "upstream": ["extract"]}]}]}
    recent = _time.time() - 90
    with Instance.from_home(home) as instance:
        for n, (run_id, rows, pause, config) in enumerate((
                (A_RUN, [100, 120, 150], 0.5, {"rows": 100}),
                (B_RUN, [180, 210, 260], 1.5, {"rows": 250}))):
            run = instance.create_run(PipelineRun(
                "orders", run_id=run_id, run_config={"solids": {"extract": {"config": config}}}),
                execution_plan_snapshot=plan)
            start = FIXED + n * 3600
            events = [EventRecord(run_id, "orders", EventType.PIPELINE_START, timestamp=start)]
            for step, seconds in (("extract", pause), ("report", 0.25)):
                events.append(EventRecord(run_id, "orders", EventType.STEP_START, step_key=step,
                                          timestamp=start))
                for i, value in enumerate(rows):
                    key = ["warehouse", "orders"] if step == "extract" else ["reports", "daily"]
                    events.append(EventRecord(
                        run_id, "orders", EventType.ASSET_MATERIALIZATION, step_key=step,
                        timestamp=recent + n * 3 + i * 0.5, data={
                            "asset_key": key, "partition": None, "description": None,
                            "metadata": [{"label": "rows", "description": None,
                                          "entry_type": "int",
                                          "value": value if step == "extract" else value * 2},
                                         {"label": "notes", "description": None,
                                          "entry_type": "md", "value": "**fresh** orders"}]}))
                events.append(EventRecord(run_id, "orders", EventType.STEP_SUCCESS,
                                          step_key=step, timestamp=start + seconds))
            events.append(EventRecord(run_id, "orders", EventType.PIPELINE_SUCCESS,
                                      timestamp=start + 2))
            with instance.event_writer(run.run_id) as writer:
                for e in events:
                    writer.write(e)


def test_asset_pane(snap_compare, snapshot_home, make_snapshot):
    from conftest import wait_for

    from sample_repo import sales as _sales

    _stored_runs(snapshot_home)
    app = _app(snapshot_home, make_snapshot(_sales.hello))

    async def open_assets(pilot) -> None:
        from orch.tui.screens.assets import AssetsScreen

        await _loaded(pilot)
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, AssetsScreen) and str(
            app.screen.query_one("#asset-title").render()).startswith("reports/daily"))
        await pilot.press("down", "down", "down")
        await wait_for(pilot, lambda: str(app.screen.query_one("#asset-title").render())
                       .startswith("warehouse/orders"))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_assets)


def test_run_comparison(snap_compare, snapshot_home, make_snapshot, monkeypatch):
    import time as _time

    from conftest import wait_for

    from sample_repo import sales as _sales

    monkeypatch.setenv("TZ", "UTC")  # the runs list shows start times as clock times
    _time.tzset()
    _stored_runs(snapshot_home)
    app = _app(snapshot_home, make_snapshot(_sales.hello))

    async def compare(pilot) -> None:
        from orch.tui.screens.run_diff import RunDiffScreen

        await _loaded(pilot)
        table = app.query_one("#runs")
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("u", "down", "d", "up", "d")  # A is the older run
        await wait_for(pilot, lambda: isinstance(app.screen, RunDiffScreen))
        app.clear_notifications()  # "run … is A" would come and go with the machine's speed
        await pilot.pause(0.3)

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=compare)
    finally:
        monkeypatch.undo()
        _time.tzset()
