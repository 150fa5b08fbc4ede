"""Multiprocess execution: the cost of running every step in its own process.

Workloads: ``chain_50``, ``fanout_100``, ``wide_200`` (``benchmarks/workloads.py``, the
persistent variants whose IO manager is ``fs_io_manager``), trivial solid bodies so the time is
orchestration. Every run uses a real instance: a fresh SQLite ``ORCH_HOME`` in a temporary
directory (events committed by the run process, compute logs captured per step, outputs pickled
to ``ORCH_HOME/storage``), the console logger off.

Three orch measurements per workload, all in this invocation:

* **in-process**: ``execute_pipeline`` in this process, same instance, in-process executor;
* **multiprocess**: the same with ``execution: {multiprocess: {config: {max_concurrent: 2}}}``
  — one forked process per step. ``ms/step`` is wall time / steps: the bodies are trivial, so
  all of it is overhead (target ≤ 10 ms/step); ``+ms/step`` is the extra over in-process;
* **whole process**: ``python -c`` importing orch, opening a fresh ORCH_HOME and running the
  workload multiprocess: what a user waits for, comparable with a peer's CLI.

With ``ORCH_BENCH_DAGSTER_PYTHON=/path/to/venv/bin/python`` (Dagster 1.x installed there), the
equivalent ``@op``/``@job`` runs through Dagster's multiprocess executor (max_concurrent 2, its
default ``spawn`` start method) as a whole process, ``dagster job execute -f FILE -j JOB -c
CONFIG``, with a fresh ``DAGSTER_HOME`` whose ``dagster.yaml`` disables telemetry, and the ratio
to orch's whole-process time is printed (target ≥ 100x on chain_50). Dagster takes ≈ 95 s for
chain_50 on a 2-core machine, so by default only chain_50 runs there, once.

``python -m benchmarks multiprocess [--quick] [--dagster-all] [--dagster-repeats=N]
[--no-dagster]``
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orch.core.instance import Instance

from orch import execute_pipeline

from . import workloads

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
MAX_CONCURRENT = 2
MULTIPROCESS = {"execution": {"multiprocess": {"config": {"max_concurrent": MAX_CONCURRENT}}},
                **QUIET}
NAMES = ("chain_50", "fanout_100", "wide_200")
TARGET_MS_PER_STEP = 10.0
TARGET_RATIO = 100.0
REPO_ROOT = Path(__file__).resolve().parent.parent

ORCH_SCRIPT = """
import sys
from orch import execute_pipeline
from orch.core.instance import Instance
from benchmarks import workloads
from benchmarks.bench_multiprocess import MULTIPROCESS
name, home = sys.argv[1], sys.argv[2]
with Instance.from_home(home) as instance:
    result = execute_pipeline(getattr(workloads, name), run_config=MULTIPROCESS,
                              instance=instance)
sys.exit(0 if result.success else 1)
"""

DAGSTER_JOBS = '''
from dagster import Definitions, job, op


@op
def start():
    return 1


@op
def step(x):
    return x + 1


@op
def source():
    return 1


@op
def leaf(x):
    return x + 1


@op
def sink(xs):
    return sum(xs) + 1


@op
def root():
    return 1


@op
def node(a, b):
    return a + b + 1


@job
def chain_50():
    x = start()
    for i in range(1, 50):
        x = step.alias(f"step_{i}")(x)


@job
def fanout_100():
    s = source()
    sink([leaf.alias(f"leaf_{i}")(s) for i in range(100)])


@job
def wide_200():
    previous = [root()]
    for layer in range(20):
        current = []
        for j in range(10):
            a = previous[j % len(previous)]
            b = previous[(j + 1) % len(previous)]
            current.append(node.alias(f"n_{layer}_{j}")(a, b))
        previous = current


defs = Definitions(jobs=[chain_50, fanout_100, wide_200])
'''

DAGSTER_EXECUTION = {
    "multiprocess": f"multiprocess:\n      max_concurrent: {MAX_CONCURRENT}",
    "in_process": "in_process: {}",
}
DAGSTER_CONFIG = """
execution:
  config:
    {execution}
loggers:
  console:
    config:
      log_level: CRITICAL
