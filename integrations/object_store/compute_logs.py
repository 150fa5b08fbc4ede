"""Compute logs kept in an object store: captured locally as orch always does, uploaded to
``<prefix>/storage/<run_id>/compute_logs/<step_key>.out|.err`` when the step's capture ends
(the legacy S3/GCS/Azure key layout).

While a step runs, and afterwards on the machine that ran it, reads serve the local copy
(``local_dir``, by default ``ORCH_HOME/logs``) by offset, exactly as
:class:`~orch.core.storage.compute_logs.LocalComputeLogManager` does. Where there is no local
copy (another machine, or the local files deleted), reads come from the uploaded objects with
ranged GETs. A step is complete remotely when the instance's index says its capture ended and
the object holds the byte count that index recorded (so a read that races the upload waits).
An upload that fails is logged and leaves the local copy; it never fails the step.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orch.core.storage.base import ComputeLogInfo, Storage
from orch.core.storage.compute_logs import (
    CapturedLogs,
    IndexSink,
    LocalComputeLogManager,
    Stream,
)
from orch.core.storage.paths import check_path_component, check_run_id

from .io_manager import check_prefix
from .store import ObjectStore, join_key

_log = logging.getLogger(__name__)
_SUFFIX: dict[Stream, str] = {"stdout": ".out", "stderr": ".err"}
MAX_BYTES_FILE_READ = 33_554_432  # the legacy managers' read cap (32 MB)


def local_dir_from_config(config: dict[str, Any], root_dir: Path | None) -> Path:
    base = Path(config.get("local_dir") or "logs")
    if root_dir is not None and not base.is_absolute():
        base = root_dir / base
    return base


class ObjectStoreComputeLogManager(LocalComputeLogManager):
    """Local capture, uploaded to ``store`` under ``prefix`` when each step ends."""

    def __init__(self, base_dir: str | Path, storage: Storage, store: ObjectStore,
                 prefix: str = "dagster", skip_empty_files: bool = False) -> None:
        super().__init__(base_dir, storage)
        self.store = store
        self.prefix = check_prefix(prefix)
        self.skip_empty_files = skip_empty_files

    # Config keys every object-store manager takes besides its store's own.
    COMMON_KEYS = frozenset({"local_dir", "prefix", "skip_empty_files"})

    @classmethod
    def check_config(cls, config: dict[str, Any], required: tuple[str, ...],
                     optional: frozenset[str]) -> None:
        """The ``compute_logs.config`` of orch.yaml has every ``required`` key (a string) and
        nothing but those, ``optional`` and :data:`COMMON_KEYS`; else a TypeError that lists
        them (the instance reports it as not accepted)."""
        allowed = {*required, *optional, *cls.COMMON_KEYS}
        unknown = set(config) - allowed
        missing = [k for k in required if not isinstance(config.get(k), str)]
        if unknown or missing:
            raise TypeError(
                f"{cls.__name__} takes {', '.join(f'`{k}`' for k in required)} (required) and "
                f"{', '.join(sorted(allowed - set(required)))}"
                + (f"; unexpected {sorted(unknown)}" if unknown else "")
                + (f"; missing {missing}" if missing else ""))

    @classmethod
    def with_store(cls, config: dict[str, Any], root_dir: Path | None, storage: Storage,
                   store: ObjectStore) -> Any:
        """The manager for ``store`` with the common keys of ``config`` applied."""
        return cls(local_dir_from_config(config, root_dir), storage, store,
                   prefix=config.get("prefix", "dagster"),
                   skip_empty_files=config.get("skip_empty_files", False))

    def key(self, run_id: str, step_key: str, stream: Stream) -> str:
        check_run_id(run_id)
        check_path_component(step_key, "step key")
        return join_key(self.prefix, "storage", run_id, "compute_logs",
                        f"{step_key}{_SUFFIX[stream]}")

    # -- capture: as local, then upload ----------------------------------------------------
    @contextmanager
    def capture(self, run_id: str, step_key: str, sink: IndexSink | None = None
                ) -> Iterator[CapturedLogs]:
        try:
            with super().capture(run_id, step_key, sink) as captured:
                yield captured
        finally:
            self.upload(run_id, step_key)

    def end_capture(self, captured: CapturedLogs, sink: IndexSink | None = None) -> None:
        super().end_capture(captured, sink)
        self.upload(captured.run_id, captured.step_key)

    def upload(self, run_id: str, step_key: str) -> None:
        """Put the step's captured stdout and stderr (all its attempts so far) in the store."""
        for stream in ("stdout", "stderr"):
            data, _, _ = super().read(run_id, step_key, stream)
            if not data and self.skip_empty_files:
                continue
            key = self.key(run_id, step_key, stream)
            try:
                self.store.put(key, data)
            except Exception as e:  # the step's outcome never depends on its log upload
                _log.error("orch: could not upload the %s of %s to %s: %s: %s", stream,
                           step_key, self.store.uri(key), type(e).__name__, e)

    # -- reads ---------------------------------------------------------------------------
    def has_local_copy(self, run_id: str, step_key: str, stream: Stream) -> bool:
        if self._ranges(run_id).segments(step_key, stream):
            return True
        return os.path.exists(self._step_file(run_id, step_key, stream))

    def read(self, run_id: str, step_key: str, stream: Stream = "stdout", offset: int = 0,
             max_bytes: int | None = None) -> tuple[bytes, int, bool]:
        if self.has_local_copy(run_id, step_key, stream):
            return super().read(run_id, step_key, stream, offset, max_bytes)
        return self.read_remote(run_id, step_key, stream, offset, max_bytes)

    def read_remote(self, run_id: str, step_key: str, stream: Stream = "stdout",
                    offset: int = 0, max_bytes: int | None = None) -> tuple[bytes, int, bool]:
        """The uploaded bytes from ``offset`` (ranged GET), whatever is on local disk."""
        info = self.storage.get_compute_log(run_id, step_key)
        expected = _expected_bytes(info, stream)
        limit = MAX_BYTES_FILE_READ if max_bytes is None else min(max_bytes,
                                                                    MAX_BYTES_FILE_READ)
        if expected is not None and offset >= expected:
            return b"", offset, True
        key = self.key(run_id, step_key, stream)
        try:
            data = self.store.get(key, start=offset, end=offset + limit)
        except FileNotFoundError:
            return b"", offset, False
        next_offset = offset + len(data)
        complete = expected is not None and next_offset >= expected
        return data, next_offset, complete

    def delete_logs(self, run_id: str | None = None) -> None:
        super().delete_logs(run_id)
        try:
            if run_id is None:
                for info in self.store.list(join_key(self.prefix, "storage") + "/"):
                    if "/compute_logs/" in info.key:
                        self.store.delete(info.key)
            else:
                self.store.delete_prefix(join_key(self.prefix, "storage", check_run_id(run_id),
                                                  "compute_logs"))
        except Exception as e:
            _log.error("orch: could not delete uploaded compute logs from %s: %s: %s",
                       self.store, type(e).__name__, e)


def _expected_bytes(info: ComputeLogInfo | None, stream: Stream) -> int | None:
    """The byte count the index recorded when the capture ended (None while it runs)."""
    if info is None or not info.complete:
        return None
    return info.stdout_bytes if stream == "stdout" else info.stderr_bytes
