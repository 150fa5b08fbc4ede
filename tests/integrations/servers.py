"""Stand-in servers for the warehouse integrations, each started as its own process on a
free loopback port and stopped by pid: one home for them (fixtures in conftest.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def installed_script(name: str) -> Path:
    """A server's command installed with its Python package: beside this interpreter, else
    beside the base interpreter (a ``--system-site-packages`` virtualenv sees the base's
    packages but not their scripts), else on PATH. ``BIN / name`` (missing) if none."""
    import shutil

    for where in (BIN, Path(sys.base_prefix) / "bin"):
        if (where / name).exists():
            return where / name
    found = shutil.which(name)
    return Path(found) if found else BIN / name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s: {log.read_text()}")


def unavailable(what: str) -> None:
    """A stand-in that cannot start: a failure in CI, a skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(what, pytrace=False)
    pytest.skip(what)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def fakesnow_server(tmp: Path) -> Iterator[dict[str, object]]:
    """fakesnow's HTTP server (Snowflake SQL on DuckDB) for the real Snowflake connector:
    yields the connection keys (``host``, ``port``, ``protocol``, any user/password/account,
    which fakesnow does not check)."""
    exe = installed_script("fakesnow")
    if not exe.exists():
        unavailable("fakesnow is not installed: pip install 'fakesnow[server]' "
                    "'snowflake-connector-python<5'")
    port = free_port()
    log = tmp / "fakesnow.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "-s", "--host", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        wait_for_port(port, proc, log)
        yield {"host": "127.0.0.1", "port": port, "protocol": "http", "account": "fakesnow",
               "user": "fake", "password": "snow"}
    finally:
        stop(proc)


BQEMULATOR_ENV = "ORCH_BQEMULATOR"  # the bqemulator executable, in its own virtualenv


@contextmanager
def bqemulator(tmp: Path) -> Iterator[dict[str, object]]:
    """bqemulator (BigQuery's REST API on DuckDB 1.5.5) from its own virtualenv, which
    .ci/run makes (it pins a DuckDB the other integrations cannot share; ``$ORCH_BQEMULATOR``,
    or .ci/run's place for it), with ``$HOME`` set
    to that virtualenv's ``home`` where the spatial extension it needs was installed, and
    ``gs://`` loads read from ``<tmp>/gcs/<bucket>/<object>``. Yields the resource config."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
        "orch-ci" / "bqemulator-1.4.0" / "bin" / "bqemulator"  # where .ci/run makes it
    exe = os.environ.get(BQEMULATOR_ENV) or (str(default) if default.exists() else None)
    if not exe or not Path(exe).exists():
        unavailable(f"bqemulator is not installed: .ci/run makes its virtualenv and sets "
                    f"{BQEMULATOR_ENV} to its bqemulator executable")
    home = Path(exe).parent.parent / "home"
    rest, grpc = free_port(), free_port()
    gcs = tmp / "gcs"
    gcs.mkdir(exist_ok=True)
    log = tmp / "bqemulator.log"
    env = {**os.environ, "HOME": str(home), "BQEMU_GCS_LOCAL_ROOT": str(gcs)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [exe, "start", "--rest-host", "127.0.0.1", "--rest-port", str(rest),
             "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc), "--ephemeral",
             "--project", "orch-test", "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp, env=env)
    try:
        wait_for_port(rest, proc, log, timeout=90)
        yield {"project": "orch-test", "location": "US", "anonymous": True,
               "api_endpoint": f"http://127.0.0.1:{rest}", "gcs_root": str(gcs)}
    finally:
        stop(proc)
