"""Run storage: records, status from events, filters, pagination, snapshots, tags, deletion."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from orch.core.errors import DagsterRunNotFoundError
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PARENT_RUN_ID_TAG, PipelineRun, PipelineRunStatus, status_after_event
from orch.core.storage.runs import DagsterRunAlreadyExists

from .factories import event

S = PipelineRunStatus
MakeRun = Callable[..., PipelineRun]


def test_run_round_trips_every_field(instance: Instance) -> None:
    run = PipelineRun(
        "p",
        run_config={"solids": {"a": {"config": {"x": 1}}}},
        mode="test",
        solid_selection=["*a"],
        solids_to_execute=["a", "b"],
        step_keys_to_execute=["a", "b"],
        tags={"team": "data", PARENT_RUN_ID_TAG: "parent"},
        parent_run_id="parent",
        root_run_id="root",
        pipeline_origin={"python_file": "repo.py", "attribute": "p"},
    )
    created = instance.create_run(run)
    assert created.create_timestamp is not None
    assert instance.get_run(run.run_id) == created
    assert instance.get_run("nope") is None
    with pytest.raises(DagsterRunAlreadyExists):
        instance.create_run(run)


@pytest.mark.parametrize(
    ("events", "status"),
    [
        ([], S.NOT_STARTED),
        ([EventType.PIPELINE_ENQUEUED], S.QUEUED),
        # Taking a run from the queue claims it (873b23c): DEQUEUED moves it to STARTING.
        ([EventType.PIPELINE_ENQUEUED, EventType.PIPELINE_DEQUEUED], S.STARTING),
        ([EventType.PIPELINE_ENQUEUED, EventType.PIPELINE_STARTING], S.STARTING),
        ([EventType.PIPELINE_STARTING, EventType.PIPELINE_START], S.STARTED),
        ([EventType.PIPELINE_START, EventType.PIPELINE_SUCCESS], S.SUCCESS),
        ([EventType.PIPELINE_START, EventType.PIPELINE_FAILURE], S.FAILURE),
        ([EventType.PIPELINE_INIT_FAILURE], S.FAILURE),
        ([EventType.PIPELINE_START, EventType.PIPELINE_CANCELING], S.CANCELING),
        (
            [EventType.PIPELINE_START, EventType.PIPELINE_CANCELING, EventType.PIPELINE_CANCELED],
            S.CANCELED,
        ),
        ([EventType.PIPELINE_ENQUEUED, EventType.PIPELINE_CANCELED], S.CANCELED),
    ],
)
def test_status_follows_run_events(
    instance: Instance, make_run: MakeRun, events: list[EventType], status: PipelineRunStatus
) -> None:
    run = make_run()
    expected = S.NOT_STARTED
    with instance.event_writer(run.run_id) as writer:
        for i, event_type in enumerate(events):
            writer.write(event(run, event_type, timestamp=1000.0 + i))
            expected = status_after_event(event_type) or expected
            # Run-level events commit at once, status included: visible before close().
            assert instance.get_run(run.run_id).status is expected
    stored = instance.get_run(run.run_id)
    assert stored.status is status
    if EventType.PIPELINE_START in events:
        assert stored.start_time == 1000.0 + events.index(EventType.PIPELINE_START)
    if status.is_finished:
        assert stored.end_time == 1000.0 + len(events) - 1
    else:
        assert stored.end_time is None


def test_start_event_records_the_worker(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    instance.handle_new_event(event(run, EventType.PIPELINE_START, pid=4242))
    assert instance.get_run(run.run_id).worker_pid == 4242
    # The process that starts executing is the worker, over the launcher named before it.
    other = make_run()
    instance.update_run(replace(other, worker_pid=777))
    instance.handle_new_event(event(other, EventType.PIPELINE_START, pid=4242))
    assert instance.get_run(other.run_id).worker_pid == 4242


def test_filters(instance: Instance, make_run: MakeRun) -> None:
    a = make_run("alpha", tags={"team": "x", "env": "prod"})
    b = make_run("beta", tags={"team": "y", "env": "prod"})
    c = make_run("alpha", tags={"team": "y"}, parent_run_id=a.run_id, root_run_id=a.run_id)
    instance.handle_new_event(event(a, EventType.PIPELINE_START))
    instance.handle_new_event(event(a, EventType.PIPELINE_SUCCESS))
    instance.handle_new_event(event(b, EventType.PIPELINE_START))

    def ids(runs: list[PipelineRun]) -> list[str]:
        return [r.run_id for r in runs]

    assert ids(instance.get_runs()) == [c.run_id, b.run_id, a.run_id]  # newest first
    assert ids(instance.get_runs(statuses=[S.SUCCESS])) == [a.run_id]
    assert ids(instance.get_runs(statuses=[S.STARTED, S.NOT_STARTED])) == [c.run_id, b.run_id]
    assert ids(instance.get_runs(statuses=[])) == []
    assert ids(instance.get_runs(pipeline_name="alpha")) == [c.run_id, a.run_id]
    assert ids(instance.get_runs(tags={"team": "y"})) == [c.run_id, b.run_id]
    assert ids(instance.get_runs(tags={"team": "y", "env": "prod"})) == [b.run_id]
    assert ids(instance.get_runs(tags={"team": ["x", "y"], "env": "prod"})) == [
        b.run_id,
        a.run_id,
    ]
    assert ids(instance.get_runs(parent_run_id=a.run_id)) == [c.run_id]
    assert ids(instance.get_runs(root_run_id=a.run_id)) == [c.run_id]
    assert ids(instance.get_runs(created_after=b.create_timestamp)) == [c.run_id]
    assert ids(instance.get_runs(created_before=b.create_timestamp)) == [a.run_id]
    assert instance.get_runs_count() == 3
    assert instance.get_runs_count(pipeline_name="alpha", tags={"team": "y"}) == 1


def test_pagination_by_cursor(instance: Instance, make_run: MakeRun) -> None:
    runs = [make_run() for _ in range(7)]
    newest_first = [r.run_id for r in reversed(runs)]
    pages, cursor = [], None
    while True:
        page = instance.get_runs(limit=3, cursor=cursor)
        if not page:
            break
        pages.append([r.run_id for r in page])
        cursor = page[-1].run_id
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]
    with pytest.raises(DagsterRunNotFoundError, match="cursor run"):
        instance.get_runs(cursor="gone")


def test_snapshots_are_stored_once_by_content(instance: Instance) -> None:
    snapshot = {"name": "p", "solids": [{"name": "a"}, {"name": "b"}]}
    same_reordered = {"solids": [{"name": "a"}, {"name": "b"}], "name": "p"}
    plan = {"steps": ["a", "b"]}
    r1 = instance.create_run(PipelineRun("p"), snapshot, plan)
    r2 = instance.create_run(PipelineRun("p"), same_reordered, plan)
    r3 = instance.create_run(PipelineRun("p"), {**snapshot, "name": "q"}, plan)
    assert r1.pipeline_snapshot_id == r2.pipeline_snapshot_id != r3.pipeline_snapshot_id
    assert r1.execution_plan_snapshot_id == r3.execution_plan_snapshot_id
    assert len(r1.pipeline_snapshot_id) == 64  # sha256 hex
    assert instance.get_run_snapshot(r1.pipeline_snapshot_id) == snapshot
    assert instance.get_run_snapshot(r1.execution_plan_snapshot_id) == plan
    assert instance.get_run(r2.run_id).pipeline_snapshot_id == r1.pipeline_snapshot_id
    assert instance.storage.describe()["rows"]["snapshots"] == 3


def test_update_run_and_tags(instance: Instance, make_run: MakeRun) -> None:
    run = make_run(tags={"a": "1"})
    instance.handle_new_event(event(run, EventType.PIPELINE_START, pid=1))
    stale = run  # still NOT_STARTED in memory
    updated = instance.update_run(replace(stale, worker_pid=99, tags={"a": "2"}))
    # Status follows events only: the stale status did not overwrite STARTED.
    assert updated.status is S.STARTED
    assert updated.worker_pid == 99 and updated.tags == {"a": "2"}
    instance.add_run_tags(run.run_id, {"b": "3"})
    assert instance.get_run(run.run_id).tags == {"a": "2", "b": "3"}
    assert [r.run_id for r in instance.get_runs(tags={"b": "3"})] == [run.run_id]
    assert instance.get_runs(tags={"a": "1"}) == []
    with pytest.raises(DagsterRunNotFoundError):
        instance.add_run_tags("nope", {"x": "y"})


def test_cancel_flag(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    assert not instance.is_cancel_requested(run.run_id)
    instance.handle_new_event(event(run, EventType.PIPELINE_START))
    assert instance.request_cancel(run.run_id)
    assert instance.is_cancel_requested(run.run_id)
    instance.handle_new_event(event(run, EventType.PIPELINE_CANCELED))
    done = make_run()
    instance.handle_new_event(event(done, EventType.PIPELINE_SUCCESS))
    assert not instance.request_cancel(done.run_id)
    assert not instance.request_cancel("nope")


def test_delete_and_wipe(instance: Instance, make_run: MakeRun) -> None:
    keep, drop = make_run(tags={"t": "1"}), make_run(tags={"t": "1"})
    for run in (keep, drop):
        instance.handle_new_event(event(run, EventType.STEP_START, "a"))
    assert instance.delete_run(drop.run_id)
    assert not instance.delete_run(drop.run_id)
    assert instance.get_run(drop.run_id) is None
    assert instance.get_logs_for_run(drop.run_id) == []
    assert [r.run_id for r in instance.get_runs(tags={"t": "1"})] == [keep.run_id]
    assert len(instance.get_logs_for_run(keep.run_id)) == 1
    instance.wipe()
    assert instance.get_runs() == [] and instance.get_logs_for_run(keep.run_id) == []
    rows = instance.storage.describe()["rows"]
    assert all(n == 0 for n in rows.values()), rows


@pytest.mark.sqlite_only
def test_database_file_is_wal_with_busy_timeout(instance: Instance, home: Path) -> None:
    conn = sqlite3.connect(home / "orch.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with instance.storage.db.read() as own:
        assert own.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        assert own.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
