"""The Dask executor, and dagster-dask's beside it on the same cluster shape.

Each tool gets a cluster of its own made of real processes, started here from that tool's
virtualenv: ``dask scheduler`` + 2 ``dask worker --nthreads 1 --no-nanny`` on loopback ports
(the workers must import the tool), stopped by pid. Each is then run as a user runs it,
against ``cluster: {existing: {address}}``: ``orch run -f F -p P -c dask.yaml`` and
``dagster job execute -f F -j J -c dask.yaml`` (a job with ``executor_def=dask_executor``),
each with one persistent SQLite home warmed by one untimed run, fs IO manager, interleaved.

Reported per workload (chain_50, fanout_100, wide_200): wall seconds, **per-step ms** (the run
record's start → end over its steps: it includes connecting to the cluster, ~0.3-0.6 s of
importing ``distributed`` alone; on the fans two steps run at once), the **steady** ms per
step (between the successes of the middle 80 % of the steps, the same for both tools: the
engine's cost per step once it is going) and the ratio dagster-dask / orch of each. Target:
≤ 5 ms per step on fanout_100.

dagster-dask lives in a throwaway virtualenv beside the Dagster peer (BENCHMARKS.md), named by
``ORCH_BENCH_DAGSTER_DASK_PYTHON``, e.g. ``python3 -m venv /work/peers/dagster-dask &&
/work/peers/dagster-dask/bin/pip install dagster==1.13.27 dagster-dask==0.29.27``; without it
only orch's side runs.

    ORCH_BENCH_DAGSTER_DASK_PYTHON=/work/peers/dagster-dask/bin/python python -m benchmarks dask [--quick]
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .dagster import DAGSTER_JOBS, dagster_version
from .entry import (
    Measured,
    OrchHome,
    interleave,
    load,
    mark,
    med,
    summary,
    timed_process,
    timing_env,
)

NAMES = ("chain_50", "fanout_100", "wide_200")
QUICK_NAMES = ("fanout_100",)  # the row with the target
TARGET_MS = 5.0
ORCH_CONFIG = ("execution:\n  dask:\n    config:\n      cluster:\n        existing:\n"
               "          address: {address}\n")
DAGSTER_CONFIG = ("execution:\n  config:\n    cluster:\n      existing:\n"
                  "        address: {address}\n")
# dagster-dask takes the job's executor from its definition: the same jobs, on dask_executor.
DAGSTER_DASK_JOBS = DAGSTER_JOBS.replace(
    "from dagster import Definitions, job, op",
    "from dagster import Definitions, op\nfrom dagster import job as _job\n"
    "from dagster_dask import dask_executor\n\n\n"
    "def job(fn):\n    return _job(executor_def=dask_executor)(fn)")
RUN_STATS = """
import json, sys
from dagster import DagsterInstance
instance = DagsterInstance.get()
run = instance.get_runs(limit=1)[0]
stats = instance.get_run_stats(run.run_id)
from dagster import DagsterEventType
done = [r.event_log_entry.timestamp for r in instance.get_records_for_run(
    run.run_id, of_type=DagsterEventType.STEP_SUCCESS, limit=100000).records]
print(json.dumps({"start": stats.start_time, "end": stats.end_time,
                  "steps": stats.steps_succeeded, "status": str(run.status), "done": done}))
"""


def steady_ms(timestamps: list[float]) -> float:
    """ms per step between the successes of the middle 80 % of the steps."""
    done = sorted(timestamps)
    middle = done[len(done) // 10: len(done) * 9 // 10 + 1]
    if len(middle) < 2:
        return float("nan")
    return (middle[-1] - middle[0]) / (len(middle) - 1) * 1000


def orch_steady_ms(home: Path, run_id: str | None) -> float:
    from orch.core.instance import Instance

    with Instance.from_home(home) as instance:
        events = instance.get_logs_for_run(run_id or instance.get_runs(limit=1)[0].run_id)
    return steady_ms([e.timestamp for e in events if e.event_type_value == "STEP_SUCCESS"])


class Cluster:
    """``dask scheduler`` + workers from one virtualenv's ``bin``, on loopback ports."""

    def __init__(self, bin_dir: Path, scratch: Path, n_workers: int = 2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        scratch.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPYCACHEPREFIX": str(scratch / "pyc")}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env,
                 "cwd": scratch}
        # ``python -m dask``: the interpreter's own, also in a venv that sees the system's
        # packages (its bin/ has no ``dask`` script then)
        dask = [str(bin_dir / "python"), "-m", "dask"]
        self.processes = [subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
             "--no-show"], **quiet)]
        for i in range(n_workers):
            self.processes.append(subprocess.Popen(
                [*dask, "worker", self.address, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1", "--local-directory",
                 str(scratch / f"w{i}")], **quiet))
        self._wait(bin_dir / "python", n_workers)

    def _wait(self, python: Path, n: int) -> None:
        script = (f"from distributed import Client\nc = Client({self.address!r}, timeout=60)\n"
                  f"c.wait_for_workers({n}, timeout=60)\nc.close()\n")
        subprocess.run([str(python), "-c", script], check=True, capture_output=True,
                       timeout=120)

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class DagsterDaskHome:
    """dagster-dask's side: a DAGSTER_HOME, the jobs on dask_executor, the cluster's config."""

    def __init__(self, python: str, scratch: Path, address: str):
        self.python = python
        self.scratch = scratch
        self.home = scratch / "dagster_home"
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.jobs = scratch / "dagster_dask_jobs.py"
        self.jobs.write_text(DAGSTER_DASK_JOBS)
        self.config = scratch / "dagster_dask.yaml"
        self.config.write_text(DAGSTER_CONFIG.format(address=address))
        self.env = {**timing_env(scratch / "unused_orch_home"), "DAGSTER_HOME": str(self.home)}
        self._warm = False

    def job_execute(self, name: str) -> Measured:
        argv = [str(Path(self.python).parent / "dagster"), "job", "execute", "-f",
                str(self.jobs), "-j", name, "-c", str(self.config)]
        if not self._warm:
            timed_process([*argv[:-4], "-j", "chain_1", "-c", str(self.config)], self.env,
                          self.scratch)
            self._warm = True
        wall, rss, _ = timed_process(argv, self.env, self.scratch, timeout=3600)
        stats = json.loads(subprocess.run([self.python, "-c", RUN_STATS], env=self.env,
                                          capture_output=True, text=True, check=True).stdout)
        assert "SUCCESS" in stats["status"], f"dagster-dask {name}: {stats}"
        measured = Measured(wall, engine=stats["end"] - stats["start"], steps=stats["steps"],
                            max_rss_mb=rss)
        measured.steady_ms = steady_ms(stats["done"])  # type: ignore[attr-defined]
        return measured


