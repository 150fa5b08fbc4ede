"""Loopback sinks for the alerting and metrics integrations. No emulator exists for PagerDuty's
Events API or Slack's Web API: an HTTP server on 127.0.0.1 records each request (path, headers,
JSON body) and answers as the service does; DogStatsD is a plain UDP socket that keeps every
datagram. Both run in the test process, are bound to a free port, and close on exit."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HttpSink:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 0  # answer every request with this status instead (0: the service's answer)

    def wait_for(self, count: int, timeout: float = 10) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)


def _answer(path: str, body: Any) -> tuple[int, dict[str, Any]]:
    if path.startswith("/v2/enqueue"):  # PagerDuty Events API v2
        return 202, {"status": "success", "message": "Event processed",
                     "dedup_key": (body or {}).get("dedup_key") or "generated-dedup-key"}
    if path.startswith("/api/"):  # Slack Web API (chat.postMessage and the others)
        return 200, {"ok": True, "channel": (body or {}).get("channel"), "ts": "1700000000.0001"}
    return 404, {"error": f"no such endpoint {path}"}


@contextmanager
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            sink.requests.append(Recorded(self.path, dict(self.headers.items()), body))
            status, answer = _answer(self.path, body)
            if sink.status:
                status, answer = sink.status, {"status": "invalid event", "errors": ["sink"]}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class UdpSink:
    port: int
    sock: socket.socket

    def datagrams(self, count: int | None = None, timeout: float = 5) -> list[bytes]:
        """The datagrams received: ``count`` of them (waiting up to ``timeout``), or all that
        arrive until the socket has been quiet for 0.3 s."""
        got: list[bytes] = []
        deadline = time.monotonic() + timeout
        while count is None or len(got) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.sock.settimeout(min(remaining, 0.3) if count is None else remaining)
            try:
                got.append(self.sock.recv(65535))
            except TimeoutError:
                if count is None:
                    break
        return got


@contextmanager
def udp_sink() -> Iterator[UdpSink]:
    """A DogStatsD stand-in: a UDP socket on 127.0.0.1 (DogStatsD itself is an agent that
    receives exactly these datagrams)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield UdpSink(sock.getsockname()[1], sock)
    finally:
        sock.close()
