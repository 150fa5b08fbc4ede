"""In-process execution: orchestration cost per step (target ≤ 0.5 ms, issue 13 item 3).

First, as a user gets it: ``orch run -f WORKLOAD -p NAME`` as a subprocess (benchmarks/entry.py:
persistent SQLite ORCH_HOME, compute logs captured, ``fs_io_manager``, bytecode as configured).
``engine ms/step`` is the run record's start → end divided by the steps: what the target is
about; ``wall`` is the whole command.

Then, labelled **engine only**: ``execute_pipeline`` in a warm process with the ephemeral
in-memory instance, the default in-memory IO manager, no compute-log capture — the engine's
own planning, scheduling, events and result assembly, which a user never runs alone.

Beside each workload, measured in the same minute on the same file system: the **file-system
floor** of a stored output, the metadata work ``fs_io_manager`` cannot skip for one step —
create the step's directory, create its ``.tmp`` file, write a few bytes, rename it over the
output, and open and read the input. On this kind of VM it moves several-fold from minute to
minute with nothing else running (a new directory's inode and bitmap blocks are read from a
disk whose latency the host sets), and the in-process figure moves with it.

    python -m benchmarks inprocess [--quick]
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from orch import execute_pipeline

from .entry import OrchHome, load, mark, summary
from .workloads import workloads

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
NAMES = ("chain_50", "fanout_100", "wide_200")
TARGET_MS = 0.5


def _engine_only(pipeline, repeats: int) -> tuple[float, int]:
    execute_pipeline(pipeline, run_config=QUIET)  # warm caches and imports
    times = []
    steps = 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = execute_pipeline(pipeline, run_config=QUIET)
        times.append(time.perf_counter() - start)
        assert result.success
        steps = sum(1 for e in result.event_list if e.is_step_success)
    return statistics.median(times), steps


def storage_floor(root: Path, steps: int = 200) -> float:
    """ms per step of a stored output's unavoidable file-system calls, in a new run directory
    under ``root`` (see the module docstring): the mean over ``steps``, as the engine's figure
    is a run's time over its steps."""
    run_dir = Path(tempfile.mkdtemp(prefix="floor-", dir=root))
    times = []
    for i in range(steps):
        start = time.perf_counter()
        step_dir = f"{run_dir}/step_{i}"
        os.mkdir(step_dir, 0o700)
        fd = os.open(f"{step_dir}/result.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"\x80\x05K\x01.")
        os.close(fd)
        os.replace(f"{step_dir}/result.tmp", f"{step_dir}/result")
        fd = os.open(f"{step_dir}/result", os.O_RDONLY)
        os.read(fd, 1 << 16)
        os.close(fd)
        times.append(time.perf_counter() - start)
    return statistics.mean(times) * 1000


def real_entry_point(repeats: int) -> dict[str, float]:
    """``orch run`` in process: {workload: engine ms/step}."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="orch-bench-inproc-") as tmp:
        home = OrchHome(Path(tmp))
        print(f"`orch run` (in_process executor), {home.label}; persistent ORCH_HOME, compute "
              f"logs on, fs_io_manager; median of {repeats} after a warm-up run. CPU ms/step: "
              f"CPU time of the whole command (CLI, run worker) beyond a one-solid run's, per "
              f"extra step (steadier than wall time under load). fs floor: ms a step of a "
              f"stored output's own file-system calls, just before and after (see the docstring)")
        print(f"  {'workload':<11} {'steps':>5} {'wall s':>7} {'engine ms/step':>15} "
              f"{'CPU ms/step':>12} {'fs floor':>9} {'events':>7} {'peak RSS':>9}   load")
        one = summary([home.orch_run("chain_1") for _ in range(repeats)])
        for name in NAMES:
            floor = [storage_floor(home.home)]
            m = summary([home.orch_run(name) for _ in range(repeats)])
            floor.append(storage_floor(home.home))
            figures[name] = m.engine_ms_per_step
            cpu = m.marginal_cpu_ms(one)
            print(f"  {name:<11} {m.steps:>5} {m.wall:>7.2f} {m.engine_ms_per_step:>15.2f} "
                  f"{cpu if cpu is not None else float('nan'):>12.2f} "
                  f"{statistics.mean(floor):>9.2f} {m.events:>7} {m.max_rss_mb:>7.0f}MB   {load()}  "
                  f"{mark(m.engine_ms_per_step <= TARGET_MS)} (≤ {TARGET_MS} ms/step)",
                  flush=True)
    return figures


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    real_entry_point(repeats=3 if quick else 5)
    repeats = 3 if quick else 7
    print(f"\nengine only (execute_pipeline in a warm process: ephemeral in-memory instance and "
          f"IO manager, no log capture), median of {repeats}")
    print(f"  {'workload':<11} {'steps':>5} {'median s':>9} {'ms/step':>8}   load")
    for name, pipeline in workloads().items():
        seconds, steps = _engine_only(pipeline, repeats)
        print(f"  {name:<11} {steps:>5} {seconds:>9.4f} {seconds / steps * 1000:>8.3f}   "
              f"{load()}")
