"""``orch dev --web``: the same Textual workbench served to a browser by textual-serve.

Each browser tab starts its own ``orch dev`` session (a process of its own) over the same
instance, so there is one app to maintain, not a second frontend. The server listens on
loopback unless ``--host`` says otherwise; a non-loopback address is announced as reachable
by anyone who can reach the machine (textual-serve has no authentication).
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
import sys

import typer

from ._common import fail

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_workbench(host: str, port: int, dev_args: list[str]) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        fail("orch dev --web needs textual-serve: pip install 'orch[web]'")
    if not 0 < port < 65536:
        fail(f"--port must be between 1 and 65535, got {port}.")
    _check_free(host, port)
    command = shlex.join([sys.executable, "-m", "orch.cli", "dev", *dev_args])
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    if not is_loopback(host):
        typer.echo(f"orch dev --web listens on {host}: anyone who can reach this machine can "
                   "use the workbench (there is no login).", err=True)
    typer.echo(f"orch dev --web: open {url} (each tab is a workbench session; Ctrl-C stops)",
               err=True)
    Server(command, host=host, port=port, title="orch dev", public_url=url).serve()
    return 0


def _check_free(host: str, port: int) -> None:
    """A port already taken is a clear error, not a traceback from the server."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        fail(f"--host {host}: {e.strerror or e}.")
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            fail(f"cannot listen on {host}:{port}: {e.strerror or e} (choose another --port).")
