"""The multiprocess executor with real step processes and a real SQLite instance.

Each test runs a pipeline whose steps are forked processes and asserts what only process
isolation gives: state does not leak between steps, a dying step fails alone, a canceled run
leaves nothing behind, outputs cross processes through the IO manager.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mp_helpers as h
import psutil
import pytest
from orch.core.errors import DagsterInvariantViolationError
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.launcher import create_run, launch_run
from orch.core.runs import PipelineRunStatus

from orch import ReconstructablePipeline, execute_pipeline, reconstructable

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "orch_home"
    monkeypatch.setenv("ORCH_HOME", str(path))
    return path


@pytest.fixture
def instance(home: Path):
    inst = Instance.from_home(home)
    yield inst
    inst.close()


def _stored(instance: Instance, run_id: str):
    return instance.get_logs_for_run(run_id)


# -- isolation ---------------------------------------------------------------------------------
def test_module_state_mutated_by_one_step_is_not_seen_by_the_next(instance: Instance) -> None:
    result = h.run_mp(h.isolation_pipeline, instance)
    assert result.success
    mutator_pid = result.result_for_solid("mutate_state").output_value()
    seen = result.result_for_solid("read_state").output_value()
    assert seen["value"] == "original"
    assert h.STATE["value"] == "original"  # nor by the run process
    assert len({mutator_pid, seen["pid"], os.getpid()}) == 3


def test_events_before_the_compute_function_are_stored_while_it_runs(
        instance: Instance) -> None:
    """A step process sends its events in a few writes (each wakes the run worker), but the
    ones before user code runs are delivered before it runs: the app sees the step start and
    load its inputs while the compute function works."""
    result = h.run_mp(h.sees_own_events_pipeline, instance)
    assert result.success
    seen = result.result_for_solid("waits_for_its_own_events").output_value()
    assert seen[-3:] == ["STEP_START", "LOADED_INPUT", "STEP_INPUT"], seen


# -- crashes -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("how", "cause"),
    [
        ("sigkill", "was killed by signal 9 (SIGKILL)"),
        ("exit3", "exited with code 3"),
        ("segfault", "was killed by signal 11 (SIGSEGV)"),
    ],
)
def test_a_dying_step_fails_with_its_cause_while_a_parallel_branch_finishes(
    instance: Instance, how: str, cause: str
) -> None:
    result = execute_pipeline(h.crash_pipeline, run_config=h.crash_config(how),
                              instance=instance, raise_on_error=False)
    assert not result.success
    events = _stored(instance, result.run_id)

    [failure] = h.of_type(events, EventType.STEP_FAILURE)
    assert failure.step_key == "crash"
    [crash_pid] = h.launched_pids(events)["crash"]
    assert cause in failure.message and str(crash_pid) in failure.message
    assert failure.data["error_source"] == "PROCESS_CRASH"
    assert failure.data["pid"] == crash_pid
    assert cause in failure.data["error"]["message"]
    assert failure.pid == os.getpid()  # the parent reports what the dead child could not

    # The branch ran at the same time, and it and its downstream finished.
    assert h.step_types(events, "slow_branch")[-1] == "STEP_SUCCESS"
    assert result.result_for_solid("after_branch").output_value() == "branch ok!"
    # (launched before the crash was reported, succeeded after it)
    [branch_launch] = [e for e in events if e.step_key == "slow_branch"
                       and e.message.startswith("Launched step process")]
    [branch_end] = h.of_type(events, EventType.STEP_SUCCESS, "slow_branch")
    assert branch_launch.storage_id < failure.storage_id < branch_end.storage_id

    # Downstream of the crash: abandoned (never started), and the run failed.
    assert h.step_types(events, "after_crash") == []
    [abandoned] = [e for e in events if e.step_key == "after_crash"]
    assert abandoned.data["abandoned"] is True and abandoned.data["failed_dependencies"] == ["crash"]
    [run_failure] = h.of_type(events, EventType.PIPELINE_FAILURE)
    assert run_failure.data["failed_steps"] == ["crash"]
    assert run_failure.data["abandoned_steps"] == ["after_crash"]
    assert instance.get_run(result.run_id).status is PipelineRunStatus.FAILURE
    assert not h.pid_alive(crash_pid)


def test_a_hung_step_past_its_timeout_tag_is_killed_and_failed(instance: Instance) -> None:
    started = time.monotonic()
    result = h.run_mp(h.hang_pipeline, instance)
    assert time.monotonic() - started < 10
    assert not result.success
    events = _stored(instance, result.run_id)
    [failure] = h.of_type(events, EventType.STEP_FAILURE)
    assert failure.step_key == "hang"
    assert "exceeded its timeout of 0.5s and was killed" in failure.message
    assert failure.data["error_source"] == "TIMEOUT"
    assert h.step_types(events, "slow_branch")[-1] == "STEP_SUCCESS"
    assert h.step_types(events, "after_crash") == []
    [hang_pid] = h.launched_pids(events)["hang"]
    assert not h.pid_alive(hang_pid)


# -- cancellation of a stored run in a run worker -----------------------------------------------
def _start_worker(tmp_path: Path, instance: Instance, monkeypatch: pytest.MonkeyPatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "slow_pipelines.py").write_text(h.WORKER_PIPELINE)
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    monkeypatch.setenv("MP_TEST_PID_DIR", str(pid_dir))  # read at import, here and in the worker
    target = ReconstructablePipeline("slow_pipeline", python_file=str(code / "slow_pipelines.py"),
                                     attribute="slow_pipeline", working_directory=str(code))
    run = create_run(instance, target, run_config=h.mp_config(2))
    worker = launch_run(instance, run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return run, worker, pid_dir


def _wait_for_steps(instance: Instance, run_id: str, pid_dir: Path, worker) -> set[int]:
    """Wait until both steps run and the grandchild exists; return every descendant pid."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        started = h.of_type(_stored(instance, run_id), EventType.STEP_START)
        if len(started) == 2 and any(p.name.startswith("grandchild-") for p in pid_dir.iterdir()):
            break
        assert worker.poll() is None, worker.stderr.read()
        time.sleep(0.05)
    else:
        raise AssertionError("the steps never started")
    descendants = {p.pid for p in psutil.Process(worker.pid).children(recursive=True)}
    noted = {int(p.name.split("-")[1]) for p in pid_dir.iterdir()}
    assert noted <= descendants  # both steps and the grandchild hang off the worker
    return descendants


