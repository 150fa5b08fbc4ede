"""Event storage: events a real run stores per second, write throughput through
``EventWriter`` alone and emit→visible latency.

First, as a user gets it: ``orch run`` of ``wide_200`` (in process and multiprocess) as a
subprocess (benchmarks/entry.py); events stored / engine time from the run record. A run's
rate is bounded by its steps, not by the writer: this is the figure a user sees.

Then, labelled **engine only** — throughput: 100,000 realistic step events (small payloads) written through
``Instance.event_writer`` into a fresh SQLite ``ORCH_HOME``, timed until the last one is
committed. Three shapes, because the writer commits at every step outcome:

* ``1000 ev/step`` — long steps that log a lot: commits are batched (1000 events or 50 ms);
* ``10 ev/step``  — the in-process engine's shape for trivial steps (Dagster writes ≈ 8): one
  commit per step, so this measures commit cost;
* ``ephemeral``    — the in-memory instance ``execute_pipeline`` uses without one, 10 ev/step.

Latency: this process writes events at a steady pace while *another process* follows the run
with ``Instance.watch`` (poll by cursor behind a ``PRAGMA data_version`` check); each event's
latency is the reader's clock when it sees it minus the event's timestamp (set at ``write``).

``python -m benchmarks events`` (``--quick`` for a shorter run). Targets: ≥ 100,000 events/s,
median latency < 100 ms. ``--storage postgres``: the same measurements on PostgreSQL with
SQLite's beside them, and ``orch runs list`` over 100,000 runs (``postgres_events.py``).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun

from .entry import OrchHome, load, summary

_STEP_BODY = [
    (EventType.LOADED_INPUT, {"input_name": "x", "manager_key": "io_manager"}),
    (EventType.STEP_INPUT, {"input_name": "x", "type_check": {"success": True}}),
    (None, {}),
    (EventType.STEP_OUTPUT, {"output_name": "result", "type_check": {"success": True}}),
    (EventType.HANDLED_OUTPUT, {"output_name": "result", "manager_key": "io_manager"}),
    (None, {}),
    (EventType.ENGINE_EVENT, {"metadata": {"pid": 1234}}),
    (None, {}),
]


def step_events(run_id: str, n_events: int, per_step: int) -> list[EventRecord]:
    """``n_events`` events: each step is STEP_START, body events, STEP_SUCCESS."""
    events = []
    for i in range(n_events):
        step = f"step_{i // per_step}"
        k = i % per_step
        if k == 0:
            event_type, data = EventType.STEP_START, {}
        elif k == per_step - 1:
            event_type, data = EventType.STEP_SUCCESS, {"duration_ms": 1.5}
        else:
            event_type, data = _STEP_BODY[k % len(_STEP_BODY)]
        events.append(
            EventRecord(
                run_id,
                "bench_pipeline",
                event_type,
                f"{event_type.value if event_type else 'log line'} for {step} ({i})",
                step_key=step,
                level=logging.DEBUG if event_type else logging.INFO,
                data=dict(data),
            )
        )
    return events


def _throughput(instance: Instance, n_events: int, per_step: int) -> tuple[float, float]:
    run = instance.create_run(PipelineRun("bench_pipeline"))
    events = step_events(run.run_id, n_events, per_step)
    start = time.perf_counter()
    with instance.event_writer(run.run_id) as writer:
        for e in events:
            writer.write(e)
    seconds = time.perf_counter() - start
    assert len(instance.get_logs_for_run(run.run_id, cursor=events[-2].storage_id)) == 1
    return n_events / seconds, seconds / (n_events / per_step)


_READER = """
import json, sys, time
from orch.core.instance import Instance
inst = Instance.from_home(sys.argv[1])
print("ready", flush=True)
seen = []
for e in inst.watch(sys.argv[2], timeout=120):
    seen.append((time.time() - e.timestamp, e.event_type.value if e.event_type else None))
