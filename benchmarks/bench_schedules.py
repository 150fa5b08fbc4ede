"""One evaluation loop over 1,000 schedules and 1,000 sensors with trivial functions
(target: ≤ 1 s wall per loop, so a laptop can host a real team's repository).

A generated repository file is loaded the way the CLI loads it, against a real instance
(SQLite on disk). Every instigator is running and due in each measured loop: each schedule
has a cron time in the loop's window and each sensor's interval has passed, so every loop
evaluates all 2,000 functions and stores 2,000 ticks (SKIPPED: the functions request no run,
which is what most ticks of a real repository do), in the main thread and in a thread (as a
daemon runs its loops, where evaluations go to a worker thread). A last table launches runs: 100
schedules each requesting one run per loop, created and submitted through a queued run
coordinator.

    python -m benchmarks schedules [--count 1000] [--loops 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from .entry import load


def _repository(count: int, launching: int) -> str:
    lines = [
        "from orch import RunRequest, SkipReason, pipeline, repository, schedule, sensor, solid",
        "@solid", "def noop(_):", "    return 1", "@pipeline", "def p():", "    noop()",
    ]
    names = ["p"]
    for i in range(count):
        lines += [f'@schedule(cron_schedule="* * * * *", pipeline_name="p", name="s{i}")',
                  f"def s{i}(context):", "    return SkipReason('nothing to do')"]
        lines += [f'@sensor(pipeline_name="p", name="n{i}", minimum_interval_seconds=30)',
                  f"def n{i}(context):", "    return SkipReason('no new files')"]
        names += [f"s{i}", f"n{i}"]
    for i in range(launching):
        lines += [f'@schedule(cron_schedule="* * * * *", pipeline_name="p", name="l{i}")',
                  f"def l{i}(context):", "    return {}"]
        names.append(f"l{i}")
    lines += ["@repository", "def bench():", f"    return [{', '.join(names)}]"]
    return "\n".join(lines) + "\n"


def _measure(label: str, count: int, launching: int, loops: int, tmp: Path,
             threaded: bool = False) -> None:
    from orch.core.instance import Instance
    from orch.core.scheduling.ticks import find_instigators, start_instigator, tick_all
    from orch.core.workspace import WorkspaceTarget, load_workspace

    home = tmp / label
    home.mkdir()
    (home / "orch.yaml").write_text("run_coordinator:\n  name: queued\n")
    repo = home / "repo.py"
    repo.write_text(_repository(count, launching))
    started = time.perf_counter()
    workspace = load_workspace(WorkspaceTarget(python_file=str(repo)))
    load_s = time.perf_counter() - started
    instance = Instance.from_home(home)
    t0 = 1_700_000_040.0  # a whole minute
    wanted = {f"l{i}" for i in range(launching)} if launching else None
    for instigator in find_instigators(workspace):
        if wanted is None or instigator.name in wanted:
            start_instigator(instance, instigator, t0 - 1)
    walls, cpus, counts = [], [], []
    for loop in range(loops):
        now = t0 + 60 * loop + 1  # one new cron minute per loop; sensors' 30 s have passed
        wall, cpu = time.perf_counter(), time.process_time()
        if threaded:  # as a daemon runs it: no timer signal, evaluations on a worker thread
            box: list = []
            loop_thread = threading.Thread(
                target=lambda n=now, b=box: b.append(tick_all(instance, workspace, n)))
            loop_thread.start()
            loop_thread.join()
            ticks = box[0]
        else:
            ticks = tick_all(instance, workspace, now)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        counts.append(len(ticks))
    runs = instance.get_runs_count()
    instance.close()
    print(f"{label}: {counts[0]} ticks per loop ({runs} runs in all), load {load_s:.2f} s; "
          f"loop wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}, max "
          f"{max(walls):.3f}), CPU median {statistics.median(cpus):.3f} s over {loops} loops")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks schedules")
    parser.add_argument("--count", type=int, default=1000,
                        help="schedules, and as many sensors (default 1000)")
    parser.add_argument("--launching", type=int, default=100,
                        help="schedules that launch a run each loop (second table)")
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="accepted with every suite (python -m benchmarks --quick)")
    args = parser.parse_args(argv)
    print(f"machine load: {load()}")
    with tempfile.TemporaryDirectory(prefix="orch-bench-schedules-") as tmp:
        _measure(f"{args.count} schedules + {args.count} sensors, all due", args.count, 0,
                 args.loops, Path(tmp))
        _measure("the same, loop in a thread", args.count, 0, args.loops, Path(tmp),
                 threaded=True)
        if args.launching:
            _measure(f"{args.launching} schedules launching a run each", 0, args.launching,
                     args.loops, Path(tmp))
