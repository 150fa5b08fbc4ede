"""The tick algorithm on a fake clock, against a real instance (SQLite on disk, a queued run
coordinator so submitted runs wait in the queue instead of starting workers) and a real
repository file loaded the way the CLI loads it."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus
from orch.core.scheduling.ticks import (
    SchedulerSettings,
    find_instigators,
    start_instigator,
    tick_all,
    tick_schedules,
    tick_sensors,
)
from orch.core.storage.schedules import TickStatus
from orch.core.workspace import LoadedWorkspace, WorkspaceTarget, load_workspace

UTC = datetime.UTC

REPO = '''
import datetime, os, time
from orch import (AssetKey, AssetMaterialization, Output, RunRequest, SkipReason,
                  asset_sensor, daily_schedule, pipeline, pipeline_failure_sensor, repository,
                  schedule, sensor, solid)

@solid(config_schema={"date": str})
def work(context):
    return context.solid_config["date"]

@pipeline
def daily_pipeline():
    work()

@solid
def publish(context):
    yield AssetMaterialization(AssetKey("table"), description=context.run_id)
    yield Output(1)

@pipeline
def publisher():
    publish()

@solid
def explode(context):
    raise ValueError("boom")

@pipeline
def failing():
    explode()

def _config(date):
    return {"solids": {"work": {"config": {"date": date}}}}

@daily_schedule(pipeline_name="daily_pipeline", start_date=datetime.datetime(2021, 1, 1))
def nightly(date):
    return _config(date.strftime("%Y-%m-%d"))

@schedule(cron_schedule="0 * * * *", pipeline_name="daily_pipeline")
def hourly(context):
    if os.environ.get("ORCH_TEST_HANG_MARKER") and not os.path.exists(
            os.environ["ORCH_TEST_HANG_MARKER"]):
        open(os.environ["ORCH_TEST_HANG_MARKER"], "w").close()
        time.sleep(600)  # the test kills the process here, with the tick STARTED
    return _config(context.scheduled_execution_time.isoformat())

@schedule(cron_schedule="0 * * * *", pipeline_name="daily_pipeline")
def pair(context):
    yield RunRequest("a", _config("a"))
    yield RunRequest("b", _config("b"))

@schedule(cron_schedule="30 2 * * *", pipeline_name="daily_pipeline",
          execution_timezone="America/Chicago")
def chicago(context):
    return _config(context.scheduled_execution_time.isoformat())

@schedule(cron_schedule="30 2 * * *", pipeline_name="daily_pipeline",
          execution_timezone="Europe/Berlin")
def berlin(context):
    return _config(context.scheduled_execution_time.isoformat())

@schedule(cron_schedule="0 0 31 * *", pipeline_name="daily_pipeline")
def month_end(context):
    return _config(context.scheduled_execution_time.isoformat())

@schedule(cron_schedule="0 * * * *", pipeline_name="daily_pipeline")
def bad_config(context):
    return {"solids": {"work": {"config": {"date": 7, "extra": True}}}}

@sensor(pipeline_name="daily_pipeline", minimum_interval_seconds=30)
def files(context):
    seen = int(context.cursor or 0)
    folder = os.environ["ORCH_TEST_FILES"]
    names = sorted(os.listdir(folder))
    for name in names:
        yield RunRequest(run_key=name, run_config=_config(name))
    context.update_cursor(str(len(names)))

@sensor(pipeline_name="daily_pipeline", minimum_interval_seconds=30)
def flaky(context):
    raise RuntimeError("the bucket is unreachable")

@sensor(pipeline_name="daily_pipeline", minimum_interval_seconds=0)
def slow(context):
    time.sleep(30)

@asset_sensor(AssetKey("table"), pipeline_name="daily_pipeline", minimum_interval_seconds=0)
def table_updated(context, event):
    yield RunRequest(run_key=str(event.storage_id), run_config=_config(event.run_id))

@pipeline_failure_sensor(minimum_interval_seconds=0)
def on_failure(context):
    with open(os.environ["ORCH_TEST_ALERTS"], "a") as f:
        f.write(context.pipeline_run.run_id + "\\n")

@repository
def repo():
    return [daily_pipeline, publisher, failing, nightly, hourly, pair, chicago, berlin, month_end,
            bad_config, files, flaky, slow, table_updated, on_failure]
'''


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "orch.yaml").write_text("run_coordinator:\n  name: queued\n")
    files = tmp_path / "files"
    files.mkdir()
    repo = tmp_path / "repo.py"
    repo.write_text(REPO)
    monkeypatch.setenv("ORCH_HOME", str(home))
    monkeypatch.setenv("ORCH_TEST_FILES", str(files))
    monkeypatch.setenv("ORCH_TEST_ALERTS", str(tmp_path / "alerts.txt"))
    return {"home": home, "files": files, "repo": repo, "tmp": tmp_path}


@pytest.fixture
def instance(env: dict[str, Path]) -> Iterator[Instance]:
    with Instance.get() as inst:
        yield inst


def _workspace(env: dict[str, Path]) -> LoadedWorkspace:
    return load_workspace(WorkspaceTarget(python_file=str(env["repo"])))


def _start(instance: Instance, workspace: LoadedWorkspace, name: str, now: float) -> None:
    [instigator] = [i for i in find_instigators(workspace) if i.name == name]
    start_instigator(instance, instigator, now)


def _ts(*args: int, tz: datetime.tzinfo = UTC) -> float:
    return datetime.datetime(*args, tzinfo=tz).timestamp()


def _runs(instance: Instance, name: str) -> list:
    return instance.get_runs(tags={"orch/schedule_name": name}) or \
        instance.get_runs(tags={"orch/sensor_name": name})


# -- schedules ------------------------------------------------------------------------------------
def test_partitioned_schedule_catches_up_at_most_max_catchup_runs(env, instance) -> None:
    ws = _workspace(env)
    _start(instance, ws, "nightly", _ts(2021, 3, 1, 12))
    ticks = tick_schedules(instance, ws, _ts(2021, 3, 11, 12))
    assert [datetime.datetime.fromtimestamp(t.timestamp, UTC).day for t in ticks] == \
        [7, 8, 9, 10, 11]
    assert all(t.status is TickStatus.SUCCESS for t in ticks)
    runs = _runs(instance, "nightly")
    assert sorted(r.tags["orch/partition"] for r in runs) == \
        ["2021-03-06", "2021-03-07", "2021-03-08", "2021-03-09", "2021-03-10"]
    assert {r.status for r in runs} == {PipelineRunStatus.QUEUED}  # through the coordinator
    assert instance.get_runs(tags={"dagster/partition": "2021-03-06"})  # legacy name reads
    # The same pass again, and a pass after a restart, launch nothing more.
    assert tick_schedules(instance, ws, _ts(2021, 3, 11, 12)) == []
    with Instance.get() as reopened:
        assert tick_schedules(reopened, _workspace(env), _ts(2021, 3, 11, 13)) == []
    assert len(_runs(instance, "nightly")) == 5


def test_plain_schedule_runs_only_the_latest_and_nothing_before_it_was_started(env, instance):
    ws = _workspace(env)
    _start(instance, ws, "hourly", _ts(2021, 3, 1, 12, 30))
    assert tick_schedules(instance, ws, _ts(2021, 3, 1, 12, 59)) == []  # 12:00 was before
    [tick] = tick_schedules(instance, ws, _ts(2021, 3, 1, 17, 5))
    assert tick.timestamp == _ts(2021, 3, 1, 17)
    [run] = _runs(instance, "hourly")
    assert run.tags["orch/scheduled_execution_time"] == "2021-03-01T17:00:00+00:00"
    assert run.run_config == {"solids": {"work": {"config": {
        "date": "2021-03-01T17:00:00+00:00"}}}}


@pytest.mark.parametrize(("name", "tz", "spring", "fall"), [
    ("chicago", "America/Chicago", (2021, 3, 14), (2021, 11, 7)),
    ("berlin", "Europe/Berlin", (2021, 3, 28), (2021, 10, 31)),
])
def test_dst_forward_and_back_in_two_time_zones(env, instance, name, tz, spring, fall) -> None:
    zone = ZoneInfo(tz)
    ws = _workspace(env)
    for day in (spring, fall):
        start = datetime.datetime(*day, tzinfo=zone) - datetime.timedelta(days=1)
        if day == fall:
            instance.storage.delete_instigator_states(
                instance.storage.get_instigator_state(f"repo:{name}").instigator_type)
        _start(instance, ws, name, start.timestamp())
        seen = []
        for hour in range(0, 72):  # a pass every hour for three days
            now = start + datetime.timedelta(hours=hour, minutes=1)
            seen += [datetime.datetime.fromtimestamp(t.timestamp, zone).isoformat()
                     for t in tick_schedules(instance, ws, now.timestamp())]
        d0 = datetime.date(*day)
        dates = [(d0 + datetime.timedelta(days=k)).isoformat() for k in (-1, 0, 1)]
        offsets = [datetime.datetime(*map(int, d.split("-")), 12, tzinfo=zone).strftime("%z")
                   for d in dates]
        offsets = [f"{o[:3]}:{o[3:]}" for o in offsets]
        if day == spring:  # 02:30 does not exist: 03:00 that day, once
            expected = [f"{dates[0]}T02:30:00{offsets[0]}", f"{dates[1]}T03:00:00{offsets[1]}",
                        f"{dates[2]}T02:30:00{offsets[2]}"]
        else:  # Berlin repeats 02:30: it runs once, at the first
            first = "+02:00" if tz == "Europe/Berlin" else offsets[1]
            expected = [f"{dates[0]}T02:30:00{offsets[0]}", f"{dates[1]}T02:30:00{first}",
                        f"{dates[2]}T02:30:00{offsets[2]}"]
        assert seen == expected


def test_month_end_schedule_fires_only_on_the_31st(env, instance) -> None:
    ws = _workspace(env)
    _start(instance, ws, "month_end", _ts(2021, 1, 1))
    days = []
    for day in range(0, 120):  # a pass every day, January to April
        now = _ts(2021, 1, 1, 1) + day * 86400
        days += [datetime.datetime.fromtimestamp(t.timestamp, UTC).date().isoformat()
                 for t in tick_schedules(instance, ws, now)]
    assert days == ["2021-01-31", "2021-03-31"]


def test_invalid_run_config_is_a_failure_tick_with_the_errors_and_no_run(env, instance) -> None:
    ws = _workspace(env)
    _start(instance, ws, "bad_config", _ts(2021, 3, 1, 0, 30))
    [tick] = tick_schedules(instance, ws, _ts(2021, 3, 1, 1, 1))
    assert tick.status is TickStatus.FAILURE
    assert "Run config for schedule bad_config is not valid, so no run was created" in tick.error
    assert 'root:solids:work:config:date' in tick.error and "extra" in tick.error
    assert _runs(instance, "bad_config") == []
    assert instance.get_runs() == []


def _run_in_subprocess(env: dict[str, Path], code: str, extra_env: dict[str, str],
                       marker: Path | None = None) -> None:
    """Run ``code`` in a child; with ``marker``, SIGKILL it once the marker file appears."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            env={**os.environ, **extra_env}, cwd=env["tmp"])
    if marker is None:
        assert proc.wait(timeout=120) == -signal.SIGKILL  # it killed itself
        return
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


