"""Multiprocess execution: the cost of running every step in its own process.

First, as a user gets it: ``orch run --executor multiprocess --max-concurrent 2`` as a
subprocess (benchmarks/entry.py: persistent SQLite ORCH_HOME, compute logs captured,
``fs_io_manager``, bytecode as configured), beside ``orch run`` in process on the same
workload, interleaved. ``engine ms/step`` is the run record's start → end over the steps;
``isolation ms/step`` is multiprocess minus in process: what running each step in its own
process costs. Three multiprocess rows a workload, interleaved with in process: steps forked
by the run's zygote, each prepared while the step it waits for runs (the default); forked by
the zygote only once ready (``ORCH_STEP_PREPARE=0``, as before preparing); and forked by the
run worker itself (``ORCH_STEP_ZYGOTE=0``, as before the zygote); ``--quick`` shows the first
only, and compares start methods on chain_20 alone.

The floor, measured in this run (issue 13 item 4: isolation within 2x of it): ``os.fork`` of
a process that has imported what a run worker imports, the child sending one small pickled
message up a pipe and exiting, the parent reading it and reaping the child — the least any
process-per-step executor can do.

Then the **start methods** (``start_method: fork | forkserver | spawn``, the ``multiprocess``
package for the last two), each as ``orch run -c`` with that method, on the same workloads:
``per-step ms`` is the run record's start → end over the steps (max_concurrent 2, so on the
fans two steps overlap), ``isolation ms/step`` that minus in process.

Then, labelled **engine only**: ``execute_pipeline`` with the multiprocess executor from a
warm Python process holding the instance (no CLI, no run-worker start, no progress follower);
not in ``--quick``.

The side-by-side with Dagster is its own suite: ``python -m benchmarks dagster``.

    python -m benchmarks multiprocess [--quick]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orch.core.instance import Instance

from orch import execute_pipeline

from . import workloads
from .entry import ROOT, OrchHome, interleave, load, mark, summary

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
MAX_CONCURRENT = 2
MULTIPROCESS = {"execution": {"multiprocess": {"config": {"max_concurrent": MAX_CONCURRENT}}},
                **QUIET}
NAMES = ("chain_50", "fanout_100", "wide_200")
TARGET_FLOOR_RATIO = 2.0


FLOOR_SCRIPT = """
import os, pickle, resource, statistics, sys, time
import orch.cli, orch.executors.multiprocess, orch.core.execution.api  # a run worker's heap
message = pickle.dumps({"event": "STEP_SUCCESS", "step_key": "step_1", "data": {}})
times = []
def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
cpu_before = cpu()
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.write(write_fd, message)
        os._exit(0)
    os.close(write_fd)
    pickle.loads(os.read(read_fd, 1 << 16))
    os.close(read_fd)
    os.waitpid(pid, 0)
    times.append(time.perf_counter() - start)
