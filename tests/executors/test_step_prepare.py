"""Steps prepared ahead (executors/multiprocess.py, "Prepared steps"): while a step runs, the
zygote forks the process of the step that waits only for it, which gets as far as pointing
its output at the step's files and waits. What a user can rely on, checked from inside the
step processes: a prepared process runs none of the user's code (resources included) before
its upstream step succeeded; one whose step never runs (its upstream failed) sends nothing
and leaves no files or process; the step it runs is the same as an unprepared one (events,
captured output, inputs a fan-in did not get, retries upstream); ``max_concurrent: 1`` and
``ORCH_STEP_PREPARE=0`` prepare nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import mp_helpers as h
import psutil
import pytest
from orch.core.events import EventType
from orch.core.instance import Instance

from orch import (
    InputDefinition,
    List,
    ModeDefinition,
    OutputDefinition,
    RetryPolicy,
    fs_io_manager,
    pipeline,
    resource,
    solid,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd_open")

UPSTREAM_SECONDS = 0.6
WITNESS: dict[str, Path] = {}  # where the steps write what they saw (set per test)


@pytest.fixture
def instance(tmp_path: Path):
    inst = Instance.from_home(tmp_path / "orch_home")
    WITNESS["dir"] = tmp_path
    yield inst
    inst.close()


def _age() -> float:
    """Seconds since this process started. Both clocks count from boot (/proc)."""
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def _witness(name: str) -> None:
    with open(WITNESS["dir"] / "witness.log", "a") as f:
        f.write(f"{name}\n")


def _witnessed() -> list[str]:
    path = WITNESS["dir"] / "witness.log"
    return path.read_text().split() if path.exists() else []


@resource
def stamp(_init_context) -> float:
    """User code that runs as the step's resources are initialised: when it ran."""
    _witness("stamp")
    return time.time()


MODE = ModeDefinition(resource_defs={"io_manager": fs_io_manager, "stamp": stamp})


def _seen(context: Any) -> dict[str, float]:
    return {"age": _age(), "init": context.resources.stamp, "now": time.time()}


@solid
def slow(_context) -> int:
    time.sleep(UPSTREAM_SECONDS)
    return 1


@solid(required_resource_keys={"stamp"})
def after(context, x: int) -> dict[str, float]:
    _witness("after")
    print("hello from after")
    return {**_seen(context), "x": x}


@pipeline(mode_defs=[MODE])
def chain():
    after(slow())


def _step_success(events: list[Any], key: str) -> Any:
    [success] = h.of_type(events, EventType.STEP_SUCCESS, key)
    return success


def test_the_next_step_is_forked_while_its_upstream_runs_and_runs_user_code_only_after(
        instance):
    result = h.run_mp(chain, instance)
    assert result.success
    seen = result.result_for_solid("after").output_value()
    events = instance.get_logs_for_run(result.run_id)
    upstream_done = _step_success(events, "slow").timestamp
    # Its process was started while slow ran: prepared, not forked after slow ended.
    assert seen["age"] > UPSTREAM_SECONDS / 2, seen
    # ...yet its resources (user code) were initialised after slow succeeded.
    assert seen["init"] >= upstream_done, (seen, upstream_done)
    # Launched, in storage order, after the upstream step's success.
    order = [(e.event_type_value, e.step_key) for e in events]
    launched = [i for i, e in enumerate(events) if e.step_key == "after"
                and e.message.startswith("Launched step process")]
    assert launched and launched[0] > order.index(("STEP_SUCCESS", "slow"))
    stdout, _, complete = instance.compute_log_manager.read(result.run_id, "after")
    assert stdout == b"hello from after\n" and complete


def test_a_prepared_step_reports_the_same_events_as_one_forked_when_ready(
        instance, monkeypatch):
    prepared = h.run_mp(chain, instance)
    monkeypatch.setenv("ORCH_STEP_PREPARE", "0")
    unprepared = h.run_mp(chain, instance)
    assert prepared.success and unprepared.success
    assert unprepared.result_for_solid("after").output_value()["age"] < UPSTREAM_SECONDS / 2
    kinds = [h.step_types(instance.get_logs_for_run(r.run_id), "after")
             for r in (prepared, unprepared)]
    assert kinds[0] == kinds[1]
    assert kinds[0][:2] == ["ENGINE_EVENT", "LOGS_CAPTURED"]  # launched, then captured
    assert kinds[0][-1] == "STEP_SUCCESS"


def test_max_concurrent_1_runs_one_step_process_at_a_time_so_prepares_none(instance):
    result = h.run_mp(chain, instance, max_concurrent=1)
    assert result.success
    assert result.result_for_solid("after").output_value()["age"] < UPSTREAM_SECONDS / 2


