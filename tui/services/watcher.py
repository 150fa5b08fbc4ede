"""Watch the repository for saves: watchdog, filtered and debounced, calling back with the
changed paths from the observer's thread (the app turns that into a message)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

IGNORED_DIRS = {".orch", "__pycache__", ".git", ".hg", ".venv", "venv", ".mypy_cache",
                ".pytest_cache", ".ruff_cache", "node_modules", ".hypothesis"}
WATCHED_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".toml", ".csv", ".sql"}
DEBOUNCE_SECONDS = 0.1


def is_relevant(path: str) -> bool:
    p = Path(path)
    if any(part in IGNORED_DIRS for part in p.parts):
        return False
    name = p.name
    if name.startswith((".#", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")):
        return False
    return p.suffix in WATCHED_SUFFIXES


class Debouncer:
    """Collects paths and calls ``callback(paths)`` once things are quiet for ``delay``."""

    def __init__(self, callback: Callable[[list[str]], None], delay: float = DEBOUNCE_SECONDS):
        self.callback = callback
        self.delay = delay
        self._paths: set[str] = set()
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def add(self, path: str) -> None:
        with self._lock:
            self._paths.add(path)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            paths, self._paths, self._timer = sorted(self._paths), set(), None
        if paths:
            self.callback(paths)

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()


def start_watcher(root: str, callback: Callable[[list[str]], None], polling: bool = False):
    """Start an observer on ``root``; returns it (call ``.stop()``)."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    debouncer = Debouncer(callback)

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for path in (event.src_path, getattr(event, "dest_path", "")):
                if path and is_relevant(str(path)):
                    debouncer.add(str(path))

    observer = (PollingObserver(timeout=0.2) if polling else Observer())
    observer.schedule(Handler(), root, recursive=True)
    observer.daemon = True
    observer.start()
    return observer
