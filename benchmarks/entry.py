"""The real entry point, as a user runs it: ``orch run`` as a subprocess.

Every suite reports this figure first. What a user gets, and so what is measured:

* one persistent SQLite instance in a temporary ``ORCH_HOME`` (warmed by one untimed run),
  compute-log capture on (the instance's default), ``fs_io_manager`` (the workloads' mode);
* the environment as configured: when it sets ``PYTHONDONTWRITEBYTECODE`` (this machine does)
  Python writes no bytecode beside the sources and orch's CLI keeps its own cache in
  ``~/.cache/orch/pycache`` (what a user gets; the untimed warm-up run fills it) — figures
  with no bytecode at all, or another cache, say so;
* wall time of the whole process, the engine time from the run record (``PIPELINE_START`` →
  end), the events stored, and the peak RSS of the command's process and the children it
  waits for (``/usr/bin/time``; ``orch run`` does not wait for its run worker's teardown, so
  for orch that is the command's own peak);
* the CPU time (user + system) of the whole command: ``orch run``, its run worker and step
  processes. This process is a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``), so a
  worker ``orch run`` leaves to tear down is reparented here and reaped, and its time counts
  too. CPU time moves much less with the machine's load than wall time (file-system calls
  still slow down when others use the disk): compare it when the load is high.

Figures taken under load are printed with the load average beside them; compare ratios taken
in the same run (orch vs peer, 10,000 steps vs 100, orch vs the fork floor), not absolutes.
"""

from __future__ import annotations

import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_RSS_MARK = "orch-bench-max-rss-kb="

WORKLOAD_FILE = """\
import sys
sys.path.insert(0, {root!r})
from benchmarks.workloads import {builder}

{name} = {builder}({args}persistent=True)
"""


def load() -> str:
    """The 1-minute load average and the CPU count, for printing beside a figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} CPUs"


def orch_script() -> str:
    """The ``orch`` console script beside the interpreter running the benchmarks."""
    return str(Path(sys.executable).parent / "orch")


def timing_env(home: Path, bytecode_cache: Path | None = None) -> dict[str, str]:
    """The environment a timed process gets: the user's, with ``ORCH_HOME``; never a
    ``PYTHONPYCACHEPREFIX`` inherited by accident (with ``PYTHONDONTWRITEBYTECODE`` it makes
    every import recompile). ``bytecode_cache`` turns a cache on, in that directory."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX",
                                                             "GITHUB_ACTIONS")}
    env["ORCH_HOME"] = str(home)
    if bytecode_cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache)
    return env


def bytecode_label(bytecode_cache: bool = False, none: bool = False) -> str:
    if none:
        return "no bytecode cache at all (ORCH_NO_BYTECODE_CACHE=1)"
    if bytecode_cache:
        return "with a PYTHONPYCACHEPREFIX bytecode cache"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return ("bytecode as configured (PYTHONDONTWRITEBYTECODE: orch's CLI keeps its own "
                "cache in ~/.cache/orch)")
    return "bytecode as configured"


@dataclass
class Measured:
    """One whole-process run."""

    wall: float
    engine: float | None = None  # run record start → end
    steps: int = 0
    events: int = 0
    max_rss_mb: float = 0.0
    run_id: str | None = None
    status: str | None = None  # the run record's
    cpu: float | None = None  # user + system seconds of the command and all it started

    @property
    def engine_ms_per_step(self) -> float:
        return (self.engine or 0.0) / max(1, self.steps) * 1000

    def marginal_cpu_ms(self, one_step: Measured) -> float | None:
        """CPU ms per step beyond what a one-solid run of the same command costs (the CLI,
        loading, the run's fixed costs)."""
        if self.cpu is None or one_step.cpu is None or self.steps <= one_step.steps:
            return None
        return (self.cpu - one_step.cpu) / (self.steps - one_step.steps) * 1000


