"""The Dask executor on real clusters: a LocalCluster of worker processes started for the
run, and an "existing" cluster of ``dask scheduler`` + 2 ``dask worker`` processes on
loopback ports (dask_helpers.py), driven through ``orch run`` / ``orch launch`` as a user
runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import dask_helpers as d
import pytest
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus

SAMPLE = d.ROOT / "sample_repo" / "sales.py"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = d.start_cluster(tmp_path_factory.mktemp("dask-cluster"))
    yield started
    started.stop()


def _events(tmp: Path, run_id: str | None = None):
    with Instance.from_home(tmp / "home") as instance:
        run = instance.get_run(run_id) if run_id else instance.get_runs(limit=1)[0]
        return run, instance.get_logs_for_run(run.run_id)


def _wait_for_status(tmp: Path, run_id: str, status: PipelineRunStatus,
                     timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _events(tmp, run_id)[0].status is not status:
        assert time.monotonic() < deadline, f"the run did not become {status.value}"
        time.sleep(0.2)


def _step_types(events, step_key: str) -> list[str]:
    return [e.event_type_value for e in events if e.step_key == step_key
            and e.event_type is not None and e.event_type is not EventType.ENGINE_EVENT]


def _failure_text(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"


def test_a_local_cluster_of_worker_processes_runs_a_sample_pipeline(tmp_path) -> None:
    d.need_dask()
    config = tmp_path / "local.yaml"
    config.write_text("execution:\n  dask:\n    config:\n      cluster:\n        local:\n"
                      "          n_workers: 2\n          processes: true\n")
    done = d.orch(tmp_path, "run", "-f", str(SAMPLE), "-p", "regional_revenue", "-c",
                  str(config))
    assert done.returncode == 0, _failure_text(done)
    run, events = _events(tmp_path)
    [note] = [e for e in events if e.message.startswith("Executing steps on the Dask")]
    assert note.data["workers"] == 2 and note.data["scheduler"].startswith("tcp://127.0.0.1:")
    step_pids = {e.pid for e in events if e.event_type is EventType.STEP_START}
    assert run.worker_pid not in step_pids and len(step_pids) >= 1
    assert any("total revenue 935.49 across 3 regions" in e.message for e in events)
    assert _step_types(events, "region_revenue[emea]")[-1] == "STEP_SUCCESS"


def test_an_existing_cluster_runs_the_steps_on_its_workers(tmp_path, cluster) -> None:
    done = d.run_pipeline(tmp_path, "spread", "--executor", "dask", "--dask-address",
                          cluster.address)
    assert done.returncode == 0, _failure_text(done)
    _, events = _events(tmp_path)
    step_pids = {e.pid for e in events if e.event_type is EventType.STEP_START}
    assert step_pids == cluster.worker_pids  # four steps, over both workers
    assert f"on the Dask cluster at {cluster.address}" in " ".join(e.message for e in events)
    # The long-lived scheduler does not keep the run's messages (its topic) after the run.
    from distributed import Client

    with Client(cluster.address, timeout=30, set_as_default=False) as client:
        # A lambda is pickled by value (the scheduler cannot import this file).
        topics = client.run_on_scheduler(lambda dask_scheduler: list(
            dask_scheduler._broker._topics))
    assert not [t for t in topics if t.startswith("orch-run-")], topics


def test_step_events_stream_back_while_the_step_runs_and_its_output_is_shipped(
        tmp_path, cluster) -> None:
    done = d.run_pipeline(tmp_path, "streaming", "--dask-address", cluster.address)
    assert done.returncode == 0, _failure_text(done)
    run, events = _events(tmp_path)
    logs = d.orch(tmp_path, "runs", "logs", run.run_id, "--step", "watches_its_own_events",
                  "--stdout")
    assert logs.returncode == 0, _failure_text(logs)
    seen = logs.stdout.strip().removeprefix("seen while running: ")
    assert seen.endswith("'STEP_START', 'LOADED_INPUT', 'STEP_INPUT']"), logs.stdout
    errors = d.orch(tmp_path, "runs", "logs", run.run_id, "--step", "watches_its_own_events",
                    "--stderr")
    assert "to stderr too" in errors.stdout
    [captured] = [e for e in events if e.event_type is EventType.LOGS_CAPTURED
                  and e.step_key == "watches_its_own_events"]
    assert Path(captured.data["stdout"]).read_text().startswith("seen while running")
    # The run worker wrote every event: the worker's only reach it through the channel.
    assert {e.pid for e in events if e.step_key is None} == {run.worker_pid, events[0].pid}


def test_a_running_dask_steps_compute_log_is_readable_before_it_ends(tmp_path, cluster
                                                                       ) -> None:
    """The step prints a line and waits for a file this test creates only once it has read
    that line with ``orch runs logs`` (so the line came while the step ran, not at its end)."""
    launched = d.orch(tmp_path, "launch", "-f", str(d.PIPELINES), "-p", "live_logs",
                      "--dask-address", cluster.address)
    assert launched.returncode == 0, _failure_text(launched)
    run_id = launched.stdout.strip().splitlines()[-1]

    def step_log(stream: str) -> str:
        done = d.orch(tmp_path, "runs", "logs", run_id, "--step", "talks_then_waits",
                      f"--{stream}")
        assert done.returncode == 0, _failure_text(done)
        return done.stdout

    try:
        deadline = time.monotonic() + 60
        while not any(e.event_type is EventType.STEP_START for e in _events(tmp_path, run_id)[1]):
            assert time.monotonic() < deadline, "the step never started"
            time.sleep(0.1)
        while "first line, before the wait" not in step_log("stdout"):
            assert time.monotonic() < deadline, "the running step's first line never came"
            time.sleep(0.2)
        run, _ = _events(tmp_path, run_id)
        assert run.status is PipelineRunStatus.STARTED  # still waiting for us
        assert "second line" not in step_log("stdout")
        assert step_log("stderr") == "and to stderr\n"
    finally:
        (tmp_path / "go").write_text("")
    _wait_for_status(tmp_path, run_id, PipelineRunStatus.SUCCESS)
    assert step_log("stdout") == "first line, before the wait\nsecond line, after the wait\n"


def test_a_steps_outcome_is_stored_while_its_resources_are_still_torn_down(
        tmp_path, cluster) -> None:
    """The outcome rides on the task's last message, unless the end is slow: here the
    resource's teardown waits for a file this test creates only once STEP_SUCCESS is stored."""
    launched = d.orch(tmp_path, "launch", "-f", str(d.PIPELINES), "-p", "slow_teardown",
                      "--dask-address", cluster.address)
    assert launched.returncode == 0, _failure_text(launched)
    run_id = launched.stdout.strip().splitlines()[-1]
    try:
        d.wait_for(tmp_path / "closing")
        deadline = time.monotonic() + 30
        while not any(e.event_type is EventType.STEP_SUCCESS
                      for e in _events(tmp_path, run_id)[1]):
            assert time.monotonic() < deadline, "the outcome waited for the teardown"
            time.sleep(0.1)
        assert _events(tmp_path, run_id)[0].status is PipelineRunStatus.STARTED
    finally:
        (tmp_path / "go").write_text("")
    _wait_for_status(tmp_path, run_id, PipelineRunStatus.SUCCESS)


