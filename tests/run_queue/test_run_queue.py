"""The run coordinators against a real instance on disk with real run-worker processes:
submit, queue order, limits, cancel, concurrent and crashed dequeuers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance, OrchInstanceConfigError
from orch.core.launcher import RunLauncher, create_run
from orch.core.run_coordinator import (
    DefaultRunCoordinator,
    QueuedRunCoordinator,
    RunCoordinatorError,
    run_dequeuer,
)
from orch.core.runs import FINISHED_STATUSES, PRIORITY_TAG, PipelineRunStatus

from orch import reconstructable
from tests.conftest import storage_yaml
from tests.run_queue import queue_pipelines

QUEUED = PipelineRunStatus.QUEUED


def _home(tmp_path, coordinator: str | None) -> str:
    home = tmp_path / "home"
    home.mkdir()
    if coordinator:
        (home / "orch.yaml").write_text(textwrap.dedent(coordinator))
    return str(home)


def _submit(instance, seconds: float = 0.0, tags: dict | None = None):
    run = create_run(instance, reconstructable(queue_pipelines.waits),
                     run_config={"solids": {"pause": {"config": {"seconds": seconds}}}},
                     tags=tags)
    return instance.submit_run(run)


def _wait_finished(instance, run_ids, seconds: float = 30.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if all(instance.get_run(r).status in FINISHED_STATUSES for r in run_ids):
            return
        time.sleep(0.05)
    raise AssertionError({r: instance.get_run(r).status for r in run_ids})


def _types(instance, run_id) -> list[str]:
    return [e.event_type_value for e in instance.get_logs_for_run(run_id)
            if e.event_type is not None and e.event_type_value.startswith("PIPELINE_")]


QUEUED_YAML = """
    run_coordinator:
      name: queued
      config:
        max_concurrent_runs: {n}
        {limits}
"""


def _queued(tmp_path, n: int = 1, limits: str = "", storage: str = "") -> Instance:
    yaml = QUEUED_YAML.format(n=n, limits=f"tag_concurrency_limits: {limits}" if limits else "")
    return Instance.from_home(_home(tmp_path, textwrap.dedent(yaml) + storage))


@pytest.fixture
def storage(backend: str, request: pytest.FixtureRequest) -> str:
    """The orch.yaml storage block of the backend under test ("" for SQLite)."""
    return storage_yaml(backend, request)


DEQUEUER = """
import sys, threading, time
from orch.core.instance import Instance
from orch.core.run_coordinator import run_dequeuer
with Instance.from_home(sys.argv[1]) as instance:
    stop = threading.Event()
    thread = threading.Thread(target=run_dequeuer, args=(instance, stop),
                              kwargs={"interval": 0.01})
    thread.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not all(
            instance.get_run(r).status.is_finished for r in sys.argv[2:]):
        time.sleep(0.05)
    stop.set()
    thread.join()
