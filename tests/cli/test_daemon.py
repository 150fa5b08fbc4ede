"""``orch daemon`` as an operator runs it: the run queue and run monitoring loops in one
process, heartbeats, one daemon per instance, a failing pass recorded and retried, SIGTERM
and SIGKILL — real processes, real signals."""

from __future__ import annotations

import itertools
import json
import os
import signal
import textwrap
import threading
import time

from .conftest import events, instance_at, runs, wait_for

QUEUED = "run_coordinator: {name: queued, config: {max_concurrent_runs: 2}}\n"

# A coordinator whose first two dequeue passes raise (counted in a file beside the home).
FLAKY_COORDINATOR = '''
from pathlib import Path

from orch.core.run_coordinator import QueuedRunCoordinator

COUNT = Path(__file__).with_name("passes")


class FlakyCoordinator(QueuedRunCoordinator):
    def dequeue(self, instance):
        n = int(COUNT.read_text()) if COUNT.exists() else 0
        COUNT.write_text(str(n + 1))
        if n < 2:
            raise RuntimeError(f"queue database unreachable (pass {n + 1})")
        return super().dequeue(instance)
'''


def _home(home, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "orch.yaml").write_text(textwrap.dedent(text))


def _stop(proc, sig=signal.SIGTERM, timeout: float = 20.0) -> tuple[str, str]:
    proc.send_signal(sig)
    return proc.communicate(timeout=timeout)


def test_the_daemon_launches_queued_runs_heartbeats_and_stops_on_sigterm(orch, home, repo):
    _home(home, QUEUED)
    ids = [orch("launch", "-f", str(repo), "-p", "etl").stdout.strip() for _ in range(3)]
    assert [r.status.value for r in runs(home)] == ["QUEUED"] * 3
    daemon = orch.popen("daemon", "run")
    try:
        wait_for(lambda: all(r.status.value == "SUCCESS" for r in runs(home)), timeout=60)
        live = wait_for(lambda: (r := orch("daemon", "liveness-check")).returncode == 0 and r,
                        timeout=15)
        assert live.stdout.strip() == "Daemon live"
        shown = orch("daemon", "status")
        assert f"running, pid {daemon.pid}" in shown.stdout
        assert "QUEUED_RUN_COORDINATOR: live" in shown.stdout
        assert "MONITORING: live" in shown.stdout
    finally:
        out, err = _stop(daemon)
    assert daemon.returncode == 0, err
    launched = [line.split()[-1] for line in out.splitlines() if "launched run" in line]
    assert sorted(launched) == sorted(ids)
    assert "QUEUED_RUN_COORDINATOR: launched run" in out
    dead = orch("daemon", "liveness-check")
    assert dead.returncode == 1 and dead.stdout.strip() == "Daemon not running"


def test_a_second_daemon_refuses_to_start_and_names_the_first(orch, home, repo):
    _home(home, QUEUED)
    first = orch.popen("daemon", "run")
    try:
        wait_for(lambda: (home / "daemon.lock").exists()
                 and (home / "daemon.lock").read_text().strip() == str(first.pid))
        second = orch("daemon", "run", timeout=30)
        assert second.returncode == 2
        assert f"a daemon is already running for {home} (process {first.pid})" in second.stderr
    finally:
        _stop(first)
    # The lock went with the first: a new daemon starts.
    third = orch.popen("daemon", "run")
    time.sleep(1.5)
    assert third.poll() is None
    _stop(third)
    assert third.returncode == 0


def test_sigkill_and_restart_launches_no_run_twice(orch, home, repo):
    _home(home, QUEUED)
    for _ in range(4):
        orch("launch", "-f", str(repo), "-p", "etl")
    daemon = orch.popen("daemon", "run", "--json")
    wait_for(lambda: any(r.status.value != "QUEUED" for r in runs(home)), timeout=30)
    daemon.kill()  # SIGKILL: no cleanup; the kernel releases the lock
    daemon.communicate(timeout=10)
    restarted = orch.popen("daemon", "run", "--json")
    try:
        wait_for(lambda: all(r.status.value in ("SUCCESS", "FAILURE") for r in runs(home)),
                 timeout=90)
    finally:
        out, _ = _stop(restarted)
    for run in runs(home):
        dequeued = events(home, run.run_id, "PIPELINE_DEQUEUED")
        assert len(dequeued) == 1, run.run_id  # launched exactly once across the restart
        assert len(events(home, run.run_id, "PIPELINE_START")) <= 1
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert all(r["daemon_type"] in ("QUEUED_RUN_COORDINATOR", "MONITORING") for r in records)


