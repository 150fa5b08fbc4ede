"""The helpers of ``python -m benchmarks daemon`` on tiny cases, so the suite cannot rot
silently: its generated repositories load and behave as the measurement assumes, and the
latencies it reports are computed right from stored runs and events (a real instance)."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from orch.core.definitions.schedules import RUN_KEY_TAG, SCHEDULED_EXECUTION_TIME_TAG
from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun
from orch.core.scheduling.cron import next_ticks
from orch.core.scheduling.ticks import find_instigators, start_instigator, tick_all
from orch.core.storage.schedules import InstigatorType, TickStatus
from orch.core.workspace import WorkspaceTarget, load_workspace

from benchmarks import bench_daemon as bench

QUEUED = "run_coordinator:\n  name: queued\n"  # submitted runs wait: no worker starts


def _load(tmp_path: Path, source: str):
    repo = tmp_path / "repo.py"
    repo.write_text(source)
    home = tmp_path / ".orch"
    home.mkdir()
    (home / "orch.yaml").write_text(QUEUED)
    return home, load_workspace(WorkspaceTarget(python_file=str(repo)))


def test_the_idle_repository_has_100_instigators_none_due_and_every_sensor_skips(tmp_path):
    now = time.time()
    home, workspace = _load(tmp_path, bench.idle_repository(50, 50, now))
    found = find_instigators(workspace)
    schedules = [i for i in found if i.instigator_type is InstigatorType.SCHEDULE]
    sensors = [i for i in found if i.instigator_type is InstigatorType.SENSOR]
    assert (len(schedules), len(sensors)) == (50, 50)
    for s in schedules:  # no schedule fires within the hours a measurement could take
        first = next_ticks(s.definition.cron_schedule, None, now, 1)[0].timestamp()
        assert first - now > 9 * 3600, s.definition.cron_schedule
    assert {s.definition.minimum_interval_seconds for s in sensors} == {30}
    with Instance.from_home(home) as instance:
        for instigator in found:
            start_instigator(instance, instigator, now)
        ticks = tick_all(instance, workspace, now + 1)
        again = tick_all(instance, workspace, now + 2)
        assert instance.get_runs_count() == 0
    assert sorted(t.name for t in ticks) == sorted(s.name for s in sensors)
    assert {(t.status, t.skip_reason) for t in ticks} == {(TickStatus.SKIPPED, "no new files")}
    assert again == []  # their 30 s have not passed, and no schedule is due


def test_the_latency_repository_launches_one_run_per_minute_and_per_dropped_file(tmp_path):
    watched = tmp_path / "incoming"
    watched.mkdir()
    home, workspace = _load(tmp_path, bench.latency_repository(watched))
    minute = (time.time() // 60) * 60  # the latest whole minute
    with Instance.from_home(home) as instance:
        for instigator in find_instigators(workspace):
            start_instigator(instance, instigator, minute - 30)
        name = bench.drop_file(watched)
        tick_all(instance, workspace, minute + 1)  # a clock of its own: no minute rolls over
    assert list(watched.parent.glob(".*.drop")) == []  # moved in whole
    scheduled = bench.schedule_latencies(home, after=minute - 60)
    assert [when for when, _, _ in scheduled] == [minute]
    assert 0 <= scheduled[0][1] < 120 and scheduled[0][2] is None  # queued, not launched
    dropped = bench.sensor_latencies(home)
    assert len(dropped) == 1 and 0 <= dropped[0][0] < 30 and dropped[0][1] is None
    assert name.endswith(bench.DROP_SUFFIX)
    assert bench.schedule_latencies(home, after=minute) == []  # only times after `after`


def test_latencies_are_computed_from_the_stored_run_and_its_starting_event(tmp_path):
    home = tmp_path / ".orch"
    minute = datetime.datetime(2026, 12, 1, 14, 52, tzinfo=datetime.UTC)
    dropped_at = minute.timestamp() + 10.0
    with Instance.from_home(home) as instance:
        scheduled = instance.create_run(PipelineRun(
            "p", tags={SCHEDULED_EXECUTION_TIME_TAG: minute.isoformat()},
            create_timestamp=minute.timestamp() + 0.25))
        instance.handle_new_event(EventRecord(scheduled.run_id, "p",
                                              EventType.PIPELINE_STARTING,
                                              timestamp=minute.timestamp() + 0.5))
        instance.create_run(PipelineRun("p", tags={RUN_KEY_TAG: f"{dropped_at:.6f}.drop"},
                                        create_timestamp=dropped_at + 0.75))
        instance.create_run(PipelineRun("p", tags={RUN_KEY_TAG: "not-a-drop"},
                                        create_timestamp=dropped_at))
    assert bench.schedule_latencies(home, after=minute.timestamp() - 1) == [
        (minute.timestamp(), 0.25, 0.5)]
    [(created, starting)] = bench.sensor_latencies(home)
    assert abs(created - 0.75) < 1e-6 and starting is None


def test_the_cpu_of_a_process_tree_is_measured_per_process(tmp_path):
    import subprocess
    import sys

    busy = "import time\nend = time.process_time() + 1.5\nwhile time.process_time() < end: pass\n"
    parent = subprocess.Popen([sys.executable, "-c",
                               f"import subprocess, sys, time\n"
                               f"subprocess.Popen([sys.executable, '-c', {busy!r}])\n"
                               "time.sleep(3)\n"])
    try:
        time.sleep(0.3)  # the child has started
        tree = bench.TreeCpu(parent.pid)
        bench.measure_cpu([tree], 1.0, every=0.1)
    finally:
        parent.wait()
    rows = tree.per_process()
    assert {pid for _, pid, _ in rows} >= {parent.pid} and len(rows) == 2
    busiest = rows[0]
    assert busiest[1] != parent.pid and busiest[2] > 5  # the busy child, in % of one core
    assert tree.total_pct() == sum(pct for _, _, pct in rows)
