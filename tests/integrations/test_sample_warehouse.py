"""The README's warehouse sample (sample_repo/warehouse/orders_warehouse.py) run as the README
says, against a fakesnow server: ``orch run --preset fakesnow``, and in ``orch dev`` (Pilot
key presses, real code servers and run workers) where an output's materialization metadata
shows in the event's details."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ORCH, require

require("snowflake", "snowflake.connector", "duckdb", "pandas", "pyarrow")
import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "sample_repo" / "warehouse" / \
    "orders_warehouse.py"


def test_the_sample_runs_from_the_readme(project, fakesnow):
    import subprocess

    env = project.env(SNOWFLAKE_PORT=str(fakesnow["port"]))
    run = project.run("orders_warehouse", "--preset", "fakesnow", file=str(SAMPLE), env=env)
    assert run.returncode == 0, run.stderr
    checked = run.of_type("STEP_OUTPUT", "load_orders")[0]["data"]["type_check"]
    assert checked["success"] and {m["label"] for m in checked["metadata"]} >= {"rows", "nulls"}
    parquet = project.home / "storage" / "parquet" / run.run_id / "load_orders" / "result.parquet"
    assert pq.read_table(parquet).num_rows == 10
    with duckdb.connect(str(project.home / "storage" / "orch.duckdb"), read_only=True) as con:
        revenue = con.sql('SELECT region, orders FROM main."revenue_by_region__result" '
                          "ORDER BY region").fetchall()
    assert revenue == [("amer", 3), ("apac", 2), ("emea", 2)]
    logged = [e["message"] for e in run.events if e["step_key"] == "check_published"]
    assert "3 regions in Snowflake, revenue 935.49" in logged
    listed = subprocess.run([ORCH, "pipeline", "list", "-f", str(SAMPLE)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert "orders_warehouse" in listed.stdout


async def wait_for(pilot, condition, seconds: float = 30.0) -> None:
    from textual.css.query import NoMatches

    for _ in range(int(seconds / 0.1)):
        try:
            if condition():
                return
        except NoMatches:
            pass
        await pilot.pause(0.1)
    raise AssertionError(f"condition not met after {seconds}s")


@pytest.fixture
def orch_dev_home(tmp_path, monkeypatch, fakesnow):
    monkeypatch.setenv("SNOWFLAKE_PORT", str(fakesnow["port"]))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("ORCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


async def test_orch_dev_shows_the_materialization_metadata(orch_dev_home):
    import importlib.util

    from orch.core.instance import Instance
    from orch.core.workspace import WorkspaceTarget
    from orch.tui import build_app
    from orch.tui.services.launcher import LaunchChoice

    spec = importlib.util.spec_from_file_location("orders_warehouse_sample", SAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    preset = module.orders_warehouse.get_preset("fakesnow")
    with Instance.from_home(orch_dev_home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(SAMPLE)), instance,
                        watch=False, pipeline="orders_warehouse",
                        initial_choice=LaunchChoice(run_config=preset.run_config,
                                                    preset="fakesnow"))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes
                           and app.current == "orders_warehouse", 60)
            await pilot.press("r")
            await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished,
                           120)
            assert instance.get_run(app.run_view.run_id).status.value == "SUCCESS"
            await pilot.press("4", "e")  # the events pane, focused
            events = app.query_one("#events")
            await wait_for(pilot, lambda: any(e.event_type_value == "ASSET_MATERIALIZATION"
                                              for e in events.shown))
            row = next(i for i, e in enumerate(events.shown)
                       if e.event_type_value == "ASSET_MATERIALIZATION")
            await pilot.press("home", *["down"] * row)
            assert events.chosen.event_type_value == "ASSET_MATERIALIZATION"
            await pilot.press("enter")
            await wait_for(pilot, lambda: bool(app.screen.query("#event-details")))
            details = str(app.screen.query_one("#event-details").render())
            assert "load_orders/result" in details
            assert "rows" in details and "10" in details and "bytes" in details
