"""Runs started outside the app (another terminal's ``orch run``, the daemon) as a user meets
them: real ``orch run`` processes write to the instance on disk while ``orch dev`` (Pilot)
shows it. Whoever watches the latest run of a pipeline follows the next one; whoever went back
to an older run stays on it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from contextlib import asynccontextmanager
from pathlib import Path

from conftest import wait_for
from orch.core.instance import Instance
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app
from orch.tui.widgets.tables import RunsTable

ORCH = str(Path(sys.executable).parent / "orch")

REPO = textwrap.dedent('''
    from orch import pipeline, solid


    @solid
    def greet(context):
        context.log.info("hello from outside")
        return 1


    @pipeline
    def hello():
        greet()
''')


def _run_outside(repo: Path) -> str:
    done = subprocess.run([ORCH, "run", "-f", str(repo), "-p", "hello", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Instance.get() as instance:
        return instance.get_runs(limit=1)[0].run_id


@asynccontextmanager
async def _app_after_a_run(tmp_path: Path, orch_home: Path):
    """The hello repository, one run of it from "another terminal", and ``orch dev`` on it
    (140 by 42): yields (app, pilot, repo, that run's id)."""
    repo = tmp_path / "hello.py"
    repo.write_text(REPO)
    run_id = _run_outside(repo)
    with Instance.from_home(orch_home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(repo)), instance,
                        watch=False, daemon=False)
        async with app.run_test(size=(140, 42)) as pilot:
            yield app, pilot, repo, run_id


async def test_the_latest_run_is_followed_and_an_older_one_kept(tmp_path, orch_home):
    async with _app_after_a_run(tmp_path, orch_home) as (app, pilot, repo, first):
        await wait_for(pilot, lambda: app.run_view is not None
                       and app.run_view.run_id == first and app.run_view.finished)
        second = _run_outside(repo)
        # Watching the latest run: the one started in "another terminal" takes its place.
        await wait_for(pilot, lambda: app.run_view.run_id == second
                       and app.run_view.finished)
        runs = app.query_one(RunsTable)
        assert runs.row_count == 2
        # The user goes back to the first run (u focuses the runs list, End is the oldest
        # run, Home the newest) ...
        await pilot.press("u", "end", "enter")
        await wait_for(pilot, lambda: app.run_view.run_id == first)
        third = _run_outside(repo)
        await wait_for(pilot, lambda: runs.row_count == 3)
        await pilot.pause(1.5)  # a further read of the runs list
        # ... and stays there: a new run does not pull them away from what they read.
        assert app.run_view.run_id == first
        assert third not in (first, second)


async def test_the_runs_list_shows_no_column_cut_short(tmp_path, orch_home):
    # A 40-column sidebar cut the duration column: a 25 ms run read "25m". A column that does
    # not fit whole is not shown (the glyph before the id says the status at any width).
    async with _app_after_a_run(tmp_path, orch_home) as (app, pilot, _, run_id):
        runs = app.query_one(RunsTable)
        await wait_for(pilot, lambda: run_id in runs.rows)
        shown = [str(c.label) for c in runs.ordered_columns]
        assert shown[:2] == ["run", "pipeline"] and shown[-1] == "note"
        widths = sum(c.get_render_width(runs) for c in runs.ordered_columns[:-1])
        assert widths <= runs.scrollable_content_region.width
        assert "status" in shown and str(runs.get_cell(run_id, "status")) == "SUCCESS"
        await pilot.resize_terminal(80, 24)  # narrower: the status gives way too
        await wait_for(pilot, lambda: [str(c.label) for c in runs.ordered_columns]
                       == ["run", "pipeline", "note"])
        assert str(runs.get_cell(run_id, "run")).startswith(f"✓ {run_id[:8]}")


async def test_an_idle_app_does_not_lay_the_screen_out_every_second(tmp_path, orch_home):
    # The runs list is read every second; its title and the queued-run note were set each
    # time, and Label.update lays the whole screen out again even for the same text.
    from textual.screen import Screen

    async with _app_after_a_run(tmp_path, orch_home) as (app, pilot, _, run_id):
        runs = app.query_one(RunsTable)
        await wait_for(pilot, lambda: run_id in runs.rows and app.run_view is not None
                       and app.run_view.finished)
        await pilot.pause(1.5)
        layouts = 0
        original = Screen._refresh_layout

        def counting(self, *args, **kwargs):
            nonlocal layouts
            layouts += 1
            return original(self, *args, **kwargs)

        Screen._refresh_layout = counting
        try:
            await pilot.pause(3.5)  # three reads of the runs list, nothing changed
        finally:
            Screen._refresh_layout = original
        assert layouts == 0


async def test_a_run_from_outside_read_while_the_app_quits_leaves_no_traceback(
        tmp_path, orch_home):
    # The runs list is read in a thread every second; a read that ended as the user quit was
    # handled after the app's widgets were gone, and following its new run (show_run) raised
    # NoMatches: the app printed a traceback on its way out. Here the read of a new run lands
    # exactly then: while the event log is being unmounted.
    from orch.tui.messages import RunsRefreshed
    from orch.tui.widgets.event_log import EventLog

    async with _app_after_a_run(tmp_path, orch_home) as (app, pilot, repo, _):
        await wait_for(pilot, lambda: app.run_view is not None and app.run_view.finished)
        second = _run_outside(repo)
        with Instance.from_home(orch_home) as instance:
            runs = instance.get_runs()
        assert runs[0].run_id == second
        log = app.query_one(EventLog)
        log.on_unmount = lambda: app.post_message(RunsRefreshed(runs))  # type: ignore[method-assign]
    # Leaving the block quits the app: an exception in a handler is raised there (and failed
    # this test before the handlers checked that the app is still running).
