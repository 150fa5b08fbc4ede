"""A real PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` under a temporary directory,
on a free loopback port, stopped by pid.

As root (CI and this machine run as root) the server runs as the ``postgres`` user, since
``initdb`` refuses root. :func:`start` raises :class:`ServerUnavailable` when the binaries are
missing; the fixture turns that into a failure under CI (``.ci/run`` installs them) and a skip
with the reason elsewhere. Also used by ``python -m benchmarks events --storage postgres``.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from itertools import count
from pathlib import Path

_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class ServerUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (the message says why)."""


@dataclass
class PostgresServer:
    root: Path
    port: int
    pid: int
    bin_dir: Path
    _names = count()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, db_name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db_name}"

    def create_database(self, prefix: str = "orch_test") -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Fast shutdown by pid (SIGINT to the postmaster), then remove the directory."""
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.02)
        shutil.rmtree(self.root, ignore_errors=True)


def find_bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob(f"{_BIN_GLOB}/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> PostgresServer:
    """Start a throwaway server (fsync off: test data need not survive a power cut)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise ServerUnavailable("PostgreSQL's initdb/pg_ctl are not installed "
                                "(apt-get install -y postgresql)")
    root = Path(tempfile.mkdtemp(prefix="orch-pg-"))
    data, sock = root / "data", root / "sock"
    data.mkdir()
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
        for p in (data, sock):
            shutil.chown(p, "postgres", "postgres")
    port = free_port()
    _run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
          "-E", "UTF8", "--no-locale", "--no-sync"], root)
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
    _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
          "-w", "-o", options, "start"], root)
    pid = int((data / "postmaster.pid").read_text().split()[0])
    return PostgresServer(root, port, pid, bin_dir)


def _run(cmd: list[str], root: Path) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        log = root / "server.log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise ServerUnavailable(f"{' '.join(cmd)} failed ({proc.returncode}): "
                                f"{proc.stderr.strip()} {detail}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
