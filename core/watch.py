"""Hot reload: watch a repository, debounce saves, reload the code in a subprocess and start
the next run as a child of the last one (DESIGN.md §5). Shared by ``orch run --watch`` and the
app; nothing here imports user code — that happens in :class:`~orch.core.workspace.CodeServer`
processes, one of which is kept started ahead of time so a save costs the user's import, not
an interpreter start.

* :func:`is_ignored` — paths a save in which never triggers anything (``.orch/``,
  ``__pycache__/``, VCS folders, editor swap and backup files).
* :class:`Debouncer` — collects paths and calls back once they have been quiet for ``delay``.
* :class:`RepositoryWatcher` — a watchdog observer on the repository root feeding a debouncer.
* :class:`CodeServerPool` — code servers forked from one warm zygote that holds orch and the
  project's third-party modules (or, without fork, one spare server started ahead).
* :class:`WatchSession` — the state of a watch loop: the last run, the code hashes it ran
  with; :meth:`WatchSession.cycle` reloads and launches the next run.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import missing_mode_message
from .workspace import (
    DEFAULT_LOAD_TIMEOUT,
    CodeServer,
    CodeServerZygote,
    LoadError,
    RepositorySnapshot,
    WorkspaceLoadError,
    WorkspaceTarget,
    changed_solids,
)

DEFAULT_DEBOUNCE_SECONDS = 0.1
PRELOAD_FILE = "code_server_preload.json"  # in ORCH_HOME: see CodeServerPool
DEFAULT_EXTENSIONS = (".py", ".ipynb")  # a saved notebook (a notebook solid) is code

IGNORED_DIRECTORIES = frozenset({
    ".orch", "__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".tox", ".nox", ".venv", "venv", "node_modules", ".ipynb_checkpoints",
    ".idea", ".vscode", "build", "dist", ".eggs",
})
_IGNORED_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", "~", ".tmp", ".bak", ".pyc", ".pyo",
                     ".orig", ".crdownload", ".part")


def is_ignored(path: str, root: str | None = None) -> bool:
    """True for paths inside ignored folders and for editor temp files (``*.swp``, ``*~``,
    ``.#x``, ``#x#``, vim's ``4913`` probe, ``.~lock.*``)."""
    p = Path(path)
    try:
        parts = p.relative_to(root).parts if root else p.parts
    except ValueError:
        parts = p.parts
    if any(part in IGNORED_DIRECTORIES or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    name = p.name
    return (name.endswith(_IGNORED_SUFFIXES) or name.startswith((".#", ".~lock"))
            or (name.startswith("#") and name.endswith("#")) or name == "4913"
            or name in IGNORED_DIRECTORIES)


class Debouncer:
    """Calls ``callback(paths)`` once ``delay`` seconds have passed without a new
    :meth:`trigger` (one background thread; the callback runs on it)."""

    def __init__(self, delay: float, callback: Callable[[set[str]], None]):
        self.delay = delay
        self.callback = callback
        self._pending: set[str] = set()
        self._deadline: float | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="orch-debounce", daemon=True)
        self._thread.start()

    def trigger(self, path: str) -> None:
        with self._cond:
            self._pending.add(path)
            self._deadline = time.monotonic() + self.delay
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and self._deadline is None:
                    self._cond.wait()
                if self._closed:
                    return
                remaining = self._deadline - time.monotonic()  # type: ignore[operator]
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                paths, self._pending, self._deadline = self._pending, set(), None
            try:
                self.callback(paths)
            except Exception:  # a failing callback must not stop the watcher
                import traceback

                traceback.print_exc()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=2)