def test_retries_skips_and_dynamic_outputs_as_under_multiprocess(tmp_path, cluster) -> None:
    done = d.run_pipeline(tmp_path, "behaviours", "--dask-address", cluster.address)
    assert done.returncode == 0, _failure_text(done)
    _, on_dask = _events(tmp_path)
    (tmp_path / "flaky.failed-once").unlink()
    done = d.run_pipeline(tmp_path, "behaviours", "--executor", "multiprocess")
    assert done.returncode == 0, _failure_text(done)
    _, on_fork = _events(tmp_path)
    assert _step_types(on_dask, "flaky")[:3] == ["LOGS_CAPTURED", "STEP_START",
                                                 "STEP_UP_FOR_RETRY"]
    assert _step_types(on_dask, "skipped") == ["STEP_SKIPPED"]
    assert any(e.message.startswith('Yielded output "result" of type "Int"')
               for e in on_dask if e.step_key == "total")
    keys = {e.step_key for e in on_dask} | {e.step_key for e in on_fork}
    assert {"square[k0]", "square[k1]", "total"} <= keys
    for key in sorted(k for k in keys if k):
        assert _step_types(on_dask, key) == _step_types(on_fork, key), key


def test_a_worker_killed_mid_step_fails_that_step_and_the_run_finishes(tmp_path) -> None:
    own = d.start_cluster(tmp_path / "cluster")
    try:
        run = subprocess.Popen(
            [str(d.BIN / "orch"), "run", "-f", str(d.PIPELINES), "-p", "worker_dies",
             "--dask-address", own.address], cwd=tmp_path, env=d.orch_env(tmp_path),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        victim = int(d.wait_for(tmp_path / "victim.pid"))
        assert victim in own.worker_pids
        os.kill(victim, signal.SIGKILL)
        _, err = run.communicate(timeout=60)
    finally:
        own.stop()
    assert run.returncode == 1, err
    _, events = _events(tmp_path)
    [failure] = [e for e in events if e.event_type is EventType.STEP_FAILURE]
    assert failure.step_key == "killed_mid_step"
    assert "its Dask worker tcp://127.0.0.1:" in failure.message, failure.message
    assert failure.data["error_source"] == "PROCESS_CRASH"
    assert _step_types(events, "survivor")[-1] == "STEP_SUCCESS"
    assert _step_types(events, "after_killed") == []
    assert [e.event_type_value for e in events][-1] == "PIPELINE_FAILURE"
    assert "killed_mid_step" in err


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path) -> None:
    d.need_dask()
    address = f"tcp://127.0.0.1:{d.free_port()}"
    config = tmp_path / "existing.yaml"
    config.write_text(f"execution:\n  dask:\n    config:\n      cluster:\n        existing:\n"
                      f"          address: {address}\n          timeout: 2\n")
    started = time.monotonic()
    done = d.run_pipeline(tmp_path, "spread", "-c", str(config))
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert f"Cannot reach the Dask scheduler at {address}" in done.stderr, done.stderr
    run, events = _events(tmp_path)
    assert run.status is PipelineRunStatus.FAILURE
    assert not [e for e in events if e.event_type is EventType.STEP_START]