def _assert_canceled_cleanly(instance: Instance, run_id: str, worker, pids: set[int]) -> None:
    assert worker.wait(timeout=15) == 130, worker.stderr.read()
    events = _stored(instance, run_id)
    run_types = [e.event_type for e in events if e.event_type and e.event_type.value.startswith(
        "PIPELINE_")]
    assert run_types[-2:] == [EventType.PIPELINE_CANCELING, EventType.PIPELINE_CANCELED]
    assert run_types.count(EventType.PIPELINE_CANCELING) == 1
    assert instance.get_run(run_id).status is PipelineRunStatus.CANCELED
    assert h.step_types(events, "never") == []
    terminated = [e for e in events if e.message.startswith("Terminated step process")]
    assert sorted(e.step_key for e in terminated) == ["hold", "hold_in_child"]
    deadline = time.monotonic() + 5
    while any(h.pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in pids if h.pid_alive(p)] == []


def test_cancel_request_through_the_instance_stops_the_worker_and_every_process(
    tmp_path: Path, instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, worker, pid_dir = _start_worker(tmp_path, instance, monkeypatch)
    try:
        pids = _wait_for_steps(instance, run.run_id, pid_dir, worker)
        assert instance.request_cancel(run.run_id)
        _assert_canceled_cleanly(instance, run.run_id, worker, pids)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_sigterm_to_the_worker_cancels_the_run_and_leaves_no_processes(
    tmp_path: Path, instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, worker, pid_dir = _start_worker(tmp_path, instance, monkeypatch)
    try:
        pids = _wait_for_steps(instance, run.run_id, pid_dir, worker)
        worker.send_signal(signal.SIGTERM)
        _assert_canceled_cleanly(instance, run.run_id, worker, pids)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


# -- concurrency -------------------------------------------------------------------------------
@pytest.mark.parametrize("max_concurrent", [1, 2])
def test_max_concurrent_bounds_the_steps_running_at_once(
    instance: Instance, max_concurrent: int
) -> None:
    result = h.run_mp(h.sleepers_pipeline, instance, max_concurrent=max_concurrent)
    assert result.success
    events = _stored(instance, result.run_id)
    assert len(h.of_type(events, EventType.STEP_SUCCESS)) == 5
    assert h.max_overlap(events) == max_concurrent


# -- retries -----------------------------------------------------------------------------------
def test_a_retried_step_runs_again_in_a_new_process(instance: Instance) -> None:
    result = h.run_mp(h.retry_pipeline, instance)
    assert result.success
    events = _stored(instance, result.run_id)
    assert [t for t in h.step_types(events, "flaky") if t != "ENGINE_EVENT"] == [
        "LOGS_CAPTURED", "STEP_START", "STEP_UP_FOR_RETRY",
        "LOGS_CAPTURED", "STEP_RESTARTED", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS",
    ]
    first, second = h.launched_pids(events)["flaky"]
    assert first != second
    assert h.of_type(events, EventType.STEP_START)[0].pid == first
    assert h.of_type(events, EventType.STEP_RESTARTED)[0].pid == second
    assert result.result_for_solid("flaky").output_value() == {"pid": second, "retry_number": 1}


# -- dynamic fan-out ---------------------------------------------------------------------------
def test_dynamic_fan_out_maps_and_collects_across_processes(instance: Instance) -> None:
    result = h.run_mp(h.dynamic_pipeline, instance)
    assert result.success
    squares = result.result_for_solid("square").output_value()
    assert {k: v["square"] for k, v in squares.items()} == {"k1": 1, "k2": 4, "k3": 9}
    assert len({v["pid"] for v in squares.values()} | {os.getpid()}) == 4
    assert result.result_for_solid("total").output_value() == 14
    events = _stored(instance, result.run_id)
    assert set(h.launched_pids(events)) == {"emit", "square[k1]", "square[k2]", "square[k3]",
                                            "total"}


# -- compute logs ------------------------------------------------------------------------------
def test_compute_logs_capture_print_stderr_and_child_processes(
    home: Path, instance: Instance
) -> None:
    result = h.run_mp(h.noisy_pipeline, instance)
    assert result.success
    out = home / "logs" / result.run_id / "noisy.out"
    err = home / "logs" / result.run_id / "noisy.err"
    assert out.read_text().splitlines() == ["hello from print", "hello from a child process"]
    assert err.read_text().splitlines() == ["hello from stderr", "child stderr"]
    [captured] = h.of_type(_stored(instance, result.run_id), EventType.LOGS_CAPTURED)
    assert captured.step_key == "noisy"
    assert captured.data == {"step_keys": ["noisy"], "stdout": str(out), "stderr": str(err)}
    data, _, complete = instance.compute_log_manager.read(result.run_id, "noisy", "stdout")
    assert data == out.read_bytes() and complete


# -- IO managers -------------------------------------------------------------------------------
def test_an_explicit_in_memory_io_manager_is_a_clear_error(instance: Instance) -> None:
    with pytest.raises(DagsterInvariantViolationError, match="fs_io_manager") as raised:
        h.run_mp(h.in_memory_pipeline, instance)
    assert 'IO manager "io_manager"' in str(raised.value)
    assert "multiprocess executor" in str(raised.value)
    assert instance.get_runs() == []  # nothing stored for a run that cannot work


def test_the_default_io_manager_becomes_fs_io_manager(instance: Instance) -> None:
    result = h.run_mp(h.default_io_pipeline, instance)
    assert result.success
    assert result.result_for_solid("plus_one").output_value() == 2
    stored = instance.storage_dir / result.run_id / "one" / "result"
    assert stored.is_file()


@pytest.mark.parametrize(
    ("step", "output", "type_name"),
    [("returns_lambda", "result", "builtins.function"), ("returns_lock", "guard", "_thread.lock")],
)
def test_an_unpicklable_output_fails_its_step_naming_output_and_type(
    instance: Instance, step: str, output: str, type_name: str
) -> None:
    result = h.run_mp(h.unpicklable_pipeline, instance)
    assert not result.success
    events = _stored(instance, result.run_id)
    [failure] = h.of_type(events, EventType.STEP_FAILURE, step)
    message = failure.data["error"]["message"]
    assert failure.data["error"]["cls_name"] == "DagsterInvariantViolationError"
    assert f'Output "{output}" of step "{step}" could not be pickled' in message
    assert f"a value of type {type_name}" in message
    run_dir = instance.storage_dir / result.run_id / step
    assert not run_dir.exists() or list(run_dir.iterdir()) == []  # no half-written file


# -- a plain script ----------------------------------------------------------------------------
def test_reconstructable_pipeline_in_a_plain_script(tmp_path: Path) -> None:
    script = tmp_path / "my_script.py"
    script.write_text(h.SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "home")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    success, producer, consumer, parent = proc.stdout.split()
    assert success == "True"
    assert len({producer, consumer, parent}) == 3


def test_reconstructable_is_accepted_in_process(instance: Instance) -> None:
    result = execute_pipeline(reconstructable(h.isolation_pipeline), run_config=h.mp_config(2),
                              instance=instance)
    assert result.success


# -- events ------------------------------------------------------------------------------------
def test_child_events_carry_the_child_pid_and_the_parent_writes_them_all(
    instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writers = tmp_path / "writers"
    original = instance.storage.store_events

    def recording_store_events(events):
        with open(writers, "a") as f:  # children inherit this wrapper: a write there shows
            f.write(f"{os.getpid()}\n")
        return original(events)

    monkeypatch.setattr(instance.storage, "store_events", recording_store_events)
    result = h.run_mp(h.dynamic_pipeline, instance)
    assert result.success
    assert set(writers.read_text().split()) == {str(os.getpid())}

    events = _stored(instance, result.run_id)
    assert [e.storage_id for e in events] == sorted(e.storage_id for e in events)
    assert [(e.event_type, e.step_key, e.message) for e in events] == [
        (e.event_type, e.step_key, e.message) for e in result.event_list
    ]
    pids = h.launched_pids(events)
    for e in events:
        if e.event_type in (EventType.STEP_START, EventType.STEP_OUTPUT, EventType.STEP_SUCCESS):
            assert e.pid == pids[e.step_key][0] != os.getpid()
    run_events = [e for e in events if e.event_type in (EventType.PIPELINE_START,
                                                         EventType.PIPELINE_SUCCESS)]
    assert [e.pid for e in run_events] == [os.getpid()] * 2
    for key in pids:  # per step: start, outputs, success in order
        assert h.step_types(events, key).index("STEP_START") \
            < h.step_types(events, key).index("STEP_SUCCESS")


def test_the_last_steps_hooks_and_teardown_finish_before_the_run_ends(
    instance: Instance, tmp_path: Path
) -> None:
    result = h.run_mp(h.after_outcome_pipeline, instance,
                      resources={"slow": {"config": {"marker_dir": str(tmp_path)}}})
    assert result.success
    events = _stored(instance, result.run_id)
    [step_pid] = h.launched_pids(events)["last_step"]
    assert h.step_types(events, "last_step")[-2:] == ["STEP_SUCCESS", "HOOK_COMPLETED"]
    assert "hook ran" in [e.message for e in events if e.step_key == "last_step"]
    assert (tmp_path / f"teardown-{step_pid}").exists()  # not killed half-way through teardown
    assert events[-1].event_type is EventType.PIPELINE_SUCCESS
    data, _, complete = instance.compute_log_manager.read(result.run_id, "last_step")
    assert data == b"last step output\n" and complete