"""


def test_default_coordinator_launches_at_once(tmp_path):
    with Instance.from_home(_home(tmp_path, None)) as instance:
        assert isinstance(instance.run_coordinator, DefaultRunCoordinator)
        run = _submit(instance)
        assert run.status in (PipelineRunStatus.STARTING, PipelineRunStatus.STARTED,
                              PipelineRunStatus.SUCCESS)
        _wait_finished(instance, [run.run_id])
        assert instance.get_run(run.run_id).status is PipelineRunStatus.SUCCESS
        assert _types(instance, run.run_id)[:2] == ["PIPELINE_STARTING", "PIPELINE_START"]


def test_queued_runs_wait_for_a_dequeuer_then_respect_max_concurrent_runs(tmp_path):
    with _queued(tmp_path, n=2) as instance:
        runs = [_submit(instance, seconds=1.0) for _ in range(4)]
        assert [r.status for r in runs] == [QUEUED] * 4
        time.sleep(0.3)
        assert all(instance.get_run(r.run_id).status is QUEUED for r in runs)  # no dequeuer
        state = instance.run_coordinator.dequeue(instance)
        assert state.launched == [runs[0].run_id, runs[1].run_id]
        assert "max_concurrent_runs is 2" in state.waiting[runs[2].run_id]
        again = instance.run_coordinator.dequeue(instance)
        assert again.launched == []  # both slots taken
        _wait_finished(instance, [r.run_id for r in runs[:2]])
        assert instance.run_coordinator.dequeue(instance).launched == \
            [runs[2].run_id, runs[3].run_id]
        _wait_finished(instance, [r.run_id for r in runs])
        for run in runs:
            assert _types(instance, run.run_id)[:4] == [
                "PIPELINE_ENQUEUED", "PIPELINE_DEQUEUED", "PIPELINE_STARTING", "PIPELINE_START"]
            assert instance.get_run(run.run_id).status is PipelineRunStatus.SUCCESS


def _drain_one_at_a_time(instance, expected: int) -> list[str]:
    order = []
    for _ in range(expected):
        launched = instance.run_coordinator.dequeue(instance).launched
        assert len(launched) == 1
        order += launched
        _wait_finished(instance, launched)
    return order


def test_priority_then_fifo(tmp_path):
    with _queued(tmp_path, n=1) as instance:
        a = _submit(instance)
        b = _submit(instance, tags={PRIORITY_TAG: "5"})
        c = _submit(instance)
        d = _submit(instance, tags={"dagster/priority": "7"})
        e = _submit(instance, tags={PRIORITY_TAG: "not a number"})  # counts as 0
        order = _drain_one_at_a_time(instance, 5)
        assert order == [d.run_id, b.run_id, a.run_id, c.run_id, e.run_id]


def test_a_run_blocked_by_a_tag_limit_does_not_block_the_queue(tmp_path):
    with _queued(tmp_path, n=10, limits="[{key: database, limit: 1}]") as instance:
        first = _submit(instance, seconds=1.0, tags={"database": "pg"})
        blocked = _submit(instance, tags={"database": "other"})
        free = _submit(instance)
        state = instance.run_coordinator.dequeue(instance)
        assert state.launched == [first.run_id, free.run_id]
        assert "tag limit" in state.waiting[blocked.run_id]
        assert "database" in state.waiting[blocked.run_id]
        _wait_finished(instance, [first.run_id, free.run_id])
        assert instance.run_coordinator.dequeue(instance).launched == [blocked.run_id]
        _wait_finished(instance, [blocked.run_id])


def test_limit_per_unique_value_and_exact_value(tmp_path):
    limits = ("[{key: team, value: {applyLimitPerUniqueValue: true}, limit: 1}, "
              "{key: env, value: prod, limit: 1}]")
    with _queued(tmp_path, n=10, limits=limits) as instance:
        a1 = _submit(instance, seconds=1.0, tags={"team": "a"})
        a2 = _submit(instance, tags={"team": "a"})
        b1 = _submit(instance, tags={"team": "b"})
        p1 = _submit(instance, seconds=1.0, tags={"env": "prod"})
        p2 = _submit(instance, tags={"env": "prod"})
        dev = _submit(instance, tags={"env": "dev"})  # the limit is on env=prod only
        state = instance.run_coordinator.dequeue(instance)
        assert state.launched == [a1.run_id, b1.run_id, p1.run_id, dev.run_id]
        assert "team=a" in state.waiting[a2.run_id]
        assert "env=prod" in state.waiting[p2.run_id]
        _wait_finished(instance, state.launched)
        assert instance.run_coordinator.dequeue(instance).launched == [a2.run_id, p2.run_id]
        _wait_finished(instance, [a2.run_id, p2.run_id])


def test_cancel_a_queued_run_never_starts_it(tmp_path):
    with _queued(tmp_path, n=1) as instance:
        run = _submit(instance)
        assert instance.cancel_run(run.run_id)
        assert instance.get_run(run.run_id).status is PipelineRunStatus.CANCELED
        assert instance.run_coordinator.dequeue(instance).launched == []
        assert _types(instance, run.run_id) == [
            "PIPELINE_ENQUEUED", "PIPELINE_CANCELING", "PIPELINE_CANCELED"]


def test_cancel_a_started_run_terminates_its_worker(tmp_path):
    with _queued(tmp_path, n=1) as instance:
        run = _submit(instance, seconds=30.0)
        instance.run_coordinator.dequeue(instance)
        deadline = time.time() + 20
        while instance.get_run(run.run_id).status is not PipelineRunStatus.STARTED:
            assert time.time() < deadline
            time.sleep(0.05)
        assert instance.cancel_run(run.run_id)
        _wait_finished(instance, [run.run_id])
        assert instance.get_run(run.run_id).status is PipelineRunStatus.CANCELED


def test_two_dequeuers_never_launch_a_run_twice(tmp_path, storage):
    """Two dequeuer processes (a second daemon started by mistake) on one instance: every run
    is claimed and launched once, and never more than max_concurrent_runs run at once."""
    with _queued(tmp_path, n=3, storage=storage) as instance:
        runs = [_submit(instance, seconds=0.05) for _ in range(9)]
        ids = [r.run_id for r in runs]
        procs = [subprocess.Popen([sys.executable, "-c", DEQUEUER, str(instance.root_dir), *ids],
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        try:
            _wait_finished(instance, ids, seconds=90)
        finally:
            codes = [p.wait(timeout=120) for p in procs]
        assert codes == [0, 0], [p.stderr.read() for p in procs]
        spans = []
        for run in runs:
            types = _types(instance, run.run_id)
            assert types.count("PIPELINE_DEQUEUED") == 1
            assert types.count("PIPELINE_START") == 1
            stored = instance.get_run(run.run_id)
            assert stored.status is PipelineRunStatus.SUCCESS
            # From PIPELINE_START (made by the run worker, after the claim committed) to the
            # end (stamped before the run's last commit frees its slot): inside the span the
            # run held its slot. Not from PIPELINE_DEQUEUED: its record is stamped before the
            # claim waits for the storage's lock, so under load it predates the free slot.
            started = next(e.timestamp for e in instance.get_logs_for_run(run.run_id)
                           if e.event_type is EventType.PIPELINE_START)
            spans.append((started, stored.end_time))
        most = max(sum(1 for a, b in spans if a <= t < b) for t, _ in spans)
        assert most <= 3


def test_a_dequeuer_that_dies_after_claiming_leaves_a_failed_run_not_a_double_launch(
        tmp_path, storage):
    with _queued(tmp_path, n=1, storage=storage) as instance:
        run = _submit(instance)
        home = str(instance.root_dir)
    # A dequeuer process claims the run and dies before launching it.
    script = textwrap.dedent(f"""
        import os
        from orch.core.events import EventRecord, EventType
        from orch.core.instance import Instance
        from orch.core.runs import PipelineRunStatus
        instance = Instance.from_home({home!r})
        claimed = instance.storage.store_events_if_status(
            {run.run_id!r}, [PipelineRunStatus.QUEUED],
            [EventRecord({run.run_id!r}, "waits", EventType.PIPELINE_DEQUEUED, "claimed",
                         data={{"worker_pid": os.getpid()}})])
        assert claimed
        os._exit(9)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "ORCH_HOME": home}, timeout=60)
    assert done.returncode == 9, done.stderr
    with Instance.from_home(home) as restarted:  # opening the instance runs recovery
        assert restarted.run_coordinator.dequeue(restarted).launched == []
        after = restarted.get_run(run.run_id)
        assert after.status is PipelineRunStatus.FAILURE
        types = _types(restarted, run.run_id)
        assert types.count("PIPELINE_DEQUEUED") == 1 and "PIPELINE_START" not in types
        failure = [e for e in restarted.get_logs_for_run(run.run_id)
                   if e.event_type is EventType.ENGINE_EVENT]
        assert "exited" in failure[0].message


