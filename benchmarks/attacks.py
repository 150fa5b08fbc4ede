"""The reliability attacks, shared by ``tests/reliability`` (small, seeded, in CI) and
``python -m benchmarks reliability --runs N`` (the long version).

Everything is real: ``orch run`` subprocesses against an ORCH_HOME on disk, SIGKILL sent to
the parent (``orch run``), the run worker or a step process at a point chosen by a seeded RNG,
concurrent runs with a reader polling SQLite, and run configs fuzzed with hypothesis through
``prepare_run``. Each attack returns :class:`Figures`; the target is every count but
``runs_tried`` at zero.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

ORCH = str(Path(sys.executable).parent / "orch")

PIPELINES = '''
import os
import time

from orch import Field, ModeDefinition, fs_io_manager, pipeline, solid

LOCAL = ModeDefinition(resource_defs={"io_manager": fs_io_manager})


@solid(config_schema={"ms": Field(int, default_value=80)})
def start(context) -> int:
    time.sleep(context.solid_config["ms"] / 1000)
    return 1


@solid(config_schema={"ms": Field(int, default_value=80)})
def step(context, x: int) -> int:
    print(f"step {x}")
    context.log.info(f"at {x}")
    time.sleep(context.solid_config["ms"] / 1000)
    return x + 1


@pipeline(mode_defs=[LOCAL])
def chain():
    a = start()
    b1 = step.alias("b1")(a)
    b2 = step.alias("b2")(a)
    c = step.alias("c")(b1)
    step.alias("d")(step.alias("e")(b2))
    step.alias("f")(c)
'''


@dataclass
class Figures:
    runs_tried: int = 0
    kills_delivered: int = 0
    integrity_failures: int = 0
    committed_events_lost: int = 0
    runs_left_non_terminal: int = 0
    steps_left_in_progress: int = 0
    orphan_processes: int = 0
    non_config_exceptions: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name == "notes":
                self.notes.extend(other.notes)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def failures(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self)
                   if f.name not in ("runs_tried", "kills_delivered", "notes"))

    def table(self) -> str:
        rows = [f"  {f.name.replace('_', ' '):<26} {getattr(self, f.name):>8,}"
                for f in fields(self) if f.name != "notes"]
        return "\n".join(rows + [f"  note: {n}" for n in self.notes[:10]])


def write_repo(directory: Path) -> Path:
    path = directory / "attack_pipelines.py"
    path.write_text(textwrap.dedent(PIPELINES))
    return path


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["ORCH_HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _family(pid: int) -> set[int]:
    import psutil

    try:
        parent = psutil.Process(pid)
        return {pid, *(c.pid for c in parent.children(recursive=True))}
    except psutil.NoSuchProcess:
        return set()


def _committed_ids(db: Path) -> set[int]:
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return {r[0] for r in conn.execute("SELECT id FROM event_logs")}
    except sqlite3.Error:
        return set()


def _worker_pid(db: Path) -> int | None:
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            row = conn.execute("SELECT worker_pid, status FROM runs ORDER BY id DESC LIMIT 1"
                               ).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row and row[1] in ("STARTED", "CANCELING") else None


def check_instance(home: Path, seen_ids: set[int], pids: set[int]) -> Figures:
    """Open the instance as the next ``orch`` command would (crash recovery runs) and count
    what is wrong: integrity, lost committed events, non-terminal runs and steps, orphans."""
    from orch.core.instance import Instance

    out = Figures()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    out.orphan_processes = sum(1 for p in pids if _alive(p))
    for p in pids:
        if _alive(p):
            os.kill(p, signal.SIGKILL)
    with Instance.from_home(home) as instance:
        for run in instance.get_runs():
            if not run.status.is_finished:
                out.runs_left_non_terminal += 1
                out.notes.append(f"run {run.run_id} left {run.status.value}")
            out.steps_left_in_progress += sum(
                1 for s in instance.get_step_stats(run.run_id) if s.end_time is None)
    with sqlite3.connect(home / "orch.db") as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            out.integrity_failures += 1
    lost = seen_ids - _committed_ids(home / "orch.db")
    out.committed_events_lost = len(lost)
    return out


def kill_one(workdir: Path, repo: Path, rng: random.Random, index: int) -> Figures:
    """One run of ``chain`` killed with SIGKILL at a random point in a random process."""
    home = workdir / f"home-{index}"
    executor = rng.choice(["in_process", "multiprocess"])
    target = rng.choice(["worker", "step", "parent"])
    delay = rng.uniform(0.0, 0.45)  # after the worker has started: the run lasts ~0.6 s
    proc = subprocess.Popen([ORCH, "run", "-f", str(repo), "-p", "chain", "--executor",
                             executor, "-q"], cwd=workdir, env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    pids: set[int] = {proc.pid}
    started = None
    victim = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        pids |= _family(proc.pid)
        worker = _worker_pid(home / "orch.db")
        if worker:
            pids |= _family(worker)
            started = started or time.monotonic()
        if started is not None and time.monotonic() - started >= delay:
            if target == "parent":
                victim = proc.pid
            elif worker and target == "worker":
                victim = worker
            elif worker:
                # A step process; under in_process the step runs in the worker itself.
                steps = sorted(_family(worker) - {worker})
                victim = rng.choice(steps) if steps else (
                    worker if executor == "in_process" else None)
            if victim is not None:
                break
        time.sleep(0.005)
    seen = _committed_ids(home / "orch.db")
    if victim is not None:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            victim = None
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not (home / "orch.db").exists():
        return Figures(runs_tried=1)
    figures = check_instance(home, seen, pids)
    figures.runs_tried = 1
    figures.kills_delivered = int(victim is not None)
    return figures


def kill_sweep(workdir: Path, runs: int, seed: int) -> Figures:
    repo = write_repo(workdir)
    rng = random.Random(seed)
    total = Figures()
    for i in range(runs):
        total.add(kill_one(workdir, repo, rng, i))
    return total


def concurrent_runs(workdir: Path, n: int) -> Figures:
    """``n`` runs at once in one instance, with a reader polling every run's events."""
    repo = write_repo(workdir)
    home = workdir / "home-concurrent"
    stop = threading.Event()
    errors: list[str] = []
    seen: set[int] = set()

    def reader() -> None:
        while not stop.is_set():
            if (home / "orch.db").exists():
                try:
                    seen.update(_committed_ids(home / "orch.db"))
                except Exception as e:  # a reader must never fail either
                    errors.append(repr(e))
            time.sleep(0.01)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    procs = [subprocess.Popen([ORCH, "run", "-f", str(repo), "-p", "chain", "--executor",
                               "multiprocess" if i % 2 else "in_process", "-q"],
                              cwd=workdir, env=_env(home), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for i in range(n)]
    out = Figures(runs_tried=n)
    pids = set()
    for p in procs:
        _, err = p.communicate(timeout=300)
        pids.add(p.pid)
        if p.returncode != 0:
            out.notes.append(f"concurrent run exited {p.returncode}: {err.strip()[-200:]}")
            out.runs_left_non_terminal += 1
        if "locked" in err:
            out.integrity_failures += 1
    stop.set()
    thread.join()
    out.non_config_exceptions += len(errors)
    out.add(check_instance(home, seen, pids))
    return out


def fuzz_configs(examples: int) -> Figures:
    """Random run configs (any JSON-ish shape) through ``prepare_run``: anything but a clean
    config error (or success) counts as a non-config exception."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from orch.core.errors import DagsterError
    from orch.core.execution.api import prepare_run

    from orch import Field, Permissive, pipeline, solid

    @solid(config_schema={"n": Field(int, default_value=1), "tags": Field([str], default_value=[]),
                          "extra": Field(Permissive(), is_required=False)})
    def configured(context) -> int:
        return context.solid_config["n"]

    @pipeline
    def fuzzed():
        configured()

    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    values = st.recursive(scalars, lambda c: st.lists(c, max_size=4)
                          | st.dictionaries(st.text(max_size=6), c, max_size=4), max_leaves=20)
    keys = st.sampled_from(["solids", "configured", "config", "n", "tags", "extra", "execution",
                            "resources", "loggers", "in_process", "x"])
    configs = st.recursive(values, lambda c: st.dictionaries(keys, c, max_size=4), max_leaves=30)
    out = Figures(runs_tried=examples)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(configs)
    def attempt(config) -> None:
        try:
            prepare_run(fuzzed, config if isinstance(config, dict) else {"solids": config})
        except DagsterError:
            pass
        except Exception as e:
            out.non_config_exceptions += 1
            if len(out.notes) < 5:
                out.notes.append(f"{type(e).__name__}: {e}"[:200])

    attempt()
    return out
