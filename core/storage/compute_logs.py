"""Compute logs: every byte a step writes to stdout/stderr, in files, readable while it runs.

:class:`LocalComputeLogManager` redirects the *file descriptors* 1 and 2 (``os.dup2``), so
output from C extensions and child processes (``subprocess.run(["echo", "hi"])``) is captured
too, and points Python's ``sys.stdout``/``sys.stderr`` at the same files. Files live at
``<base_dir>/<run_id>/<step_key>.out|.err`` and are indexed in the storage's ``compute_logs``
table (paths, sizes, a complete flag). A run's executor passes its event writer's
``write_compute_log`` as the ``sink`` of those rows, so they are committed in the same
transactions as the run's events (``event_writer.py``) instead of two transactions of their own
per step; without a sink each row is its own transaction.

Redirection is process-wide: anything another thread prints during a capture lands in that
step's files. The in-process executor runs steps one at a time; the multiprocess executor
captures inside each step's own process.

The ephemeral instance uses :class:`NoOpComputeLogManager`: output goes where it always goes
(the terminal, pytest's capture) and nothing is written to disk.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .base import ComputeLogInfo, Storage
from .paths import (
    FILE_MODE,
    OrchInvalidIdError,
    check_run_id,
    contained,
    make_private_dir,
    remove_tree,
)

_log = logging.getLogger(__name__)
Stream = Literal["stdout", "stderr"]
IndexSink = Callable[[ComputeLogInfo], None]  # where a capture's index rows go
_SUFFIX = {"stdout": ".out", "stderr": ".err"}


def logs_captured_data(
    step_keys: Sequence[str], stdout_path: str | None, stderr_path: str | None
) -> dict[str, Any]:
    """The ``data`` of a LOGS_CAPTURED event."""
    return {"step_keys": list(step_keys), "stdout": stdout_path, "stderr": stderr_path}


@dataclass(frozen=True, slots=True)
class CapturedLogs:
    """Where one capture writes. Paths are None when capture is off (ephemeral instance)."""

    run_id: str
    step_key: str
    stdout_path: str | None
    stderr_path: str | None

    def logs_captured_data(self) -> dict[str, Any]:
        return logs_captured_data([self.step_key], self.stdout_path, self.stderr_path)


class ComputeLogManager(ABC):
    """Captures and serves the stdout/stderr of steps."""

    @classmethod
    @abstractmethod
    def from_config(
        cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
    ) -> ComputeLogManager: ...

    @abstractmethod
    def capture(self, run_id: str, step_key: str, sink: IndexSink | None = None
                ) -> AbstractContextManager[CapturedLogs]:
        """Context manager: while open, the process's stdout/stderr go to the step's files.
        ``sink`` receives the index rows (default: stored at once)."""

    @abstractmethod
    def read(
        self,
        run_id: str,
        step_key: str,
        stream: Stream = "stdout",
        offset: int = 0,
        max_bytes: int | None = None,
    ) -> tuple[bytes, int, bool]:
        """``(data, next_offset, complete)``: bytes from ``offset``; ``complete`` means the
        capture has ended and nothing lies beyond ``next_offset``."""

    @abstractmethod
    def get_log_info(self, run_id: str, step_key: str) -> ComputeLogInfo | None: ...

    @abstractmethod
    def delete_logs(self, run_id: str | None = None) -> None:
        """Delete one run's files, or all of them."""

    def begin_capture(self, run_id: str, step_key: str, index: bool = True,
                      sink: IndexSink | None = None) -> CapturedLogs:
        """Index a capture that another process performs (``redirect_output`` on the returned
        paths); pair with :meth:`end_capture`. Used by executors that fork step processes,
        so only the parent touches storage. ``index=False`` prepares the files only, for a
        caller that indexes them with :meth:`index_capture` once the step process runs (the
        index write then overlaps the step instead of delaying its start)."""
        return CapturedLogs(run_id, step_key, None, None)

    def index_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        """Index a capture begun with ``begin_capture(..., index=False)``."""
        return None

    def end_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        """Mark a capture begun with :meth:`begin_capture` complete."""
        return None