@solid
def boom(context) -> int:
    # after's process is prepared while this runs: its compute-log file appears.
    logs = Path(context.instance.compute_log_manager.base_dir) / context.run_id
    deadline = time.monotonic() + 10
    while not (logs / "doomed.out").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    if (logs / "doomed.out").exists():
        _witness("prepared")
    raise ValueError("upstream fails")


@solid(required_resource_keys={"stamp"})
def doomed(context, x: int) -> dict[str, float]:
    _witness("doomed")
    return _seen(context)


@pipeline(mode_defs=[MODE])
def failing_chain():
    doomed(boom())


def test_a_prepared_step_whose_upstream_fails_runs_nothing_and_leaves_nothing(instance):
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = h.run_mp(failing_chain, instance)
    assert not result.success
    assert _witnessed() == ["prepared"]  # neither its resource nor its compute ran
    events = instance.get_logs_for_run(result.run_id)
    assert [(e.event_type, e.data.get("abandoned")) for e in events
            if e.step_key == "doomed"] == [(None, True)]  # only "Dependencies ... failed"
    logs = Path(instance.compute_log_manager.base_dir) / result.run_id
    assert sorted(p.name for p in logs.iterdir()) == ["boom.err", "boom.out"]
    assert instance.compute_log_manager.get_log_info(result.run_id, "doomed") is None
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    _gone, alive = psutil.wait_procs(left, timeout=5)
    assert not alive, f"left running: {alive}"


@solid
def quick(_context) -> int:
    return 1


@solid(output_defs=[OutputDefinition(int, is_required=False)])
def slow_nothing(_context):
    time.sleep(UPSTREAM_SECONDS)
    yield from ()


@solid(input_defs=[InputDefinition("xs", List[int])], required_resource_keys={"stamp"})
def gather(context, xs: list[int]) -> dict[str, Any]:
    return {**_seen(context), "xs": xs}


@pipeline(mode_defs=[MODE])
def partial_fan_in():
    gather([quick(), slow_nothing()])


def test_a_prepared_fan_in_gets_only_the_inputs_its_sources_produced(instance):
    """gather waits for quick and slow_nothing; once quick is done it waits only for the
    running slow_nothing, so it is prepared, and slow_nothing yields nothing: the inputs
    missing are handed to the prepared process when it is launched."""
    result = h.run_mp(partial_fan_in, instance)
    assert result.success
    seen = result.result_for_solid("gather").output_value()
    assert seen["xs"] == [1]
    assert seen["age"] > UPSTREAM_SECONDS / 2
    upstream_done = _step_success(instance.get_logs_for_run(result.run_id),
                                  "slow_nothing").timestamp
    assert seen["init"] >= upstream_done


@solid(retry_policy=RetryPolicy(max_retries=1))
def flaky(context) -> int:
    if context.retry_number == 0:
        time.sleep(UPSTREAM_SECONDS)
        raise RuntimeError("first attempt fails")
    return 41


@solid(required_resource_keys={"stamp"})
def then(context, x: int) -> dict[str, Any]:
    _witness("then")
    return {**_seen(context), "x": x}


@pipeline(mode_defs=[MODE])
def retried_chain():
    then(flaky())


def test_a_step_prepared_before_its_upstream_retried_runs_once_after_the_retry(instance):
    result = h.run_mp(retried_chain, instance)
    assert result.success
    seen = result.result_for_solid("then").output_value()
    assert seen["x"] == 41
    assert seen["age"] > UPSTREAM_SECONDS / 2  # prepared during the first attempt
    events = instance.get_logs_for_run(result.run_id)
    assert seen["init"] >= _step_success(events, "flaky").timestamp
    assert _witnessed() == ["stamp", "then"]  # its resource and compute, once
    assert len(h.launched_pids(events)["then"]) == 1


@solid(tags={"timeout": str(UPSTREAM_SECONDS / 2)})
def quick_with_timeout(_context, x: int) -> int:
    time.sleep(UPSTREAM_SECONDS / 6)
    return x + 1


@pipeline(mode_defs=[MODE])
def timed_chain():
    quick_with_timeout(slow())


@solid(tags={"timeout": str(UPSTREAM_SECONDS / 2)})
def too_slow(_context, x: int) -> int:
    time.sleep(UPSTREAM_SECONDS * 10)
    return x


@pipeline(mode_defs=[MODE])
def timed_out_chain():
    too_slow(slow())


def test_a_prepared_steps_timeout_counts_from_its_launch_not_its_fork(instance):
    """Prepared while slow ran for longer than its timeout, the step still has its whole
    timeout once launched — and is killed when it outruns it."""
    result = h.run_mp(timed_chain, instance)
    assert result.success
    assert result.result_for_solid("quick_with_timeout").output_value() == 2
    result = h.run_mp(timed_out_chain, instance)
    assert not result.success
    [failure] = h.of_type(instance.get_logs_for_run(result.run_id), EventType.STEP_FAILURE,
                          "too_slow")
    assert "exceeded its timeout of 0.3s" in failure.message