PASS = """
    from orch.core.instance import Instance
    from orch.core.scheduling.ticks import find_instigators, start_instigator, tick_schedules
    from orch.core.workspace import WorkspaceTarget, load_workspace
    ws = load_workspace(WorkspaceTarget(python_file={repo!r}))
    inst = Instance.get()
    [s] = [i for i in find_instigators(ws) if i.name == {name!r}]
    start_instigator(inst, s, {start})
    tick_schedules(inst, ws, {now})
"""


def test_sigkill_during_evaluation_then_one_run(env, instance) -> None:
    """Killed while the schedule function runs (nothing launched yet): the next pass
    evaluates that time once."""
    marker = env["tmp"] / "hang"
    _run_in_subprocess(env, PASS.format(repo=str(env["repo"]), name="hourly",
                                        start=_ts(2021, 3, 1, 0, 30), now=_ts(2021, 3, 1, 1, 5)),
                       {"ORCH_TEST_HANG_MARKER": str(marker)}, marker)
    assert instance.storage.get_ticks("repo:hourly") == []
    ws = _workspace(env)
    [tick] = tick_schedules(instance, ws, _ts(2021, 3, 1, 1, 6))
    assert (tick.timestamp, tick.status) == (_ts(2021, 3, 1, 1), TickStatus.SUCCESS)
    assert len(_runs(instance, "hourly")) == 1
    assert tick_schedules(instance, ws, _ts(2021, 3, 1, 1, 7)) == []