print(statistics.median(times), (cpu() - cpu_before) / len(times))
"""


def fork_floor(rounds: int = 200) -> tuple[float, float]:
    """Seconds per fork + pipe message + exit + reap, median of ``rounds``, in a fresh process
    that has imported what a run worker imports (the cost of fork grows with the heap); and
    the CPU seconds (parent and child, user and system) per round, on average."""
    done = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(rounds)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


ABLATIONS = {"unprepared": ("  ↳ unprep.", {"ORCH_STEP_PREPARE": "0"}),
             "worker forks": ("  ↳ worker", {"ORCH_STEP_ZYGOTE": "0"})}


def real_entry_point(repeats: int, ablations: bool = True) -> None:
    """In process against multiprocess through ``orch run``; ``ablations``: also with the
    next step not prepared ahead and with steps forked by the worker, not the zygote (the
    two designs it replaced; the full run shows them, ``--quick`` does not)."""
    variants = ("zygote", *ABLATIONS) if ablations else ("zygote",)
    with tempfile.TemporaryDirectory(prefix="orch-bench-mp-") as tmp:
        home = OrchHome(Path(tmp))
        floor_before = fork_floor()
        print(f"`orch run`, {home.label}; persistent ORCH_HOME, compute logs on, "
              f"fs_io_manager; multiprocess max_concurrent {MAX_CONCURRENT}; medians of "
              f"{repeats}, in process and multiprocess interleaved. CPU: of the whole command "
              f"and every process it started, multiprocess minus in process, per step (under "
              f"load CPU moves much less than wall time), against the floor's CPU per round")
        print(f"  {'workload':<11} {'steps':>5} {'wall s':>7} {'engine ms/step':>15} "
              f"{'in-proc ms/step':>16} {'isolation ms/step':>18} {'/ floor':>8} "
              f"{'CPU ms/step':>12} {'/ floor':>8} {'peak RSS':>9}   load")
        floors = [floor_before]
        for name in NAMES:
            runs = interleave({
                "in_process": lambda name=name: home.orch_run(name),
                **{variant: lambda name=name, variant=variant: home.orch_run(
                    name, "multiprocess", MAX_CONCURRENT,
                    env=ABLATIONS[variant][1] if variant in ABLATIONS else None)
                   for variant in variants},
            }, repeats)
            floors.append(fork_floor())
            floor_ms = statistics.median(f[0] for f in floors) * 1000
            floor_cpu_ms = statistics.median(f[1] for f in floors) * 1000
            single = summary(runs["in_process"])
            for variant in variants:
                multi = summary(runs[variant])
                isolation = multi.engine_ms_per_step - single.engine_ms_per_step
                ratio = isolation / floor_ms
                cpu = (multi.cpu - single.cpu) / multi.steps * 1000 \
                    if multi.cpu is not None and single.cpu is not None else float("nan")
                label = ABLATIONS[variant][0] if variant in ABLATIONS else name
                print(f"  {label:<11} {multi.steps:>5} {multi.wall:>7.2f} "
                      f"{multi.engine_ms_per_step:>15.2f} {single.engine_ms_per_step:>16.2f} "
                      f"{isolation:>18.2f} {ratio:>7.1f}x {cpu:>12.2f} "
                      f"{cpu / floor_cpu_ms:>7.1f}x {multi.max_rss_mb:>7.0f}MB   {load()}  "
                      + (f"{mark(ratio <= TARGET_FLOOR_RATIO)} (≤ {TARGET_FLOOR_RATIO:g}x floor)"
                         if variant == "zygote" else ""), flush=True)
        walls = [f[0] * 1000 for f in floors]
        print(f"  floor (fork + pipe message + exit + reap, this run): "
              f"{statistics.median(walls):.2f} ms median of {len(floors)} samples "
              f"(min {min(walls):.2f}, max {max(walls):.2f}); CPU "
              f"{statistics.median(f[1] for f in floors) * 1000:.2f} ms a round")


START_METHODS = ("fork", "forkserver", "spawn")


def start_methods(repeats: int, names: tuple[str, ...], warm: str = "each") -> None:
    """``warm``: as :meth:`OrchHome.orch_run` (``"home"``: one single-solid run per home, not
    each command once more: spawn's chain_50 alone takes ~11 s)."""
    print(f"\nstart methods: `orch run -c start_method.yaml`, max_concurrent {MAX_CONCURRENT}, "
          f"medians of {repeats}, methods interleaved")
    print(f"  {'workload':<11} {'steps':>5} {'in-proc':>8} "
          + " ".join(f"{m + ' ms/step':>18}" for m in START_METHODS)
          + "   isolation ms/step (fork / forkserver / spawn)   load")
    with tempfile.TemporaryDirectory(prefix="orch-bench-mp-start-") as tmp:
        home = OrchHome(Path(tmp))
        configs = {}
        for method in START_METHODS:
            path = Path(tmp) / f"{method}.yaml"
            path.write_text(f"execution:\n  multiprocess:\n    config:\n      max_concurrent: "
                            f"{MAX_CONCURRENT}\n      start_method: {method}\n")
            configs[method] = ["-c", str(path)]
        for name in names:
            runs = interleave({"in_process": lambda name=name: home.orch_run(name), **{
                method: lambda name=name, method=method: home.orch_run(
                    name, "multiprocess", MAX_CONCURRENT, extra=configs[method], warm=warm)
                for method in START_METHODS}}, repeats)
            single = summary(runs["in_process"])
            per_step = {m: summary(runs[m]).engine_ms_per_step for m in START_METHODS}
            isolation = " / ".join(f"{per_step[m] - single.engine_ms_per_step:.1f}"
                                   for m in START_METHODS)
            print(f"  {name:<11} {single.steps:>5} {single.engine_ms_per_step:>8.2f} "
                  + " ".join(f"{per_step[m]:>18.2f}" for m in START_METHODS)
                  + f"   {isolation:<46} {load()}", flush=True)


def _engine_only(pipeline, run_config: dict, instance: Instance, repeats: int
                 ) -> tuple[float, int]:
    execute_pipeline(pipeline, run_config=run_config, instance=instance)  # warm up
    times, steps = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = execute_pipeline(pipeline, run_config=run_config, instance=instance)
        times.append(time.perf_counter() - start)
        assert result.success, f"{pipeline.name} failed"
        steps = sum(1 for e in result.event_list if e.is_step_success)
    return statistics.median(times), steps


def engine_only(repeats: int) -> None:
    print(f"\nengine only (execute_pipeline from a warm process holding a SQLite instance: no "
          f"CLI, no run worker, no progress follower), median of {repeats}")
    print(f"  {'workload':<11} {'steps':>5} {'in-proc ms/step':>16} {'multiproc ms/step':>18}"
          f"   load")
    with tempfile.TemporaryDirectory(prefix="orch-bench-mp-engine-") as tmp, \
            Instance.from_home(Path(tmp) / "orch_home") as instance:
        for name in NAMES:
            pipeline = getattr(workloads, name)
            single, steps = _engine_only(pipeline, QUIET, instance, repeats)
            multi, _ = _engine_only(pipeline, MULTIPROCESS, instance, repeats)
            print(f"  {name:<11} {steps:>5} {single / steps * 1000:>16.2f} "
                  f"{multi / steps * 1000:>18.2f}   {load()}", flush=True)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    real_entry_point(repeats=3 if quick else 5, ablations=not quick)
    start_methods(repeats=1 if quick else 3,  # quick: spawn's chain_50 alone takes ~11 s
                  names=("chain_20",) if quick else NAMES, warm="home" if quick else "each")
    if quick:
        print("\nengine only: the full run (`python -m benchmarks multiprocess`)")
    else:
        engine_only(repeats=5)


if __name__ == "__main__":
    main(sys.argv[1:])