class RepositoryWatcher:
    """Watches ``root`` recursively; calls ``on_change(paths)`` (debounced) when files with
    one of ``extensions`` — or one of ``extra_files`` — are written, created, moved or
    deleted, except ignored ones (:func:`is_ignored`)."""

    def __init__(self, root: str, on_change: Callable[[set[str]], None], *,
                 debounce: float = DEFAULT_DEBOUNCE_SECONDS,
                 extensions: Iterable[str] | None = DEFAULT_EXTENSIONS,
                 extra_files: Iterable[str] = ()):
        self.root = os.path.abspath(root)
        self.extensions = tuple(extensions) if extensions is not None else None
        self.extra_files = {os.path.abspath(f) for f in extra_files}
        self.debouncer = Debouncer(debounce, on_change)
        self._observer: Any = None
        self._extra_observed: set[str] = set()

    def relevant(self, path: str) -> bool:
        path = os.path.abspath(path)
        if path in self.extra_files:
            return True
        if is_ignored(path, self.root):
            return False
        return self.extensions is None or path.endswith(self.extensions)

    def start(self) -> RepositoryWatcher:
        import logging

        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        # watchdog logs a spurious error when stopped with events pending; keep it off stderr.
        logging.getLogger("watchdog").addHandler(logging.NullHandler())
        logging.getLogger("watchdog").propagate = False
        # ...and warns when folders appear faster than it adds watches for them (a run
        # writing into the project's .orch under the watched root): harmless, not for users.
        warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                # A save is its modify (or create/move) events. The close that follows can
                # arrive much later when the writer is descheduled between write and close,
                # and would then count as a second save: ignore opens and closes.
                if event.event_type in ("opened", "closed", "closed_no_write") \
                        or event.is_directory:
                    return
                for path in (event.src_path, getattr(event, "dest_path", "")):
                    if path and watcher.relevant(os.fsdecode(path)):
                        watcher.debouncer.trigger(os.fsdecode(path))

        self._observer = Observer()
        self._observer.schedule(Handler(), self.root, recursive=True)
        for extra in sorted({os.path.dirname(f) for f in self.extra_files}):
            if os.path.isdir(extra) and not (extra + os.sep).startswith(self.root + os.sep):
                self._observer.schedule(Handler(), extra, recursive=False)
        self._observer.daemon = True
        self._observer.start()
        return self

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
        self.debouncer.close()

    def __enter__(self) -> RepositoryWatcher:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class CodeServerPool:
    """Code servers for loads and runs, none of which waits for Python to start or for the
    project's libraries to import.

    Where there is ``fork``, one :class:`~orch.core.workspace.CodeServerZygote` is started
    now and every server is a fork of it; each successful load tells it which third-party
    modules the code imported (pandas, numpy …; never the user's modules), and it imports
    them while idle, so the next load imports only the user's code. Each load and run still
    gets a process of its own. ``preload`` names modules to import from the start (what an
    earlier session's loads reported). Without fork (or if the zygote dies), ``spares``
    servers are kept started instead (interpreter up, orch imported, no user code).

    ``remember`` (a JSON file, in ORCH_HOME) keeps the modules loads reported, per working
    directory, so the next session's zygote imports them as soon as it starts — while the
    app is still starting — instead of at the first load."""

    def __init__(self, cwd: str | None = None, env: dict[str, str] | None = None,
                 spares: int = 1, zygote: bool = True, preload: Iterable[str] = (),
                 remember: Path | None = None):
        self.cwd = cwd
        self.env = env
        self.spares = spares
        self.remember = remember
        self._ready: list[CodeServer] = []
        self._lock = threading.Lock()
        self.zygote: CodeServerZygote | None = None
        if zygote and hasattr(os, "fork"):
            try:
                self.zygote = CodeServerZygote(cwd=cwd, env=env)
            except OSError:
                self.zygote = None
        if self.zygote is not None:
            self.zygote.preload([*preload, *self._remembered()])
        else:
            self.fill()

    def _key(self) -> str:
        return os.path.abspath(self.cwd or os.getcwd())

    def _remembered(self) -> list[str]:
        import json

        if self.remember is None:
            return []
        try:
            known = json.loads(self.remember.read_text()).get(self._key()) or []
        except (OSError, ValueError, AttributeError):
            return []
        return [m for m in known if isinstance(m, str)]

    def _remember(self, modules: list[str]) -> None:
        """Add ``modules`` to the file (written whole, atomically; private like ORCH_HOME)."""
        import json

        if self.remember is None:
            return
        try:
            data = json.loads(self.remember.read_text()) if self.remember.exists() else {}
            if not isinstance(data, dict):
                data = {}
            data[self._key()] = sorted(set(data.get(self._key()) or []) | set(modules))
            tmp = self.remember.with_name(f"{self.remember.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, self.remember)
        except (OSError, ValueError):
            pass  # only a slower first load next session

    def fill(self) -> None:
        with self._lock:
            self._ready = [s for s in self._ready if s.process.poll() is None]
            while len(self._ready) < self.spares:
                self._ready.append(CodeServer(cwd=self.cwd, env=self.env))

    def preload(self, modules: list[str]) -> None:
        """Third-party modules a load imported: the zygote imports them for the next."""
        if self.zygote is not None:
            new = set(modules) - self.zygote.preloaded
            self.zygote.preload(modules)
            if new:
                self._remember(sorted(new))

    def take(self) -> CodeServer:
        forked = self._fork()
        if forked is not None:
            return forked
        with self._lock:
            server: CodeServer | None = None
            while self._ready and server is None:
                candidate = self._ready.pop(0)
                if candidate.process.poll() is None:
                    server = candidate
                else:
                    candidate.close()
            if server is None:
                server = CodeServer(cwd=self.cwd, env=self.env)
        self.fill()
        return server

    def _fork(self) -> CodeServer | None:
        """A server forked from the zygote; None if there is no zygote (or it failed)."""
        zygote = self.zygote
        if zygote is None or not zygote.alive:
            return None
        try:
            server = CodeServer(cwd=self.cwd, env=self.env, zygote=zygote)
        except OSError:
            return None
        server.on_modules = self.preload
        return server

    def close(self) -> None:
        with self._lock:
            for server in self._ready:
                server.close()
            self._ready = []
        if self.zygote is not None:
            self.zygote.close()


@dataclass
class Cycle:
    """What one reload did: the snapshot (or why loading failed), and the run it started."""

    number: int
    snapshot: RepositorySnapshot | None = None
    error: LoadError | None = None
    run_id: str | None = None
    server: CodeServer | None = None
    pipeline_name: str | None = None
    changed: list[str] | None = None
    step_keys: list[str] | None = None
    note: str | None = None
    status: str | None = None  # as submitted: QUEUED while it waits for its turn
    paths: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)

    @property
    def process(self) -> Any:
        return self.server.process if self.server is not None else None