def test_sigkill_between_two_launches_resumes_the_tick_without_a_second_run(
        env, instance, monkeypatch) -> None:
    """A run coordinator plugin SIGKILLs the process at the second run of a tick: the tick
    is left STARTED with its first run submitted; the next pass resumes that tick and ends
    with both runs, each once."""
    (env["tmp"] / "killer.py").write_text(textwrap.dedent("""
        import os, signal
        from orch.core.run_coordinator import QueuedRunCoordinator

        class KillOnSecondSubmit(QueuedRunCoordinator):
            def submit_run(self, instance, run, launcher=None):
                marker = os.environ.get("ORCH_TEST_KILL_MARKER")
                if marker and os.path.exists(marker):
                    os.kill(os.getpid(), signal.SIGKILL)
                if marker:
                    open(marker, "w").close()
                return super().submit_run(instance, run, launcher)
    """))
    (env["home"] / "orch.yaml").write_text(
        "run_coordinator:\n  module: killer\n  class: KillOnSecondSubmit\n")
    monkeypatch.syspath_prepend(str(env["tmp"]))
    _run_in_subprocess(env, PASS.format(repo=str(env["repo"]), name="pair",
                                        start=_ts(2021, 3, 1, 0, 30), now=_ts(2021, 3, 1, 1, 5)),
                       {"ORCH_TEST_KILL_MARKER": str(env["tmp"] / "submitted"),
                        "PYTHONPATH": str(env["tmp"])})
    [started] = instance.storage.get_ticks("repo:pair")
    assert started.status is TickStatus.STARTED
    assert len(_runs(instance, "pair")) == 2  # the second was created, not submitted
    with Instance.get() as restarted:
        [resumed] = tick_schedules(restarted, _workspace(env), _ts(2021, 3, 1, 1, 6))
    assert (resumed.tick_id, resumed.status) == (started.tick_id, TickStatus.SUCCESS)
    runs = _runs(instance, "pair")
    assert sorted(r.tags["orch/run_key"] for r in runs) == ["a", "b"]
    assert sorted(resumed.run_ids) == sorted(r.run_id for r in runs)


