"""Pipelines and helpers for the multiprocess-executor tests.

The pipelines live at module level so a test can run them directly (step processes are forks of
the test process) or through ``reconstructable``. Each solid body does something only a separate
process survives or reveals: mutating module state, killing itself, hanging, printing from a
child process.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from orch.core.events import EventRecord, EventType

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    ModeDefinition,
    OutputDefinition,
    RetryPolicy,
    execute_pipeline,
    mem_io_manager,
    pipeline,
    resource,
    solid,
    success_hook,
)

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def mp_config(max_concurrent: int = 2, **extra: Any) -> dict[str, Any]:
    """Run config selecting the multiprocess executor, console logger silenced."""
    return {
        "execution": {"multiprocess": {"config": {"max_concurrent": max_concurrent}}},
        **QUIET,
        **extra,
    }


def run_mp(pipeline_def: Any, instance: Any, max_concurrent: int = 2, **extra: Any):
    return execute_pipeline(pipeline_def, run_config=mp_config(max_concurrent, **extra),
                            instance=instance, raise_on_error=False)


def of_type(events: list[EventRecord], event_type: EventType,
            step_key: str | None = None) -> list[EventRecord]:
    return [e for e in events if e.event_type is event_type
            and (step_key is None or e.step_key == step_key)]


def step_types(events: list[EventRecord], step_key: str) -> list[str]:
    return [e.event_type_value for e in events if e.step_key == step_key and e.event_type]


def launched_pids(events: list[EventRecord]) -> dict[str, list[int]]:
    """step key → pids of the processes the parent launched for it, in order."""
    pids: dict[str, list[int]] = {}
    for e in events:
        if e.event_type is EventType.ENGINE_EVENT and e.step_key and "pid" in e.data \
                and e.message.startswith("Launched step process"):
            pids.setdefault(e.step_key, []).append(e.data["pid"])
    return pids


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited; it only waits to be reaped)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- isolation ---------------------------------------------------------------------------------
STATE = {"value": "original"}


@solid
def mutate_state(_context):
    STATE["value"] = "mutated"
    return os.getpid()


@solid
def read_state(_context, _upstream_pid):
    return {"value": STATE["value"], "pid": os.getpid()}


@pipeline
def isolation_pipeline():
    read_state(mutate_state())


# -- crashes -----------------------------------------------------------------------------------
@solid(config_schema={"how": str})
def crash(context):
    how = context.solid_config["how"]
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "exit3":
        os._exit(3)
    elif how == "segfault":
        faulthandler.disable()  # pytest's handler writes to the terminal's fd, not the log
        ctypes.string_at(0)
    time.sleep(0.05)
    return "not crashed"


@solid
def after_crash(_context, value):
    return value


@solid
def slow_branch(_context):
    time.sleep(0.4)
    return "branch ok"


@solid
def after_branch(_context, value):
    return value + "!"


@pipeline
def crash_pipeline():
    after_crash(crash())
    after_branch(slow_branch())


def crash_config(how: str) -> dict[str, Any]:
    return mp_config(2, solids={"crash": {"config": {"how": how}}})


@solid(tags={"timeout": "0.5"})
def hang(_context):
    time.sleep(60)


@pipeline
def hang_pipeline():
    after_crash(hang())
    slow_branch()


# -- max_concurrent ----------------------------------------------------------------------------
def _sleeper(name: str):
    @solid(name=name)
    def _sleep(_context):
        time.sleep(0.3)
        return name

    return _sleep


SLEEPERS = [_sleeper(f"sleep_{i}") for i in range(5)]


@pipeline
def sleepers_pipeline():
    for s in SLEEPERS:
        s()


def max_overlap(events: list[EventRecord]) -> int:
    """The largest number of steps between STEP_START and STEP_SUCCESS at any instant."""
    marks = sorted(
        [(e.timestamp, 1) for e in of_type(events, EventType.STEP_START)]
        + [(e.timestamp, -1) for e in of_type(events, EventType.STEP_SUCCESS)],
        key=lambda m: (m[0], m[1]),  # an end at the same instant as a start comes first
    )
    current = peak = 0
    for _, delta in marks:
        current += delta
        peak = max(peak, current)
    return peak


# -- retries -----------------------------------------------------------------------------------
@solid(retry_policy=RetryPolicy(max_retries=2, delay=0.05))
def flaky(context):
    if context.retry_number == 0:
        raise RuntimeError("first attempt fails")
    return {"pid": os.getpid(), "retry_number": context.retry_number}


@pipeline
def retry_pipeline():
    flaky()


# -- dynamic fan-out ---------------------------------------------------------------------------
@solid(output_defs=[DynamicOutputDefinition(int)])
def emit(_context):
    for i in (1, 2, 3):
        yield DynamicOutput(i, mapping_key=f"k{i}")


@solid
def square(_context, x):
    return {"square": x * x, "pid": os.getpid()}


@solid
def total(_context, results):
    return sum(r["square"] for r in results)


@pipeline
def dynamic_pipeline():
    total(emit().map(square).collect())


# -- compute logs ------------------------------------------------------------------------------
@solid
def noisy(_context):
    print("hello from print")
    sys.stderr.write("hello from stderr\n")
    subprocess.run(["echo", "hello from a child process"], check=True)
    subprocess.run(["sh", "-c", "echo child stderr >&2"], check=True)
    return 1


@pipeline
def noisy_pipeline():
    noisy()


# -- the last step's work after its outcome: hooks and resource teardown ------------------------
@resource(config_schema={"marker_dir": str})
def slow_teardown(init_context):
    yield "resource value"
    time.sleep(0.2)
    marker_dir = init_context.resource_config["marker_dir"]
    with open(os.path.join(marker_dir, f"teardown-{os.getpid()}"), "w"):
        pass


@success_hook
def slow_hook(context):
    time.sleep(0.2)
    context.log.info("hook ran")


@solid(required_resource_keys={"slow"})
def last_step(context):
    print("last step output")
    return context.resources.slow


@pipeline(mode_defs=[ModeDefinition(resource_defs={"slow": slow_teardown})])
def after_outcome_pipeline():
    last_step.with_hooks({slow_hook})()


# -- IO managers -------------------------------------------------------------------------------
@solid
def one(_context):
    return 1


@solid
def plus_one(_context, x):
    return x + 1


@pipeline
def default_io_pipeline():
    plus_one(one())


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": mem_io_manager})])
def in_memory_pipeline():
    plus_one(one())


@solid
def returns_lambda(_context):
    return lambda x: x


@solid(output_defs=[OutputDefinition(name="guard")])
def returns_lock(_context):
    return threading.Lock()


@pipeline
def unpicklable_pipeline():
    returns_lambda()
    returns_lock()


# -- a pipeline for the run worker, written to a file ------------------------------------------
# ``hold`` sleeps in the step process; ``hold_in_child`` waits on a grandchild ``sleep``, so a
# cancel must take down the step's own children too. Each step writes its pid and the pid of
# anything it started to PID_DIR so the test knows every process the run created.
WORKER_PIPELINE = '''
import os
import subprocess
import time
from pathlib import Path

from orch import pipeline, solid

PID_DIR = Path(os.environ["MP_TEST_PID_DIR"])


def _note(kind, pid):
    (PID_DIR / f"{kind}-{pid}").write_text("")


@solid
def hold(_context):
    _note("step", os.getpid())
    time.sleep(60)


@solid
def hold_in_child(_context):
    _note("step", os.getpid())
    child = subprocess.Popen(["sleep", "60"])
    _note("grandchild", child.pid)
    child.wait()


@solid
def never(_context, _a, _b):
    return 1


@pipeline
def slow_pipeline():
    never(hold(), hold_in_child())
'''


# -- a plain script: reconstructable(...) run with ``python script.py`` -------------------------
SCRIPT = '''
import os
import sys

from orch import execute_pipeline, pipeline, reconstructable, solid
from orch.core.instance import Instance


@solid
def produce(_context):
    return os.getpid()


@solid
def consume(_context, producer_pid):
    return [producer_pid, os.getpid()]


@pipeline
def script_pipeline():
    consume(produce())


if __name__ == "__main__":
    with Instance.from_home(sys.argv[1]) as instance:
        result = execute_pipeline(
            reconstructable(script_pipeline),
            run_config={"execution": {"multiprocess": {"config": {"max_concurrent": 2}}},
                        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            instance=instance,
        )
        pids = result.result_for_solid("consume").output_value()
        print(result.success, pids[0], pids[1], os.getpid())
'''


def _committed_types(step_key: str) -> list[str]:
    """The event types of ``step_key`` stored so far, read through a connection of its own
    (what the app would see)."""
    import sqlite3

    conn = sqlite3.connect(os.path.join(os.environ["ORCH_HOME"], "orch.db"))
    try:
        return [r[0] for r in conn.execute(
            "SELECT event_type FROM event_logs WHERE step_key = ? ORDER BY id", (step_key,))]
    finally:
        conn.close()


@solid
def upstream_value(_context):
    return 1


@solid
def waits_for_its_own_events(_context, value):
    """Returns the step's stored event types seen while its compute function runs (within
    5 s): a step process holds events back, but never while user code runs."""
    deadline = time.monotonic() + 5.0
    seen = _committed_types("waits_for_its_own_events")
    while "STEP_INPUT" not in seen and time.monotonic() < deadline:
        time.sleep(0.01)
        seen = _committed_types("waits_for_its_own_events")
    return seen


@pipeline
def sees_own_events_pipeline():
    waits_for_its_own_events(upstream_value())
