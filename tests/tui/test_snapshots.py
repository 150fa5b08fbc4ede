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