_PR_SET_CHILD_SUBREAPER = 36
_subreaper: bool | None = None


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux), once; False where
    that is not possible."""
    global _subreaper
    if _subreaper is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            _subreaper = False
    return _subreaper


def reap(pid: int | None, timeout: float = 30.0) -> None:
    """Wait for descendant ``pid`` if it was reparented here (see :func:`become_subreaper`),
    so its CPU time counts in this process's children's."""
    if pid is None or not _subreaper:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.wait4(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:  # not ours: its parent reaped it
            return
        time.sleep(0.002)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(argv: Sequence[str], env: dict[str, str], cwd: Path,
                  timeout: float = 1800) -> tuple[float, float, str]:
    """Run ``argv`` to completion: (wall seconds, peak RSS MB of it or its largest waited-for
    descendant, stderr tail). Raises with the stderr when it fails."""
    # Through /usr/bin/time where there is one: wait4 on a child forked from this (large)
    # process would report this process's size as the child's peak.
    measure = ["/usr/bin/time", "-f", f"{_RSS_MARK}%M"] if os.path.exists("/usr/bin/time") \
        else []
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*measure, *argv], env=env, cwd=cwd,
                                stdout=subprocess.DEVNULL, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                raise RuntimeError(f"{' '.join(argv)} took over {timeout:g} s")
            time.sleep(0.002)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-3000:].decode(errors="replace")
    rss_kb = usage.ru_maxrss
    if measure and _RSS_MARK in tail:
        tail, _, reported = tail.rpartition(_RSS_MARK)
        rss_kb = int(reported.split()[0]) if reported.strip().isdigit() else rss_kb
        if proc.returncode != 0:  # time reports the command's own exit status first
            tail = tail.rstrip().rsplit("\n", 1)[0] if "exited with" in tail else tail
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{tail}")
    return wall, rss_kb / 1024, tail


class OrchHome:
    """A persistent instance in a temporary ORCH_HOME, and the workload files run in it."""

    def __init__(self, scratch: Path, bytecode_cache: bool = False):
        self.scratch = scratch
        self.home = scratch / "orch_home"
        self.cache = scratch / "pycache" if bytecode_cache else None
        self.label = bytecode_label(bytecode_cache)
        self._warmed: set[tuple[str, ...]] = set()

    def workload(self, name: str) -> Path:
        """A pipeline file a user could have written: ``chain_N``, ``fanout_N`` or
        ``wide_N`` (N/10 layers of 10 solids; ``wide_200`` is BENCHMARKS.md's 20 x 10)."""
        shape, size = name.rsplit("_", 1)
        n = int(size)
        builder, args = {"chain": ("chain", f"{n}, "), "fanout": ("fanout", f"{n}, "),
                         "wide": ("wide", f"{max(1, n // 10)}, {min(n, 10)}, ")}[shape]
        path = self.scratch / "workloads" / f"{name}.py"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(WORKLOAD_FILE.format(root=str(ROOT), builder=builder,
                                                 name=name, args=args))
        return path

    def env(self) -> dict[str, str]:
        return timing_env(self.home, self.cache)


    def argv(self, name: str, executor: str = "in_process", max_concurrent: int = 2,
             quiet: bool = True, extra: Sequence[str] = ()) -> list[str]:
        argv = [orch_script(), "run", "-f", str(self.workload(name)), "-p", name,
                "--executor", executor]
        if executor == "multiprocess":
            argv += ["--max-concurrent", str(max_concurrent)]
        return argv + (["-q"] if quiet else []) + list(extra)

    def orch_run(self, name: str, executor: str = "in_process", max_concurrent: int = 2,
                 quiet: bool = True, warm: str = "each", extra: Sequence[str] = (),
                 env: dict[str, str] | None = None) -> Measured:
        """``orch run -f WORKLOAD -p NAME --executor E [-q] [EXTRA...]`` once, with its run
        record's figures. Warm-up (untimed): ``warm="each"`` runs this very command once
        first, ``"home"`` only one single-solid run per home (as the Dagster side gets).
        ``env``: variables to set for this command (e.g. ``ORCH_STEP_ZYGOTE=0``)."""
        become_subreaper()
        argv = self.argv(name, executor, max_concurrent, quiet, extra)
        first = self.argv("chain_1") if warm == "home" else argv
        environment = {**self.env(), **(env or {})}
        if tuple(first) not in self._warmed:  # the instance, its schema, the OS caches
            timed_process(first, environment, self.scratch)
            self._with_run_record(Measured(0.0))  # reaps the warm-up's worker
            self._warmed.add(tuple(first))
        cpu_before = children_cpu()
        wall, rss, _ = timed_process(argv, environment, self.scratch)
        measured = self._with_run_record(Measured(wall, max_rss_mb=rss))
        measured.cpu = children_cpu() - cpu_before
        return measured

    def _with_run_record(self, measured: Measured) -> Measured:
        return with_run_record(self.home, measured)


def with_run_record(home: Path, measured: Measured) -> Measured:
    """``measured`` with the figures of the newest run in ``home`` (its engine time, events,
    steps, status); its worker is reaped (see :func:`reap`)."""
    from orch.core.instance import Instance

    with Instance.from_home(home) as instance:
        run = instance.get_runs(limit=1)[0]
        events = instance.get_logs_for_run(run.run_id)
    measured.run_id = run.run_id
    measured.status = run.status.value
    reap(run.worker_pid)
    if run.start_time is not None and run.end_time is not None:
        measured.engine = run.end_time - run.start_time
    measured.events = len(events)
    measured.steps = sum(1 for e in events if e.event_type_value == "STEP_SUCCESS")
    return measured


_removals: list[subprocess.Popen] = []


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed in the background afterwards: a 10,000-step run leaves
    tens of thousands of files, and removing them would be timed as this suite's figures.
    The runner waits for the removals between suites (:func:`settle`), so they are not
    timed as the next suite's either."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        _removals.append(subprocess.Popen(["rm", "-rf", str(path)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True))


def settle() -> float:
    """Wait for the scratch directories still being removed; the seconds waited."""
    began = time.monotonic()
    while _removals:
        _removals.pop().wait()
    return time.monotonic() - began


def interleave(runs: dict[str, Callable[[], Measured]], repeats: int
               ) -> dict[str, list[Measured]]:
    """Each callable ``repeats`` times, round-robin (a, b, a, b, ...), so a change of load
    hits both sides alike."""
    results: dict[str, list[Measured]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            results[name].append(run())
    return results


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def summary(runs: Sequence[Measured]) -> Measured:
    """The medians of several runs of one command."""
    engines = [r.engine for r in runs if r.engine is not None]
    cpus = [r.cpu for r in runs if r.cpu is not None]
    return Measured(
        wall=med([r.wall for r in runs]),
        engine=med(engines) if engines else None,
        steps=runs[-1].steps, events=runs[-1].events,
        max_rss_mb=med([r.max_rss_mb for r in runs]),
        cpu=med(cpus) if cpus else None,
    )


def mark(ok: bool) -> str:
    return "ok" if ok else "NOT MET"