# -- sensors -----------------------------------------------------------------------------------------
def test_sensor_cursor_and_run_key_dedup_across_restarts(env, instance) -> None:
    ws = _workspace(env)
    for name in ("a.csv", "b.csv"):
        (env["files"] / name).write_text("x")
    _start(instance, ws, "files", 1000.0)
    [tick] = tick_sensors(instance, ws, 1000.0)
    assert (tick.status, tick.run_keys, tick.cursor) == (TickStatus.SUCCESS,
                                                        ["a.csv", "b.csv"], "2")
    assert tick_sensors(instance, ws, 1010.0) == []  # minimum_interval_seconds=30
    (env["files"] / "c.csv").write_text("x")
    with Instance.get() as restarted:  # a new process: state comes from storage
        assert restarted.storage.get_instigator_state("repo:files").cursor == "2"
        [again] = tick_sensors(restarted, _workspace(env), 1031.0)
    assert (again.status, again.run_keys, again.cursor) == (TickStatus.SUCCESS, ["c.csv"], "3")
    [quiet] = tick_sensors(instance, ws, 1062.0)
    assert quiet.status is TickStatus.SKIPPED
    assert "Skipping 3 runs for sensor files already launched with run keys: " \
           "['a.csv', 'b.csv', 'c.csv']" == quiet.skip_reason
    assert sorted(r.tags["orch/run_key"] for r in _runs(instance, "files")) == \
        ["a.csv", "b.csv", "c.csv"]