class NoOpComputeLogManager(ComputeLogManager):
    """Captures nothing: output stays on the process's own stdout/stderr."""

    @classmethod
    def from_config(
        cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
    ) -> NoOpComputeLogManager:
        return cls()

    @contextmanager
    def capture(self, run_id: str, step_key: str, sink: IndexSink | None = None
                ) -> Iterator[CapturedLogs]:
        yield CapturedLogs(run_id, step_key, None, None)

    def read(
        self,
        run_id: str,
        step_key: str,
        stream: Stream = "stdout",
        offset: int = 0,
        max_bytes: int | None = None,
    ) -> tuple[bytes, int, bool]:
        return b"", offset, True

    def get_log_info(self, run_id: str, step_key: str) -> ComputeLogInfo | None:
        return None

    def delete_logs(self, run_id: str | None = None) -> None:
        return None


class LocalComputeLogManager(ComputeLogManager):
    """Files under ``base_dir`` (default ``ORCH_HOME/logs``), indexed in ``storage``.

    ``orch.yaml``::

        compute_logs:
          module: orch.core.storage.compute_logs
          class: LocalComputeLogManager
          config: {base_dir: logs}      # relative to ORCH_HOME
    """

    def __init__(self, base_dir: str | Path, storage: Storage) -> None:
        self.base_dir = Path(base_dir)
        self.storage = storage
        self._started: dict[tuple[str, str], float] = {}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
    ) -> LocalComputeLogManager:
        base_dir = Path(config.get("base_dir", "logs"))
        if root_dir is not None and not base_dir.is_absolute():
            base_dir = root_dir / base_dir
        return cls(base_dir, storage)

    def path_for(self, run_id: str, step_key: str, stream: Stream) -> Path:
        """``base_dir/<run_id>/<step_key>.out|.err``; refuses ids that would leave base_dir."""
        safe_key = step_key.replace(os.sep, "_")
        return contained(self.base_dir, check_run_id(run_id), f"{safe_key}{_SUFFIX[stream]}")

    @contextmanager
    def capture(self, run_id: str, step_key: str, sink: IndexSink | None = None
                ) -> Iterator[CapturedLogs]:
        captured = self.begin_capture(run_id, step_key, sink=sink)
        try:
            with redirect_output(captured.stdout_path, captured.stderr_path,
                                 (run_id, step_key)):
                yield captured
        finally:
            try:
                self.end_capture(captured, sink)
            except self.storage.transient_errors as e:  # the files are complete regardless
                _log.error("orch: could not mark the compute log of %s complete: %s",
                           step_key, e)

    def begin_capture(self, run_id: str, step_key: str, index: bool = True,
                      sink: IndexSink | None = None) -> CapturedLogs:
        out_path = self.path_for(run_id, step_key, "stdout")
        err_path = self.path_for(run_id, step_key, "stderr")
        make_private_dir(out_path.parent)
        _c_fflush()
        self._started[(run_id, step_key)] = time.time()
        captured = CapturedLogs(run_id, step_key, str(out_path), str(err_path))
        if index:
            self.index_capture(captured, sink)
        return captured

    def index_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        (sink or self.storage.upsert_compute_log)(ComputeLogInfo(
            captured.run_id, captured.step_key, captured.stdout_path, captured.stderr_path,
            start_time=self._started.get((captured.run_id, captured.step_key))))

    def end_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        out_path, err_path = captured.stdout_path or "", captured.stderr_path or ""
        (sink or self.storage.upsert_compute_log)(
            ComputeLogInfo(
                captured.run_id,
                captured.step_key,
                out_path,
                err_path,
                stdout_bytes=_size(out_path),
                stderr_bytes=_size(err_path),
                complete=True,
                start_time=self._started.pop((captured.run_id, captured.step_key), None),
                end_time=time.time(),
            )
        )

    def read(
        self,
        run_id: str,
        step_key: str,
        stream: Stream = "stdout",
        offset: int = 0,
        max_bytes: int | None = None,
    ) -> tuple[bytes, int, bool]:
        # The flag is read before the bytes: if the capture had ended, the file was final.
        info = self.storage.get_compute_log(run_id, step_key)
        path = self.path_for(run_id, step_key, stream)
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(offset)
                data = f.read(-1 if max_bytes is None else max_bytes)
        except FileNotFoundError:
            size, data = 0, b""
        next_offset = offset + len(data)
        complete = bool(info is not None and info.complete) and next_offset >= size
        return data, next_offset, complete

    def get_log_info(self, run_id: str, step_key: str) -> ComputeLogInfo | None:
        return self.storage.get_compute_log(run_id, step_key)

    def delete_logs(self, run_id: str | None = None) -> None:
        """Delete one run's log directory (or all); never anything outside ``base_dir``: an id
        that is not a valid run id (stored by an older orch) has its files left alone."""
        if run_id is None:
            remove_tree(self.base_dir)
            return
        try:
            target = contained(self.base_dir, check_run_id(run_id))
        except OrchInvalidIdError:
            _log.warning("orch: not deleting compute logs of run %r: not a valid run id", run_id)
            return
        remove_tree(target)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _flush_std_streams() -> None:
    for stream in {
        id(s): s for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    }.values():
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    _flush_c_stdio()