def test_an_in_memory_io_manager_is_an_error_naming_a_persistent_one(tmp_path) -> None:
    d.need_dask()
    done = d.run_pipeline(tmp_path, "in_memory", "--executor", "dask")
    assert done.returncode == 2
    assert "uses the dask executor" in done.stderr and "fs_io_manager" in done.stderr


def test_bad_cli_combinations_name_the_option(tmp_path) -> None:
    done = d.run_pipeline(tmp_path, "spread", "--executor", "multiprocess",
                          "--dask-address", "tcp://127.0.0.1:1")
    assert done.returncode == 2 and "--dask-address applies to the dask executor" in done.stderr
    done = d.run_pipeline(tmp_path, "spread", "--dask-address", "127.0.0.1:8786")
    assert done.returncode == 2 and "is not a scheduler address" in done.stderr


def test_cancel_ends_the_run_canceled(tmp_path, cluster) -> None:
    launched = d.orch(tmp_path, "launch", "-f", str(d.PIPELINES), "-p", "sleepy",
                      "--dask-address", cluster.address)
    assert launched.returncode == 0, _failure_text(launched)
    run_id = launched.stdout.strip().splitlines()[-1]
    d.wait_for(tmp_path / "napping")
    try:
        canceled = d.orch(tmp_path, "runs", "cancel", run_id)
        assert canceled.returncode == 0, _failure_text(canceled)
        _wait_for_status(tmp_path, run_id, PipelineRunStatus.CANCELED, timeout=30)
    finally:
        (tmp_path / "stop").write_text("")
    _, events = _events(tmp_path, run_id)
    assert any(e.message.startswith("Canceled Dask task") for e in events)
    [failure] = [e for e in events if e.event_type is EventType.STEP_FAILURE]
    assert failure.step_key == "naps"


def test_a_dask_step_marks_its_capture_complete_without_a_commit_of_its_own(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As under multiprocess: once a step's last message is in, its capture's complete row
    takes the lazy path (it rides with the next commit, one commit a step, not two); the
    rows are all complete, with the steps' prints, once the run is over. In this process,
    on a LocalCluster of threads."""
    d.need_dask()
    import dask_pipelines
    from orch.core.storage.event_writer import EventWriter

    from orch import execute_pipeline

    urgent: list[str] = []
    eager = EventWriter.write_compute_log

    def watched(self, info):
        if info.complete:
            urgent.append(info.step_key)
        return eager(self, info)

    monkeypatch.setattr(EventWriter, "write_compute_log", watched)
    cluster = {"local": {"n_workers": 1, "processes": False, "protocol": "tcp://"}}
    with Instance.from_home(tmp_path / "home") as instance:
        result = execute_pipeline(
            dask_pipelines.behaviours, instance=instance,
            run_config={"execution": {"dask": {"config": {"cluster": cluster}}},
                        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
        assert result.success
        rows = instance.storage.get_compute_logs(result.run_id)
        assert len(rows) == 6 and all(r.complete for r in rows)
        data, _, complete = instance.compute_log_manager.read(result.run_id, "square[k1]",
                                                              "stdout")
        assert data == b"square of 1\n" and complete
    assert urgent == []
