"""``python -m orch.core.workspace_server RESPONSE_FD``: the process user code is loaded in.

The parent (:class:`orch.core.workspace.CodeServer`) writes one JSON request per line on
stdin; answers go to ``RESPONSE_FD`` (a private pipe, so user prints on stdout never corrupt
them). orch itself is imported before the first request arrives, so a server started ahead
of time (``orch run --watch`` keeps one warm) spends a request on the user's code only.

Requests:

``{"op": "load", "target": {...}, "timeout": s}``
    → ``{"started": true}`` at once, then ``{"ok": true, "snapshot": {...}}`` or
    ``{"ok": false, "error": LoadError}``. If the load takes longer than ``timeout`` the server
    answers with a ``timeout`` error naming the modules still importing (read from the main
    thread's stack) and exits with code 3; a faulthandler dump one second later covers a
    main thread stuck in C code.
``{"op": "launch", "pipeline": name, "run_config", "extra_config", "mode", "preset",
"tags", "solid_selection", "reexecute": {...} | null, "wait_turn": bool}``
    → ``{"ok": true, "run_id", "step_keys", "note", "status"}`` once the run is submitted;
    the server then executes it as the run's worker and exits with the worker's exit code
    (0, 1, 2, 130). A run the coordinator queued (status QUEUED) is left to a dequeuer
    (exit 0), or with ``wait_turn`` taken off the queue by this server when it is due.
``{"op": "tick", "now": t | null}``
    → ``{"ok": true, "ticks": [{"name", "type", "status", "run_ids", "skip_reason",
    "error"}]}``: one evaluation pass of the loaded code's running schedules and sensors at
    ``now`` (``orch.core.scheduling.ticks.tick_all``; runs go through the run coordinator);
    the server stays up for more requests. The answer also has ``"backfills"``: the
    REQUESTED backfills of this code, each advanced by one chunk (``run_requested_backfills``).
``{"op": "preview", "kind": "schedule" | "sensor", "name", "now"}``
    → ``{"ok": true, "preview": {...}}``: the instigator evaluated once (a schedule at its next
    tick after ``now``, a sensor against its stored cursor), nothing launched or stored.
``{"op": "request_run", "kind", "name", "request": {"run_key", "run_config", "tags"},
"when"}`` → ``{"ok": true, "run_ids", "skipped_keys", "errors"}``: one previewed request
    launched with its tick's tags (a sensor's run key is claimed).
``{"op": "exit"}`` or end of input → exit 0.

A load's answer also names the third-party modules it imported (``"modules"``: top-level
names, none of them the user's: see :func:`third_party_modules`), and those the loaded
pipelines' executors import when a run starts (a mode's executor definitions, a preset's
``execution:``; ``ExecutorDefinition.preload_modules``: dask, distributed); a launch's
answer names its run's executor's. A zygote's next servers then hold them already.

``python -m orch.core.workspace_server --zygote SOCKET_FD``: the *zygote*, a warm process
code servers are forked from (:class:`orch.core.workspace.CodeServerZygote`). It imports orch,
then, when asked, the project's third-party modules (``{"op": "preload", "modules": [...]}``:
what earlier loads reported — pandas, numpy …) but never the user's code. ``{"op": "fork"}``
with three file descriptors (the server's requests, its answers, its output) forks a code
server that serves them as above and imports only the user's modules: isolation costs a
fork, not an interpreter start and a re-import of the libraries. The zygote answers
``{"forked": pid}`` and reports each server's end, ``{"exited": pid, "code": n}`` (n as
``Popen.returncode``); it exits when its socket closes, leaving running servers alone.
``{"op": "env", "set": {...}}`` sets variables its servers inherit: ``orch dev`` starts its
zygote before it knows the instance, and tells it ``ORCH_HOME`` (orch/core/zygote_start.py).
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from orch.core.runs import PipelineRun

EXIT_TIMEOUT = 3


def _preload() -> None:
    """Import what a load and a launch need, before any request (not user code)."""
    from orch.core.config import config_type_snapshot  # noqa: F401
    from orch.core.definitions.snapshot import pipeline_snapshot  # noqa: F401
    from orch.core.execution import api, reexecution, run_config, run_request  # noqa: F401
    from orch.core.execution.executor import registered_executor_names
    from orch.core.instance import Instance  # noqa: F401
    from orch.core.launcher import create_run  # noqa: F401
    from orch.core.worker import execute_stored_run  # noqa: F401

    import orch  # noqa: F401  (the public API user code imports)

    # Every executor's module and the scan of installed distributions for others: a load's
    # snapshot offers them all in its run config schema (~45 ms with 232 distributions
    # installed), paid here once rather than by each code server forked for a reload.
    registered_executor_names()


def _compile_from_source_under(*roots: str | None) -> None:
    """Never run cached bytecode of the user's own files.

    A ``.pyc`` is trusted when the source's mtime, in whole seconds, and size match, so a
    save that keeps the size (``x + 1`` → ``x + 2``) within the second of the previous load
    would run the old code: exactly what a hot-reload loop does. Files under ``roots``
    (except installed packages) are compiled from source, and no bytecode is written for
    them; everything else keeps its cache."""
    from importlib.machinery import SourceFileLoader

    prefixes = tuple(os.path.join(os.path.abspath(r), "") for r in roots if r)
    original = getattr(SourceFileLoader.path_stats, "__wrapped__", SourceFileLoader.path_stats)

    def path_stats(self: Any, path: str) -> Any:
        if path.startswith(prefixes) and "-packages" + os.sep not in path:
            raise OSError("orch: user code is compiled from source")
        return original(self, path)

    path_stats.__wrapped__ = original  # type: ignore[attr-defined]
    SourceFileLoader.path_stats = path_stats  # type: ignore[method-assign]


class _Responder:
    def __init__(self, fd: int):
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._lock = threading.Lock()
        self.closed_for_timeout = False

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, default=str) + "\n").encode()
        with self._lock:
            if not self.closed_for_timeout:
                self._file.write(data)


class _LoadWatchdog:
    """Reports a load that exceeds its timeout: which modules were importing, then exits."""

    def __init__(self, responder: _Responder, timeout: float, target: Any):
        self.responder = responder
        self.target = target
        self.timeout = timeout
        self.main_thread = threading.get_ident()
        self.finished = False
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _LoadWatchdog:
        self._timer.start()
        faulthandler.dump_traceback_later(self.timeout + 1.0, exit=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        with self.responder._lock:
            self.finished = True
        faulthandler.cancel_dump_traceback_later()
        self._timer.cancel()
        self._timer.join()

    def _fire(self) -> None:
        from orch.core.workspace import LoadError

        frame = sys._current_frames().get(self.main_thread)
        chain, location, stack = _importing(frame)
        with self.responder._lock:
            if self.finished:
                return
            if chain:
                module, filename, line = chain[-1]
                via = " ← ".join(f'"{m}"' for m, _, _ in reversed(chain[:-1]))
                message = (f"Loading {self.target.describe()} timed out after "
                           f"{self.timeout:g} s: still importing module \"{module}\" "
                           f"({filename}, line {line})"
                           + (f", imported from {via}" if via else "") + ".")
                error = LoadError("timeout", message, stack, module=module,
                                  import_chain=[m for m, _, _ in chain], location=location)
            else:
                message = (f"Loading {self.target.describe()} timed out after "
                           f"{self.timeout:g} s; it was busy in {location}.")
                error = LoadError("timeout", message, stack, location=location)
            self.responder._file.write(
                (json.dumps({"ok": False, "error": error.to_dict()}) + "\n").encode()
            )
            self.responder.closed_for_timeout = True
        os._exit(EXIT_TIMEOUT)


def _importing(frame: Any) -> tuple[list[tuple[str, str, int]], str, str]:
    """(modules executing their module-level code, outermost first; where the innermost
    frame is; the user's part of the stack as text)."""
    import traceback

    from orch.core.workspace import is_loader_frame

    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()
    chain = [(f.f_globals.get("__name__", "?"), f.f_code.co_filename, f.f_lineno)
             for f in frames
             if f.f_code.co_name == "<module>" and not is_loader_frame(f.f_code.co_filename)]
    location = "?"
    if frames:
        inner = frames[-1]
        location = f"{inner.f_code.co_name} ({inner.f_code.co_filename}, line {inner.f_lineno})"
    first_user = next((i for i, f in enumerate(frames)
                       if not is_loader_frame(f.f_code.co_filename)), len(frames))
    summary = traceback.StackSummary.extract(
        (f, f.f_lineno) for f in frames[first_user:]
        if not f.f_code.co_filename.startswith("<frozen ")
    )
    stack = "Traceback (most recent call last):\n" + "".join(summary.format()) if summary else ""
    return chain, location, stack


# -- requests --------------------------------------------------------------------------------
class Server:
    def __init__(self, responder: _Responder):
        self.responder = responder
        self.workspace: Any = None
        self.target: Any = None
        self._instance: Any = None  # opened by the first request that needs it, then kept

    def load(self, request: dict[str, Any]) -> None:
        from orch.core.workspace import (
            WorkspaceTarget,
            load_error_from_exception,
            load_workspace,
            repository_snapshot,
        )

        target = WorkspaceTarget.from_dict(request["target"])
        self.target = target
        _compile_from_source_under(target.root, target.working_directory)
        if target.working_directory and os.path.isdir(target.working_directory):
            os.chdir(target.working_directory)
        self.responder.send({"started": True, "pid": os.getpid()})
        try:
            with _LoadWatchdog(self.responder, float(request.get("timeout") or 60), target):
                self.workspace = load_workspace(target)
                snapshot = repository_snapshot(self.workspace)
        except (Exception, SystemExit) as exc:  # user code: report, never crash
            self.workspace = None
            self.responder.send({"ok": False,
                                 "error": load_error_from_exception(exc, target).to_dict()})
            return
        modules = third_party_modules(target.root, target.working_directory)
        modules += [m for m in _executor_modules(self.workspace) if m not in modules]
        self.responder.send({"ok": True, "snapshot": snapshot.to_dict(), "modules": modules})

    def _no_code(self) -> bool:
        from orch.core.workspace import LoadError

        if self.workspace is not None:
            return False
        self.responder.send({"ok": False, "error": LoadError(
            "invalid", "No code is loaded: send a successful load request first.").to_dict()})
        return True

    def _answer(self, compute: Callable[[Any], dict[str, Any]]) -> None:
        """Answer ``compute(instance)``; a user error (DagsterError) is kind ``invalid``, and
        storage or orch trouble is reported too: the server goes on."""
        from orch.core.instance import Instance
        from orch.core.workspace import LoadError

        if self._no_code():
            return
        try:
            # Kept open across requests: a daemon ticks every second, and opening the
            # instance (orch.yaml, SQLite, crashed-run recovery) was a third of an idle tick.
            if self._instance is None:
                self._instance = Instance.get()
            answer = compute(self._instance)
        except Exception as exc:
            if not _is_user_error(exc):
                self._drop_instance()  # storage trouble: the next request opens it afresh
            self.responder.send({"ok": False, "error": LoadError(
                "invalid", str(exc) if _is_user_error(exc) else f"{type(exc).__name__}: {exc}",
                cls_name=type(exc).__name__).to_dict()})
            return
        self.responder.send({"ok": True, **answer})

    def _drop_instance(self) -> None:
        instance, self._instance = self._instance, None
        if instance is not None:
            try:
                instance.close()
            except Exception:  # already broken; nothing to keep
                pass

    def tick(self, request: dict[str, Any]) -> None:
        """One pass over the loaded code's running schedules and sensors, then a chunk of each
        of its REQUESTED backfills; answer the ticks and the backfills."""
        import time

        from orch.core.scheduling.backfill import run_requested_backfills
        from orch.core.scheduling.ticks import tick_all

        def compute(instance: Any) -> dict[str, Any]:
            ticks = tick_all(instance, self.workspace, float(request.get("now") or time.time()))
            backfills = run_requested_backfills(instance, self.workspace)
            return {"ticks": [
                {"name": t.name, "type": t.instigator_type.value, "status": t.status.value,
                 "run_ids": list(t.run_ids), "skip_reason": t.skip_reason, "error": t.error}
                for t in ticks],
                "backfills": [
                {"backfill_id": b.backfill_id, "status": b.status.value,
                 "submitted": b.submitted_count, "total": len(b.partition_names),
                 "error": b.error} for b in backfills]}

        self._answer(compute)

    def preview(self, request: dict[str, Any]) -> None:
        """Evaluate one schedule or sensor without launching or storing anything."""
        import time

        from orch.core.scheduling.preview import preview_now, preview_to_dict

        self._answer(lambda instance: {"preview": preview_to_dict(preview_now(
            instance, self.workspace, request["kind"], request["name"],
            float(request.get("now") or time.time())))})

    def request_run(self, request: dict[str, Any]) -> None:
        """Launch one run a preview showed (``launch_previewed``), through the coordinator."""
        import datetime

        from orch.core.definitions.schedules import RunRequest
        from orch.core.scheduling.preview import launch_previewed

        wanted = request["request"]
        when = datetime.datetime.fromisoformat(request["when"]) if request.get("when") else None

        def compute(instance: Any) -> dict[str, Any]:
            outcome = launch_previewed(
                instance, self.workspace, request["kind"], request["name"],
                RunRequest(wanted.get("run_key"), wanted.get("run_config") or {},
                           wanted.get("tags") or {}), when)
            return {"run_ids": outcome.run_ids, "skipped_keys": outcome.skipped_keys,
                    "errors": outcome.errors}

        self._answer(compute)

    def launch(self, request: dict[str, Any]) -> int | None:
        """Create the run; answer; execute it. None when nothing was started."""
        from orch.core.errors import DagsterError
        from orch.core.events import EventRecord, EventType
        from orch.core.execution.run_request import LAUNCH_FIELDS, launch_args
        from orch.core.instance import Instance
        from orch.core.launcher import create_run
        from orch.core.workspace import LoadError

        if self.workspace is None:
            self.responder.send({"ok": False, "error": LoadError(
                "invalid", "No code is loaded: send a successful load request first.").to_dict()})
            return None
        instance = Instance.get()
        try:
            loaded = self.workspace.get(request.get("pipeline"))
            pipeline = loaded.reconstructable()
            kwargs, note = launch_args(instance, pipeline,
                                       **{k: request.get(k) for k in LAUNCH_FIELDS})
            if kwargs is None:
                self.responder.send({"ok": True, "run_id": None, "step_keys": [],
                                     "note": note})
                instance.close()
                return None
            run = create_run(instance, pipeline, **kwargs)
        except (DagsterError, ValueError, TypeError, KeyError) as exc:
            self.responder.send({"ok": False, "error": LoadError(
                "invalid", str(exc), cls_name=type(exc).__name__).to_dict()})
            instance.close()
            return None
        from orch.core.launcher import CallerLauncher

        def announce(started: PipelineRun) -> None:  # this process is the run's worker
            instance.handle_new_event(EventRecord(
                started.run_id, started.pipeline_name, EventType.PIPELINE_STARTING,
                f"Code server process {os.getpid()} loaded the code and is executing the run.",
                data={"worker_pid": os.getpid()},
            ))

        # The one launch path: the coordinator starts it here (this server is its worker) or
        # queues it — for a dequeuer, which launches a worker of its own, or, with
        # ``wait_turn`` (watch mode), until the queue lets this server take it itself.
        launcher = CallerLauncher(announce)
        submitted = instance.submit_run(run, launcher)
        from orch.core.execution.executor import executor_preload_modules

        # What its executor imports (dask, distributed): the zygote imports them for the
        # next run's worker (and remembers them for the next session's).
        self.responder.send({"ok": True, "run_id": run.run_id,
                             "step_keys": run.step_keys_to_execute, "note": note,
                             "status": submitted.status.value,
                             "modules": executor_preload_modules([run.run_config])})
        if submitted.status.value == "QUEUED":
            return self._wait_turn(instance, run.run_id, launcher) \
                if request.get("wait_turn") else self._close(instance, 0)
        return self._execute(instance, run.run_id)

    @staticmethod
    def _close(instance: Any, code: int) -> int:
        instance.close()
        return code

    def _wait_turn(self, instance: Any, run_id: str, launcher: Any) -> int:
        """Take the queued run when it is due and execute it; if another dequeuer took it,
        wait for it to end (this process stands for the run to whoever follows it)."""
        from orch.core.launcher import RecordedWorker
        from orch.core.run_coordinator import wait_for_turn

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)  # canceled (or superseded) meanwhile
        try:
            mine = wait_for_turn(instance, run_id, launcher)
        except KeyboardInterrupt:
            instance.cancel_run(run_id)
            return self._close(instance, 130)
        finally:
            signal.signal(signal.SIGTERM, previous)
        if mine:
            return self._execute(instance, run_id)
        return self._close(instance, RecordedWorker(instance, run_id).wait())

    @staticmethod
    def _execute(instance: Any, run_id: str) -> int:
        from orch.core.worker import execute_stored_run

        os.environ.setdefault("ORCH_WORKER", "1")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            return execute_stored_run(instance, run_id)
        finally:
            instance.close()


