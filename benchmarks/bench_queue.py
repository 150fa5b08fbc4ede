"""The run queue as a user gets it: ``python -m benchmarks queue [--runs N] [--quick]``.

An instance in a temporary ``ORCH_HOME`` selects the queued coordinator with
``max_concurrent_runs: 4``. N runs of a one-solid pipeline are enqueued (the first few by
``orch launch`` subprocesses, timed; the rest through the same ``create_run`` +
``instance.submit_run`` those make, so 1,000 enqueues don't take 1,000 interpreter starts),
then ``orch queue run`` — the dequeuer in the foreground, a subprocess — drains them, each run
in its own worker process (the default launcher).

Printed, from the stored events:

* **dequeue latency**: for each run, from the moment it could start (its enqueue, or the end
  of the run whose slot it took: with FIFO and 4 slots, the i-th run dequeued takes the slot
  the (i-4)-th run to end freed) to its PIPELINE_DEQUEUED. Target: median ≤ 50 ms. Dagster's
  dequeuer polls every ``dequeue_interval_seconds`` (5 s); orch's wakes on the commit;
* **throughput**: runs per second from the first dequeue to the last run's end, and what
  bounds it (each run is a worker process: its start and import, on a shared machine);
* engine only (labelled so): one ``dequeue()`` pass over N queued runs, in ms.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from benchmarks.entry import load, mark, orch_script, scratch, timing_env

PIPELINE = '''
from orch import pipeline, solid


@solid
def hello(context):
    return 1


@pipeline
def tiny():
    hello()
'''
QUEUED = "run_coordinator:\n  name: queued\n  config: {max_concurrent_runs: 4}\n"
SLOTS = 4
BY_CLI = 5


def _enqueue(home: Path, repo: Path, n: int, env: dict[str, str]) -> list[float]:
    """Enqueue ``n`` runs: ``BY_CLI`` by ``orch launch`` (their wall times are returned), the
    rest through the API those commands use."""
    cli_walls = []
    for _ in range(min(BY_CLI, n)):
        start = time.perf_counter()
        subprocess.run([orch_script(), "launch", "-f", str(repo), "-p", "tiny"], env=env,
                       cwd=repo.parent, check=True, capture_output=True)
        cli_walls.append(time.perf_counter() - start)
    from orch.core.instance import Instance
    from orch.core.launcher import create_run
    from orch.core.workspace import WorkspaceTarget, load_workspace

    loaded = load_workspace(WorkspaceTarget(python_file=str(repo))).pipelines["tiny"]
    with Instance.from_home(home) as instance:
        for _ in range(n - len(cli_walls)):
            instance.submit_run(create_run(instance, loaded.reconstructable()))
    return cli_walls


def _drain(home: Path, repo: Path, n: int, env: dict[str, str], timeout: float) -> float:
    from orch.core.instance import Instance
    from orch.core.runs import PipelineRunStatus

    start = time.perf_counter()
    dequeuer = subprocess.Popen([orch_script(), "queue", "run"], env=env, cwd=repo.parent,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with Instance.from_home(home) as instance:
            while time.perf_counter() - start < timeout:
                done = instance.get_runs_count(statuses=[PipelineRunStatus.SUCCESS,
                                                         PipelineRunStatus.FAILURE])
                if done >= n:
                    break
                time.sleep(0.2)
    finally:
        dequeuer.send_signal(signal.SIGINT)
        dequeuer.wait(timeout=30)
    return time.perf_counter() - start


def _latencies(home: Path) -> tuple[list[float], float, int]:
    """Per-run dequeue latencies (seconds), the drain's throughput (runs/s), failures."""
    from orch.core.events import EventType
    from orch.core.instance import Instance

    enqueued: dict[str, float] = {}
    dequeued: dict[str, float] = {}
    ended: dict[str, float] = {}
    failures = 0
    with Instance.from_home(home) as instance:
        for run in instance.get_runs():
            for e in instance.get_logs_for_run(run.run_id, of_type=[
                    EventType.PIPELINE_ENQUEUED, EventType.PIPELINE_DEQUEUED,
                    EventType.PIPELINE_SUCCESS, EventType.PIPELINE_FAILURE]):
                if e.event_type is EventType.PIPELINE_ENQUEUED:
                    enqueued[run.run_id] = e.timestamp
                elif e.event_type is EventType.PIPELINE_DEQUEUED:
                    dequeued[run.run_id] = e.timestamp
                else:
                    ended[run.run_id] = e.timestamp
                    failures += e.event_type is EventType.PIPELINE_FAILURE
    order = sorted(dequeued, key=dequeued.get)  # type: ignore[arg-type]
    ends = sorted(ended.values())
    latencies = []
    for i, run_id in enumerate(order):
        free = enqueued[run_id] if i < SLOTS else max(enqueued[run_id], ends[i - SLOTS])
        latencies.append(max(0.0, dequeued[run_id] - free))
    span = (max(ends) - dequeued[order[0]]) if ends and order else 0.0
    return latencies, (len(ends) / span if span else 0.0), failures