def main(argv: list[str]) -> None:
    repeats = 1 if "--quick" in argv else 3
    names = QUICK_NAMES if "--quick" in argv else NAMES
    peer = os.environ.get("ORCH_BENCH_DAGSTER_DASK_PYTHON")
    version = dagster_version(peer) if peer else None
    with tempfile.TemporaryDirectory(prefix="orch-bench-dask-") as tmp:
        scratch = Path(tmp)
        ours = Cluster(Path(sys.executable).parent, scratch / "orch-cluster")
        theirs = Cluster(Path(peer).parent, scratch / "peer-cluster") if version else None
        try:
            _compare(scratch, ours, theirs, peer, version, repeats, names)
        finally:
            ours.stop()
            if theirs is not None:
                theirs.stop()


def _compare(scratch: Path, ours: Cluster, theirs: Cluster | None, peer: str | None,
             version: str | None, repeats: int, names: tuple[str, ...] = NAMES) -> None:
    home = OrchHome(scratch)
    config = scratch / "orch_dask.yaml"
    config.write_text(ORCH_CONFIG.format(address=ours.address))
    extra = ["-c", str(config)]
    def orch_run(name: str) -> Measured:
        measured = home.orch_run(name, "dask", extra=extra)
        measured.steady_ms = orch_steady_ms(home.home, measured.run_id)  # type: ignore[attr-defined]
        return measured

    runs: dict = {"orch": orch_run}
    if theirs is not None and peer is not None:
        dagster = DagsterDaskHome(peer, scratch / "dagster", theirs.address)
        runs["dagster-dask"] = dagster.job_execute
    print(f"`orch run --executor dask` on an existing cluster of 2 worker processes (1 thread "
          f"each), dagster-dask {version or '(not installed: set ORCH_BENCH_DAGSTER_DASK_PYTHON)'}"
          f" on its own cluster of the same shape; medians of {repeats}, interleaved")
    print(f"  {'workload':<11} {'steps':>5} {'orch wall s':>11} {'orch ms/step':>13} "
          f"{'steady':>7} {'dagster-dask wall s':>20} {'ms/step':>9} {'steady':>7} "
          f"{'ratio wall':>11} {'ratio/step':>11} {'ratio steady':>13}   load")
    for name in names:
        measured = interleave({k: (lambda f=f, name=name: f(name)) for k, f in runs.items()},
                              repeats)
        mine = summary(measured["orch"])
        my_steady = med([r.steady_ms for r in measured["orch"]])
        row = (f"  {name:<11} {mine.steps:>5} {mine.wall:>11.2f} "
               f"{mine.engine_ms_per_step:>13.2f} {my_steady:>7.2f}")
        if "dagster-dask" in measured:
            peer_runs = measured["dagster-dask"]
            wall = med([r.wall for r in peer_runs])
            per_step = med([r.engine_ms_per_step for r in peer_runs])
            steady = med([r.steady_ms for r in peer_runs])
            row += (f" {wall:>20.2f} {per_step:>9.1f} {steady:>7.1f} {wall / mine.wall:>10.1f}x "
                    f"{per_step / max(mine.engine_ms_per_step, 1e-9):>10.1f}x "
                    f"{steady / max(my_steady, 1e-9):>12.1f}x")
        else:
            row += f" {'-':>20} {'-':>9} {'-':>7} {'-':>11} {'-':>11} {'-':>13}"
        target = (f"  {mark(mine.engine_ms_per_step <= TARGET_MS)} (≤ {TARGET_MS:g} ms/step; "
                  f"steady {mark(my_steady <= TARGET_MS)})") if name == "fanout_100" else ""
        print(f"{row}   {load()}{target}", flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    main(sys.argv[1:])
