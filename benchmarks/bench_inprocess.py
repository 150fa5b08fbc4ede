"""In-process execution: orchestration overhead per step (target ≤ 0.5 ms).

Each workload runs with the ephemeral instance and the console logger off, so the time is the
engine's own: planning, scheduling, events, IO-manager hand-off and result assembly.
"""

from __future__ import annotations

import statistics
import time

from orch import execute_pipeline

from .workloads import workloads

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _time(pipeline, repeats: int) -> tuple[float, int]:
    times = []
    steps = 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = execute_pipeline(pipeline, run_config=QUIET)
        times.append(time.perf_counter() - start)
        assert result.success
        steps = sum(1 for e in result.event_list if e.is_step_success)
    return statistics.median(times), steps


def main(argv: list[str]) -> None:
    repeats = 3 if "--quick" in argv else 7
    print(f"{'workload':<12} {'steps':>6} {'median s':>10} {'ms/step':>9}  (target ≤ 0.5 ms/step)")
    for name, pipeline in workloads().items():
        execute_pipeline(pipeline, run_config=QUIET)  # warm caches and imports
        seconds, steps = _time(pipeline, repeats)
        print(f"{name:<12} {steps:>6} {seconds:>10.4f} {seconds / steps * 1000:>9.3f}")
