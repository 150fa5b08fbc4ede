"""Compute logs: every byte a step writes to stdout/stderr, in files, readable while it runs.

:class:`LocalComputeLogManager` redirects the *file descriptors* 1 and 2 (``os.dup2``), so
output from C extensions and child processes (``subprocess.run(["echo", "hi"])``) is captured
too, and points Python's ``sys.stdout``/``sys.stderr`` at the same files, under
``<base_dir>/<run_id>/``:

* steps captured with :meth:`~ComputeLogManager.capture` run one at a time in one process (the
  in-process executor), so they share the run's ``in-process.out|.err``, appended to one after
  the other. Each capture writes a line to ``in-process.ranges`` before its first byte and
  after its last (``start|end <step_key> <stdout offset> <stderr offset>``), one append each:
  a step's output is its ranges, its attempts in order. Two files a run instead of two a step:
  creating a file cost 90-140 µs on this project's busy disk, appending to an open one ~1 µs.
  A process a step leaves running that writes after the step ended writes outside any range
  (or into the next step's);
* a step captured in a process of its own (:meth:`~ComputeLogManager.begin_capture`, the
  multiprocess executor: steps run side by side) has its own ``<step_key>.out|.err``.

Readers never open these files themselves: :meth:`~ComputeLogManager.read` serves one step's
bytes by offset in its own output (``orch runs logs``, the ``orch run`` follower, the app's
compute-log pane). Reading a step whose capture was open, it reads the ranges again after the
bytes, so a read that raced the step's end stops where the step's output ended. The storage's
``compute_logs`` table indexes each step's capture (paths, sizes, a complete flag). A run's executor passes its event writer's
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
    NOFOLLOW,
    OrchInvalidIdError,
    check_run_id,
    contained,
    contained_file,
    make_private_dir,
    remove_tree,
)

_log = logging.getLogger(__name__)
Stream = Literal["stdout", "stderr"]
IndexSink = Callable[[ComputeLogInfo], None]  # where a capture's index rows go
_SUFFIX = {"stdout": ".out", "stderr": ".err"}
SHARED_NAME = "in-process"  # logs/<run_id>/in-process.out|.err|.ranges


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

    def __reduce__(self) -> tuple[type[CapturedLogs], tuple[str, str, str | None, str | None]]:
        """Pickled as its four fields: every step process unpickles one from its zygote's
        request, and the frozen dataclass's own state goes through ``object.__setattr__``
        field by field (pages a freshly forked process writes for the first time)."""
        return (CapturedLogs, (self.run_id, self.step_key, self.stdout_path, self.stderr_path))


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

    def abandon_capture(self, captured: CapturedLogs) -> None:
        """Forget a capture begun with ``begin_capture(..., index=False)`` whose step never
        ran (a step process prepared for it was not used): nothing was or will be indexed.
        The process that opened its files removes them."""
        return None

    def release(self) -> None:
        """Close any file this manager keeps open between captures (the instance closing)."""
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
        self._shared: _SharedFiles | None = None  # of the run this process captures
        self._range_indexes: dict[str, _RangeIndex] = {}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
    ) -> LocalComputeLogManager:
        base_dir = Path(config.get("base_dir", "logs"))
        if root_dir is not None and not base_dir.is_absolute():
            base_dir = root_dir / base_dir
        return cls(base_dir, storage)

    def _file(self, run_id: str, name: str) -> str:
        """``base_dir/<run_id>/<name>``; refuses ids that would leave base_dir."""
        return contained_file(self.base_dir, check_run_id(run_id), name)

    def _step_file(self, run_id: str, step_key: str, stream: Stream) -> str:
        """The file of a step captured in its own process: ``<step_key>.out|.err``."""
        return self._file(run_id, f"{step_key.replace(os.sep, '_')}{_SUFFIX[stream]}")

    def _shared_files(self, run_id: str) -> _SharedFiles:
        """The run's shared files, open for appending (kept open while this process captures
        that run: a run's steps share three descriptors, not three opens a step)."""
        shared = self._shared
        if shared is None or shared.run_id != run_id:
            self.release()
            shared = self._shared = _SharedFiles(run_id, self._file(run_id, SHARED_NAME))
        return shared

    def release(self) -> None:
        """Close the shared files of the run this process captured last (if any)."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    @contextmanager
    def capture(self, run_id: str, step_key: str, sink: IndexSink | None = None
                ) -> Iterator[CapturedLogs]:
        """Steps captured here run one at a time in this process, so they share the run's
        ``in-process.out|.err``: each capture appends to them and records where it starts
        and ends in ``in-process.ranges`` (before its first byte, after its last)."""
        shared = self._shared_files(run_id)
        _c_fflush()
        self._started[(run_id, step_key)] = time.time()
        captured = CapturedLogs(run_id, step_key, shared.out_path, shared.err_path)
        self.index_capture(captured, sink)
        try:
            with shared.segment(step_key):
                yield captured
        finally:
            self._complete(captured, sink, shared.written.get(step_key, (0, 0)))

    def _complete(self, captured: CapturedLogs, sink: IndexSink | None,
                  written: tuple[int, int]) -> None:
        try:
            self._index_complete(captured, sink, written)
        except self.storage.transient_errors as e:  # the files are complete regardless
            _log.error("orch: could not mark the compute log of %s complete: %s",
                       captured.step_key, e)

    def begin_capture(self, run_id: str, step_key: str, index: bool = True,
                      sink: IndexSink | None = None) -> CapturedLogs:
        out_path = self._step_file(run_id, step_key, "stdout")
        err_path = f"{out_path[:-4]}.err"
        make_private_dir(os.path.dirname(out_path))
        _c_fflush()
        self._started[(run_id, step_key)] = time.time()
        captured = CapturedLogs(run_id, step_key, out_path, err_path)
        if index:
            self.index_capture(captured, sink)
        return captured

    def index_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        (sink or self.storage.upsert_compute_log)(ComputeLogInfo(
            captured.run_id, captured.step_key, captured.stdout_path, captured.stderr_path,
            start_time=self._started.get((captured.run_id, captured.step_key))))

    def abandon_capture(self, captured: CapturedLogs) -> None:
        self._started.pop((captured.run_id, captured.step_key), None)

    def end_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        written = _size(captured.stdout_path or ""), _size(captured.stderr_path or "")
        self._index_complete(captured, sink, written)

    def _index_complete(self, captured: CapturedLogs, sink: IndexSink | None,
                        written: tuple[int, int]) -> None:
        (sink or self.storage.upsert_compute_log)(
            ComputeLogInfo(
                captured.run_id,
                captured.step_key,
                captured.stdout_path or "",
                captured.stderr_path or "",
                stdout_bytes=written[0],
                stderr_bytes=written[1],
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
        """A step's bytes from ``offset`` (of the step's own output). A step captured in its
        own process has its own file; one captured in process is the ranges of the run's
        shared file that ``in-process.ranges`` gives it (all its attempts', in order)."""
        # The flag is read before the bytes: if the capture had ended, its bytes were final.
        info = self.storage.get_compute_log(run_id, step_key)
        ranges = self._ranges(run_id)
        segments = ranges.segments(step_key, stream)
        if not segments:
            return self._read_step_file(run_id, step_key, stream, offset, max_bytes, info)
        path = self._file(run_id, f"{SHARED_NAME}{_SUFFIX[stream]}")
        data = _read_segments(path, segments, offset, max_bytes)
        # A capture still open when the bytes were read may have ended since, and the next
        # step's bytes followed: the ranges, read again, say where this step's ended.
        ranges.refresh()
        total = _length(ranges.segments(step_key, stream))
        if total is not None:
            data = data[:max(0, total - offset)]
        next_offset = offset + len(data)
        complete = bool(info is not None and info.complete) and total is not None \
            and next_offset >= total
        return data, next_offset, complete

    def _read_step_file(self, run_id: str, step_key: str, stream: Stream, offset: int,
                        max_bytes: int | None, info: ComputeLogInfo | None
                        ) -> tuple[bytes, int, bool]:
        path = self._step_file(run_id, step_key, stream)
        try:
            with open(os.open(path, os.O_RDONLY | NOFOLLOW), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(offset)
                data = f.read(-1 if max_bytes is None else max_bytes)
        except FileNotFoundError:
            size, data = 0, b""
        next_offset = offset + len(data)
        complete = bool(info is not None and info.complete) and next_offset >= size
        return data, next_offset, complete

    def _ranges(self, run_id: str) -> _RangeIndex:
        """The run's ``in-process.ranges``, read up to its end (parsed once per line: the
        index is kept per run, for a reader that follows a few runs)."""
        index = self._range_indexes.get(run_id)
        if index is None:
            if len(self._range_indexes) >= 64:
                self._range_indexes.clear()
            index = self._range_indexes[run_id] = _RangeIndex(
                self._file(run_id, f"{SHARED_NAME}.ranges"))
        index.refresh()
        return index

    def get_log_info(self, run_id: str, step_key: str) -> ComputeLogInfo | None:
        return self.storage.get_compute_log(run_id, step_key)

    def delete_logs(self, run_id: str | None = None) -> None:
        """Delete one run's log directory (or all); never anything outside ``base_dir``: an id
        that is not a valid run id (stored by an older orch) has its files left alone."""
        if run_id is None:
            self._range_indexes.clear()
            self.release()
            remove_tree(self.base_dir)
            return
        try:
            target = contained(self.base_dir, check_run_id(run_id))
        except OrchInvalidIdError:
            _log.warning("orch: not deleting compute logs of run %r: not a valid run id", run_id)
            return
        self._range_indexes.pop(run_id, None)
        if self._shared is not None and self._shared.run_id == run_id:
            self.release()
        remove_tree(target)


class _SharedFiles:
    """One run's ``in-process.out``, ``.err`` and ``.ranges`` (``<base>.*``; no step key
    has a ``-``, so no step's own file has these names), opened on first use; and each
    step's bytes in them so far (a retry appends to its step's)."""

    def __init__(self, run_id: str, base: str) -> None:
        self.run_id = run_id
        self.out_path, self.err_path = f"{base}.out", f"{base}.err"
        self.ranges_path = f"{base}.ranges"
        self.fds: tuple[int, int, int] | None = None
        self.written: dict[str, tuple[int, int]] = {}
        # sys.stdout/sys.stderr for the steps, made once for the run, not twice a step.
        self.streams: tuple[io.TextIOWrapper, io.TextIOWrapper] | None = None

    def _open(self) -> tuple[int, int, int]:
        if self.fds is None:
            make_private_dir(os.path.dirname(self.out_path))
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | NOFOLLOW
            opened: list[int] = []
            try:
                for path in (self.out_path, self.err_path, self.ranges_path):
                    opened.append(os.open(path, flags, FILE_MODE))
            except OSError:
                for fd in opened:
                    os.close(fd)
                raise
            self.fds = (opened[0], opened[1], opened[2])
        return self.fds

    @contextmanager
    def segment(self, step_key: str) -> Iterator[None]:
        """fds 1 and 2 appending to the files for the body, its range recorded around it:
        ``start|end <step_key> <stdout offset> <stderr offset>``, one append each."""
        out_fd, err_fd, ranges_fd = self._open()
        earlier = self.written.get(step_key, (0, 0))
        start = os.fstat(out_fd).st_size, os.fstat(err_fd).st_size
        os.write(ranges_fd, f"start {step_key} {start[0]} {start[1]}\n".encode())
        try:
            with _redirected(out_fd, err_fd, (self.run_id, step_key),
                             (start[0] - earlier[0], start[1] - earlier[1]),
                             self._streams(out_fd, err_fd)):
                yield
        finally:
            end = os.fstat(out_fd).st_size, os.fstat(err_fd).st_size
            os.write(ranges_fd, f"end {step_key} {end[0]} {end[1]}\n".encode())
            self.written[step_key] = (earlier[0] + end[0] - start[0],
                                      earlier[1] + end[1] - start[1])

    def _streams(self, out_fd: int, err_fd: int) -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
        """The run's text streams on the shared files (new ones if a step closed them)."""
        if self.streams is None or any(stream.closed for stream in self.streams):
            self._close_streams()
            self.streams = _text_stream(out_fd), _text_stream(err_fd)
        return self.streams

    def _close_streams(self) -> None:
        for stream in self.streams or ():
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        self.streams = None

    def close(self) -> None:
        self._close_streams()
        if self.fds is not None:
            for fd in self.fds:
                os.close(fd)
            self.fds = None


class _RangeIndex:
    """A run's ``in-process.ranges``, parsed as it grows: each step's segments of the shared
    files, ``[stdout start, stdout end, stderr start, stderr end]`` (ends None while open)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.parsed = 0
        self.steps: dict[str, list[list[Any]]] = {}

    def refresh(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | NOFOLLOW)
        except FileNotFoundError:
            self.parsed, self.steps = 0, {}
            return
        try:
            size = os.fstat(fd).st_size
            if size < self.parsed:  # replaced (the run's logs deleted and written again)
                self.parsed, self.steps = 0, {}
            data = os.pread(fd, size - self.parsed, self.parsed) if size > self.parsed \
                else b""
        finally:
            os.close(fd)
        lines, newline, _ = data.rpartition(b"\n")
        if not newline:
            return
        self.parsed += len(lines) + 1
        for line in lines.decode(errors="replace").split("\n"):
            self._note(line.split(" "))

    def _note(self, fields: list[str]) -> None:
        if len(fields) != 4 or not (fields[2].isdigit() and fields[3].isdigit()):
            return
        kind, key, out, err = fields[0], fields[1], int(fields[2]), int(fields[3])
        segments = self.steps.setdefault(key, [])
        if kind == "start":
            segments.append([out, None, err, None])
        elif kind == "end" and segments and segments[-1][1] is None:
            segments[-1][1], segments[-1][3] = out, err

    def segments(self, step_key: str, stream: Stream) -> list[tuple[int, int | None]]:
        i = 0 if stream == "stdout" else 2
        return [(s[i], s[i + 1]) for s in self.steps.get(step_key, ())]


def _length(segments: Sequence[tuple[int, int | None]]) -> int | None:
    """The bytes in ``segments`` (None while the last is open)."""
    total = 0
    for start, end in segments:
        if end is None:
            return None
        total += end - start
    return total


def _read_segments(path: str, segments: Sequence[tuple[int, int | None]], offset: int,
                   max_bytes: int | None) -> bytes:
    """Bytes from ``offset`` of the concatenated ``segments`` of ``path`` (an open segment
    reaches the end of the file)."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    except FileNotFoundError:
        return b""
    chunks: list[bytes] = []
    left = max_bytes
    try:
        size = os.fstat(fd).st_size
        for start, end in segments:
            stop = size if end is None else min(end, size)
            if offset >= stop - start:
                offset -= max(0, stop - start)
                continue
            want = stop - start - offset if left is None else min(left, stop - start - offset)
            chunk = _pread_all(fd, want, start + offset)
            chunks.append(chunk)
            offset = 0
            if left is not None:
                left -= len(chunk)
                if left <= 0:
                    break
            if end is None:
                break
    finally:
        os.close(fd)
    return b"".join(chunks)


def _pread_all(fd: int, n: int, at: int) -> bytes:
    parts = []
    while n > 0:
        chunk = os.pread(fd, min(n, 1 << 30), at)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
        at += len(chunk)
    return b"".join(parts)


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


def before_fork() -> None:
    """In a process about to fork step processes (a run worker's step zygote): look up now
    what each of them would otherwise look up for itself (libc's ``fflush``, which costs a
    step process ~0.1 ms of page copies when it loads ctypes' handle of libc)."""
    _c_fflush()


def _text_stream(fd: int) -> io.TextIOWrapper:
    """A line-buffered text stream on its own duplicate of ``fd`` (like the real sys.stderr)."""
    return io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(os.dup(fd), "w")),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )


