"""Dagster beside orch, the way a user runs each: ``dagster job execute -f FILE -j JOB -c
CONFIG`` against ``orch run -f FILE -p NAME``.

Both CLIs as subprocesses, each with one persistent SQLite home (``DAGSTER_HOME`` with a
``dagster.yaml`` that turns telemetry off; orch's temporary ``ORCH_HOME``), warmed by one
untimed run; both on their filesystem IO manager with compute logs captured (each tool's
default), console logging at its default; the same workloads (benchmarks/workloads.py and the
``@op``/``@job`` twins below). Dagster is installed in its own virtualenv outside the
repository (BENCHMARKS.md) and named by ``ORCH_BENCH_DAGSTER_PYTHON``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .entry import Measured, timed_process, timing_env

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


@job
def chain_1():
    start()


defs = Definitions(jobs=[chain_1, chain_50, fanout_100, wide_200])
'''


DAGSTER_EXECUTION = {
    "in_process": "in_process: {{}}",
    "spawn": "multiprocess:\n      max_concurrent: {mc}\n      start_method:\n        spawn: {{}}",
    "forkserver": ("multiprocess:\n      max_concurrent: {mc}\n      start_method:\n"
                   "        forkserver: {{}}"),
}
DAGSTER_CONFIG = """\
execution:
  config:
    {execution}
"""


def dagster_version(python: str) -> str | None:
    proc = subprocess.run([python, "-c", "import dagster; print(dagster.__version__)"],
                          env=timing_env(Path("/nonexistent")), capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


class DagsterHome:
    """One persistent DAGSTER_HOME and the job file, like a user's project."""

    def __init__(self, python: str, scratch: Path, max_concurrent: int = 2):
        self.python = python
        self.scratch = scratch
        self.home = scratch / "dagster_home"
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.jobs = scratch / "dagster_jobs.py"
        self.jobs.write_text(DAGSTER_JOBS)
        self.max_concurrent = max_concurrent
        self._warm = False

    def _cli(self) -> list[str]:
        exe = Path(self.python).parent / "dagster"
        return [str(exe)] if exe.exists() else [self.python, "-m", "dagster"]

    def _config(self, executor: str) -> Path:
        path = self.scratch / f"dagster_{executor}.yaml"
        if not path.exists():
            execution = DAGSTER_EXECUTION[executor].format(mc=self.max_concurrent)
            path.write_text(DAGSTER_CONFIG.format(execution=execution))
        return path

    def job_execute(self, name: str, executor: str = "in_process") -> Measured:
        """One timed ``dagster job execute``; the home is warmed first (schema, caches) by
        one untimed single-op run."""
        env = {**timing_env(self.scratch / "unused_orch_home"), "DAGSTER_HOME": str(self.home)}
        if not self._warm:
            timed_process(self._argv("chain_1", "in_process"), env, self.scratch)
            self._warm = True
        wall, rss, _ = timed_process(self._argv(name, executor), env, self.scratch,
                                     timeout=3600)
        return Measured(wall, max_rss_mb=rss)

    def _argv(self, name: str, executor: str) -> list[str]:
        return [*self._cli(), "job", "execute", "-f", str(self.jobs), "-j", name,
                "-c", str(self._config(executor))]
