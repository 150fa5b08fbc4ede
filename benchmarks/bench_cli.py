"""The command line: `orch run` wall time and watch-mode save-to-STEP_START latency.

* ``orch run`` of a one-solid pipeline (``fs_io_manager``, persistent ORCH_HOME): the whole
  process, from exec to exit, median of several runs (target ≤ 0.25 s, issue 13 item 5;
  Dagster's ``dagster job execute`` takes ~1.8-2.5 s for a one-op job here); the sample repo's
  ``hello``; startup alone (``orch --help``, ``python -c "import orch.cli"``) and the
  interpreter's floor (``python -c pass``).
* ``orch run --watch``: a temporary repository file is rewritten; the latency is the time from
  the write to the STEP_START event of the re-executed step, as stored in SQLite (the event's
  own timestamp; "seen" is when this process read it) — target ≤ 300 ms median (issue 13
  item 6), for a module that imports pandas (skipped, saying so, where pandas is not
  installed) and for one with trivial imports.

When the environment sets PYTHONDONTWRITEBYTECODE (this one does), Python writes no bytecode
and orch's CLI keeps its own cache (~/.cache/orch/pycache); the suite reports that
as-configured figure first, then the figure with no bytecode cache at all
(ORCH_NO_BYTECODE_CACHE=1: every process compiles orch from source), labelled.

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

from .entry import OrchHome, bytecode_label, load, orch_script, timed_process, timing_env

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_repo" / "sales.py"

WATCHED = textwrap.dedent('''
    {imports}
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
    return orch_script()


def _envs(home: Path, cache_dir: Path) -> list[tuple[str, dict[str, str]]]:
    """The environment as configured first; then no bytecode cache at all (every process
    compiles orch from source: a fresh editable install's first run), labelled."""
    as_configured = (bytecode_label(), timing_env(home))
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        uncached = {**timing_env(home), "ORCH_NO_BYTECODE_CACHE": "1"}
        return [as_configured, (bytecode_label(none=True), uncached)]
    return [as_configured]


def _wall(argv: list[str], env: dict[str, str], cwd: Path, repeats: int) -> list[float]:
    timed_process(argv, env, cwd)  # warm up (untimed)
    return [timed_process(argv, env, cwd)[0] for _ in range(repeats)]


def _fmt(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1000:6.0f} ms   min {min(times) * 1000:5.0f}"
            f"   max {max(times) * 1000:5.0f}")


def bench_startup(work: Path, repeats: int) -> None:
    orch = _orch()
    one_solid = OrchHome(work).workload("chain_1")
    print(f"whole process, persistent ORCH_HOME (wall time, n={repeats}, after a warm-up run)")
    for label, env in _envs(work / "orch_home", work / "pycache"):
        print(f"  -- {label}")
        rows = [
            ("orch run: one solid, fs_io_manager", [orch, "run", "-f", str(one_solid), "-q"],
             "  (target ≤ 250 ms)"),
            ("orch run -f sample_repo/sales.py -p hello",
             [orch, "run", "-f", str(SAMPLE), "-p", "hello", "-q"], ""),
            ("orch --help", [orch, "--help"], ""),
            ('python -c "import orch.cli"', [sys.executable, "-c", "import orch.cli"], ""),
            ("python -c pass (the floor)", [sys.executable, "-c", "pass"], ""),
        ]
        for name, argv, target in rows:
            times = _wall(argv, env, work, repeats)
            print(f"  {name:<44} {_fmt(times)}   {load()}{target}", flush=True)


def has_pandas() -> bool:
    import importlib.util

    return importlib.util.find_spec("pandas") is not None


def bench_watch(work: Path, saves: int, imports: str = "") -> None:
    from orch.core.instance import Instance

    what = f"a module that does `{imports}`" if imports else "trivial imports"
    repo = work / ("watched_" + str(abs(hash(imports))))
    repo.mkdir()
    source = repo / "repo.py"
    source.write_text(WATCHED.format(n=1, imports=imports))
    for label, env in _envs(repo / ".orch", work / "pycache")[:1]:
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
                    source.write_text(WATCHED.format(n=n + 2, imports=imports))
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
        print(f"\nwatch mode, save → STEP_START of the re-executed step, {what} ({label}, "
              f"{saves} saves, debounce 100 ms):")
        ok = statistics.median(latencies) <= 0.3
        print(f"  {'event timestamp':<30} {_fmt(latencies)}   {load()}  "
              f"{'ok' if ok else 'NOT MET'} (target ≤ 300 ms)")
        print(f"  {'seen by a SQLite reader':<30} {_fmt(seen)}")
        if loads:
            print(f"  {'run stored (code reloaded)':<30} {_fmt(loads)}")


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    with tempfile.TemporaryDirectory(prefix="orch-bench-cli-") as tmp:
        work = Path(tmp)
        bench_startup(work, repeats=3 if quick else 9)
        saves = 5 if quick else 15
        if has_pandas():
            bench_watch(work, saves, imports="import pandas")
        else:
            print("\nwatch mode with a pandas-importing module: skipped (pandas is not "
                  "installed: pip install -e '.[dev]')")
        bench_watch(work, saves)


if __name__ == "__main__":
    main(sys.argv[1:])