def test_a_failing_pass_is_recorded_backed_off_and_the_loop_goes_on(orch, home, repo, tmp_path):
    (tmp_path / "flaky_coordinator.py").write_text(textwrap.dedent(FLAKY_COORDINATOR))
    _home(home, """\
        run_coordinator:
          module: flaky_coordinator
          class: FlakyCoordinator
          config: {max_concurrent_runs: 1}
        """)
    env = {"PYTHONPATH": str(tmp_path)}
    run_id = orch("launch", "-f", str(repo), "-p", "etl", env=env).stdout.strip()
    daemon = orch.popen("daemon", "run", env=env)
    try:
        wait_for(lambda: runs(home)[0].status.value == "SUCCESS", timeout=60)
        shown = orch("daemon", "status", env=env)
    finally:
        out, err = _stop(daemon)
    assert daemon.returncode == 0, err
    lines = [line for line in out.splitlines() if "QUEUED_RUN_COORDINATOR" in line]
    assert "error: RuntimeError: queue database unreachable (pass 1) " \
        "(flaky_coordinator.py:14) (next try in 1 s)" in lines[0]
    assert "(pass 2)" in lines[1] and "next try in 2 s" in lines[1]
    assert lines[2].endswith(f"launched run {run_id}")
    assert "error: RuntimeError: queue database unreachable (pass 1)" in shown.stdout


def test_the_daemon_monitors_runs_and_says_what_it_did(orch, home, repo, tmp_path):
    _home(home, "run_monitoring: {poll_interval_seconds: 0.2}\n")
    daemon = orch.popen("daemon", "run")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(daemon.stdout), daemon=True)
    reader.start()
    try:
        run_id = orch("launch", "-f", str(repo), "-p", "slow").stdout.strip()
        wait_for(lambda: events(home, run_id, "STEP_START"), timeout=30)
        worker = runs(home)[0].worker_pid
        os.kill(worker, signal.SIGKILL)  # nothing else opens the instance: the daemon notices
        expected = f"MONITORING: run {run_id} failed: its worker process is gone\n"
        wait_for(lambda: any(line.endswith(expected) for line in lines), timeout=30)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=20)
    assert runs(home)[0].status.value == "FAILURE"


SENSOR_REPO = '''
import os

from orch import RunRequest, SkipReason, pipeline, repository, sensor, solid

HERE = os.path.dirname(os.path.abspath(__file__))


@solid(config_schema={"name": str})
def process(context):
    return context.solid_config["name"]


@pipeline
def ingest():
    process()


@sensor(pipeline_name="ingest", minimum_interval_seconds=1)
def new_files(context):
    names = sorted(os.listdir(os.path.join(HERE, "drop")))
    if not names:
        yield SkipReason("no files")
    for name in names:
        yield RunRequest(run_key=name,
                         run_config={"solids": {"process": {"config": {"name": name}}}})


@repository
def repo():
    return [ingest, new_files]
'''


class _Lines:
    """The daemon's stdout, read as it comes."""

    def __init__(self, proc):
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(proc.stdout), daemon=True).start()

    def wait(self, text: str, timeout: float = 30.0) -> str:
        return wait_for(lambda: next((line for line in self.lines if text in line), None),
                        timeout=timeout)


def _sensor_repo(orch, tmp_path):
    repo = tmp_path / "repo.py"
    repo.write_text(SENSOR_REPO)
    (tmp_path / "drop").mkdir()
    started = orch("sensor", "start", "-f", str(repo), "new_files")
    assert started.returncode == 0, started.stderr
    return repo


def _run_names(home) -> list[str]:
    return sorted(r.run_config["solids"]["process"]["config"]["name"] for r in runs(home))


def test_a_sensor_makes_one_run_per_dropped_file_across_a_sigkill_and_restart(
        orch, home, tmp_path):
    repo = _sensor_repo(orch, tmp_path)
    daemon = orch.popen("daemon", "run", "-f", str(repo))
    out = _Lines(daemon)
    out.wait("SCHEDULER: loaded")
    for name in ("a.csv", "b.csv"):
        (tmp_path / "drop" / name).touch()
    out.wait("sensor new_files: SUCCESS")
    daemon.kill()
    daemon.wait(timeout=10)
    (tmp_path / "drop" / "c.csv").touch()
    restarted = orch.popen("daemon", "run", "-f", str(repo))
    try:
        _Lines(restarted).wait("sensor new_files: SUCCESS, runs ")
        wait_for(lambda: all(r.status.value == "SUCCESS" for r in runs(home)), timeout=60)
    finally:
        _stop(restarted)
    assert _run_names(home) == ["a.csv", "b.csv", "c.csv"]  # one each, none twice


