"""One bucket of an fsspec filesystem (s3fs, gcsfs, adlfs), as the cloud integrations use it.

Everything the S3, GCS and Azure libraries do with objects goes through :class:`ObjectStore`:
whole-object and ranged reads, writes, existence, prefix deletes and listings sorted by
modification time, with transient network errors retried here once for all three clouds
(``retries`` attempts, exponential backoff). Each cloud supplies only how its filesystem is
built (:class:`FilesystemSpec`) and what it calls an object's modification time.

A store pickles as its spec (bucket, scheme, the filesystem's constructor arguments), never as
a live connection or a local path: an executor on another machine rebuilds the same store.
"""

from __future__ import annotations

import errno
import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

from orch.core.errors import DagsterInvariantViolationError

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Errors a request may raise that are worth trying again (the connection, not the request).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


class ObjectStoreError(DagsterInvariantViolationError):
    """An object store cannot be used as configured (no such bucket, no access)."""


@dataclass(frozen=True)
class FilesystemSpec:
    """How to build a cloud's fsspec filesystem: ``protocol`` for :func:`fsspec.filesystem`
    and its keyword arguments (endpoint, credentials). Picklable by design."""

    protocol: str
    options: dict[str, Any] = field(default_factory=dict)
    modified_field: str = "LastModified"  # the listing's key for an object's mtime
    cls_path: str | None = None  # "module:Class" instead of fsspec's class for the protocol

    def build(self) -> Any:
        if self.cls_path is not None:
            import importlib

            module, _, name = self.cls_path.partition(":")
            cls = getattr(importlib.import_module(module), name)
            return cls(skip_instance_cache=True, **self.options)
        import fsspec

        return fsspec.filesystem(self.protocol, skip_instance_cache=True,
                                 **self.options)


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