def _flush_c_stdio() -> None:
    """fflush(NULL): push C-level stdio buffers (printf in extensions) to the current fds."""
    fflush = _c_fflush()
    if fflush:
        fflush(None)


def _c_fflush() -> Any:
    """libc's ``fflush`` (False where there is none), looked up once per process — by
    :meth:`LocalComputeLogManager.begin_capture` in a process that forks step processes, so
    each of them inherits it instead of loading libc again."""
    global _libc_fflush
    if _libc_fflush is None:
        try:
            import ctypes

            _libc_fflush = ctypes.CDLL(None).fflush
        except (OSError, AttributeError):
            _libc_fflush = False
    return _libc_fflush


_libc_fflush: Any = None


def _text_stream(fd: int) -> io.TextIOWrapper:
    """A line-buffered text stream on its own duplicate of ``fd`` (like the real sys.stderr)."""
    return io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(os.dup(fd), "w")),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )


_capturing: tuple[str, str] | None = None  # (run_id, step_key) whose output fds 1/2 hold now


def capture_offsets(run_id: str, step_key: str) -> dict[str, int] | None:
    """How many bytes the step has written so far to its captured stdout and stderr, when
    this process is capturing that step's output (else None). A ``context.log`` line records
    them, so a viewer can show it where it fell between the step's prints."""
    if _capturing != (run_id, step_key):
        return None
    _flush_std_streams()
    try:
        return {"stdout": os.fstat(1).st_size, "stderr": os.fstat(2).st_size}
    except OSError:
        return None


@contextmanager
def redirect_output(stdout_path: str | Path, stderr_path: str | Path,
                    owner: tuple[str, str] | None = None) -> Iterator[None]:
    """Send fds 1 and 2 and ``sys.stdout``/``sys.stderr`` to files (appending); restore all
    of them afterwards, also when the body raises. ``owner`` is the (run id, step key) the
    output belongs to (see :func:`capture_offsets`)."""
    global _capturing
    _flush_std_streams()
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    out_fd = os.open(stdout_path, flags, FILE_MODE)
    err_fd = os.open(stderr_path, flags, FILE_MODE)
    saved = {fd: _dup_or_none(fd) for fd in (1, 2)}
    old_stdout, old_stderr = sys.stdout, sys.stderr
    new_stdout = new_stderr = None
    try:
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        sys.stdout = new_stdout = _text_stream(out_fd)
        sys.stderr = new_stderr = _text_stream(err_fd)
        _capturing = owner
        yield
    finally:
        _capturing = None
        for stream in (new_stdout, new_stderr):
            if stream is not None:
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
        _flush_c_stdio()
        sys.stdout, sys.stderr = old_stdout, old_stderr
        for fd, copy in saved.items():
            if copy is None:
                os.close(fd)
            else:
                os.dup2(copy, fd)
                os.close(copy)
        for stream in (new_stdout, new_stderr):
            if stream is not None:
                try:
                    stream.close()
                except (OSError, ValueError):  # a full disk: what could be written, was
                    pass
        os.close(out_fd)
        os.close(err_fd)


def _dup_or_none(fd: int) -> int | None:
    try:
        return os.dup(fd)
    except OSError:  # fd was closed (daemonised process); restore it as closed
        return None
