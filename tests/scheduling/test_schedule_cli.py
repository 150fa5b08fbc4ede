"""``orch schedule`` and ``orch sensor`` as a user runs them: subprocesses against a real
instance, with ``--now`` as the clock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = '''
import datetime
from orch import RunRequest, daily_schedule, pipeline, repository, schedule, sensor, solid

@solid(config_schema={"date": str})
def load(context):
    return context.solid_config["date"]

@pipeline
def etl():
    load()

@daily_schedule(pipeline_name="etl", start_date=datetime.datetime(2021, 1, 1),
                execution_time=datetime.time(2, 30), execution_timezone="America/Chicago")
def nightly(date):
    return {"solids": {"load": {"config": {"date": date.strftime("%Y-%m-%d")}}}}

@schedule(cron_schedule="*/15 * * * *", pipeline_name="etl")
def broken(context):
    return {"solids": {"load": {"config": {"date": 5}}}}

@sensor(pipeline_name="etl", minimum_interval_seconds=10)
def inbox(context):
    n = int(context.cursor or 0)
    context.update_cursor(str(n + 1))
    yield RunRequest(run_key=f"msg-{n}", run_config={"solids": {"load": {"config": {"date": str(n)}}}})

@repository
def team():
    return [etl, nightly, broken, inbox]
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "repo.py").write_text(REPO)
    home = tmp_path / ".orch"
    home.mkdir()
    (home / "orch.yaml").write_text("run_coordinator:\n  name: queued\n")
    return tmp_path


def orch(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORCH_HOME": str(project / ".orch")}
    return subprocess.run([sys.executable, "-m", "orch.cli", *args, "-f", "repo.py"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_schedule_lifecycle(project: Path) -> None:
    listed = orch(project, "schedule", "list", "--now", "2021-03-13T12:00:00")
    assert listed.returncode == 0, listed.stderr
    assert "Schedule: nightly [STOPPED]" in listed.stdout
    assert "Cron Schedule: 30 2 * * * (America/Chicago)" in listed.stdout
    assert "Next tick: 2021-03-14T03:00:00-05:00" in listed.stdout  # 02:30 does not exist

    assert orch(project, "schedule", "start", "nightly", "--now",
                "2021-03-13T12:00:00").stdout == "Started schedule nightly\n"
    again = orch(project, "schedule", "start", "nightly")
    assert again.returncode == 2
    assert "already running" in again.stderr

    first = orch(project, "schedule", "tick", "--now", "2021-03-14T09:00:00")
    assert first.returncode == 0, first.stderr
    assert "nightly  2021-03-14T03:00:00-05:00  SUCCESS   runs: " in first.stdout
    second = orch(project, "schedule", "tick", "--now", "2021-03-14T09:00:00")
    assert second.stdout == "No tick due at 2021-03-14T09:00:00+00:00.\n"
    runs = subprocess.run([sys.executable, "-m", "orch.cli", "runs", "list"], cwd=project,
                          env={**os.environ, "ORCH_HOME": str(project / ".orch")},
                          capture_output=True, text=True, timeout=60).stdout
    assert runs.count("etl") == 1 and "QUEUED" in runs

    logs = orch(project, "schedule", "logs", "nightly")
    assert logs.stdout.startswith("2021-03-14T03:00:00-05:00  SUCCESS")
    assert orch(project, "schedule", "list", "--running", "--name").stdout == "nightly\n"
    # A stopped schedule is listed as stopped whether or not it has state (Dagster's
    # --stopped hid every schedule that had any).
    assert orch(project, "schedule", "list", "--stopped", "--name").stdout == "broken\n"
    assert orch(project, "schedule", "stop", "nightly").stdout == "Stopped schedule nightly\n"
    assert orch(project, "schedule", "list", "--stopped", "--name").stdout == \
        "broken\nnightly\n"
    wiped = orch(project, "schedule", "wipe", "--yes")
    assert wiped.stdout == "Turned off all schedules and deleted all schedule history\n"
    assert orch(project, "schedule", "logs", "nightly").stdout.startswith(
        "Schedule nightly has no ticks yet")


def test_unknown_names_exit_2_with_the_choices(project: Path) -> None:
    for group, name, valid in (("schedule", "nighty", "broken, nightly"),
                               ("sensor", "inbx", "inbox")):
        for verb in ("start", "stop", "preview"):
            result = orch(project, group, verb, name)
            assert result.returncode == 2, (group, verb)
            assert result.stderr == (f'orch: error: No {group} named "{name}" in repository '
                                     f"team. Valid {group}s: {valid}.\n")


def test_preview_shows_the_run_config_and_whether_it_is_valid(project: Path) -> None:
    good = orch(project, "schedule", "preview", "nightly", "--now", "2021-03-13T12:00:00")
    assert good.returncode == 0, good.stderr
    assert "Evaluating the tick at 2021-03-14T03:00:00-05:00:" in good.stdout
    assert "Run 1 of 1 (run key 2021-03-13)" in good.stdout
    assert "date: '2021-03-13'" in good.stdout and "The run config is valid." in good.stdout
    bad = orch(project, "schedule", "preview", "broken")
    assert bad.returncode == 1
    assert "The run config is NOT valid, so this tick would fail:" in bad.stdout
    assert "root:solids:load:config:date" in bad.stdout
    # A failing schedule tick is a FAILURE with the config errors, and `tick` exits 1.
    orch(project, "schedule", "start", "broken", "--now", "2021-03-13T12:00:00")
    failed = orch(project, "schedule", "tick", "--now", "2021-03-13T12:20:00")
    assert failed.returncode == 1
    assert "broken  2021-03-13T12:15:00+00:00  FAILURE" in failed.stdout
    assert "Run config for schedule broken is not valid, so no run was created" in failed.stdout


def test_sensor_commands(project: Path) -> None:
    preview = orch(project, "sensor", "preview", "inbox")
    assert preview.returncode == 0
    assert "Sensor returning run requests for 1 run(s):" in preview.stdout
    assert "Run 1 of 1 (run key msg-0)" in preview.stdout
    assert "Cursor after this evaluation: 1" in preview.stdout
    assert orch(project, "sensor", "start", "inbox").stdout == "Started sensor inbox\n"
    assert "SUCCESS   runs:" in orch(project, "sensor", "tick", "--now", "1000").stdout
    assert orch(project, "sensor", "tick", "--now", "1005").stdout.startswith("No sensor due")
    assert orch(project, "sensor", "cursor", "inbox", "--set", "7").stdout == \
        'Set cursor state for sensor inbox to "7"\n'
    assert "Cursor: 7" in orch(project, "sensor", "list").stdout
    ticked = orch(project, "sensor", "tick", "--now", "1011")
    assert "SUCCESS" in ticked.stdout
    assert "Cursor: 8" in orch(project, "sensor", "list").stdout
    neither = orch(project, "sensor", "cursor", "inbox")
    assert neither.returncode == 2 and "exactly one of --set VALUE and --delete" in neither.stderr
    assert orch(project, "sensor", "cursor", "inbox", "--delete").stdout == \
        "Cleared cursor state for sensor inbox\n"
    assert orch(project, "sensor", "stop", "inbox").stdout == "Stopped sensor inbox\n"


def test_a_renamed_schedule_leaves_a_state_that_is_listed_and_can_be_stopped(
        project: Path) -> None:
    orch(project, "schedule", "start", "broken")
    (project / "repo.py").write_text(REPO.replace("def broken(", "def renamed(").replace(
        "nightly, broken, inbox", "nightly, renamed, inbox"))
    listed = orch(project, "schedule", "list")
    assert "Stored schedules no longer in the code (not evaluated): team:broken [RUNNING]" \
        in listed.stdout
    assert orch(project, "schedule", "stop", "broken").stdout == \
        "Stopped schedule broken (no longer in the code)\n"
    assert "team:broken [STOPPED]" in orch(project, "schedule", "list").stdout
