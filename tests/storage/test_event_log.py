"""Event log: the batched writer, reads by cursor and filter, step stats, asset keys, tails."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun, StepStatus
from orch.core.storage.event_writer import EventWriter

from .factories import event, raw_query

MakeRun = Callable[..., PipelineRun]


def committed(home: Path, run_id: str) -> list[str]:
    """Messages of a run as another connection sees them (i.e. committed)."""
    rows = raw_query(home, "SELECT message FROM event_logs WHERE run_id = ? ORDER BY id",
                     (run_id,))
    return [r[0] for r in rows]


def test_writer_batches_and_commits_at_outcomes(
    instance: Instance, make_run: MakeRun, home: Path
) -> None:
    run = make_run()
    writer = instance.event_writer(run.run_id, flush_interval=None)
    writer.write(event(run, EventType.STEP_START, "a", "start"))
    writer.write(event(run, None, "a", "a log line"))
    assert committed(home, run.run_id) == []
    assert writer.pending == 2
    writer.write(event(run, EventType.STEP_SUCCESS, "a", "ok"))
    assert committed(home, run.run_id) == ["start", "a log line", "ok"]
    writer.write(event(run, EventType.STEP_START, "b", "b start"))
    writer.write(event(run, EventType.STEP_UP_FOR_RETRY, "b", "retry"))
    writer.write(event(run, EventType.STEP_RESTARTED, "b", "restart"))
    writer.write(event(run, EventType.STEP_SKIPPED, "c", "skip"))
    assert committed(home, run.run_id)[-1] == "skip"
    writer.write(event(run, None, None, "last"))
    writer.close()
    assert committed(home, run.run_id)[-1] == "last"
    writer.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        writer.write(event(run, None, None, "late"))


def test_writer_commits_by_count(instance: Instance, make_run: MakeRun, home: Path) -> None:
    run = make_run()
    with instance.event_writer(run.run_id, batch_size=10, flush_interval=None) as writer:
        for i in range(25):
            writer.write(event(run, None, "a", f"m{i}"))
        assert len(committed(home, run.run_id)) == 20
    assert len(committed(home, run.run_id)) == 25


def test_writer_timer_commits_a_quiet_batch(
    instance: Instance, make_run: MakeRun, home: Path
) -> None:
    run = make_run()
    with instance.event_writer(run.run_id, flush_interval=0.02) as writer:
        for round_ in range(3):  # also after the timer has gone idle and woken again
            writer.write(event(run, EventType.STEP_START, "a", f"start {round_}"))
            deadline = time.monotonic() + 2.0
            while len(committed(home, run.run_id)) <= round_ and time.monotonic() < deadline:
                time.sleep(0.005)
            assert len(committed(home, run.run_id)) == round_ + 1
            if round_ == 1:
                time.sleep(0.02 * 25)  # longer than the idle spell


def test_write_soon_leaves_the_commit_to_the_timer(
    instance: Instance, make_run: MakeRun, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a step emits while its code runs (live log lines) is queued by ``write_soon`` and
    committed by the writer's thread: a full batch at once, the rest at the next tick."""
    run = make_run()
    committers: list[threading.Thread] = []
    with instance.event_writer(run.run_id, batch_size=10, flush_interval=30.0) as writer:
        store = writer._store

        def noting_thread(*args: object) -> None:
            committers.append(threading.current_thread())
            store(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(writer, "_store", noting_thread)
        for i in range(10):
            writer.write_soon(event(run, None, "a", f"line {i}"))
        deadline = time.monotonic() + 5.0
        while len(committed(home, run.run_id)) < 10 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(committed(home, run.run_id)) == 10
        assert committers and threading.current_thread() not in committers
        writer.write_soon(event(run, None, "a", "one more"))
        time.sleep(0.1)
        assert writer.pending == 1  # not full: it waits for the tick (30 s here) or close
    assert committed(home, run.run_id)[-1] == "one more"


def test_storage_ids_are_set_and_increasing(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    events = [event(run, None, None, f"m{i}") for i in range(5)]
    with instance.event_writer(run.run_id) as writer:
        for e in events:
            writer.write(e)
    ids = [e.storage_id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert [e.storage_id for e in instance.get_logs_for_run(run.run_id)] == ids


@pytest.mark.parametrize("count", [1, 3, 4, 17, 63, 64, 65, 300])
def test_a_batch_of_any_size_is_stored_whole_and_in_order(
    instance: Instance, make_run: MakeRun, count: int
) -> None:
    """One commit of ``count`` events (SQLite writes them in multi-row INSERTs of 64, 16, 4
    and 1): each comes back once, in order, with the storage id it was given."""
    run = make_run()
    events = [event(run, EventType.STEP_START if i % 7 == 0 else None, f"s{i % 5}", f"m{i}",
                    data={"i": i}) for i in range(count)]
    instance.storage.store_events(events)
    stored = instance.get_logs_for_run(run.run_id)
    assert [(e.message, e.step_key, e.event_type, e.data) for e in stored] == \
        [(e.message, e.step_key, e.event_type, e.data) for e in events]
    ids = [e.storage_id for e in stored]
    assert ids == [e.storage_id for e in events]
    assert ids == list(range(ids[0], ids[0] + count))


def test_writer_rejects_other_runs_events(instance: Instance, make_run: MakeRun) -> None:
    a, b = make_run(), make_run()
    with instance.event_writer(a.run_id) as writer, pytest.raises(ValueError, match="writer"):
        writer.write(event(b, None))


def test_failed_commit_keeps_events_queued(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    storage = instance.storage
    calls = []

    class Flaky:
        transient_errors = storage.transient_errors

        def store_events(self, events: Sequence[EventRecord]) -> None:
            calls.append(len(events))
            if len(calls) == 1:
                raise storage.transient_errors[0]("database is locked")
            storage.store_events(events)

    from orch.core.storage.event_writer import EventWriter

    writer = EventWriter(Flaky(), run.run_id, flush_interval=None)  # type: ignore[arg-type]
    writer.write(event(run, None, None, "one"))
    with pytest.raises(storage.transient_errors[0]):
        writer.write(event(run, EventType.STEP_SUCCESS, "a", "two"))
    writer.write(event(run, None, None, "three"))
    writer.close()
    assert [e.message for e in instance.get_logs_for_run(run.run_id)] == ["one", "two", "three"]
    assert calls == [2, 3]


def test_event_round_trip_and_filters(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    other = make_run()
    written = [
        event(run, EventType.PIPELINE_START, message="go", pid=11, timestamp=5.0),
        event(run, EventType.STEP_START, "a"),
        event(run, None, "a", "user log", level=20),
        event(run, EventType.STEP_OUTPUT, "a", data={"output_name": "result", "n": [1, 2]}),
        event(run, EventType.STEP_SUCCESS, "a"),
        event(run, EventType.STEP_START, "b[k1]"),
        event(run, EventType.STEP_FAILURE, "b[k1]", data={"error": {"message": "boom"}}),
    ]
    for e in written:
        instance.handle_new_event(e)
    instance.handle_new_event(event(other, EventType.STEP_START, "a"))

    logs = instance.get_logs_for_run(run.run_id)
    assert [e.to_dict() for e in logs] == [e.to_dict() for e in written]
    assert logs[0].pid == 11 and logs[0].timestamp == 5.0 and logs[2].level == 20
    assert logs[6].data == {"error": {"message": "boom"}} and logs[6].solid_handle == "b"

    def types(**kw: object) -> list[EventType | None]:
        return [e.event_type for e in instance.get_logs_for_run(run.run_id, **kw)]

    assert types(of_type=EventType.STEP_START) == [EventType.STEP_START] * 2
    assert types(of_type={EventType.STEP_SUCCESS, EventType.STEP_FAILURE}) == [
        EventType.STEP_SUCCESS,
        EventType.STEP_FAILURE,
    ]
    assert types(step_key="a") == [
        EventType.STEP_START,
        None,
        EventType.STEP_OUTPUT,
        EventType.STEP_SUCCESS,
    ]
    assert types(step_key="a", of_type=EventType.STEP_SUCCESS) == [EventType.STEP_SUCCESS]
    cursor = logs[3].storage_id
    assert types(cursor=cursor) == [e.event_type for e in written[4:]]
    assert types(cursor=cursor, limit=1) == [EventType.STEP_SUCCESS]
    assert types(cursor=logs[-1].storage_id) == []


def test_step_stats(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    plan = [
        (EventType.STEP_START, "a", 1.0),
        (EventType.STEP_SUCCESS, "a", 2.0),
        (EventType.STEP_START, "b", 3.0),
        (EventType.STEP_UP_FOR_RETRY, "b", 4.0),
        (EventType.STEP_RESTARTED, "b", 5.0),
        (EventType.STEP_FAILURE, "b", 6.0),
        (EventType.STEP_SKIPPED, "c", 7.0),
        (EventType.STEP_START, "d", 8.0),
        (None, "d", 9.0),
    ]
    for event_type, step, ts in plan:
        instance.handle_new_event(event(run, event_type, step, timestamp=ts))
    stats = {s.step_key: s for s in instance.get_step_stats(run.run_id)}
    assert list(stats) == ["a", "b", "c", "d"]
    assert (stats["a"].status, stats["a"].start_time, stats["a"].end_time) == (
        StepStatus.SUCCESS,
        1.0,
        2.0,
    )
    assert stats["a"].attempts == 1 and stats["a"].duration == 1.0
    assert (stats["b"].status, stats["b"].attempts, stats["b"].start_time) == (
        StepStatus.FAILURE,
        2,
        3.0,
    )
    assert stats["b"].end_time == 6.0
    assert (stats["c"].status, stats["c"].attempts, stats["c"].start_time) == (
        StepStatus.SKIPPED,
        0,
        None,
    )
    assert (stats["d"].status, stats["d"].end_time) == (StepStatus.IN_PROGRESS, None)


def test_asset_keys_track_the_latest_materialization(instance: Instance, make_run: MakeRun) -> None:
    first, second = make_run(), make_run()
    m = EventType.ASSET_MATERIALIZATION
    instance.handle_new_event(event(first, m, "a", data={"asset_key": ["db", "table"]}))
    instance.handle_new_event(event(first, m, "a", data={"asset_key": "flat"}))
    instance.handle_new_event(event(second, m, "a", data={"asset_key": ["db", "table"], "v": 2}))
    assert instance.all_asset_keys() == [["db", "table"], ["flat"]]
    latest = instance.get_latest_materialization(["db", "table"])
    assert latest is not None and latest.run_id == second.run_id and latest.data["v"] == 2
    assert instance.get_latest_materialization("flat").run_id == first.run_id
    assert instance.get_latest_materialization(["flat"]).run_id == first.run_id
    assert instance.get_latest_materialization("missing") is None
    # Deleting the run that holds the latest falls back to the one before.
    instance.delete_run(second.run_id)
    assert instance.get_latest_materialization(["db", "table"]).run_id == first.run_id
    instance.delete_run(first.run_id)
    assert instance.all_asset_keys() == []


def test_tail_returns_each_event_once(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    tail = instance.tail(run.run_id)
    assert tail.poll() == []
    instance.handle_new_event(event(run, None, None, "1"))
    instance.handle_new_event(event(run, None, None, "2"))
    assert [e.message for e in tail.poll()] == ["1", "2"]
    assert tail.poll() == []
    with instance.event_writer(run.run_id, flush_interval=None) as writer:
        writer.write(event(run, None, None, "3"))
        assert tail.poll() == []  # not committed yet
    assert [e.message for e in tail.poll(limit=5)] == ["3"]
    typed = instance.tail(run.run_id, of_type=EventType.STEP_START)
    instance.handle_new_event(event(run, EventType.STEP_START, "a", "4"))
    assert [e.message for e in typed.poll()] == ["4"]


def test_watch_ends_when_the_run_finishes(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    for t in (EventType.PIPELINE_START, EventType.STEP_START, EventType.PIPELINE_SUCCESS):
        instance.handle_new_event(event(run, t))
    got = [e.event_type for e in instance.watch(run.run_id, timeout=5)]
    assert got == [EventType.PIPELINE_START, EventType.STEP_START, EventType.PIPELINE_SUCCESS]
    unfinished = make_run()
    start = time.monotonic()
    assert list(instance.watch(unfinished.run_id, timeout=0.1)) == []
    assert time.monotonic() - start < 2


def test_unclosed_writer_is_flushed_at_exit(home: Path, tmp_path: Path) -> None:
    with Instance.get() as inst:
        run = inst.create_run(PipelineRun("p"))
    script = tmp_path / "w.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from orch.core.events import EventRecord
            from orch.core.instance import Instance
            inst = Instance.get()
            writer = inst.event_writer({run.run_id!r}, flush_interval=None)
            for i in range(5):
                writer.write(EventRecord({run.run_id!r}, "p", None, f"m{{i}}"))
            """
        )
    )
    subprocess.run([sys.executable, str(script)], check=True, env={**os.environ})
    assert committed(home, run.run_id) == [f"m{i}" for i in range(5)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_events_are_queued(instance: Instance, make_run: MakeRun, home: Path) -> None:
    """The child starts with an empty writer and its own connection; the parent's queued
    events are committed once, by the parent."""
    run = make_run()
    writer = instance.event_writer(run.run_id, flush_interval=0.01)
    writer.write(event(run, None, None, "before fork"))
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            if writer.pending != 0:
                code = 3
            writer.write(event(run, EventType.STEP_SUCCESS, "child", "from child"))
            writer.close()  # its timer thread would commit it: not once os._exit is called
        except BaseException:
            code = 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.close()
    assert sorted(committed(home, run.run_id)) == ["before fork", "from child"]


def test_writer_shared_by_threads(instance: Instance, make_run: MakeRun) -> None:
    run = make_run()
    writer = instance.event_writer(run.run_id, batch_size=100, flush_interval=0.005)

    def produce(t: int) -> None:
        for i in range(2_000):
            kind = EventType.STEP_SUCCESS if i % 50 == 49 else None
            writer.write(event(run, kind, f"t{t}", f"{t}:{i}"))

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    writer.close()
    messages = [e.message for e in instance.get_logs_for_run(run.run_id)]
    assert len(messages) == 8_000
    for t in range(4):
        assert [m for m in messages if m.startswith(f"{t}:")] == [f"{t}:{i}" for i in range(2_000)]


def test_step_outcomes_in_a_burst_share_commits(
    instance: Instance, make_run: MakeRun, home: Path
) -> None:
    """Group commit: outcomes arriving within 2 ms of the last commit are committed by the
    timer with the ones that follow — fewer transactions, every outcome still on disk soon."""
    run = make_run()
    commits = 0
    store = instance.storage.store_events

    def counting(events):
        nonlocal commits
        commits += 1
        return store(events)

    instance.storage.store_events = counting  # type: ignore[method-assign]
    try:
        with instance.event_writer(run.run_id, flush_interval=0.05) as writer:
            for i in range(200):
                writer.write(event(run, EventType.STEP_START, f"s{i}", f"start {i}"))
                writer.write(event(run, EventType.STEP_SUCCESS, f"s{i}", f"ok {i}"))
            deadline = time.monotonic() + 1.0
            while len(committed(home, run.run_id)) < 400 and time.monotonic() < deadline:
                time.sleep(0.002)
            assert len(committed(home, run.run_id)) == 400  # before close: the timer did it
    finally:
        instance.storage.store_events = store  # type: ignore[method-assign]
    assert commits < 100, commits


def test_the_outcome_of_a_step_of_20_ms_or_more_is_committed_at_once(
    instance: Instance, make_run: MakeRun, home: Path
) -> None:
    """An outcome 20 ms or more after the previous one is stored before the write returns,
    on the writing thread — before the next step's code can run, which may hold the
    interpreter lock for seconds and keep the timer thread from committing — even when the
    timer committed the step's other events just before."""
    run = make_run()
    with instance.event_writer(run.run_id, flush_interval=0.05) as writer:
        writer.write(event(run, EventType.STEP_SUCCESS, "a", "a ok"))
        writer.write(event(run, EventType.STEP_START, "b", "b start"))
        time.sleep(0.03)  # step b runs
        writer.write(event(run, None, "b", "b logs"))
        writer.flush()  # as the timer's tick does, just before b's outcome
        writer.write(event(run, EventType.STEP_SUCCESS, "b", "b ok"))
        assert committed(home, run.run_id) == ["a ok", "b start", "b logs", "b ok"]


def test_a_burst_of_fast_outcomes_is_committed_by_the_writers_thread_a_tick_at_a_time(
    instance: Instance, make_run: MakeRun, home: Path
) -> None:
    """In a burst of fast steps an outcome waits for the writer's next tick (0.2 s here) and
    is committed there with everything that came meanwhile: a burst of 50 steps costs the
    thread running them no wait on storage, and a transaction a tick, not one a step."""
    run = make_run()
    committing: list[threading.Thread] = []
    store = instance.storage.store_events

    def recording(events):
        committing.append(threading.current_thread())
        return store(events)

    instance.storage.store_events = recording  # type: ignore[method-assign]
    try:
        # inline_after 5 s: "soon" even if this test is descheduled for a while
        with EventWriter(instance.storage, run.run_id, flush_interval=0.2,
                         inline_after=5.0) as writer:
            writer.write(event(run, EventType.STEP_SUCCESS, "a", "a ok"))  # commits here
            assert committing == [threading.current_thread()]
            written = time.monotonic()
            for i in range(50):
                writer.write(event(run, EventType.STEP_START, f"b{i}", "start"))
                writer.write(event(run, EventType.STEP_SUCCESS, f"b{i}", "ok"))
            assert len(committing) == 1  # none inline
            while len(committed(home, run.run_id)) < 101 and time.monotonic() - written < 5:
                time.sleep(0.005)
            seen = time.monotonic() - written
            assert len(committed(home, run.run_id)) == 101
            assert seen < 2.0  # the tick committed them, not close()
    finally:
        instance.storage.store_events = store  # type: ignore[method-assign]
    assert all(t is not threading.current_thread() for t in committing[1:])
    assert 2 <= len(committing) <= 4  # one tick took the burst (one more if it was split)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    run_id=st.text(), pipeline_name=st.text(),
    event_type=st.none() | st.sampled_from(list(EventType)), message=st.text(),
    step_key=st.none() | st.text(), level=st.integers(), timestamp=st.floats(allow_nan=False),
    pid=st.integers(), data=st.dictionaries(st.text(), _json_values, max_size=4),
    storage_id=st.none() | st.integers(),
)
def test_an_event_crosses_a_process_boundary_whole(
    run_id: str, pipeline_name: str, event_type: EventType | None, message: str,
    step_key: str | None, level: int, timestamp: float, pid: int, data: dict,
    storage_id: int | None,
) -> None:
    """Step processes pickle their events to the run worker: every field comes back, the type
    as the same enum member, through pickle and through copy."""
    original = EventRecord(run_id, pipeline_name, event_type, message, step_key, level,
                           timestamp, pid, data, storage_id)
    for back in (pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL)),
                 pickle.loads(pickle.dumps(original, protocol=2)), copy.deepcopy(original)):
        assert back == original
        assert back.event_type is event_type
    assert copy.copy(original).data is original.data  # shallow, as before