def test_a_failing_sensor_is_a_failure_tick_and_is_throttled(env, instance) -> None:
    ws = _workspace(env)
    _start(instance, ws, "flaky", 0.0)
    outcomes = []
    for now in (0.0, 5.0, 10.0, 29.0, 30.0, 45.0, 60.0):
        outcomes += [(now, t.status) for t in tick_sensors(instance, ws, now)]
    assert outcomes == [(0.0, TickStatus.FAILURE), (30.0, TickStatus.FAILURE),
                        (60.0, TickStatus.FAILURE)]
    [last, *_] = instance.storage.get_ticks("repo:flaky")
    assert "RuntimeError: the bucket is unreachable" in last.error


def test_sensor_evaluation_timeout(env, instance) -> None:
    ws = _workspace(env)
    _start(instance, ws, "slow", 0.0)
    started = time.monotonic()
    [tick] = tick_sensors(instance, ws, 0.0, SchedulerSettings(evaluation_timeout_s=0.3))
    assert time.monotonic() - started < 5
    assert tick.status is TickStatus.FAILURE
    assert "Sensor slow did not finish within 0.3 s" in tick.error


def test_asset_sensor_sees_every_materialization(env, instance) -> None:
    from orch import execute_pipeline, reconstructable  # noqa: F401

    ws = _workspace(env)
    _start(instance, ws, "table_updated", 0.0)
    assert tick_sensors(instance, ws, 0.0)[0].status is TickStatus.SKIPPED
    publisher = ws.get("publisher").get_definition()
    from orch.core.execution.api import execute_pipeline as run_now

    first = run_now(publisher, instance=instance).run_id
    second = run_now(publisher, instance=instance).run_id  # two before the next tick
    [tick] = tick_sensors(instance, ws, 1.0)
    assert tick.status is TickStatus.SUCCESS and len(tick.run_ids) == 2
    configs = sorted(instance.get_run(r).run_config["solids"]["work"]["config"]["date"]
                     for r in tick.run_ids)
    assert configs == sorted([first, second])
    assert tick_sensors(instance, ws, 2.0)[0].status is TickStatus.SKIPPED


def test_pipeline_failure_sensor_reacts_once_per_failed_run(env, instance) -> None:
    from orch.core.execution.api import execute_pipeline as run_now

    ws = _workspace(env)
    failing = ws.get("failing").get_definition()
    run_now(failing, instance=instance, raise_on_error=False)  # before the sensor started
    _start(instance, ws, "on_failure", 0.0)
    [first] = tick_sensors(instance, ws, 0.0)
    assert first.skip_reason.startswith("Initiating on_failure. Set cursor to ")
    failed = run_now(failing, instance=instance, raise_on_error=False).run_id
    [tick] = tick_sensors(instance, ws, 1.0)
    assert (tick.status, tick.origin_run_ids) == (TickStatus.SUCCESS, [failed])
    tick_sensors(instance, ws, 2.0)
    assert (env["tmp"] / "alerts.txt").read_text().split() == [failed]