print(json.dumps(seen), flush=True)
"""


def _latency(
    home: Path, n_events: int, interval: float, per_step: int
) -> list[tuple[float, str | None]]:
    with Instance.from_home(home) as instance:
        run = instance.create_run(PipelineRun("bench_pipeline"))
        reader = subprocess.Popen(
            [sys.executable, "-c", _READER, str(home), run.run_id],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        assert reader.stdout.readline().strip() == "ready"
        events = step_events(run.run_id, n_events, per_step)
        with instance.event_writer(run.run_id) as writer:
            writer.write(EventRecord(run.run_id, "bench_pipeline", EventType.PIPELINE_START))
            next_at = time.perf_counter()
            for e in events:
                next_at += interval
                time.sleep(max(0.0, next_at - time.perf_counter()))
                e.timestamp = time.time()
                writer.write(e)
            writer.write(EventRecord(run.run_id, "bench_pipeline", EventType.PIPELINE_SUCCESS))
        out, _ = reader.communicate(timeout=120)
    return [tuple(x) for x in json.loads(out.splitlines()[-1])]


def _ms(values: list[float]) -> tuple[str, str]:
    if not values:
        return "-", "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1e3:.1f}", f"{p95 * 1e3:.1f}"


def real_entry_point(repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="orch-bench-events-run-") as tmp:
        home = OrchHome(Path(tmp))
        print(f"`orch run` of wide_200, {home.label}; persistent ORCH_HOME, compute logs on, "
              f"fs_io_manager; median of {repeats}")
        print(f"  {'executor':<13} {'events':>7} {'ev/step':>8} {'engine s':>9} {'events/s':>9}"
              "   load")
        for executor in ("in_process", "multiprocess"):
            m = summary([home.orch_run("wide_200", executor) for _ in range(repeats)])
            rate = m.events / m.engine if m.engine else 0.0
            print(f"  {executor:<13} {m.events:>7} {m.events / max(1, m.steps):>8.1f} "
                  f"{m.engine:>9.3f} {rate:>9,.0f}   {load()}", flush=True)


def main(argv: list[str]) -> None:
    if "--storage" in argv:
        storage = argv[argv.index("--storage") + 1] if argv.index("--storage") + 1 < len(argv) \
            else ""
        if storage != "postgres":
            sys.exit(f"--storage takes postgres (SQLite is the default), got {storage!r}")
        from .postgres_events import main as postgres_main

        postgres_main(argv, _throughput, _latency, _ms)
        return
    quick = "--quick" in argv
    real_entry_point(3)
    n_events = 20_000 if quick else 100_000
    print("\nengine only: the event writer and storage alone, pre-built events")
    with tempfile.TemporaryDirectory(prefix="orch-bench-events-") as tmp:
        rows = []
        for label, per_step in (("SQLite, 1000 ev/step", 1000), ("SQLite, 10 ev/step", 10)):
            results = []
            for i in range(3):
                with Instance.from_home(Path(tmp) / f"{per_step}-{i}") as instance:
                    results.append(_throughput(instance, n_events, per_step))
            rate, per_step_s = sorted(results)[1]
            rows.append((label, rate, per_step_s))
        results = []
        for _ in range(3):
            with Instance.ephemeral() as instance:
                results.append(_throughput(instance, n_events, 10))
        rate, per_step_s = sorted(results)[1]
        rows.append(("ephemeral, 10 ev/step", rate, per_step_s))

        print(f"write throughput: {n_events:,} events through EventWriter (median of 3)")
        print(f"  {'shape':<24} {'events/s':>10} {'µs/event':>9} {'µs/step':>9}")
        for label, rate, per_step_s in rows:
            print(f"  {label:<24} {rate:>10,.0f} {1e6 / rate:>9.2f} {per_step_s * 1e6:>9.1f}")
        print("  target: ≥ 100,000 events/s")

        n_latency, interval = (500, 0.002) if quick else (2000, 0.002)
        outcome = {"STEP_SUCCESS", "PIPELINE_SUCCESS", "PIPELINE_START"}
        print(
            f"\nemit→visible in another process (Instance.watch, polling every 20 ms): "
            f"{n_latency:,} events, one every {interval * 1e3:.0f} ms"
        )
        print(f"  {'run shape: events':<40} {'median ms':>10} {'p95 ms':>8}")
        for shape, per_step in (("10 ev/step", 10), ("one long step", n_latency)):
            seen = _latency(Path(tmp) / f"latency-{per_step}", n_latency, interval, per_step)
            groups = [
                ("all", [lat for lat, _ in seen]),
                (
                    "outcomes (≤ 50 ms)",
                    [lat for lat, t in seen if t in outcome],
                ),
                ("other (batched, ≤ 50 ms)", [lat for lat, t in seen if t not in outcome]),
            ]
            for label, values in groups:
                median, p95 = _ms(values)
                print(f"  {shape + ': ' + label:<40} {median:>10} {p95:>8}")
        print("  target: median < 100 ms")


if __name__ == "__main__":
    main(sys.argv[1:])
