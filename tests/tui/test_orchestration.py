"""Key ``6`` as a user meets it: keys pressed in the app (Pilot) against a real instance on
disk, code servers that load the repository, and run workers that execute what is launched."""

from __future__ import annotations

import textwrap
import time
from dataclasses import replace

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.runs import FINISHED_STATUSES, PipelineRunStatus
from orch.core.storage.schedules import (
    BulkActionStatus,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickStatus,
    selector_id,
)
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app
from orch.tui.screens.orchestration import OrchestrationScreen, TickHistoryScreen

SIZE = (140, 42)

REPO = textwrap.dedent('''
    import os

    from orch import (PartitionSetDefinition, RunRequest, SkipReason, pipeline, repository,
                      schedule, sensor, solid)

    HERE = os.path.dirname(os.path.abspath(__file__))


    @solid(config_schema={"name": str})
    def ingest(context):
        return context.solid_config["name"]


    @pipeline
    def files():
        ingest()


    @schedule(cron_schedule="0 6 * * *", pipeline_name="files",
              execution_timezone="Europe/Paris")
    def morning(context):
        return {"solids": {"ingest": {"config": {"name": "morning"}}}}


    @sensor(pipeline_name="files", minimum_interval_seconds=1)
    def new_files(context):
        names = sorted(os.listdir(os.path.join(HERE, "drop")))
        if not names:
            return SkipReason("the drop folder is empty")
        return [RunRequest(run_key=n, run_config={"solids": {"ingest": {"config": {
            "name": n}}}}) for n in names]


    days = PartitionSetDefinition(
        name="days", pipeline_name="files",
        partition_fn=lambda: [f"d{i:02d}" for i in range(30)],
        run_config_fn_for_partition=lambda p: {"solids": {"ingest": {"config": {
            "name": p.name}}}})


    @repository
    def repo():
        return [files, morning, new_files, days]
''')
SCHEDULE = selector_id("repo", "morning")
SENSOR = selector_id("repo", "new_files")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "drop").mkdir()
    (tmp_path / "repo.py").write_text(REPO)
    return tmp_path


def _app(project, instance, **kwargs):
    return build_app(WorkspaceTarget.from_options(python_file=str(project / "repo.py")),
                     instance, **{"watch": False, "daemon": False, **kwargs})


async def _pane(pilot) -> OrchestrationScreen:
    """Press 6 once the code is loaded; the pane, once it shows both instigators."""
    app = pilot.app
    await wait_for(pilot, lambda: len(app.instigators) == 2)
    await pilot.press("6")
    await wait_for(pilot, lambda: isinstance(app.screen, OrchestrationScreen))
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_one("#instigators").row_count == 2)
    return screen


def _cell(screen, table: str, row: str, column: int) -> str:
    data = screen.query_one(f"#{table}")
    return str(data.get_row(row)[column])


async def test_space_turns_a_schedule_on_and_off_and_enter_opens_its_ticks(project, orch_home):
    with Instance.from_home(orch_home) as instance:
        failed = Tick(SCHEDULE, InstigatorType.SCHEDULE, "morning", TickStatus.FAILURE,
                      time.time() - 3600, error="Error occurred during the evaluation of "
                      "schedule morning: KeyError: 'day'\n\nTraceback (most recent call last):"
                      '\n  File "repo.py", line 21, in morning')
        instance.storage.save_tick(failed)
        instance.storage.save_tick(replace(failed, status=TickStatus.SKIPPED, error=None,
                                           skip_reason="should_execute returned false",
                                           timestamp=time.time() - 60))
        async with _app(project, instance).run_test(size=SIZE) as pilot:
            screen = await _pane(pilot)
            key = f"schedule:{SCHEDULE}"
            assert _cell(screen, "instigators", key, 0) == "○ off"
            assert "CET · in " in _cell(screen, "instigators", key, 4)  # the schedule's zone
            assert _cell(screen, "instigators", key, 5).startswith("SKIPPED · 1 min ago")
            await pilot.press("space")
            await wait_for(pilot, lambda: _cell(screen, "instigators", key, 0) == "● on")
            state = instance.storage.get_instigator_state(SCHEDULE)
            assert state is not None and state.status is InstigatorStatus.RUNNING
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, TickHistoryScreen))
            history = pilot.app.screen
            ticks = history.query_one("#ticks")
            assert ticks.row_count == 2
            assert str(ticks.get_row_at(0)[1]) == "SKIPPED"
            await pilot.press("down")  # the older, failed tick: its whole error
            text = str(history.query_one("#tick-text").render())
            assert "KeyError: 'day'" in text and 'File "repo.py", line 21' in text
            await pilot.press("escape", "space")
            await wait_for(pilot, lambda: _cell(screen, "instigators", key, 0) == "○ off")
            state = instance.storage.get_instigator_state(SCHEDULE)
            assert state is not None and state.status is InstigatorStatus.STOPPED