def test_tick_all_covers_both(env, instance) -> None:
    ws = _workspace(env)
    _start(instance, ws, "hourly", _ts(2021, 3, 1, 0, 30))
    _start(instance, ws, "flaky", _ts(2021, 3, 1, 0, 30))
    ticks = tick_all(instance, ws, _ts(2021, 3, 1, 1, 0))
    assert [(t.name, t.status) for t in ticks] == [("hourly", TickStatus.SUCCESS),
                                                   ("flaky", TickStatus.FAILURE)]


def test_default_status_running_turns_on_at_the_first_pass(env, instance) -> None:
    env["repo"].write_text(REPO + textwrap.dedent('''
        @schedule(cron_schedule="0 * * * *", pipeline_name="daily_pipeline",
                  default_status="RUNNING")
        def always_on(context):
            return _config("on")

        @repository
        def second():
            return [daily_pipeline, always_on]
    '''))
    ws = _workspace(env)
    assert tick_schedules(instance, ws, _ts(2021, 3, 1, 0, 30)) == []  # turned on now
    state = instance.storage.get_instigator_state("second:always_on")
    assert state.is_running and state.start_timestamp == _ts(2021, 3, 1, 0, 30)
    [tick] = tick_schedules(instance, ws, _ts(2021, 3, 1, 1, 1))
    assert (tick.name, tick.status) == ("always_on", TickStatus.SUCCESS)


def test_a_sensor_tick_left_started_by_a_dead_evaluator_is_closed(env, instance) -> None:
    from orch.core.storage.schedules import InstigatorType, Tick

    ws = _workspace(env)
    _start(instance, ws, "files", 0.0)
    instance.storage.create_tick(Tick("repo:files", InstigatorType.SENSOR, "files",
                                      TickStatus.STARTED, 0.0))  # what a SIGKILL leaves
    tick_sensors(instance, ws, 40.0)
    [new, old] = instance.storage.get_ticks("repo:files")
    assert old.status is TickStatus.FAILURE
    assert old.error.startswith("The process evaluating this tick stopped before it finished")
    assert new.timestamp == 40.0


def test_evaluation_timeout_in_a_daemon_thread(env, instance) -> None:
    """A daemon runs its loops in threads, where no timer signal can interrupt the function:
    the evaluation runs on a worker thread that is abandoned when it overruns."""
    import threading

    ws = _workspace(env)
    _start(instance, ws, "slow", 0.0)
    _start(instance, ws, "table_updated", 0.0)  # evaluated after slow, in the same loop
    found: list = []
    loop = threading.Thread(target=lambda: found.extend(tick_sensors(
        instance, ws, 0.0, SchedulerSettings(evaluation_timeout_s=0.3))))
    started = time.monotonic()
    loop.start()
    loop.join(30)
    assert time.monotonic() - started < 5
    by_name = {t.name: t for t in found}
    assert "Sensor slow did not finish within 0.3 s" in by_name["slow"].error
    assert by_name["table_updated"].status is TickStatus.SKIPPED  # on a fresh worker


def test_a_failure_sensor_watches_its_own_repository(env, instance) -> None:
    from orch.core.execution.api import execute_pipeline as run_now

    env["repo"].write_text(REPO + textwrap.dedent('''
        @solid
        def other_explode(context):
            raise ValueError("elsewhere")

        @pipeline
        def other_failing():
            other_explode()

        @repository
        def other():
            return [other_failing]
    '''))
    ws = _workspace(env)
    _start(instance, ws, "on_failure", 0.0)
    tick_sensors(instance, ws, 0.0)  # sets the cursor
    run_now(ws.get("other_failing").get_definition(), instance=instance, raise_on_error=False)
    [tick] = tick_sensors(instance, ws, 1.0)
    assert tick.status is TickStatus.SKIPPED
    assert not (env["tmp"] / "alerts.txt").exists()
    mine = run_now(ws.get("failing").get_definition(), instance=instance,
                   raise_on_error=False).run_id
    [tick] = tick_sensors(instance, ws, 2.0)
    assert tick.origin_run_ids == [mine]
