"""File handles and file managers (legacy ``dagster.core.storage.file_manager``): a solid writes
bytes through ``context.resources.file_manager`` and passes the handle on; a downstream solid,
possibly on another machine, reads them back through the handle.

:class:`ObjectStoreFileManager` writes ``<prefix>/<uuid4>[.<ext>]`` objects and hands out
handles that name only the bucket and key (the cloud's handle class), so a handle pickled into
a stored output means the same object everywhere. Reads download to a local temporary cache
that :meth:`~FileManager.delete_local_temp` removes.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from orch.core.errors import DagsterInvariantViolationError

from .io_manager import check_prefix
from .store import ObjectStore, join_key


class FileHandle(ABC):
    """A reference to a file somewhere (legacy ``FileHandle``); ``path_desc`` says where."""

    @property
    @abstractmethod
    def path_desc(self) -> str: ...


class LocalFileHandle(FileHandle):
    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    @property
    def path_desc(self) -> str:
        return self._path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalFileHandle) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self._path)

    def __repr__(self) -> str:
        return f"LocalFileHandle(path={self._path!r})"


class FileManager(ABC):
    """Reads and writes the bytes behind file handles."""

    @abstractmethod
    def copy_handle_to_local_temp(self, file_handle: FileHandle) -> str: ...

    @abstractmethod
    def delete_local_temp(self) -> None: ...

    @abstractmethod
    def write(self, file_obj: IO[bytes], mode: str = "wb", ext: str | None = None
              ) -> FileHandle: ...

    @contextmanager
    def read(self, file_handle: FileHandle, mode: str = "rb") -> Iterator[IO[Any]]:
        with open(self.copy_handle_to_local_temp(file_handle), mode) as f:
            yield f

    def read_data(self, file_handle: FileHandle) -> bytes:
        with self.read(file_handle, mode="rb") as f:
            return f.read()

    def write_data(self, data: bytes, ext: str | None = None) -> FileHandle:
        if not isinstance(data, bytes):
            raise DagsterInvariantViolationError(
                f"write_data takes bytes, got {type(data).__name__}.")
        return self.write(io.BytesIO(data), mode="wb", ext=ext)


def _check_ext(ext: str | None) -> str:
    if ext is None:
        return ""
    if not ext or not ext.isascii() or not all(c.isalnum() or c in "_-." for c in ext) \
            or ext.startswith("."):
        raise DagsterInvariantViolationError(
            f"Invalid file extension {ext!r}: letters, digits, '_', '-' and '.' only.")
    return "." + ext


class _TempCache:
    """Where downloaded handles are kept until ``delete_local_temp``."""

    def __init__(self) -> None:
        self.dir: str | None = None

    def path(self, name: str) -> str:
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="orch-files-")
        return os.path.join(self.dir, name)

    def clear(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


class LocalFileManager(FileManager):
    """Files under ``base_dir`` (legacy ``local_file_manager``)."""

    def __init__(self, base_dir: str) -> None:
        self.base_dir = base_dir

    def copy_handle_to_local_temp(self, file_handle: FileHandle) -> str:
        if not isinstance(file_handle, LocalFileHandle):
            raise DagsterInvariantViolationError(
                f"The local file manager reads LocalFileHandles, not {file_handle!r}.")
        return file_handle.path

    def delete_local_temp(self) -> None:
        return None

    def write(self, file_obj: IO[bytes], mode: str = "wb", ext: str | None = None
              ) -> LocalFileHandle:
        os.makedirs(self.base_dir, exist_ok=True)
        path = os.path.join(self.base_dir, f"{uuid.uuid4()}{_check_ext(ext)}")
        with open(path, mode) as out:
            shutil.copyfileobj(file_obj, out)
        return LocalFileHandle(path)


class ObjectStoreFileManager(FileManager):
    """Objects ``<prefix>/<uuid4>[.<ext>]`` in ``store``; ``make_handle(bucket, key)`` is the
    cloud's handle class, ``handle_key(handle)`` gives back ``(bucket, key)``."""

    def __init__(self, store: ObjectStore, prefix: str,
                 make_handle: Callable[[str, str], FileHandle],
                 handle_key: Callable[[FileHandle], tuple[str, str] | None]) -> None:
        self.store = store
        self.prefix = check_prefix(prefix)
        self.make_handle = make_handle
        self.handle_key = handle_key
        self._temp = _TempCache()

    def _located(self, file_handle: FileHandle) -> tuple[ObjectStore, str]:
        found = self.handle_key(file_handle)
        if found is None:
            raise DagsterInvariantViolationError(
                f"This file manager reads {self.store.scheme}:// handles, not {file_handle!r}.")
        bucket, key = found
        if bucket == self.store.bucket:
            return self.store, key
        return self.store.in_bucket(bucket), key

    def copy_handle_to_local_temp(self, file_handle: FileHandle) -> str:
        store, key = self._located(file_handle)
        local = self._temp.path(f"{uuid.uuid4()}-{key.rsplit('/', 1)[-1]}")
        try:
            store.get_file(key, local)
        except FileNotFoundError:
            raise DagsterInvariantViolationError(
                f"No object at {file_handle.path_desc}.") from None
        return local

    def delete_local_temp(self) -> None:
        self._temp.clear()

    def write(self, file_obj: IO[bytes], mode: str = "wb", ext: str | None = None
              ) -> FileHandle:
        if "b" not in mode:
            raise DagsterInvariantViolationError(f"Files are written in binary mode, not {mode!r}.")
        key = join_key(self.prefix, f"{uuid.uuid4()}{_check_ext(ext)}")
        self.store.put(key, file_obj.read())
        return self.make_handle(self.store.bucket, key)