def _engine_pass(home: Path, n: int) -> float:
    """Engine only: one dequeue pass over ``n`` queued runs with every slot taken by a
    STARTED run (it reads the queue and the runs in progress and launches nothing), in ms."""
    from orch.core.events import EventRecord, EventType
    from orch.core.instance import Instance
    from orch.core.runs import PipelineRun

    with Instance.from_home(home) as instance:
        for _ in range(SLOTS):
            busy = instance.create_run(PipelineRun("busy"))
            for event_type in (EventType.PIPELINE_STARTING, EventType.PIPELINE_START):
                instance.handle_new_event(EventRecord(busy.run_id, "busy", event_type))
        for _ in range(n):
            instance.submit_run(instance.create_run(PipelineRun("tiny")))
        coordinator = instance.run_coordinator
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            state = coordinator.dequeue(instance)  # type: ignore[attr-defined]
            samples.append((time.perf_counter() - start) * 1000)
            assert not state.launched and len(state.queue) == n
    return statistics.median(samples)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks queue")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="50 runs")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args, _ = parser.parse_known_args(argv)
    n = 50 if args.quick and args.runs == 1000 else args.runs
    with scratch("orch-bench-queue-") as tmp:
        home, repo = tmp / ".orch", tmp / "tiny.py"
        home.mkdir()
        (home / "orch.yaml").write_text(QUEUED)
        repo.write_text(textwrap.dedent(PIPELINE))
        env = timing_env(home)
        print(f"{n} runs of a one-solid pipeline, max_concurrent_runs {SLOTS}, "
              f"default launcher (a worker process per run); {load()}")
        cli = _enqueue(home, repo, n, env)
        print(f"  orch launch (enqueue, whole process): median {statistics.median(cli):.3f} s")
        drained = _drain(home, repo, n, env, args.timeout)
        latencies, rate, failures = _latencies(home)
        median = statistics.median(latencies) * 1000 if latencies else float("nan")
        p90 = statistics.quantiles(latencies, n=10)[-1] * 1000 if len(latencies) > 1 else median
        print(f"  orch queue run drained {len(latencies)} runs in {drained:.1f} s "
              f"({failures} failed); {load()}")
        print(f"  dequeue latency (slot free → PIPELINE_DEQUEUED): median {median:.1f} ms, "
              f"p90 {p90:.1f} ms — target ≤ 50 ms median: {mark(median <= 50)}")
        print(f"  throughput: {rate:.1f} runs/s (bounded by a worker process per run on "
              f"{os.cpu_count()} CPUs)")
    with scratch("orch-bench-queue-engine-") as tmp:
        home = tmp / ".orch"
        home.mkdir()
        (home / "orch.yaml").write_text(QUEUED)
        print(f"  engine only: one dequeue pass over {n} queued runs: "
              f"{_engine_pass(home, n):.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
