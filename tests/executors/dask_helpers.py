"""A real Dask cluster for tests: ``dask scheduler`` and ``dask worker`` processes on
loopback ports, started by the test and stopped by pid; and ``orch`` as a subprocess.

In CI (``CI`` set) a test that cannot start Dask fails; elsewhere it skips, saying why."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = Path(__file__).with_name("dask_pipelines.py")
BIN = Path(sys.executable).parent


def need_dask() -> None:
    """Fail in CI, skip elsewhere, when dask.distributed is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        reason = f"dask.distributed is not installed ({exc}); pip install '.[dask]'"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A scheduler and its workers, each a process of its own (``--no-nanny``: the worker
    pid is the process that runs the steps)."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def worker_pids(self) -> set[int]:
        return {w.pid for w in self.workers}

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_cluster(tmp: Path, n_workers: int = 2, env: dict[str, str] | None = None
                  ) -> Cluster:
    """``dask scheduler`` + ``n_workers`` x ``dask worker`` (1 thread each), ready."""
    need_dask()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log_dir = tmp / "dask-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {}), "TMPDIR": str(tmp),
                "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}  # no bytecode beside the sources
    dask = str(BIN / "dask")
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
         "--no-show"], env=full_env, cwd=tmp,
        stdout=open(log_dir / "scheduler.log", "wb"), stderr=subprocess.STDOUT)
    cluster = Cluster(address, scheduler)
    try:
        for i in range(n_workers):
            cluster.workers.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1", "--local-directory", str(tmp / f"worker-{i}")],
                env=full_env, cwd=tmp, stdout=open(log_dir / f"worker-{i}.log", "wb"),
                stderr=subprocess.STDOUT))
        _wait_for_workers(address, n_workers)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_for_workers(address: str, n: int, timeout: float = 60.0) -> None:
    from distributed import Client

    with Client(address, timeout=timeout, set_as_default=False) as client:
        client.wait_for_workers(n, timeout=timeout)


def orch_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ORCH_HOME": str(tmp / "home"), "NO_COLOR": "1", "TMPDIR": str(tmp),
                "PYTHONPYCACHEPREFIX": str(tmp / "pycache")})  # none beside the sources
    return env


def orch(tmp: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "orch"), *args], cwd=tmp, env=orch_env(tmp),
                          capture_output=True, text=True, timeout=timeout)


def run_pipeline(tmp: Path, pipeline: str, *args: str, timeout: float = 120
                 ) -> subprocess.CompletedProcess:
    return orch(tmp, "run", "-f", str(PIPELINES), "-p", pipeline, *args, timeout=timeout)


def wait_for(path: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout}s")
        time.sleep(0.05)
    time.sleep(0.05)
    return path.read_text()