def test_a_broken_save_records_failure_ticks_and_the_next_good_save_recovers(
        orch, home, tmp_path):
    repo = _sensor_repo(orch, tmp_path)
    daemon = orch.popen("daemon", "run", "-f", str(repo))
    out = _Lines(daemon)
    try:
        out.wait("SCHEDULER: loaded")
        repo.write_text(SENSOR_REPO + "\nbroken(\n")
        error = out.wait("error: the code did not load")
        assert "SyntaxError" in error and "repo.py, line" in error
        out.wait("sensor new_files: FAILURE (the code did not load)")
        assert daemon.poll() is None  # the daemon goes on
        with instance_at(home) as instance:  # the tick is stored with the user's error
            tick = instance.storage.get_latest_tick("repo:new_files")
        assert tick.status.value == "FAILURE" and "SyntaxError" in tick.error
        repo.write_text(SENSOR_REPO)
        wait_for(lambda: sum("SCHEDULER: loaded" in line for line in out.lines) == 2)
        (tmp_path / "drop" / "d.csv").touch()
        out.wait("sensor new_files: SUCCESS")
    finally:
        _stop(daemon)
    assert _run_names(home) == ["d.csv"]


SCHEDULE_REPO = '''
from orch import pipeline, repository, schedule, solid


@solid
def work(context):
    return 1


@pipeline
def minutely():
    work()


@schedule(cron_schedule="* * * * *", pipeline_name="minutely")
def every_minute(context):
    return {}


@repository
def repo():
    return [minutely, every_minute]
'''
FAST = {"ORCH_DAEMON_CLOCK_SPEED": "60"}  # a minute a second


def _scheduled_times(home) -> list[str]:
    return [r.tags["orch/scheduled_execution_time"] for r in runs(home)]


def test_an_every_minute_schedule_on_a_fast_clock_runs_each_minute_once_across_a_sigkill(
        orch, home, tmp_path):
    import datetime
    import itertools

    _home(home, "run_coordinator: {name: queued, config: {max_concurrent_runs: 0}}\n")
    repo = tmp_path / "sched.py"
    repo.write_text(SCHEDULE_REPO)
    assert orch("schedule", "start", "-f", str(repo), "every_minute").returncode == 0
    daemon = orch.popen("daemon", "run", "-f", str(repo), env=FAST)
    out = _Lines(daemon)
    out.wait("schedule every_minute: SUCCESS")
    wait_for(lambda: len(runs(home)) >= 3, timeout=60)
    daemon.kill()  # mid-pass, perhaps: whatever it did is in storage
    daemon.wait(timeout=10)
    before = len(runs(home))
    restarted = orch.popen("daemon", "run", "-f", str(repo), env=FAST)
    try:
        # Its clock starts at the wall clock again, behind the ticks already made: it waits
        # until it passes them, then goes on from the last one.
        wait_for(lambda: len(runs(home)) >= before + 3, timeout=90)
    finally:
        _stop(restarted)
    times = [datetime.datetime.fromisoformat(t) for t in _scheduled_times(home)]
    assert len(times) == len(set(times))  # no minute twice
    assert all(t.second == 0 and t.microsecond == 0 for t in times)
    assert sorted(times) == times
    # Each pass evaluates the newest due minute (a slow pass skips some: a plain schedule does
    # not catch up).
    assert all((b - a).total_seconds() % 60 == 0 for a, b in itertools.pairwise(times))


def test_a_bad_clock_speed_is_exit_2(orch, home, tmp_path):
    repo = tmp_path / "sched.py"
    repo.write_text(SCHEDULE_REPO)
    result = orch("daemon", "run", "-f", str(repo), env={"ORCH_DAEMON_CLOCK_SPEED": "fast"})
    assert result.returncode == 2
    assert "ORCH_DAEMON_CLOCK_SPEED must be a positive number" in result.stderr


def test_a_one_second_sensor_ticks_at_every_whole_second(orch, home, tmp_path):
    """The SCHEDULER loop passes just after each whole second of the clock, on that second's
    clock: a sensor with ``minimum_interval_seconds=1`` ticks every second (jitter never makes
    it wait one more), each tick stored a moment after its second — which is also what starts
    a schedule's run within tens of milliseconds of its cron time."""
    repo = _sensor_repo(orch, tmp_path)
    daemon = orch.popen("daemon", "run", "-f", str(repo))
    out = _Lines(daemon)
    stored: dict[float, float] = {}  # tick time -> when it was stored
    try:
        out.wait("SCHEDULER: loaded")
        deadline = time.monotonic() + 5.5
        while time.monotonic() < deadline:
            with instance_at(home) as instance:
                state = instance.storage.get_instigator_state("repo:new_files")
            stored[state.last_tick_timestamp] = state.update_timestamp
            time.sleep(0.05)
    finally:
        _stop(daemon)
    ticks = sorted(stored)[1:]  # the first may have waited for the load
    assert len(ticks) >= 4 and all(t == int(t) for t in ticks), ticks
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert gaps.count(1.0) >= len(gaps) - 1, gaps  # one late pass under load, at most
    lags = sorted(stored[t] - t for t in ticks)
    assert lags[len(lags) // 2] < 0.25, lags
