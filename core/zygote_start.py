"""How the code servers' zygote process is started, and ``orch dev`` starting it early.

:class:`orch.core.workspace.CodeServerZygote` is the zygote's client; this module is only its
process start, and it imports nothing but the standard library, because ``orch dev`` calls
:func:`start_early` before the rest of the CLI is imported. The zygote then imports orch and
the project's libraries (pandas: ~0.3 s) while the CLI imports typer, parses the command line
and opens the instance, and the app imports Textual: the first DAG waits for the zygote, so
every 10 ms it starts sooner is 10 ms off the first DAG.

An early zygote is started with the CLI's working directory and environment. The pool that
wants a zygote :func:`claim` s it: it is used when the pool's working directory is the same
and its environment differs at most in ``ORCH_HOME`` (the instance found from the code's
location; the zygote is told, before it forks anything); otherwise it is stopped and the pool
starts its own. One nobody claims is stopped when the CLI exits.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys

SERVER_MODULE = "orch.core.workspace_server"
ZYGOTE_ENV_MARK = "ORCH_ZYGOTE_RESTORE_ENV"
CLAIMABLE_ENV = frozenset({"ORCH_HOME"})  # what a claimed zygote is told, not started with


def with_bytecode_cache(env: dict[str, str] | None) -> dict[str, str]:
    """The zygote's environment: ``env``, and — when this process keeps bytecode in a cache
    of its own (the ``orch`` CLI does where PYTHONDONTWRITEBYTECODE is set, see orch/cli.py)
    — that cache, so the zygote does not compile orch and the libraries it imports (pandas:
    0.8 s → 0.4 s here) from source on every start. The zygote puts the variables back as
    they were before it forks anything (``ZYGOTE_ENV_MARK``), so user code sees ``env``."""
    result = dict(os.environ if env is None else env)
    prefix = sys.pycache_prefix
    if prefix is None or "PYTHONPYCACHEPREFIX" in result:
        return result
    result[ZYGOTE_ENV_MARK] = "dontwrite" if "PYTHONDONTWRITEBYTECODE" in result else "write"
    result.pop("PYTHONDONTWRITEBYTECODE", None)
    result["PYTHONPYCACHEPREFIX"] = prefix
    return result


def restore_zygote_env() -> None:
    """In the zygote: the environment its parent meant for user code (see
    :func:`with_bytecode_cache`); this process keeps using the cache."""
    how = os.environ.pop(ZYGOTE_ENV_MARK, None)
    if how is None:
        return
    os.environ.pop("PYTHONPYCACHEPREFIX", None)
    if how == "dontwrite":
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"


def spawn(cwd: str | None, env: dict[str, str] | None
          ) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """A zygote process and this side of its socket (requests out, forks and exits in)."""
    ours, theirs = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, "--zygote", str(theirs.fileno())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),), cwd=cwd or None, env=with_bytecode_cache(env),
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return process, ours


class Claimed:
    """An early zygote handed to a pool, and the variables to tell it before any fork.
    (Plain classes here, not dataclasses: this module is imported before the CLI is.)"""

    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket,
                 env_updates: dict[str, str]):
        self.process = process
        self.sock = sock
        self.env_updates = env_updates


class _Early:
    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket, cwd: str,
                 env: dict[str, str]):
        self.process = process
        self.sock = sock
        self.cwd = cwd
        self.env = env


_early: _Early | None = None


def start_early() -> None:
    """Start a zygote now, in this process's directory and environment, for a pool to
    :func:`claim` later (``orch dev``); never raises: without one the pool starts its own."""
    global _early
    if _early is not None or not hasattr(os, "fork"):
        return
    try:
        process, sock = spawn(None, None)
    except OSError:
        return
    _early = _Early(process, sock, os.getcwd(), dict(os.environ))
    atexit.register(_discard)


def claim(cwd: str | None, env: dict[str, str] | None) -> Claimed | None:
    """The early zygote, if one is running and fits ``cwd`` and ``env`` (see the module
    docstring); None otherwise (and one that does not fit is stopped)."""
    global _early
    early, _early = _early, None
    if early is None:
        return None
    wanted = dict(os.environ if env is None else env)
    differing = {key for key in early.env.keys() | wanted.keys()
                 if early.env.get(key) != wanted.get(key)}
    fits = (os.path.abspath(cwd or os.getcwd()) == early.cwd
            and differing <= CLAIMABLE_ENV and all(key in wanted for key in differing)
            and early.process.poll() is None)
    if not fits:
        _stop(early)
        return None
    return Claimed(early.process, early.sock, {key: wanted[key] for key in differing})


def _discard() -> None:
    """At exit: the early zygote nobody claimed (``orch dev --help``, a bad option)."""
    global _early
    early, _early = _early, None
    if early is not None:
        _stop(early)


def _stop(early: _Early) -> None:
    early.sock.close()  # the zygote ends when its socket closes; it may be mid-import
    early.process.kill()
    early.process.wait()
