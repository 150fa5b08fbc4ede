"""``python -m benchmarks reliability --runs N [--seed S] [--configs M] [--quick]``: the long fault
injection run (the CI suite, tests/reliability/, runs small versions of the same attacks).

* a kill sweep: N runs of a 7-step pipeline (both executors), each SIGKILLed at a seeded random
  point in ``orch run``, its run worker or a step process;
* 8 concurrent runs in one instance with a reader polling SQLite;
* M (default 10,000) run configs fuzzed with hypothesis through validation.

``--quick`` (what ``python -m benchmarks --quick`` passes): N 12 and M 500 unless given.

Prints runs tried, integrity failures, committed events lost, runs left non-terminal, steps
left IN_PROGRESS, orphan processes and non-config exceptions. Target: all zero.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .attacks import Figures, concurrent_runs, fuzz_configs, kill_sweep


def _option(argv: list[str], name: str, default: int) -> int:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith(name + "="):
            return int(arg.split("=", 1)[1])
    return default


def main(argv: list[str]) -> None:
    quick = "--quick" in argv  # python -m benchmarks --quick: a shorter sweep, same attacks
    runs = _option(argv, "--runs", 12 if quick else 200)
    seed = _option(argv, "--seed", 11)
    configs = _option(argv, "--configs", 500 if quick else 10_000)
    total = Figures()
    with tempfile.TemporaryDirectory(prefix="orch-reliability-") as tmp:
        for label, attack in (
            (f"kill sweep: {runs} runs, SIGKILL to parent/worker/step (seed {seed})",
             lambda: kill_sweep(Path(tmp) / "kill", runs, seed)),
            ("8 concurrent runs + a reader", lambda: concurrent_runs(Path(tmp) / "conc", 8)),
            (f"{configs:,} fuzzed run configs (hypothesis)", lambda: fuzz_configs(configs)),
        ):
            (Path(tmp) / "kill").mkdir(exist_ok=True)
            (Path(tmp) / "conc").mkdir(exist_ok=True)
            started = time.monotonic()
            figures = attack()
            print(f"\n{label}  ({time.monotonic() - started:.0f} s)")
            print(figures.table())
            total.add(figures)
    print("\ntotal (target: every figure but runs tried and kills delivered at 0)")
    print(total.table())