class WatchSession:
    """One pipeline under watch. The first :meth:`cycle` runs the whole pipeline (or, given
    ``parent_run_id``, re-executes the selection from that run); each later cycle reloads the
    code and re-executes the selection — only solids whose code hash changed and their
    downstream with ``changed_only`` — as a child of the last run, so upstream outputs are
    loaded, not recomputed. ``run_config`` may be a callable, re-evaluated every cycle (the
    CLI re-reads its ``-c`` files); ``extra_config`` (executor flags) is merged into it, or into
    the preset's or the parent run's config."""

    def __init__(self, target: WorkspaceTarget, pipeline_name: str | None = None, *,
                 orch_home: str | None = None,
                 run_config: dict[str, Any] | Callable[[], dict[str, Any] | None] | None = None,
                 extra_config: dict[str, Any] | None = None,
                 mode: str | None = None, preset: str | None = None,
                 tags: dict[str, Any] | None = None, selection: str | list[str] | None = None,
                 changed_only: bool = False, parent_run_id: str | None = None,
                 load_timeout: float = DEFAULT_LOAD_TIMEOUT, env: dict[str, str] | None = None,
                 pool: CodeServerPool | None = None):
        self.target = target
        self.pipeline_name = pipeline_name
        self.run_config = run_config
        self.extra_config = extra_config
        self.mode = mode
        self.preset = preset
        self.tags = tags
        self.selection = selection
        self.changed_only = changed_only
        self.load_timeout = load_timeout
        self.last_run_id = parent_run_id
        self.last_hashes: dict[str, str] | None = None
        self.last_snapshot: RepositorySnapshot | None = None
        self.count = 0
        child_env = dict(os.environ if env is None else env)
        if orch_home is not None:
            child_env["ORCH_HOME"] = str(orch_home)
        self.pool = pool or CodeServerPool(
            cwd=target.working_directory, env=child_env,
            remember=Path(orch_home) / PRELOAD_FILE if orch_home is not None else None)

    def _run_config(self) -> dict[str, Any] | None:
        return self.run_config() if callable(self.run_config) else self.run_config

    def load(self) -> RepositorySnapshot:
        """Reload the snapshot only (raises :class:`WorkspaceLoadError`)."""
        server = self.pool.take()
        try:
            snapshot = server.load(self.target, self.load_timeout)
        finally:
            server.close()
        self.last_snapshot = snapshot
        return snapshot

    def cycle(self, paths: Iterable[str] = ()) -> Cycle:
        """Reload the code and start the next run (in the process that loaded it, which
        waits for the run's turn if the instance queues runs)."""
        self.count += 1
        cycle = Cycle(self.count, paths=sorted(paths))
        server = self.pool.take()
        try:
            try:
                snapshot = server.load(self.target, self.load_timeout)
            except WorkspaceLoadError as e:
                cycle.error = e.error
                return cycle
            cycle.snapshot = snapshot
            self.last_snapshot = snapshot
            try:
                name = snapshot.choose(self.pipeline_name)
            except Exception as e:
                cycle.error = LoadError("not_found", str(e))
                return cycle
            cycle.pipeline_name = name
            modes = [m["name"] for m in snapshot.pipeline(name)["modes"]]
            if self.last_run_id is None and not (self.mode or self.preset) and len(modes) > 1:
                presets = [p["name"] for p in snapshot.pipeline(name)["presets"]]
                cycle.error = LoadError("invalid", missing_mode_message(name, modes, presets))
                return cycle
            hashes = snapshot.code_hashes(name)
            try:
                run_config = self._run_config()
            except Exception as e:
                cycle.error = LoadError("invalid", str(e), cls_name=type(e).__name__)
                return cycle
            if self.last_run_id is None:
                request: dict[str, Any] = dict(run_config=run_config, mode=self.mode,
                                               preset=self.preset, tags=self.tags)
            else:
                changed = None
                if self.changed_only and self.last_hashes is not None:
                    changed = changed_solids(self.last_hashes, hashes)
                    cycle.changed = changed
                request = dict(run_config=run_config, mode=self.mode, tags=self.tags,
                               reexecute={"parent_run_id": self.last_run_id,
                                          "step_selection": self.selection,
                                          "changed_solids": changed, "include_failed": True})
            try:
                reply = server.launch(name, extra_config=self.extra_config, wait_turn=True,
                                      **request)
            except WorkspaceLoadError as e:
                cycle.error = e.error
                return cycle
            cycle.note = reply.get("note")
            cycle.step_keys = reply.get("step_keys")
            cycle.status = reply.get("status")
            self.last_hashes = hashes
            if reply.get("run_id"):
                cycle.run_id = reply["run_id"]
                cycle.server = server
                self.last_run_id = cycle.run_id
            return cycle
        finally:
            if cycle.server is None:
                server.close()

    def close(self) -> None:
        self.pool.close()
