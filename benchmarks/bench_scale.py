"""Per-step cost as pipelines grow: 100 vs 10,000 steps (issue 13 item 2: within 1.5x).

Through the real entry point only: ``orch run`` as a subprocess (benchmarks/entry.py:
persistent SQLite ORCH_HOME, compute logs captured, ``fs_io_manager``, bytecode as
configured), for a chain, a fan-out (one source, N leaves, one sink fanning them in) and a
layered pipeline (N/10 layers of 10, each solid depending on two of the layer before), in
process and with the multiprocess executor (max_concurrent 2). ``engine ms/step`` is the run
record's start → end over the steps; the small size runs before and after the large one and
its median is the baseline, so a change of load during the large run weighs on both.

``--quick`` keeps in-process at 10,000 steps but takes multiprocess to 1,000 (10,000 forked
steps take a minute or two per shape on two shared cores), and runs the small size before the
large one only; the full run does 10,000, and the small size before and after.

    python -m benchmarks scale [--quick]
"""

from __future__ import annotations

import sys

from .entry import OrchHome, load, mark, med, scratch

SHAPES = ("chain", "fanout", "wide")
SMALL = 100
TARGET_RATIO = 1.5


def _row(home: OrchHome, shape: str, executor: str, large: int, after: bool = True) -> None:
    small_name, large_name = f"{shape}_{SMALL}", f"{shape}_{large}"
    before = home.orch_run(small_name, executor)
    big = home.orch_run(large_name, executor, warm="home")
    small = [before] + ([home.orch_run(small_name, executor)] if after else [])
    baseline = med([m.engine_ms_per_step for m in small])
    ratio = big.engine_ms_per_step / baseline
    print(f"  {shape:<7} {executor:<13} {baseline:>12.2f} {big.engine_ms_per_step:>14.2f} "
          f"{ratio:>6.2f}x {big.wall:>8.1f} {big.max_rss_mb:>7.0f}MB   {load()}  "
          f"{mark(ratio <= TARGET_RATIO)} (≤ {TARGET_RATIO:g}x)", flush=True)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    sizes = {"in_process": 10_000, "multiprocess": 1_000 if quick else 10_000}
    with scratch("orch-bench-scale-") as tmp:
        home = OrchHome(tmp)
        print(f"`orch run`, {home.label}; persistent ORCH_HOME, compute logs on, "
              f"fs_io_manager; engine ms/step at {SMALL} steps ({'before' if quick else 'median of before and after'}) "
              f"and at N steps")
        print(f"  {'shape':<7} {'executor':<13} {f'{SMALL} ms/step':>12} "
              f"{'N ms/step':>14} {'ratio':>7} {'N wall s':>8} {'peak RSS':>9}   load")
        for executor, large in sizes.items():
            print(f"  -- N = {large:,}")
            for shape in SHAPES:
                _row(home, shape, executor, large, after=not quick)


if __name__ == "__main__":
    main(sys.argv[1:])
