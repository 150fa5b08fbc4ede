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