def _executor_modules(workspace: Any) -> list[str]:
    """The modules the loaded pipelines' executors import (a mode's executor definitions,
    a preset's ``execution:``), which a load itself does not: e.g. ``distributed`` for a
    Dask run, so the zygote has them before the first run's worker is forked."""
    from orch.core.execution.executor import executor_preload_modules

    run_configs: list[dict[str, Any]] = []
    executor_defs: list[Any] = []
    for loaded in workspace.pipelines.values():
        try:
            definition = loaded.get_definition()
            run_configs += [p.run_config for p in definition.preset_defs]
            for mode in definition.mode_definitions:
                executor_defs += mode.executor_defs or []
        except Exception:  # a pipeline that does not build: its load error says why
            continue
    return executor_preload_modules(run_configs, executor_defs)


def _is_user_error(exc: BaseException) -> bool:
    from orch.core.errors import DagsterError

    return isinstance(exc, DagsterError)


def third_party_modules(*roots: str | None) -> list[str]:
    """Top-level modules imported in this process that are not the user's: not loaded from
    under ``roots`` (except installed packages there) and not orch's user-code namespace.
    What a zygote may import ahead of the next load."""
    prefixes = tuple(os.path.join(os.path.abspath(r), "") for r in roots if r)
    names = []
    for name, module in list(sys.modules.items()):
        if "." in name or name.startswith(("__", "orch")) or module is None:
            continue
        where = getattr(module, "__file__", None) or ""
        paths = [where, *(getattr(module, "__path__", None) or [])]
        if any(p.startswith(prefixes) and "-packages" + os.sep not in p for p in paths if p):
            continue
        names.append(name)
    return sorted(names)


