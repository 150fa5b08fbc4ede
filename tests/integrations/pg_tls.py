"""PostgreSQL with TLS and password authentication, Redshift's stand-in: ``initdb`` (scram)
+ ``pg_ctl`` under a temporary directory, a self-signed certificate, ``hostssl`` only (a
connection without TLS is refused), on a free loopback port, stopped by pid.

The plain server the storage tests use lives in tests/postgres_server.py (engineer pg's, not
on main when this was written); this is its TLS variant and belongs there as
``start(tls=True, password=...)`` once both are on main.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .servers import free_port, unavailable

PASSWORD = "orch-redshift"


@dataclass
class TlsPostgres:
    port: int
    pid: int
    user: str = "postgres"
    password: str = PASSWORD
    database: str = "postgres"


def _bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")


@contextmanager
def tls_postgres() -> Iterator[TlsPostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None or shutil.which("openssl") is None:
        unavailable("PostgreSQL (initdb, pg_ctl) and openssl are needed: "
                    "apt-get install -y postgresql openssl")
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="orch-pg-tls-"))
    data, sock = root / "data", root / "sock"
    as_user: list[str] = []
    try:
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
              "-keyout", str(root / "server.key"), "-out", str(root / "server.crt")])
        (root / "pwfile").write_text(PASSWORD + "\n")
        sock.mkdir()
        os.chmod(root / "server.key", 0o600)
        if os.geteuid() == 0:  # initdb refuses root: the server runs as postgres
            as_user = ["runuser", "-u", "postgres", "--"]
            for path in (root, sock, root / "server.key", root / "server.crt", root / "pwfile"):
                shutil.chown(path, "postgres", "postgres")
        _run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
              "-A", "scram-sha-256", "--pwfile", str(root / "pwfile"), "-E", "UTF8",
              "--no-locale", "--no-sync"])
        (data / "pg_hba.conf").write_text(
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all all 127.0.0.1/32 reject\n")
        port = free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off "
                   f"-c ssl=on -c ssl_cert_file={root / 'server.crt'} "
                   f"-c ssl_key_file={root / 'server.key'}")
        _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
              str(root / "server.log"), "-w", "-o", options, "start"])
    except RuntimeError as exc:
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"could not start PostgreSQL with TLS: {exc}")
    pid = int((data / "postmaster.pid").read_text().split()[0])
    try:
        yield TlsPostgres(port=port, pid=pid)
    finally:
        try:
            os.kill(pid, signal.SIGINT)  # fast shutdown
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and os.path.exists(data / "postmaster.pid"):
            time.sleep(0.02)
        shutil.rmtree(root, ignore_errors=True)
