"""``python -m benchmarks events --storage postgres``: the event storage on PostgreSQL, with
SQLite's figures beside it from the same run.

* **Write throughput** — 100,000 step events through ``Instance.event_writer`` (one run
  worker), 1000 and 10 events per step, timed until the last is committed. PostgreSQL writes
  a batch with ``COPY`` (small batches: one pipelined ``executemany``) under the events lock.
  Target ≥ 50,000 events/s.
* **Emit→visible** — this process writes an event every 2 ms while another process follows
  the run with ``Instance.watch``: PostgreSQL's follower sleeps on the LISTEN socket and wakes
  on the NOTIFY; SQLite's polls ``PRAGMA data_version`` every 20 ms. Target p95 ≤ 100 ms.
* **A step's log lines, live** — ``orch run`` (a subprocess, in process and multiprocess) of a
  step that logs a line every 50 ms for 2 s; this process follows the run with
  ``Instance.watch`` and times each line from ``context.log`` to seeing it (it reaches storage
  while the step runs: ``core/execution/live.py``). Target p95 ≤ 100 ms.
* **``orch runs list`` over 100,000 runs** — the real console script as a subprocess (its
  default page of 20, newest first), median of 5. Target ≤ 200 ms.

The server is a throwaway one started here like the tests' (``tests/postgres_server.py``:
initdb + pg_ctl on a free loopback port, ``fsync=off``), unless ``--pg-url URL`` names a
database to use (it must be empty).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from orch.core.instance import Instance
from orch.core.runs import PipelineRun

from .entry import load

N_RUNS = 100_000


def main(argv: list[str], throughput: Any, latency: Any, ms: Any) -> None:
    """``throughput``/``latency``/``ms`` are bench_events' own measurements (one home)."""
    quick = "--quick" in argv
    n_events = 20_000 if quick else 100_000
    n_runs = 20_000 if quick else N_RUNS
    url = argv[argv.index("--pg-url") + 1] if "--pg-url" in argv else None
    server = None
    if url is None:
        from tests.postgres_server import start

        server = start()
    try:
        with tempfile.TemporaryDirectory(prefix="orch-bench-pg-") as tmp:
            homes = _homes(Path(tmp), server, url)
            print(f"PostgreSQL {_server_version(homes)} on loopback (fsync off), SQLite beside "
                  f"it; {load()}")
            _throughputs(homes, n_events, throughput)
            _latencies(homes, latency, ms, quick)
            _live_logs(homes, ms, Path(tmp))
            _runs_list(homes, n_runs)
    finally:
        if server is not None:
            server.stop()


def _homes(tmp: Path, server: Any, url: str | None) -> dict[str, Any]:
    """backend -> a function giving a new ORCH_HOME (a new database each for PostgreSQL)."""
    counter = iter(range(1_000_000))

    def sqlite_home() -> Path:
        return tmp / f"sqlite-{next(counter)}"

    def postgres_home() -> Path:
        home = tmp / f"pg-{next(counter)}"
        home.mkdir()
        db = url if url is not None else server.create_database("orch_bench")
        (home / "orch.yaml").write_text(f"storage:\n  postgres:\n    postgres_url: {db}\n")
        return home

    return {"SQLite": sqlite_home, "PostgreSQL": postgres_home}


def _server_version(homes: dict[str, Any]) -> str:
    with Instance.from_home(homes["PostgreSQL"]()) as inst:
        return str(inst.storage.describe()["server_version"]).split()[0]


def _throughputs(homes: dict[str, Any], n_events: int, throughput: Any) -> None:
    print(f"\nwrite throughput: {n_events:,} events through EventWriter, one run (median of 3)")
    print(f"  {'backend, shape':<28} {'events/s':>10} {'µs/event':>9} {'µs/step':>9}")
    for backend, new_home in homes.items():
        for per_step in (1000, 10):
            results = []
            for _ in range(3):
                with Instance.from_home(new_home()) as instance:
                    results.append(throughput(instance, n_events, per_step))
            rate, per_step_s = sorted(results)[1]
            print(f"  {backend + f', {per_step} ev/step':<28} {rate:>10,.0f} {1e6 / rate:>9.2f} "
                  f"{per_step_s * 1e6:>9.1f}", flush=True)
    print("  target (PostgreSQL): ≥ 50,000 events/s")