"""


def _steps(result) -> int:
    return sum(1 for e in result.event_list if e.is_step_success)


def _time_in_process(pipeline, run_config: dict, instance: Instance, repeats: int
                     ) -> tuple[float, int]:
    execute_pipeline(pipeline, run_config=run_config, instance=instance)  # warm up
    times, steps = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = execute_pipeline(pipeline, run_config=run_config, instance=instance)
        times.append(time.perf_counter() - start)
        assert result.success, f"{pipeline.name} failed"
        steps = _steps(result)
    return statistics.median(times), steps


def _timing_env() -> dict[str, str]:
    """The environment for timed child processes: no pycache prefix (BENCHMARKS.md: with
    PYTHONDONTWRITEBYTECODE it makes every import recompile)."""
    env = dict(os.environ)
    env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def _time_orch_process(name: str, repeats: int, scratch: Path) -> float:
    times = []
    for i in range(repeats):
        home = scratch / f"orch_home_{name}_{i}"
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", ORCH_SCRIPT, name, str(home)],
                              cwd=REPO_ROOT, env=_timing_env(), capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"orch {name} failed:\n{proc.stderr[-2000:]}")
    return statistics.median(times)


def _dagster_version(python: str) -> str | None:
    proc = subprocess.run([python, "-c", "import dagster; print(dagster.__version__)"],
                          env=_timing_env(), capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _dagster_cli(python: str) -> list[str]:
    exe = Path(python).parent / "dagster"
    return [str(exe)] if exe.exists() else [python, "-m", "dagster"]


def _time_dagster(python: str, name: str, executor: str, repeats: int, scratch: Path
                  ) -> float:
    jobs = scratch / "dagster_jobs.py"
    jobs.write_text(DAGSTER_JOBS)
    config = scratch / f"dagster_{executor}.yaml"
    config.write_text(DAGSTER_CONFIG.format(execution=DAGSTER_EXECUTION[executor]))
    times = []
    for i in range(repeats):
        home = Path(tempfile.mkdtemp(prefix=f"dagster_home_{name}_{executor}_{i}_", dir=scratch))
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**_timing_env(), "DAGSTER_HOME": str(home)}
        start = time.perf_counter()
        proc = subprocess.run(
            [*_dagster_cli(python), "job", "execute", "-f", str(jobs), "-j", name,
             "-c", str(config)],
            cwd=scratch, env=env, capture_output=True, text=True, timeout=1800,
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"dagster {name} ({executor}) failed:\n{proc.stderr[-3000:]}")
    return statistics.median(times)


def _flag_value(argv: list[str], name: str, default: int) -> int:
    for arg in argv:
        if arg.startswith(f"{name}="):
            return int(arg.split("=", 1)[1])
    return default


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    repeats = 3 if quick else 5
    process_repeats = 1 if quick else 3
    dagster_python = None if "--no-dagster" in argv else os.environ.get(
        "ORCH_BENCH_DAGSTER_PYTHON")
    dagster_names = NAMES if "--dagster-all" in argv else ("chain_50",)
    dagster_repeats = _flag_value(argv, "--dagster-repeats", 1)

    scratch = Path(tempfile.mkdtemp(prefix="orch-bench-mp-"))
    try:
        print(f"orch: fresh SQLite ORCH_HOME in {scratch} (persistent instance, compute logs "
              f"on, fs_io_manager); multiprocess max_concurrent={MAX_CONCURRENT}; "
              f"{os.cpu_count()} CPUs; medians of {repeats} runs in process, "
              f"{process_repeats} whole-process")
        header = (f"{'workload':<11} {'steps':>5} {'in-proc s':>10} {'multiproc s':>12} "
                  f"{'ms/step':>8} {'+ms/step':>9} {'whole proc s':>13}")
        print(header)
        rows: dict[str, float] = {}
        with Instance.from_home(scratch / "orch_home") as instance:
            for name in NAMES:
                pipeline = getattr(workloads, name)
                inproc, steps = _time_in_process(pipeline, QUIET, instance, repeats)
                multi, _ = _time_in_process(pipeline, MULTIPROCESS, instance, repeats)
                whole = _time_orch_process(name, process_repeats, scratch)
                rows[name] = whole
                per_step = multi / steps * 1000
                mark = "ok" if per_step <= TARGET_MS_PER_STEP else "OVER TARGET"
                print(f"{name:<11} {steps:>5} {inproc:>10.3f} {multi:>12.3f} "
                      f"{per_step:>8.2f} {(multi - inproc) / steps * 1000:>9.2f} "
                      f"{whole:>13.3f}  {mark} (≤ {TARGET_MS_PER_STEP:g} ms/step)", flush=True)

        if dagster_python is None:
            print("Dagster: set ORCH_BENCH_DAGSTER_PYTHON=/path/to/venv/bin/python (Dagster "
                  "1.x) to compare with its multiprocess executor.")
            return
        version = _dagster_version(dagster_python)
        if version is None:
            print(f"Dagster: cannot import dagster with {dagster_python}; skipped.")
            return
        print(f"\nDagster {version}, whole process `dagster job execute` (SQLite DAGSTER_HOME), "
              f"{dagster_repeats} run(s) each; multiprocess max_concurrent={MAX_CONCURRENT} "
              "(spawn); ratio = Dagster multiprocess / orch multiprocess, both whole process:")
        print(f"{'workload':<11} {'in-proc s':>10} {'multiproc s':>12} {'orch s':>8} "
              f"{'ratio':>7}")
        for name in dagster_names:
            inproc = _time_dagster(dagster_python, name, "in_process", dagster_repeats, scratch)
            multi = _time_dagster(dagster_python, name, "multiprocess", dagster_repeats,
                                  scratch)
            ratio = multi / rows[name]
            target = (f"  {'ok' if ratio >= TARGET_RATIO else 'BELOW TARGET'} "
                      f"(>= {TARGET_RATIO:g}x)") if name == "chain_50" else ""
            print(f"{name:<11} {inproc:>10.2f} {multi:>12.2f} {rows[name]:>8.3f} "
                  f"{ratio:>6.0f}x{target}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

