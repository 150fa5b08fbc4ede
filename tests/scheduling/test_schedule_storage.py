"""Schedule storage on a real SQLite file and a real PostgreSQL database: the v1 → v2
migration (SQLite), instigator state keyed by repository + name, one tick per schedule time,
run keys, pruning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.runs import PipelineRun
from orch.core.storage import schema
from orch.core.storage.schedules import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickStatus,
)
from orch.core.storage.sqlite_base import SqliteDatabase

from tests.conftest import storage_yaml


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str,
         request: pytest.FixtureRequest) -> Path:
    monkeypatch.setenv("ORCH_HOME", str(tmp_path / "home"))
    if backend == "postgres":
        (tmp_path / "home").mkdir()
        (tmp_path / "home" / "orch.yaml").write_text(storage_yaml(backend, request))
    return tmp_path / "home"


@pytest.mark.sqlite_only
def test_a_version_1_database_gains_the_schedule_tables(home: Path) -> None:
    home.mkdir()
    db = SqliteDatabase(home / "orch.db")
    with db.write() as conn:  # what orch before this change created
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                     "applied_at REAL NOT NULL)")
        schema.MIGRATIONS[1](conn)
        conn.execute("INSERT INTO schema_version VALUES (1, 0)")
    db.close()
    with Instance.get() as instance:
        assert instance.migrate() == (1, schema.SCHEMA_VERSION)
        run = instance.create_run(PipelineRun("p"))
        assert instance.get_run(run.run_id) is not None
        assert instance.storage.all_instigator_states() == []
    tables = {r[0] for r in sqlite3.connect(home / "orch.db").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"instigators", "ticks", "instigator_run_keys", "bulk_actions"} <= tables


def test_state_ticks_and_run_keys(home: Path) -> None:
    with Instance.get() as instance:
        storage = instance.storage
        state = storage.put_instigator_state(InstigatorState(
            "repo", "nightly", InstigatorType.SCHEDULE, InstigatorStatus.RUNNING,
            start_timestamp=100.0, origin={"python_file": "/a/repo.py"}))
        assert storage.get_instigator_state("repo:nightly").origin == {"python_file": "/a/repo.py"}
        first = storage.create_tick(Tick(state.selector_id, InstigatorType.SCHEDULE, "nightly",
                                         TickStatus.STARTED, 3600.0))
        again = storage.create_tick(Tick(state.selector_id, InstigatorType.SCHEDULE, "nightly",
                                         TickStatus.STARTED, 3600.0))
        assert again.tick_id == first.tick_id  # one tick per schedule and time
        storage.update_tick(Tick(**{**first.__dict__, "status": TickStatus.SUCCESS,
                                    "run_ids": ["r1"]}))
        assert storage.get_latest_tick("repo:nightly").run_ids == ["r1"]
        assert storage.claim_run_key("repo:nightly", "k", "r1") == "r1"
        assert storage.claim_run_key("repo:nightly", "k", "r2") == "r1"
        assert storage.get_run_key("repo:nightly", "k") == "r1"
        # Sensor ticks are stamped with evaluation time and may repeat it.
        sensor = storage.put_instigator_state(InstigatorState(
            "repo", "files", InstigatorType.SENSOR, InstigatorStatus.RUNNING))
        tick = storage.create_tick(Tick(sensor.selector_id, InstigatorType.SENSOR, "files",
                                        TickStatus.STARTED, 10.0))
        storage.update_tick(Tick(**{**tick.__dict__, "status": TickStatus.SKIPPED,
                                    "cursor": "c1"}),
                            InstigatorState(**{**sensor.__dict__, "cursor": "c1",
                                               "last_tick_timestamp": 10.0}))
        assert storage.get_instigator_state("repo:files").cursor == "c1"
        assert storage.get_latest_ticks(["repo:files", "repo:nightly"]).keys() == \
            {"repo:files", "repo:nightly"}
        assert storage.purge_ticks("repo:files", before=11.0, statuses=[TickStatus.SKIPPED]) == 1
        assert storage.describe()["rows"]["instigators"] == 2