class _Refusing(RunLauncher):
    def launch_run(self, instance, run):
        raise RuntimeError("no capacity on the cluster")


def test_a_launch_error_fails_that_run_and_the_queue_goes_on(tmp_path):
    with _queued(tmp_path, n=5) as instance:
        bad = _submit(instance)
        good = _submit(instance)
        real = instance.run_launcher
        calls = []

        class OnceRefusing(RunLauncher):
            def launch_run(self, inst, run):
                calls.append(run.run_id)
                if run.run_id == bad.run_id:
                    _Refusing().launch_run(inst, run)
                real.launch_run(inst, run)

        instance._run_launcher = OnceRefusing()
        state = instance.run_coordinator.dequeue(instance)
        assert state.launched == [bad.run_id, good.run_id]
        assert instance.get_run(bad.run_id).status is PipelineRunStatus.FAILURE
        failure = instance.get_logs_for_run(bad.run_id)[-1]
        assert "no capacity on the cluster" in failure.message
        _wait_finished(instance, [good.run_id])
        assert instance.get_run(good.run_id).status is PipelineRunStatus.SUCCESS


def test_submitting_a_run_twice_is_refused(tmp_path):
    with _queued(tmp_path, n=1) as instance:
        run = _submit(instance)
        with pytest.raises(RunCoordinatorError, match="only a NOT_STARTED run"):
            instance.submit_run(instance.get_run(run.run_id))


@pytest.mark.parametrize("yaml, message", [
    ("run_coordinator: {name: fifo}", "choose one of: default, queued"),
    ("run_coordinator: {name: queued, config: {max_concurrent_runs: -1}}",
     "max_concurrent_runs"),
    ("run_coordinator: {name: queued, config: {tag_concurrency_limits: [{key: a}]}}",
     "needs `key` and `limit`"),
    ("run_coordinator: {name: queued, config: {speed: 3}}", "speed"),
])
def test_bad_coordinator_config_names_the_problem(tmp_path, yaml, message):
    with Instance.from_home(_home(tmp_path, yaml)) as instance:
        with pytest.raises(OrchInstanceConfigError, match=message):
            _ = instance.run_coordinator


def test_the_dequeuer_wakes_on_a_submit(tmp_path):
    with _queued(tmp_path, n=4) as instance:
        instance.config["run_coordinator"]["config"]["dequeue_interval_seconds"] = 30
        instance._run_coordinator = None
        stop = threading.Event()
        passes = []
        thread = threading.Thread(target=run_dequeuer, args=(instance, stop),
                                  kwargs={"on_pass": passes.append})
        thread.start()
        try:
            time.sleep(0.2)
            run = _submit(instance)
            # Launched long before the 30 s interval: the submit's commit woke the dequeuer.
            _wait_finished(instance, [run.run_id], seconds=20)
        finally:
            stop.set()
            thread.join(10)
        assert any(run.run_id in p.launched for p in passes)


