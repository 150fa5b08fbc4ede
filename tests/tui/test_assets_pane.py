"""Key ``7`` as a user meets it: real runs materialize assets into an instance on disk, then
keys pressed in the app (Pilot) show them, draw their metadata, and re-materialize one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.runs import FINISHED_STATUSES, PipelineRunStatus
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app
from orch.tui.screens.assets import AssetsScreen
from textual.widgets import Sparkline, Tree

SIZE = (140, 42)
ORCH = str(Path(sys.executable).parent / "orch")

REPO = textwrap.dedent('''
    from orch import (AssetMaterialization, EventMetadataEntry, ModeDefinition, Output,
                      fs_io_manager, pipeline, solid)


    @solid(config_schema={"rows": int})
    def raw(context):
        rows = context.solid_config["rows"]
        yield AssetMaterialization(asset_key=["warehouse", "raw"], metadata_entries=[
            EventMetadataEntry.int(rows, "rows"),
            EventMetadataEntry.md("**fresh** orders", "notes")])
        yield Output(rows)


    @solid
    def report(context, rows):
        yield AssetMaterialization(asset_key=["reports", "daily"],
                                   metadata_entries=[EventMetadataEntry.int(rows * 2, "rows")])
        yield Output(rows)


    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
    def orders():
        report(raw())
''')


@pytest.fixture
def project(tmp_path, orch_home):
    repo = tmp_path / "assets.py"
    repo.write_text(REPO)
    for rows in (10, 30, 20):
        config = tmp_path / "run.yaml"
        config.write_text(f"solids: {{raw: {{config: {{rows: {rows}}}}}}}\n")
        done = subprocess.run([ORCH, "run", "-f", str(repo), "-p", "orders", "-c",
                               str(config)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return repo


def _leaves(tree: Tree) -> list[str]:
    out = []

    def walk(node) -> None:
        for child in node.children:
            if child.data is not None:
                out.append(str(child.label))
            walk(child)

    walk(tree.root)
    return out


async def test_the_asset_pane_shows_history_plots_lineage_and_re_materializes(project,
                                                                             orch_home):
    with Instance.from_home(orch_home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(project)), instance,
                        watch=False, daemon=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "orders" in app.pipelines)
            await pilot.press("7")
            await wait_for(pilot, lambda: isinstance(app.screen, AssetsScreen))
            screen = app.screen
            tree = screen.query_one(Tree)
            await wait_for(pilot, lambda: len(_leaves(tree)) == 2)
            assert [leaf.split()[0] for leaf in _leaves(tree)] == ["daily", "raw"]
            title = screen.query_one("#asset-title")
            await wait_for(pilot, lambda: str(title.render()).startswith("reports/daily"))
            await pilot.press("down", "down", "down")  # to warehouse/raw
            await wait_for(pilot, lambda: str(title.render()).startswith(
                "warehouse/raw · 3 materializations"))
            lineage = str(screen.query_one("#asset-lineage").render())
            assert "(nothing upstream) → warehouse/raw → reports/daily" in lineage
            assert "produced by raw (orders)" in lineage
            [spark] = screen.query(Sparkline)
            assert list(spark.data) == [10.0, 30.0, 20.0]  # rows over time, oldest first
            assert "rows: 20 (min 10, max 30, 3 runs)" in \
                str(screen.query_one(".spark-label").render())
            assert screen.query_one("#asset-history").row_count == 3
            latest = instance.get_runs(limit=1)[0].run_id
            await pilot.press("r")  # re-execute raw from the run that last materialized it
            await wait_for(pilot, lambda: len(instance.get_runs()) == 4)
            child = instance.get_runs(limit=1)[0]
            assert child.parent_run_id == latest
            deadline = time.time() + 60
            while instance.get_run(child.run_id).status not in FINISHED_STATUSES:
                assert time.time() < deadline
                await pilot.pause(0.2)
            assert instance.get_run(child.run_id).status is PipelineRunStatus.SUCCESS
            await wait_for(pilot, lambda: str(title.render()).startswith(
                "warehouse/raw · 4 materializations"))
            assert "(nothing upstream) → warehouse/raw → reports/daily" in \
                str(screen.query_one("#asset-lineage").render())  # from the earlier runs


async def test_an_asset_whose_solid_changed_is_marked_stale(project, orch_home):
    with Instance.from_home(orch_home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(project)), instance,
                        watch=False, daemon=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "orders" in app.pipelines)
            project.write_text(REPO.replace('rows = context.solid_config["rows"]',
                                            'rows = context.solid_config["rows"] + 1'))
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.pipelines["orders"].code_hashes["raw"]
                           != instance.get_run_snapshot(instance.get_runs(limit=1)[0]
                                                        .pipeline_snapshot_id)["code_hashes"]["raw"])
            await pilot.press("7")
            await wait_for(pilot, lambda: isinstance(app.screen, AssetsScreen))
            tree = app.screen.query_one(Tree)
            await wait_for(pilot, lambda: any(leaf.startswith("raw ~")
                                              for leaf in _leaves(tree)))
            assert any(leaf.startswith("daily  ") for leaf in _leaves(tree))  # not stale
            # The code put back: the mark goes at the next read (what produced the asset is
            # kept between reads, its staleness is not).
            project.write_text(REPO)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: any(leaf.startswith("raw  ")
                                              for leaf in _leaves(tree)))


async def test_d_twice_in_the_runs_list_compares_two_runs(project, orch_home):
    from orch.tui.screens.run_diff import RunDiffScreen

    with Instance.from_home(orch_home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(project)), instance,
                        watch=False, daemon=False)
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one("#runs")
            await wait_for(pilot, lambda: table.row_count == 3)
            await pilot.press("u", "d")  # the newest run (rows 20) is A
            await pilot.press("down", "d")  # the one before (rows 30) is B
            await wait_for(pilot, lambda: isinstance(app.screen, RunDiffScreen))
            screen = app.screen
            steps = screen.query_one("#diff-steps")
            assert [str(steps.get_row_at(i)[0]) for i in range(steps.row_count)] == \
                ["raw", "report"]
            metadata = str(screen.query_one("#diff-metadata").render())
            assert "raw: warehouse/raw / rows: 20 → 30" in metadata
            assert "report: reports/daily / rows: 40 → 60" in metadata
            assert str(screen.query_one("#diff-code").render()) == \
                "Code changed in: no solid"
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, RunDiffScreen))