def _latencies(homes: dict[str, Any], latency: Any, ms: Any, quick: bool) -> None:
    n, interval = (500, 0.002) if quick else (2000, 0.002)
    print(f"\nemit→visible in another process (Instance.watch): {n:,} events, one every "
          f"{interval * 1e3:.0f} ms, 10 ev/step")
    print(f"  {'backend':<28} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for backend, new_home in homes.items():
        seen = [lat for lat, _ in latency(new_home(), n, interval, 10)]
        median, p95 = ms(seen)
        print(f"  {backend:<28} {median:>10} {p95:>8} {max(seen) * 1e3:>8.1f}", flush=True)
    print("  target (PostgreSQL, NOTIFY): p95 ≤ 100 ms")


_LOGGING_REPO = """
import time
from orch import pipeline, solid


@solid
def chatty(context):
    for i in range(40):
        context.log.info(f"line {i}")
        time.sleep(0.05)


@pipeline
def logging_step():
    chatty()
"""


def _live_logs(homes: dict[str, Any], ms: Any, tmp: Path) -> None:
    print("\na step's context.log lines, emit→visible in another process while the step runs "
          "(orch run as a subprocess, 40 lines 50 ms apart)")
    print(f"  {'backend, executor':<28} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    repo = tmp / "logging_repo.py"
    repo.write_text(_LOGGING_REPO)
    orch = str(Path(sys.executable).parent / "orch")
    for backend, new_home in homes.items():
        for executor in ("in_process", "multiprocess"):
            home = new_home()
            with Instance.from_home(home) as inst:
                proc = subprocess.Popen([orch, "run", "-f", str(repo), "-p", "logging_step",
                                         "--executor", executor], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL,
                                        env={**os.environ, "ORCH_HOME": str(home)})
                deadline = time.monotonic() + 60
                runs = inst.get_runs(limit=1)
                while not runs and time.monotonic() < deadline:
                    time.sleep(0.01)
                    runs = inst.get_runs(limit=1)
                seen = [time.time() - e.timestamp for e in inst.watch(runs[0].run_id, timeout=60)
                        if e.message.startswith("line ")]
                assert proc.wait(timeout=60) == 0 and len(seen) == 40, (len(seen), executor)
            median, p95 = ms(seen)
            print(f"  {backend + ', ' + executor:<28} {median:>10} {p95:>8} "
                  f"{max(seen) * 1e3:>8.1f}", flush=True)
    print("  target: p95 ≤ 100 ms (before: a line waited for its step to return)")


def _runs_list(homes: dict[str, Any], n_runs: int) -> None:
    print(f"\n`orch runs list` (newest 20) over {n_runs:,} runs: the console script as a "
          "subprocess, median of 5")
    print(f"  {'backend':<28} {'ms':>8} {'load rows s':>12}")
    orch = str(Path(sys.executable).parent / "orch")
    for backend, new_home in homes.items():
        home = new_home()
        load_s = _fill_runs(home, n_runs)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            done = subprocess.run([orch, "runs", "list"], capture_output=True, text=True,
                                  env={**os.environ, "ORCH_HOME": str(home)})
            times.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr
        print(f"  {backend:<28} {statistics.median(times) * 1e3:>8.0f} {load_s:>12.1f}",
              flush=True)
    print("  target (PostgreSQL): ≤ 200 ms")


def _fill_runs(home: Path, n_runs: int) -> float:
    """``n_runs`` finished runs with tags, loaded as rows (``Storage.load_rows``) cloned from
    one stored through ``add_run``; returns the seconds it took."""
    start = time.perf_counter()
    with Instance.from_home(home) as inst:
        template = inst.create_run(PipelineRun("bench_pipeline", tags={"team": "data"}))
        storage = inst.storage
        with storage.db.read() as conn:
            cursor = conn.execute("SELECT * FROM runs WHERE run_id = ?", (template.run_id,))
            columns = [d[0] for d in cursor.description]
            row = list(cursor.fetchone())
        storage.delete_run(template.run_id)
        at = {c: i for i, c in enumerate(columns)}
        rows, tags = [], []
        now = time.time()
        for i in range(n_runs):
            clone = list(row)
            run_id = str(uuid.UUID(int=i + 1))
            clone[at["id"]] = i + 1
            clone[at["run_id"]] = run_id
            clone[at["status"]] = "SUCCESS"
            clone[at["create_timestamp"]] = now - n_runs + i
            clone[at["worker_pid"]] = None
            rows.append(tuple(clone))
            tags.append((i + 1, run_id, "team", "data"))
        storage.load_rows("runs", columns, rows)
        storage.load_rows("run_tags", ["id", "run_id", "key", "value"], tags)
    return time.perf_counter() - start
