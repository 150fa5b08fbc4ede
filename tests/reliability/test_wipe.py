"""Defect 13: wiping (or deleting) runs while they are active would leave their worker writing
events, compute logs and outputs for runs that no longer exist."""

from __future__ import annotations

import time

import pytest

from .conftest import events, raw_db, runs, wait_for


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_wipe_refuses_while_a_run_is_active_and_cancel_active_leaves_nothing_behind(
        orch, repo, home, tmp_path, executor):
    launched = orch("launch", "-f", str(repo), "-p", "slow", "--executor", executor)
    assert launched.returncode == 0, launched.stderr
    run_id = launched.stdout.strip()
    wait_for(lambda: [e for e in events(home, run_id, "STEP_START") if e.step_key == "nap"])

    refused = orch("runs", "wipe", "-f")
    assert refused.returncode == 2
    assert run_id in refused.stderr and "--cancel-active" in refused.stderr
    assert orch("runs", "delete", run_id, "-f").returncode == 2
    assert [r.run_id for r in runs(home)] == [run_id]

    wiped = orch("runs", "wipe", "-f", "--cancel-active")
    assert wiped.returncode == 0, wiped.stderr
    time.sleep(0.5)  # anything a worker still wrote would land by now
    with raw_db(home) as db:
        for table in ("runs", "event_logs", "compute_logs", "run_tags"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    leftovers = [p for d in ("logs", "storage") if (home / d).exists()
                 for p in (home / d).rglob("*")]
    assert leftovers == []