def test_queued_coordinator_is_a_run_coordinator_by_name(tmp_path):
    with _queued(tmp_path, n=3) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.run_coordinator.max_concurrent_runs == 3


class _RecordingLauncher(RunLauncher):
    """The submitter's own launcher (what `orch run` offers): starts a real worker, and
    remembers which runs it started."""

    def __init__(self):
        self.started: list[str] = []

    def launch_run(self, instance, run):
        from orch.core.launcher import DefaultRunLauncher

        self.started.append(run.run_id)
        DefaultRunLauncher().launch_run(instance, run)


def test_a_submitter_takes_only_its_own_run_and_only_when_due(tmp_path):
    from orch.core.run_coordinator import wait_for_turn

    with _queued(tmp_path, n=1) as instance:
        ahead = _submit(instance, tags={PRIORITY_TAG: "1"})
        mine = _submit(instance)
        own = _RecordingLauncher()
        # The run ahead is due first: a pass for "mine" leaves its slot to it, launches nothing.
        state = instance.run_coordinator.dequeue_own(instance, mine.run_id, own)
        assert state.launched == [] and own.started == []
        assert instance.get_run(ahead.run_id).status is QUEUED
        assert "1 taken by runs ahead" in state.waiting[mine.run_id]
        assert instance.run_coordinator.dequeue(instance).launched == [ahead.run_id]
        reasons: list[str] = []
        assert wait_for_turn(instance, mine.run_id, own, on_wait=reasons.append) is True
        assert own.started == [mine.run_id]  # only after the run ahead ended
        assert instance.get_run(ahead.run_id).status is PipelineRunStatus.SUCCESS
        assert reasons == ["waiting for a slot: max_concurrent_runs is 1, 1 in progress"]
        _wait_finished(instance, [mine.run_id])
        assert _types(instance, mine.run_id).count("PIPELINE_DEQUEUED") == 1


def test_a_run_another_dequeuer_took_is_followed_not_launched_again(tmp_path):
    from orch.core.launcher import RecordedWorker
    from orch.core.run_coordinator import wait_for_turn

    with _queued(tmp_path, n=1) as instance:
        mine = _submit(instance, seconds=0.5)
        assert instance.run_coordinator.dequeue(instance).launched == [mine.run_id]
        own = _RecordingLauncher()
        assert wait_for_turn(instance, mine.run_id, own) is False
        assert own.started == []
        worker = RecordedWorker(instance, mine.run_id)
        assert worker.poll() is None
        assert worker.wait(timeout=30) == 0
        assert instance.get_run(mine.run_id).status is PipelineRunStatus.SUCCESS


def test_a_dequeuer_that_counted_before_another_claimed_does_not_go_over_the_limits(
        tmp_path, storage, backend, request):
    """Two dequeuers (orch run taking its own run, the daemon) both saw a free slot; the
    second claim is refused inside its transaction, for max_concurrent_runs and tag limits."""
    from orch.core.launcher import CallerLauncher

    limits = "[{key: db, limit: 1}]"
    with _queued(tmp_path, n=2, limits=limits, storage=storage) as instance:
        first, second = (_submit(instance, tags={"db": "pg"}) for _ in range(2))
        coordinator = instance.run_coordinator
        started: list[str] = []
        launcher = CallerLauncher(lambda run: started.append(run.run_id))
        # Both passes counted nothing in progress; the first claim takes the db slot.
        assert coordinator._claim_and_launch(instance, instance.get_run(first.run_id), launcher)
        assert not coordinator._claim_and_launch(instance, instance.get_run(second.run_id),
                                                 launcher)
        assert instance.get_run(second.run_id).status is QUEUED and started == [first.run_id]
    (tmp_path / "slots").mkdir()
    slots_storage = "" if backend == "sqlite" else (  # a database of its own
        "storage:\n  postgres:\n    postgres_url: "
        f"{request.getfixturevalue('postgres_server').create_database()}\n")
    with _queued(tmp_path / "slots", n=1, storage=slots_storage) as instance:
        a, b = _submit(instance), _submit(instance)
        coordinator = instance.run_coordinator
        assert coordinator._claim_and_launch(instance, instance.get_run(a.run_id),
                                             CallerLauncher(lambda run: None))
        assert not coordinator._claim_and_launch(instance, instance.get_run(b.run_id),
                                                 CallerLauncher(lambda run: None))
        assert instance.get_run(b.run_id).status is QUEUED
