"""Steps forked by the run's zygote (executors/multiprocess.py) keep the isolation of a step
forked by the run worker: each is its own process and process group, its events reach the
worker (the single writer), its death is a STEP_FAILURE naming the cause, and when the
zygote itself dies the step it had running fails naming it while the run forks the rest
from the worker. Runs with dynamic outputs, and ORCH_STEP_ZYGOTE=0, fork from the worker.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import mp_helpers as h
import pytest
from orch.core.events import EventType
from orch.core.instance import Instance

from orch import DynamicOutput, DynamicOutputDefinition, execute_pipeline, pipeline, solid

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd_open")


@pytest.fixture
def instance(tmp_path: Path):
    inst = Instance.from_home(tmp_path / "orch_home")
    yield inst
    inst.close()


def _whoami() -> dict[str, int]:
    return {"pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0)}


@solid
def first(_context):
    return _whoami()


@solid
def second(_context, _upstream):
    return _whoami()


@solid
def beside(_context):
    return _whoami()


@pipeline
def three_steps():
    second(first())
    beside()


def _zygote_pid(instance: Instance, run_id: str) -> int | None:
    [start] = [e for e in instance.get_logs_for_run(run_id)
               if e.event_type is EventType.ENGINE_EVENT and "zygote_pid" in e.data]
    return start.data["zygote_pid"]


def test_each_step_is_its_own_process_and_group_forked_by_the_runs_zygote(
        instance: Instance) -> None:
    result = h.run_mp(three_steps, instance)
    assert result.success
    zygote = _zygote_pid(instance, result.run_id)
    assert zygote is not None and zygote != os.getpid()
    seen = [result.output_for_solid(name) for name in ("first", "second", "beside")]
    pids = {s["pid"] for s in seen}
    assert len(pids) == 3 and os.getpid() not in pids and zygote not in pids
    assert all(s["ppid"] == zygote and s["pgid"] == s["pid"] for s in seen)
    events = instance.get_logs_for_run(result.run_id)
    launched = h.launched_pids(events)
    assert {k: v[0] for k, v in launched.items()} == {
        "first": seen[0]["pid"], "second": seen[1]["pid"], "beside": seen[2]["pid"]}
    assert not h.pid_alive(zygote)  # it ends with the run


def test_a_step_exiting_without_an_outcome_fails_with_the_status_the_zygote_reaped(
        instance: Instance) -> None:
    result = execute_pipeline(h.crash_pipeline, run_config=h.crash_config("exit3"),
                              instance=instance, raise_on_error=False)
    assert _zygote_pid(instance, result.run_id) is not None
    [failure] = h.of_type(instance.get_logs_for_run(result.run_id), EventType.STEP_FAILURE)
    assert failure.step_key == "crash" and "exited with code 3" in failure.message
    assert result.result_for_solid("after_branch").output_value() == "branch ok!"


_TEST_PROCESS = os.getpid()  # the run worker of these tests (execute_pipeline runs here)


@solid
def kill_my_zygote(_context):
    parent = os.getppid()
    with open(os.environ["ZYGOTE_TEST_NOTE"], "a") as note:
        note.write(f"{parent}\n")
    if parent != _TEST_PROCESS:  # never the test process itself
        os.kill(parent, signal.SIGKILL)
    time.sleep(30)  # killed with the zygote (its parent-death signal)


@solid
def after_the_zygote(_context):
    return _whoami()


@pipeline
def zygote_killer():
    kill_my_zygote()
    after_the_zygote()


def test_a_dead_zygote_fails_its_running_step_naming_it_and_the_run_forks_the_rest(
        instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "parent.txt"
    monkeypatch.setenv("ZYGOTE_TEST_NOTE", str(note))
    started = time.monotonic()
    result = h.run_mp(zygote_killer, instance, max_concurrent=1)  # one after the other
    zygote = _zygote_pid(instance, result.run_id)
    # It ran once, forked by the zygote, and killed it (if before the zygote said it had
    # forked it, the step fails all the same and is not forked a second time).
    assert note.read_text().split() == [str(zygote)]
    assert time.monotonic() - started < 20
    events = instance.get_logs_for_run(result.run_id)
    [failure] = h.of_type(events, EventType.STEP_FAILURE)
    assert failure.step_key == "kill_my_zygote"
    assert "zygote" in failure.message and str(zygote) in failure.message
    assert failure.data["error_source"] == "PROCESS_CRASH"
    later = result.output_for_solid("after_the_zygote")
    assert later["ppid"] == os.getpid() and later["pid"] != os.getpid()
    for victim in h.launched_pids(events).get("kill_my_zygote", []):
        assert not h.pid_alive(victim)


@solid(output_defs=[DynamicOutputDefinition(int)])
def fan(_context):
    for i in range(2):
        yield DynamicOutput(i, mapping_key=str(i))


@solid
def mapped(_context, _value):
    return _whoami()


@pipeline
def dynamic_steps():
    fan().map(mapped)


def test_a_plan_with_dynamic_outputs_forks_its_steps_from_the_worker(
        instance: Instance) -> None:
    result = h.run_mp(dynamic_steps, instance)
    assert result.success
    assert _zygote_pid(instance, result.run_id) is None
    seen = list(result.output_for_solid("mapped").values())  # by mapping key
    assert len(seen) == 2 and all(s["ppid"] == os.getpid() for s in seen)
    assert len(h.launched_pids(instance.get_logs_for_run(result.run_id))) == 3


def test_orch_step_zygote_0_forks_every_step_from_the_worker(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCH_STEP_ZYGOTE", "0")
    result = h.run_mp(three_steps, instance)
    assert result.success
    assert _zygote_pid(instance, result.run_id) is None
    assert result.output_for_solid("first")["ppid"] == os.getpid()


def test_a_zygote_that_dies_while_forking_a_step_fails_it_and_never_forks_it_twice(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """The zygote took the step's request and died before replying (its process may have
    started and been killed with the zygote): that step fails naming the zygote, it is not
    forked again from the worker, and the steps after it are."""
    import orch.executors.multiprocess as mp

    real_fork = mp._Zygote.fork

    def dies_taking_the_first_request(self, request, prepared=False):
        if not getattr(self, "_took_one", False):
            self._took_one = True
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)  # gone before it could reply
            self.sock.close()
            self.sock = _closed_socket()
            self.delivered = True
            self.dead = True
            raise mp._StepLost()
        return real_fork(self, request, prepared)

    monkeypatch.setattr(mp._Zygote, "fork", dies_taking_the_first_request)
    monkeypatch.setattr(mp._Zygote, "close", lambda self: None)
    result = h.run_mp(zygote_killer_free, instance, max_concurrent=1)
    events = instance.get_logs_for_run(result.run_id)
    [failure] = h.of_type(events, EventType.STEP_FAILURE)
    assert failure.step_key == "first_one"
    assert "zygote" in failure.message and "while starting" in failure.message
    assert h.step_types(events, "first_one") == ["STEP_FAILURE"]  # never started here
    assert "first_one" not in h.launched_pids(events)
    assert result.output_for_solid("second_one")["ppid"] == os.getpid()


def _closed_socket():
    import socket

    a, b = socket.socketpair()
    b.close()
    return a


@solid
def first_one(_context):
    return _whoami()


@solid
def second_one(_context):
    return _whoami()


@pipeline
def zygote_killer_free():
    first_one()
    second_one()


def test_a_request_too_large_for_the_zygote_forks_that_step_from_the_worker(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    import orch.executors.multiprocess as mp

    monkeypatch.setattr(mp, "_MAX_REQUEST", 16)  # every step's request is larger
    result = h.run_mp(three_steps, instance)
    assert result.success
    assert _zygote_pid(instance, result.run_id) is not None
    assert {result.output_for_solid(n)["ppid"] for n in ("first", "second", "beside")} \
        == {os.getpid()}
