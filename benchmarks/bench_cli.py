"""The command line: `orch run` wall time and watch-mode save-to-STEP_START latency.

* ``orch run -f sample_repo/sales.py -p hello``: the whole process, from exec to exit, median
  of several runs (target < 0.5 s; Dagster's ``dagster job execute`` takes ~1.8 s for a
  one-op job here). Startup alone: ``orch --help`` and ``python -c "import orch.cli"``.
* ``orch run --watch``: a temporary repository file is rewritten; the latency is the time from
  the write to the STEP_START event of the re-executed step, as stored in SQLite (the event's
  own timestamp; "seen" is when this process read it) — target < 300 ms median.

When the environment sets PYTHONDONTWRITEBYTECODE (this one does), every process compiles
orch from source; the suite reports that as-is figure and the figure with a bytecode cache
(PYTHONPYCACHEPREFIX in a temporary directory), which is what an installed orch gets.

    python -m benchmarks cli [--quick]
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_repo" / "sales.py"

WATCHED = textwrap.dedent('''
    from orch import ModeDefinition, fs_io_manager, pipeline, solid


    @solid
    def extract(context) -> int:
        return 1


    @solid
    def transform(context, x: int) -> int:
        return x + {n}


    @solid
    def load(context, x: int) -> int:
        return x


    @pipeline(mode_defs=[ModeDefinition(resource_defs={{"io_manager": fs_io_manager}})])
    def etl():
        load(transform(extract()))
''')


def _orch() -> str:
    return str(Path(sys.executable).parent / "orch")


def _envs(home: Path, cache_dir: Path) -> list[tuple[str, dict[str, str]]]:
    base = {**os.environ, "ORCH_HOME": str(home)}
    base.pop("GITHUB_ACTIONS", None)
    cached = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return [("no bytecode cache (as configured)", base), ("with bytecode cache", cached)]
    return [("as configured", base)]


def _wall(argv: list[str], env: dict[str, str], cwd: Path, repeats: int) -> list[float]:
    times = []
    subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)  # warm up
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
    return times


def _fmt(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1000:6.0f} ms   min {min(times) * 1000:5.0f}"
            f"   max {max(times) * 1000:5.0f}")


def bench_startup(work: Path, repeats: int) -> None:
    orch = _orch()
    print(f"{'command':<52} {'':<20} wall time (n={repeats})")
    for label, env in _envs(work / ".orch", work / "pycache"):
        rows = [
            ("orch run -f sample_repo/sales.py -p hello",
             [orch, "run", "-f", str(SAMPLE), "-p", "hello", "-q"]),
            ("orch --help", [orch, "--help"]),
            ('python -c "import orch.cli"', [sys.executable, "-c", "import orch.cli"]),
        ]
        for name, argv in rows:
            times = _wall(argv, env, work, repeats)
            target = "  (target < 500 ms)" if argv[1:2] == ["run"] else ""
            print(f"{name:<52} {label:<34} {_fmt(times)}{target}")


def bench_watch(work: Path, saves: int) -> None:
    from orch.core.instance import Instance

    repo = work / "watched"
    repo.mkdir()
    source = repo / "repo.py"
    source.write_text(WATCHED.format(n=1))
    for label, env in _envs(repo / ".orch", work / "pycache")[-1:]:
        home = repo / ".orch"
        proc = subprocess.Popen(
            [_orch(), "run", "--watch", "-f", str(source), "-p", "etl", "-s", "transform+", "-q"],
            cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        latencies, seen, loads = [], [], []
        try:
            deadline = time.monotonic() + 30
            while True:
                if time.monotonic() > deadline:
                    raise SystemExit("the first watch run did not finish")
                if home.exists():
                    with Instance.from_home(home) as instance:
                        found = instance.get_runs()
                    if found and found[0].status.is_finished:
                        break
                time.sleep(0.05)
            time.sleep(0.5)  # let the warm code server finish starting
            with Instance.from_home(home) as instance:
                for n in range(saves):
                    known = {r.run_id for r in instance.get_runs()}
                    saved = time.time()
                    source.write_text(WATCHED.format(n=n + 2))
                    start_event = None
                    deadline = time.monotonic() + 10
                    while start_event is None and time.monotonic() < deadline:
                        for run in instance.get_runs(limit=3):
                            if run.run_id in known:
                                continue
                            starts = instance.get_logs_for_run(run.run_id)
                            start_event = next((e for e in starts
                                                if e.event_type_value == "STEP_START"), None)
                            starting = next((e for e in starts
                                             if e.event_type_value == "PIPELINE_STARTING"), None)
                        if start_event is None:
                            time.sleep(0.002)
                    if start_event is None:
                        raise SystemExit("no STEP_START within 10 s of a save")
                    seen.append(time.time() - saved)
                    latencies.append(start_event.timestamp - saved)
                    if starting is not None:
                        loads.append(starting.timestamp - saved)
                    time.sleep(0.4)  # the run finishes; the next save is a separate one
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        print(f"\nwatch mode, save → STEP_START of the re-executed step ({label}, "
              f"{saves} saves, debounce 100 ms):")
        print(f"  {'event timestamp':<30} {_fmt(latencies)}   (target < 300 ms)")
        print(f"  {'seen by a SQLite reader':<30} {_fmt(seen)}")
        if loads:
            print(f"  {'run stored (code reloaded)':<30} {_fmt(loads)}")


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    with tempfile.TemporaryDirectory(prefix="orch-bench-cli-") as tmp:
        work = Path(tmp)
        bench_startup(work, repeats=3 if quick else 9)
        bench_watch(work, saves=5 if quick else 15)


if __name__ == "__main__":
    main(sys.argv[1:])
