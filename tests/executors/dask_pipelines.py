"""Pipelines the Dask executor tests run with ``orch run -f`` (a file origin, so the Dask
workers import this file themselves). Steps that coordinate with a test do it through
files beside the run's ORCH_HOME (the workers' environment is the cluster's, not the
test's)."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    ModeDefinition,
    Output,
    OutputDefinition,
    RetryPolicy,
    fs_io_manager,
    mem_io_manager,
    pipeline,
    resource,
    solid,
)

LOCAL = ModeDefinition(resource_defs={"io_manager": fs_io_manager})


def _dir(context) -> Path:
    return Path(context.instance.root_dir).parent


@solid
def where(_context) -> int:
    time.sleep(0.3)  # long enough that the fan's steps spread over both workers
    return os.getpid()


@pipeline(mode_defs=[LOCAL])
def spread():
    for i in range(4):
        where.alias(f"where_{i}")()


@solid
def first(_context) -> int:
    return 1


@solid
def watches_its_own_events(context, x: int) -> list:
    """The step's stored event types seen while its compute function runs (within 10 s):
    the run worker stores them as they stream in, not at the step's end."""
    db = Path(context.instance.root_dir) / "orch.db"  # the run's instance, on this host
    deadline = time.monotonic() + 10
    seen: list = []
    while "STEP_INPUT" not in seen and time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            seen = [r[0] for r in conn.execute(
                "SELECT event_type FROM event_logs WHERE step_key = ? ORDER BY id",
                ("watches_its_own_events",))]
        time.sleep(0.05)
    print(f"seen while running: {seen}")
    print("to stderr too", file=sys.stderr)
    return seen


@pipeline(mode_defs=[LOCAL])
def streaming():
    watches_its_own_events(first())


@solid(retry_policy=RetryPolicy(max_retries=1))
def flaky(context) -> int:
    marker = _dir(context) / "flaky.failed-once"
    if not marker.exists():
        marker.write_text("x")
        raise RuntimeError("first attempt fails")
    return 2


@solid(output_defs=[OutputDefinition(int, "maybe", is_required=False)])
def never_yields(_context):
    if False:  # an optional output that does not fire
        yield Output(1, "maybe")


@solid
def skipped(_context, x: int) -> int:
    return x


@solid(output_defs=[DynamicOutputDefinition(int)])
def fan(_context, n: int):
    for i in range(n):
        yield DynamicOutput(i, mapping_key=f"k{i}")


@solid
def square(_context, x: int) -> int:
    print(f"square of {x}")
    return x * x


@solid
def total(_context, xs: list) -> int:
    return sum(xs)


@pipeline(mode_defs=[LOCAL])
def behaviours():
    skipped(never_yields())
    total(fan(flaky()).map(square).collect())


@solid
def killed_mid_step(context) -> int:
    """Records its worker's pid, then waits to be killed (a run Dask restarts elsewhere
    returns at once: the test has what it needs)."""
    pid_file = _dir(context) / "victim.pid"
    if pid_file.exists():
        return -1
    pid_file.write_text(str(os.getpid()))
    time.sleep(60)
    return 0


@solid
def after_killed(_context, x: int) -> int:
    return x


@solid
def survivor(context) -> str:
    while not (_dir(context) / "victim.pid").exists():
        time.sleep(0.05)
    time.sleep(1.0)
    return "survived"


@pipeline(mode_defs=[LOCAL])
def worker_dies():
    after_killed(killed_mid_step())
    survivor()


@solid
def naps(context) -> int:
    """Naps until the test says stop (so a canceled step frees its worker thread)."""
    (_dir(context) / "napping").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not (_dir(context) / "stop").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return 0


@pipeline(mode_defs=[LOCAL])
def sleepy():
    naps()


@solid
def in_memory_value(_context) -> int:
    return 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": mem_io_manager})])
def in_memory():
    in_memory_value()


@solid
def talks_then_waits(context) -> int:
    """Prints a line, then waits (up to 60 s) for the test to create ``go`` once it has read
    that line from the step's compute log."""
    print("first line, before the wait")
    print("and to stderr", file=sys.stderr)
    deadline = time.monotonic() + 60
    while not (_dir(context) / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    print("second line, after the wait")
    return 0


@pipeline(mode_defs=[LOCAL])
def live_logs():
    talks_then_waits()


@resource
def slow_to_close(init_context):
    """Its teardown, after the step's outcome, waits (up to 60 s) for the test's ``go``."""
    yield "open"
    here = Path(init_context.instance.root_dir).parent
    (here / "closing").write_text("")
    deadline = time.monotonic() + 60
    while not (here / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@solid(required_resource_keys={"slow"})
def uses_slow(context) -> int:
    return 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager,
                                                   "slow": slow_to_close})])
def slow_teardown():
    uses_slow()
