"""``orch backfill`` as a user runs it: subprocesses, a real instance with a queued run
coordinator (runs wait in the queue), and SIGKILL of the process launching a backfill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.storage.schedules import BulkActionStatus

REPO = '''
import os, time
from orch import PartitionSetDefinition, pipeline, repository, solid

@solid(config_schema={"day": str})
def load(context):
    return context.solid_config["day"]

@pipeline
def etl():
    load()

def config_for(partition):
    if os.environ.get("ORCH_TEST_CANCEL_AT") == partition.name:  # a cancel while a chunk runs
        from orch.core.instance import Instance
        from orch.core.scheduling.backfill import set_backfill_status
        from orch.core.storage.schedules import BulkActionStatus
        with Instance.get() as instance:
            [b] = instance.storage.get_backfills(BulkActionStatus.REQUESTED)
            set_backfill_status(instance, b.backfill_id, BulkActionStatus.CANCELED)
    if os.environ.get("ORCH_TEST_KILL_AT") == partition.name:
        open(os.environ["ORCH_TEST_MARKER"], "w").close()
        time.sleep(600)  # the test SIGKILLs the backfill process here
    return {"solids": {"load": {"config": {"day": partition.name}}}}

days = PartitionSetDefinition(name="days", pipeline_name="etl",
                              partition_fn=lambda: [f"d{i:02d}" for i in range(60)],
                              run_config_fn_for_partition=config_for,
                              tags_fn_for_partition=lambda p: {"team": "data"})

@repository
def repo():
    return [etl, days]
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "repo.py").write_text(REPO)
    home = tmp_path / ".orch"
    home.mkdir()
    (home / "orch.yaml").write_text("run_coordinator:\n  name: queued\n")
    return tmp_path


def _env(project: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ORCH_HOME": str(project / ".orch"), **extra}


def orch(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orch.cli", *args], cwd=project,
                          env=_env(project), capture_output=True, text=True, timeout=300)


def _partitions_of_runs(project: Path) -> Counter[str]:
    with Instance.from_home(project / ".orch") as instance:
        return Counter(r.tags["orch/partition"] for r in instance.get_runs())


def test_backfill_selected_partitions_with_tags(project: Path) -> None:
    result = orch(project, "backfill", "-f", "repo.py", "-p", "etl", "--from", "d03", "--to",
                  "d05", "--tags", '{"ticket": "42"}', "--noprompt")
    assert result.returncode == 0, result.stderr
    assert "Partition set: days" in result.stdout and "d03  d04  d05" in result.stdout
    backfill_id = result.stdout.strip().splitlines()[-1].split("`")[1]
    with Instance.from_home(project / ".orch") as instance:
        runs = instance.get_runs(tags={"dagster/backfill": backfill_id})
        assert sorted(r.tags["orch/partition"] for r in runs) == ["d03", "d04", "d05"]
        assert {(r.tags["orch/partition_set"], r.tags["team"], r.tags["ticket"], r.status.value)
                for r in runs} == {("days", "data", "42", "QUEUED")}
        assert runs[0].run_config == {"solids": {"load": {"config": {
            "day": runs[0].tags["orch/partition"]}}}}
    listed = orch(project, "backfill", "list").stdout
    assert listed.startswith(f"{backfill_id}  COMPLETED  etl  days  3/3")


def test_bad_selections_exit_2(project: Path) -> None:
    unknown = orch(project, "backfill", "-f", "repo.py", "-p", "etl", "--partitions",
                   "d01,nope", "--noprompt")
    assert unknown.returncode == 2
    assert "Unknown partitions: nope. The partition set has 60: d00, d01, d02, …, d58, d59." \
        in unknown.stderr
    both = orch(project, "backfill", "-f", "repo.py", "-p", "etl", "--all", "--from", "d01",
                "--noprompt")
    assert both.returncode == 2 and "Use only one of --all, --partitions and --from/--to" \
        in both.stderr
    wrong_set = orch(project, "backfill", "-f", "repo.py", "-p", "etl", "--partition-set",
                     "weeks", "--noprompt")
    assert wrong_set.returncode == 2
    assert 'No partition set named "weeks" for pipeline `etl`. Valid partition sets: days.' \
        in wrong_set.stderr
    assert _partitions_of_runs(project) == Counter()


def test_a_cancel_while_a_chunk_is_submitted_stops_the_backfill_after_that_chunk(
        project: Path) -> None:
    """The chunk's checkpoint used to write the status it had read before the chunk
    (REQUESTED) over the cancel, and the backfill went on to the end."""
    result = subprocess.run(
        [sys.executable, "-m", "orch.cli", "backfill", "-f", "repo.py", "-p", "etl", "--all",
         "--noprompt"], cwd=project, env=_env(project, ORCH_TEST_CANCEL_AT="d10"),
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "was canceled after 25 partitions" in result.stderr
    with Instance.from_home(project / ".orch") as instance:
        [backfill] = instance.storage.get_backfills()
        assert backfill.status is BulkActionStatus.CANCELED
        assert (backfill.last_submitted_partition_name, backfill.submitted_count) == ("d24", 25)
    assert sorted(_partitions_of_runs(project)) == [f"d{i:02d}" for i in range(25)]


def _kill_backfill_at(project: Path, partition: str) -> str:
    """Start ``orch backfill --all``, SIGKILL it while it computes ``partition``'s config;
    the backfill's id."""
    marker = project / "reached"
    proc = subprocess.Popen(
        [sys.executable, "-m", "orch.cli", "backfill", "-f", "repo.py", "-p", "etl", "--all",
         "--noprompt"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_env(project, ORCH_TEST_KILL_AT=partition, ORCH_TEST_MARKER=str(marker)))
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    with Instance.from_home(project / ".orch") as instance:
        [backfill] = instance.storage.get_backfills()
    return backfill.backfill_id


def test_the_daemon_finishes_a_backfill_whose_process_died(project: Path) -> None:
    # The queue keeps every run waiting, so the test launches none of the 60.
    (project / ".orch" / "orch.yaml").write_text(
        "run_coordinator:\n  name: queued\n  config:\n    max_concurrent_runs: 0\n")
    backfill_id = _kill_backfill_at(project, "d30")
    daemon = subprocess.Popen([sys.executable, "-m", "orch.cli", "daemon", "run", "-f",
                               "repo.py"], cwd=project, env=_env(project),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            with Instance.from_home(project / ".orch") as instance:
                backfill = instance.storage.get_backfill(backfill_id)
            assert backfill is not None
            if backfill.status is BulkActionStatus.COMPLETED:
                break
            assert daemon.poll() is None, daemon.communicate()
            assert time.monotonic() < deadline, backfill
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, out
    assert f"backfill {backfill_id}: COMPLETED, submitted 60/60" in out
    counts = _partitions_of_runs(project)
    assert sorted(counts) == [f"d{i:02d}" for i in range(60)]
    assert set(counts.values()) == {1}


def test_backfill_resumes_after_sigkill_without_launching_a_partition_twice(
        project: Path) -> None:
    backfill_id = _kill_backfill_at(project, "d30")
    with Instance.from_home(project / ".orch") as instance:
        backfill = instance.storage.get_backfill(backfill_id)
        assert backfill is not None and backfill.status is BulkActionStatus.REQUESTED
        assert (backfill.last_submitted_partition_name, backfill.submitted_count) == ("d24", 25)
    # d25..d29 were launched in the chunk that was cut short.
    assert sorted(_partitions_of_runs(project)) == [f"d{i:02d}" for i in range(30)]
    resumed = orch(project, "backfill", "resume", backfill.backfill_id)  # code from the record
    assert resumed.returncode == 0, resumed.stderr
    assert f"Launched backfill job `{backfill.backfill_id}`" in resumed.stdout
    counts = _partitions_of_runs(project)
    assert sorted(counts) == [f"d{i:02d}" for i in range(60)]
    assert set(counts.values()) == {1}  # no partition twice
    assert orch(project, "backfill", "list").stdout.startswith(
        f"{backfill.backfill_id}  COMPLETED  etl  days  60/60")


def test_cancel_and_resume(project: Path) -> None:
    result = orch(project, "backfill", "-f", "repo.py", "-p", "etl", "--partitions", "d01",
                  "--noprompt")
    backfill_id = result.stdout.strip().splitlines()[-1].split("`")[1]
    again = orch(project, "backfill", "cancel", backfill_id)
    assert again.returncode == 2 and "already COMPLETED" in again.stderr
    missing = orch(project, "backfill", "cancel", "nosuchid")
    assert missing.returncode == 2 and f"Backfills: {backfill_id}." in missing.stderr