class ObjectStore:
    """``bucket`` in the filesystem ``spec`` builds; keys are ``/``-separated, no leading ``/``.

    ``scheme`` is the URI scheme shown to users (``s3``, ``gs``, ``abfs``)."""

    def __init__(self, spec: FilesystemSpec, bucket: str, scheme: str, *, retries: int = 3,
                 fs: Any = None) -> None:
        if not bucket or "/" in bucket:
            raise ObjectStoreError(f"Invalid bucket name {bucket!r}.")
        self.spec = spec
        self.bucket = bucket
        self.scheme = scheme
        self.retries = max(1, retries)
        self._fs = fs

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "bucket": self.bucket, "scheme": self.scheme,
                "retries": self.retries, "_fs": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"ObjectStore({self.scheme}://{self.bucket})"

    @property
    def fs(self) -> Any:
        if self._fs is None:
            self._fs = self.spec.build()
        return self._fs

    # -- names --------------------------------------------------------------------------
    def path(self, key: str) -> str:
        return f"{self.bucket}/{key.lstrip('/')}"

    def uri(self, key: str) -> str:
        return f"{self.scheme}://{self.path(key)}"

    # -- requests -----------------------------------------------------------------------
    def _retry(self, what: str, fn: Callable[[], _T]) -> _T:
        delay = 0.1
        for attempt in range(1, self.retries + 1):
            try:
                return fn()
            except TRANSIENT_ERRORS as e:
                if attempt == self.retries:
                    raise
                _log.warning("orch: %s failed (%s: %s); retrying in %.1fs (attempt %d of %d)",
                             what, type(e).__name__, e, delay, attempt + 1, self.retries)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def check_bucket(self) -> None:
        """Fail fast (as the legacy IO managers do at init) when the bucket is not there."""
        try:
            self._retry(f"checking {self.scheme}://{self.bucket}",
                        lambda: self.fs.info(self.bucket))
        except Exception as e:
            # s3fs and gcsfs raise PermissionError/FileNotFoundError; adlfs raises the Azure
            # SDK's HttpResponseError, which carries the HTTP status.
            status = getattr(e, "status_code", None)
            if isinstance(e, PermissionError) or status in (401, 403):
                reason = str(e).split("\n", 1)[0]
                raise ObjectStoreError(
                    f"No access to the bucket {self.scheme}://{self.bucket} ({reason}): check "
                    "the credentials and their permissions.") from e
            if isinstance(e, FileNotFoundError) or status == 404:
                raise ObjectStoreError(
                    f"The bucket {self.scheme}://{self.bucket} does not exist (orch does not "
                    "create buckets; create it first).") from None
            raise

    def put(self, key: str, data: bytes) -> None:
        self._retry(f"writing {self.uri(key)}", lambda: self.fs.pipe_file(self.path(key), data))

    def put_stream(self, key: str, produce: Callable[[IO[bytes]], None]) -> None:
        """One object at ``key`` holding what ``produce`` writes to the file it is given (a
        pickler, say); nothing is written when ``produce`` raises. Here the bytes are gathered
        and stored with :meth:`put`; a cloud whose API can take an object in parts streams
        them (:class:`orch.integrations.aws.s3.store.S3ObjectStore`)."""
        buffer = io.BytesIO()
        produce(buffer)
        self.put(key, buffer.getvalue())

    def get_stream(self, key: str, consume: Callable[[IO[bytes]], _T]) -> _T:
        """What ``consume`` makes of the object's bytes, read from a file object
        (:class:`FileNotFoundError` when there is no object)."""
        return consume(io.BytesIO(self.get(key)))

    def in_bucket(self, bucket: str) -> ObjectStore:
        """A store reached the same way, for another bucket."""
        return ObjectStore(self.spec, bucket, self.scheme, retries=self.retries)

    def put_file(self, local_path: str, key: str) -> None:
        self._retry(f"uploading {self.uri(key)}",
                    lambda: self.fs.put_file(local_path, self.path(key)))

    def get(self, key: str, start: int | None = None, end: int | None = None) -> bytes:
        """The object's bytes ``[start, end)``; :class:`FileNotFoundError` when missing.

        Always one ranged GET (``start`` 0 for a whole object): without a range s3fs first
        asks for the size (a HEAD per read) to decide whether to read in parallel chunks."""
        begin = 0 if start is None else start
        try:
            return self._retry(f"reading {self.uri(key)}",
                               lambda: self.fs.cat_file(self.path(key), start=begin, end=end))
        except FileNotFoundError:
            raise
        except Exception as e:
            if start is None and _unsatisfiable_range(e):
                return b""  # an empty object: "bytes=0-" asks for a byte it does not have
            raise

    def get_file(self, key: str, local_path: str) -> None:
        self._retry(f"downloading {self.uri(key)}",
                    lambda: self.fs.get_file(self.path(key), local_path))

    def size(self, key: str) -> int | None:
        """The object's size, None when there is none (never a cached answer)."""
        self.fs.invalidate_cache(self.path(key))
        try:
            info = self._retry(f"looking up {self.uri(key)}",
                               lambda: self.fs.info(self.path(key)))
        except FileNotFoundError:
            return None
        if info.get("type") == "directory":
            return None
        return int(info.get("size") or 0)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def delete(self, key: str) -> None:
        """Delete one object (nothing if it is not there)."""
        try:
            self._retry(f"deleting {self.uri(key)}", lambda: self.fs.rm_file(self.path(key)))
        except FileNotFoundError:
            pass
        self.fs.invalidate_cache(self.path(key))

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix/``; how many there were."""
        keys = [info.key for info in self.list(prefix.rstrip("/") + "/")]
        for key in keys:
            self.delete(key)
        return len(keys)

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix``, oldest first (ties by key)."""
        return sorted(self._iter(prefix), key=lambda o: (o.modified, o.key))

    def _iter(self, prefix: str) -> Iterator[ObjectInfo]:
        root = self.path("")
        directory, _, _ = prefix.rpartition("/")
        self.fs.invalidate_cache()
        try:
            found = self._retry(f"listing {self.uri(prefix)}",
                                lambda: self.fs.find(self.path(directory), detail=True))
        except FileNotFoundError:
            return
        for path, info in found.items():
            if info.get("type") == "directory":
                continue
            key = path[len(root):] if path.startswith(root) else path
            if key.startswith(prefix):
                yield ObjectInfo(key, int(info.get("size") or 0),
                                 _as_datetime(info.get(self.spec.modified_field)))


def _unsatisfiable_range(e: Exception) -> bool:
    """HTTP 416 as s3fs (OSError EINVAL), gcsfs (HttpError code) or others report it."""
    status = getattr(e, "code", None) or getattr(e, "status_code", None)
    return status == 416 or (isinstance(e, OSError) and e.errno == errno.EINVAL) or \
        "not satisfiable" in str(e).lower()


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromtimestamp(0, UTC)


def join_key(*parts: str) -> str:
    """``a/b/c`` from parts that may carry slashes at their ends (an empty prefix vanishes)."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))
