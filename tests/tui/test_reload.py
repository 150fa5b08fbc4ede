"""Hot reload against a real repository on disk: the loader runs in a subprocess, a broken
save keeps the last good DAG under an error banner, and a save with solids selected
re-executes them as a child of the last run."""

from __future__ import annotations

import textwrap

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app

SIZE = (120, 40)

PIPELINE = textwrap.dedent('''
    from orch import ModeDefinition, fs_io_manager, pipeline, solid

    @solid
    def extract(context):
        return {value}

    @solid
    def transform(context, x):
        return x * 2

    @solid
    def load(context, y):
        context.log.info(f"loaded {{y}}")
        return y

    @pipeline(mode_defs=[ModeDefinition(resource_defs={{"io_manager": fs_io_manager}})])
    def etl():
        load(transform(extract()))
''')



@pytest.fixture
def repo(tmp_path):
    (tmp_path / "repo").mkdir()
    path = tmp_path / "repo" / "etl.py"
    path.write_text(PIPELINE.format(value=1))
    return path


@pytest.fixture
def instance(orch_home):
    with Instance.from_home(orch_home) as inst:
        yield inst


async def test_broken_save_shows_banner_and_keeps_the_dag(repo, instance):
    target = WorkspaceTarget.from_options(python_file=str(repo))
    app = build_app(target, instance, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes)
        repo.write_text("from orch import solid\n\n@solid\ndef broken(:\n")
        app.action_reload()
        await wait_for(pilot, lambda: app.load_error is not None)
        banner = app.query_one("#banner")
        assert banner.display
        assert "SyntaxError" in app.load_error and "etl.py" in app.load_error
        assert set(app.dag.canvas.nodes) == {"extract", "transform", "load"}
        repo.write_text(PIPELINE.format(value=2))
        app.action_reload()
        await wait_for(pilot, lambda: app.load_error is None)
        assert not banner.display


async def test_save_reexecutes_selected_solids(repo, instance, tmp_path):
    target = WorkspaceTarget.from_options(python_file=str(repo))
    app = build_app(target, instance, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        first = app.run_view.run_id
        app.dag.cursor = "transform"
        await pilot.press("space")
        repo.write_text(PIPELINE.format(value=1).replace("x * 2", "x * 3"))
        await wait_for(pilot, lambda: app.run_view.run_id != first, seconds=20)
        await wait_for(pilot, lambda: app.run_view.finished)
        child = instance.get_run(app.run_view.run_id)
        assert child.parent_run_id == first
        assert sorted(child.step_keys_to_execute) == ["load", "transform"]
        assert app.run_view.status is PipelineRunStatus.SUCCESS
        started = [k for k, s in app.run_view.steps.items() if s.start is not None]
        assert sorted(started) == ["load", "transform"]  # extract was not recomputed
        app.goto("extract")
        await pilot.pause(0.2)
        shown = app.query_one("#logs").render_line(0).text
        assert "extract did not run in this re-execution" in shown and first[:8] in shown


async def test_changed_code_is_marked_after_reload(repo, instance, tmp_path):
    target = WorkspaceTarget.from_options(python_file=str(repo))
    app = build_app(target, instance, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        assert app.dag.changed == set()
        repo.write_text(PIPELINE.format(value=1).replace("x * 2", "x * 5"))
        app.action_reload()
        await wait_for(pilot, lambda: app.dag.changed == {"transform"})
