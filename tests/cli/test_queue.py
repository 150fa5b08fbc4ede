"""The run queue from the command line, as a user drives it: orch.yaml selects the queued
coordinator, `orch launch` queues, `orch queue list` says why runs wait, `orch queue run`
launches them, `orch runs cancel` cancels."""

from __future__ import annotations

import signal

from .conftest import runs, wait_for

QUEUED_YAML = """\
run_coordinator:
  name: queued
  config:
    max_concurrent_runs: 1
"""


def _queued_home(home) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "orch.yaml").write_text(QUEUED_YAML)


def test_launch_queues_then_queue_run_launches_in_order(orch, repo, home):
    _queued_home(home)
    first = orch("launch", "-f", str(repo), "-p", "etl")
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith("QUEUED ")
    second = orch("launch", "-f", str(repo), "-p", "etl", "--tags", '{"orch/priority": "3"}')
    ids = [first.stdout.strip(), second.stdout.strip()]
    assert [r.status.value for r in runs(home)] == ["QUEUED", "QUEUED"]

    listed = orch("queue", "list", env={"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.strip()]
    assert ids[1][:8] in lines[1] and ids[0][:8] in lines[2]  # priority 3 first
    assert "next: a slot is free" in lines[1]
    assert "waiting for a slot: max_concurrent_runs is 1, 0 in progress, 1 taken by runs " \
        "ahead" in lines[2]

    dequeuer = orch.popen("queue", "run", "--interval", "0.1")
    try:
        wait_for(lambda: all(r.status.value == "SUCCESS" for r in runs(home)), timeout=60)
    finally:
        dequeuer.send_signal(signal.SIGINT)
        out, err = dequeuer.communicate(timeout=20)
    assert dequeuer.returncode == 0, err
    assert out.split() == ["launched", ids[1], "launched", ids[0]]


def test_runs_cancel_a_queued_run(orch, repo, home):
    _queued_home(home)
    run_id = orch("launch", "-f", str(repo), "-p", "etl").stdout.strip()
    done = orch("runs", "cancel", run_id[:8])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{run_id} CANCELED"
    again = orch("runs", "cancel", run_id)
    assert again.returncode != 0 and "already finished (CANCELED)" in again.stderr
    assert "No queued runs." in orch("queue", "list").stdout


def test_queue_commands_on_an_instance_that_does_not_queue(orch, home):
    done = orch("queue", "list")
    assert done.returncode == 2
    assert "does not queue runs" in done.stderr and "run_coordinator: {name: queued}" in \
        done.stderr


def test_a_bad_coordinator_name_lists_the_choices(orch, repo, home):
    home.mkdir(parents=True)
    (home / "orch.yaml").write_text("run_coordinator: {name: fifo}\n")
    done = orch("launch", "-f", str(repo), "-p", "etl")
    assert done.returncode != 0
    assert "fifo" in done.stderr and "default, queued" in done.stderr