_capturing: tuple[str, str] | None = None  # (run_id, step_key) whose output fds 1/2 hold now
_capture_base = (0, 0)  # where that step's own output starts in the files (see below)


def capture_offsets(run_id: str, step_key: str) -> dict[str, int] | None:
    """How many bytes the step has written so far to its captured stdout and stderr, when
    this process is capturing that step's output (else None). A ``context.log`` line records
    them, so a viewer can show it where it fell between the step's prints. Offsets are in the
    step's own output (what :meth:`ComputeLogManager.read` serves), also when it shares a
    file with the run's other steps."""
    if _capturing != (run_id, step_key):
        return None
    _flush_std_streams()
    try:
        return {"stdout": os.fstat(1).st_size - _capture_base[0],
                "stderr": os.fstat(2).st_size - _capture_base[1]}
    except OSError:
        return None


@contextmanager
def _opened(path: str | Path, flags: int) -> Iterator[int]:
    fd = os.open(path, flags, FILE_MODE)
    try:
        yield fd
    finally:
        os.close(fd)


@contextmanager
def redirect_output(stdout_path: str | Path, stderr_path: str | Path,
                    owner: tuple[str, str] | None = None) -> Iterator[None]:
    """Send fds 1 and 2 and ``sys.stdout``/``sys.stderr`` to files (appending); restore all
    of them afterwards, also when the body raises. ``owner`` is the (run id, step key) the
    output belongs to (see :func:`capture_offsets`)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | NOFOLLOW
    with _opened(stdout_path, flags) as out_fd, _opened(stderr_path, flags) as err_fd, \
            _redirected(out_fd, err_fd, owner):
        yield


@contextmanager
def _redirected(out_fd: int, err_fd: int, owner: tuple[str, str] | None,
                base: tuple[int, int] = (0, 0),
                streams: tuple[io.TextIOWrapper, io.TextIOWrapper] | None = None
                ) -> Iterator[None]:
    """fds 1 and 2 and ``sys.stdout``/``sys.stderr`` on ``out_fd``/``err_fd`` (which stay
    open) for the body. ``base``: where the owner's output starts in them. ``streams``: the
    text streams on them to use (flushed, and left open, afterwards); else new ones, closed
    afterwards."""
    global _capturing, _capture_base
    _flush_std_streams()
    saved = {fd: _dup_or_none(fd) for fd in (1, 2)}
    old_stdout, old_stderr = sys.stdout, sys.stderr
    new_stdout = new_stderr = None
    try:
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        new_stdout, new_stderr = streams or (_text_stream(out_fd), _text_stream(err_fd))
        sys.stdout, sys.stderr = new_stdout, new_stderr
        _capturing, _capture_base = owner, base
        yield
    finally:
        _capturing, _capture_base = None, (0, 0)
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
        for stream in (new_stdout, new_stderr) if streams is None else ():
            if stream is not None:
                try:
                    stream.close()
                except (OSError, ValueError):  # a full disk: what could be written, was
                    pass


def _dup_or_none(fd: int) -> int | None:
    try:
        return os.dup(fd)
    except OSError:  # fd was closed (daemonised process); restore it as closed
        return None