async def test_a_file_whose_schedules_are_in_no_repository_is_told_where_they_belong(
        project, orch_home):
    # Its schedule and sensor lie beside the pipeline with no @repository to list them: the
    # pipeline loads, they do not (as under Dagster), and the pane said nothing at all.
    without = REPO[:REPO.index("@repository")]
    (project / "repo.py").write_text(without)
    with Instance.from_home(orch_home) as instance:
        async with _app(project, instance, watch=True).run_test(size=SIZE) as pilot:
            app = pilot.app
            await wait_for(pilot, lambda: "files" in app.pipelines)
            await pilot.press("6")
            await wait_for(pilot, lambda: isinstance(app.screen, OrchestrationScreen))
            hint = app.screen.query_one("#instigators-hint")
            await wait_for(pilot, lambda: "No schedules or sensors in this code" in
                           str(hint.render()))
            assert "@repository" in str(hint.render())
            (project / "repo.py").write_text(REPO)  # listed by a repository: found
            await wait_for(pilot, lambda: app.screen.query_one("#instigators").row_count == 2,
                           seconds=30)
            await wait_for(pilot, lambda: str(hint.render()).startswith("space on/off"))


async def test_p_previews_a_sensor_and_enter_launches_one_of_its_requests_once(
        project, orch_home):
    (project / "drop" / "a.csv").touch()
    (project / "drop" / "b.csv").touch()
    with Instance.from_home(orch_home) as instance:
        async with _app(project, instance).run_test(size=SIZE) as pilot:
            screen = await _pane(pilot)
            await pilot.press("down", "p")
            preview = screen.query_one("#preview")
            await wait_for(pilot, lambda: preview.row_count == 2)
            assert "sensor new_files: 2 run requests, 2 with valid config" in \
                str(screen.query_one("#preview-title").render())
            assert instance.get_runs() == []  # a preview launches nothing
            await pilot.press("down", "enter")  # the b.csv request
            await wait_for(pilot, lambda: len(instance.get_runs()) == 1)
            [run] = instance.get_runs()
            assert run.tags["orch/run_key"] == "b.csv"
            assert run.tags["orch/sensor_name"] == "new_files"
            assert run.run_config == {"solids": {"ingest": {"config": {"name": "b.csv"}}}}
            deadline = time.time() + 60
            while instance.get_run(run.run_id).status not in FINISHED_STATUSES:
                assert time.time() < deadline
                await pilot.pause(0.2)
            assert instance.get_run(run.run_id).status is PipelineRunStatus.SUCCESS
            await pilot.press("enter")  # the same request again: its run key is taken
            await wait_for(pilot, lambda: any("not launched again" in str(n.message)
                                              for n in pilot.app._notifications))
            assert len(instance.get_runs()) == 1