def _start() -> None:
    """What every code server has before its first request (a zygote's forks inherit it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it signals the run
    _preload()
    from orch.core.workspace import enable_module_cache

    enable_module_cache()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--zygote" and args[1].isdigit():
        from orch.core.zygote_start import restore_zygote_env

        restore_zygote_env()
        _start()
        return _Zygote(socket.socket(fileno=int(args[1]))).serve()
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m orch.core.workspace_server RESPONSE_FD | --zygote SOCKET_FD",
              file=sys.stderr)
        return 2
    _start()
    return serve(_Responder(int(args[0])), sys.stdin.buffer)


def serve(responder: _Responder, stdin: IO[bytes]) -> int:
    """Answer requests from ``stdin`` until one ends this server; its exit code."""
    server = Server(responder)
    while True:
        line = stdin.readline()
        if not line:
            return 0
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            continue
        op = request.get("op")
        if op == "load":
            server.load(request)
        elif op == "launch":
            code = server.launch(request)
            if code is not None:
                return code
        elif op == "tick":
            server.tick(request)
        elif op == "preview":
            server.preview(request)
        elif op == "request_run":
            server.request_run(request)
        elif op == "exit":
            return 0


# -- the zygote ------------------------------------------------------------------------------
class _Zygote:
    """Forks code servers on request; reports their ends (see the module docstring)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.fds: list[int] = []  # received with the fork requests, three each
        self.buffer = b""
        self.wake_r, self.wake_w = os.pipe()
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select through wake_w

    def serve(self) -> int:
        import select

        watched: list[Any] = [self.sock, self.wake_r]
        while True:
            try:
                ready = select.select(watched, [], [])[0]
            except InterruptedError:
                ready = []
            if self.wake_r in ready:
                try:
                    os.read(self.wake_r, 4096)
                except BlockingIOError:
                    pass
            self._report_exits()
            if self.sock in ready:
                data, fds, _, _ = socket.recv_fds(self.sock, 1 << 16, 16)
                if not data:
                    return 0  # the pool is gone; running servers go on
                self.fds += fds
                self.buffer += data
                while b"\n" in self.buffer:
                    line, self.buffer = self.buffer.split(b"\n", 1)
                    self._handle(json.loads(line))

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.sock.sendall((json.dumps(message) + "\n").encode())
        except OSError:
            pass

    def _handle(self, request: dict[str, Any]) -> None:
        if request.get("op") == "preload":
            self._preload(request.get("modules") or [])
        elif request.get("op") == "env":  # orch dev's early zygote, told its ORCH_HOME
            os.environ.update({str(k): str(v) for k, v in (request.get("set") or {}).items()})
        elif request.get("op") == "fork":
            fds, self.fds = self.fds[:3], self.fds[3:]
            if len(fds) != 3:
                self._send({"forked": None, "error": "a fork request needs three fds"})
                return
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            pid = os.fork()
            if pid == 0:
                self._become_server(*fds)
            for fd in fds:
                os.close(fd)
            self._send({"forked": pid})

    @staticmethod
    def _preload(modules: list[str]) -> None:
        """Import what earlier loads imported (never the user's code); a module that fails
        here is simply imported (or fails) again by the load that needs it."""
        import importlib

        for name in modules:
            try:
                importlib.import_module(name)
            except (Exception, SystemExit):
                sys.modules.pop(name, None)

    def _report_exits(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            self._send({"exited": pid, "code": os.waitstatus_to_exitcode(status)})

    def _become_server(self, requests_fd: int, response_fd: int, output_fd: int) -> NoReturn:
        """The forked code server's whole life: requests on fd 0, output on 1 and 2."""
        code = 70
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.sock.close()
            for fd in (self.wake_r, self.wake_w, *self.fds):
                os.close(fd)
            os.dup2(requests_fd, 0)
            os.dup2(output_fd, 1)
            os.dup2(output_fd, 2)
            os.close(requests_fd)
            os.close(output_fd)
            code = serve(_Responder(response_fd), sys.stdin.buffer)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            try:
                import atexit

                atexit._run_exitfuncs()  # what a normal exit runs (event writers flush)
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