async def test_a_save_previews_the_selected_sensor_again(project, orch_home):
    with Instance.from_home(orch_home) as instance:
        app = _app(project, instance, watch=True)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _pane(pilot)
            await pilot.press("down", "p")
            title = screen.query_one("#preview-title")
            await wait_for(pilot, lambda: "no run requested" in str(title.render()))
            assert str(screen.query_one("#preview-detail").render()) == \
                "the drop folder is empty"
            source = (project / "repo.py").read_text()
            (project / "repo.py").write_text(source.replace(
                'return SkipReason("the drop folder is empty")',
                'return RunRequest(run_key="always", run_config={"solids": {"ingest": '
                '{"config": {"name": 3}}}})'))
            await wait_for(pilot, lambda: "after a save" in str(title.render()), seconds=30)
            assert "1 run request, 0 with valid config" in str(title.render())
            assert "solids:ingest:config:name" in _cell(screen, "preview", "0", 2)  # its path
            assert "NOT valid" in str(screen.query_one("#preview-detail").render())
            assert instance.get_runs() == []


def _queued_instance(orch_home) -> Instance:
    """An instance whose queue keeps every run waiting (the tests launch none)."""
    orch_home.mkdir(parents=True, exist_ok=True)
    (orch_home / "orch.yaml").write_text(
        "run_coordinator: {name: queued, config: {max_concurrent_runs: 0}}\n")
    return Instance.from_home(orch_home)


def _requested_backfill(project, instance):
    """A REQUESTED backfill of the 30 days, as ``orch backfill`` stores it."""
    from orch.core.scheduling.backfill import create_backfill
    from orch.core.workspace import load_workspace

    workspace = load_workspace(WorkspaceTarget.from_options(
        python_file=str(project / "repo.py")))
    return create_backfill(instance, workspace, "files", "days",
                           [f"d{i:02d}" for i in range(30)])


async def test_backfills_show_progress_cancel_and_resume(project, orch_home):
    with _queued_instance(orch_home) as instance:
        backfill = _requested_backfill(project, instance)
        async with _app(project, instance).run_test(size=SIZE) as pilot:
            screen = await _pane(pilot)
            await pilot.press("]", "]", "]")
            table = screen.query_one("#backfills")
            await wait_for(pilot, lambda: table.row_count == 1)
            row = backfill.backfill_id
            assert _cell(screen, "backfills", row, 2) == "REQUESTED"
            assert _cell(screen, "backfills", row, 4) == "30"  # requested
            assert _cell(screen, "backfills", row, 5) == "0"  # launched
            await pilot.press("c")
            await wait_for(pilot, lambda: _cell(screen, "backfills", row, 2) == "CANCELED")
            assert instance.storage.get_backfill(row).status is BulkActionStatus.CANCELED
            await pilot.press("s")  # no daemon in this app: it says how to go on
            await wait_for(pilot, lambda: _cell(screen, "backfills", row, 2) == "REQUESTED")
            assert any(f"orch backfill resume {row}" in str(n.message)
                       for n in pilot.app._notifications)


async def test_the_hosted_daemon_runs_a_backfill_and_the_pane_shows_it_and_the_queue(
        project, orch_home):
    with _queued_instance(orch_home) as instance:
        backfill = _requested_backfill(project, instance)
        async with _app(project, instance, daemon=True).run_test(size=SIZE) as pilot:
            screen = await _pane(pilot)
            await pilot.press("]", "]", "]")
            row = backfill.backfill_id
            table = screen.query_one("#backfills")
            await wait_for(pilot, lambda: table.row_count == 1
                           and _cell(screen, "backfills", row, 2) == "COMPLETED", seconds=60)
            assert _cell(screen, "backfills", row, 5) == "30"  # launched, all queued
            assert "█" * 20 in _cell(screen, "backfills", row, 3)  # all in flight
            await pilot.press("[")  # the queue: why each waits
            queue = screen.query_one("#queue")
            await wait_for(pilot, lambda: queue.row_count == 30)
            first = queue.coordinate_to_cell_key(queue.cursor_coordinate).row_key.value
            assert "max_concurrent_runs is 0" in _cell(screen, "queue", first, 3)
            await pilot.press("c")
            await wait_for(pilot, lambda: instance.get_run(first).status
                           is PipelineRunStatus.CANCELED)
            await wait_for(pilot, lambda: queue.row_count == 29)
