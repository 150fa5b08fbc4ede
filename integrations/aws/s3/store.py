"""The S3 object store: :class:`~orch.integrations.object_store.ObjectStore` over s3fs, with
large objects written and read as streams.

A write (:meth:`S3ObjectStore.put_stream`, what the pickle IO manager uses) fills one part in
memory at a time: an object smaller than a part is one PUT, as before; a larger one becomes a
multipart upload whose parts go up ``concurrency`` at a time while the next part is being
produced (the pickler keeps running). The upload is completed only once every part is in, and
aborted when producing it or a part fails, so no partial object is ever visible and an object
already at the key stays as it was. A part that meets a dropped connection is sent again
(``retries``, as every other request of the store).

s3fs's own ``pipe_file`` (used before) needed the whole pickle as one ``bytes`` first, then
sliced it into 50 MB parts (a copy) that aiohttp copied once more; here the pickler's output is
copied once, into the part, and the part is sent as it is.

A read (:meth:`S3ObjectStore.get_stream`) is one GET: a small object is read whole; a large
one is read straight into the buffer the unpickler asks for (``readinto``), so its bytes are
not first gathered into one ``bytes`` and then copied. A connection dropped mid-read resumes
with a ranged GET of the same version (``If-Match`` its ETag).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import time
from collections.abc import Callable
from typing import IO, Any, TypeVar

from ...object_store.store import TRANSIENT_ERRORS, FilesystemSpec, ObjectStore

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

MiB = 1024 * 1024
PART_SIZE = 16 * MiB  # S3 wants >= 5 MiB for every part but the last, <= 10,000 parts
CONCURRENCY = 4  # parts in flight at once (memory: about (CONCURRENCY + 1) * PART_SIZE)
READ_WHOLE_BELOW = 8 * MiB  # smaller objects are read in one piece


class S3ObjectStore(ObjectStore):
    """An S3 bucket through s3fs; ``part_size`` and ``concurrency`` shape large writes."""

    def __init__(self, spec: FilesystemSpec, bucket: str, scheme: str = "s3", *,
                 retries: int = 3, fs: Any = None, part_size: int = PART_SIZE,
                 concurrency: int = CONCURRENCY) -> None:
        super().__init__(spec, bucket, scheme, retries=retries, fs=fs)
        if part_size < 5 * MiB:
            raise ValueError(f"S3 parts are at least 5 MiB, not {part_size} bytes.")
        self.part_size = part_size
        self.concurrency = max(1, concurrency)

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "part_size": self.part_size,
                "concurrency": self.concurrency}

    def in_bucket(self, bucket: str) -> ObjectStore:
        return S3ObjectStore(self.spec, bucket, self.scheme, retries=self.retries,
                             part_size=self.part_size, concurrency=self.concurrency)

    def _sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one of s3fs's coroutines on its event loop (its IO thread) and wait."""
        from fsspec.asyn import sync

        return sync(self.fs.loop, fn, *args, **kwargs)

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        return self._retry(what, lambda: self._sync(self.fs._call_s3, method,
                                                    Bucket=self.bucket, **kwargs))

    # -- writes -------------------------------------------------------------------------
    def put_stream(self, key: str, produce: Callable[[IO[bytes]], None]) -> None:
        writer = _MultipartWriter(self, key.lstrip("/"))
        try:
            produce(writer)  # type: ignore[arg-type]  # only .write is used
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        finally:
            self.fs.invalidate_cache(self.path(key))

    # -- reads --------------------------------------------------------------------------
    def get_stream(self, key: str, consume: Callable[[IO[bytes]], _T]) -> _T:
        key = key.lstrip("/")

        async def get() -> tuple[bytes | None, dict[str, Any]]:
            # One trip to s3fs's loop for a small object: the GET and its whole body.
            response = await self.fs._call_s3("get_object", Bucket=self.bucket, Key=key)
            if int(response.get("ContentLength") or 0) >= READ_WHOLE_BELOW:
                return None, response
            body = response["Body"]
            try:
                return await body.read(), response
            finally:
                body.close()

        data, response = self._retry(f"reading {self.uri(key)}", lambda: self._sync(get))
        if data is not None:
            return consume(io.BytesIO(data))
        with _Body(self, key, response) as body:
            return consume(io.BufferedReader(body, buffer_size=MiB))


class _MultipartWriter:
    """A write-only file for one object: parts of ``store.part_size`` go up as they fill."""

    def __init__(self, store: S3ObjectStore, key: str) -> None:
        self.store = store
        self.key = key
        self.upload_id: str | None = None
        self.number = 0  # parts handed out so far
        self.in_flight: set[concurrent.futures.Future[dict[str, Any]]] = set()
        self.parts: list[dict[str, Any]] = []
        self.buffer = bytearray()  # grows: a small output never allocates a whole part

    def _size_of(self, number: int) -> int:
        # Double the part size every 1,000 parts: 10,000 parts then hold 16 TiB at 16 MiB.
        return self.store.part_size * 2 ** ((number - 1) // 1000)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            full = self._size_of(self.number + 1)
            take, view = view[:full - len(self.buffer)], view[full - len(self.buffer):]
            if not self.buffer and len(take) == full:
                self._send_part(bytearray(take))  # a whole part from one write: one copy
                continue
            self.buffer += take
            if len(self.buffer) == full:
                part, self.buffer = self.buffer, bytearray()
                self._send_part(part)
        return size

    def _send_part(self, part: bytearray) -> None:
        store = self.store
        if self.upload_id is None:
            started = store._call(f"starting the upload of {store.uri(self.key)}",
                                  "create_multipart_upload", Key=self.key)
            self.upload_id = started["UploadId"]
        while len(self.in_flight) >= store.concurrency:
            self._wait(concurrent.futures.FIRST_COMPLETED)
        self.number += 1
        coro = self._upload_part(self.number, part)
        self.in_flight.add(asyncio.run_coroutine_threadsafe(coro, store.fs.loop))

    def _wait(self, when: str) -> None:
        done, self.in_flight = concurrent.futures.wait(self.in_flight, return_when=when)
        for future in done:
            self.parts.append(future.result())  # a failed part raises here

    async def _upload_part(self, number: int, body: bytearray) -> dict[str, Any]:
        store, delay = self.store, 0.1
        for attempt in range(1, store.retries + 1):
            try:
                out = await store.fs._call_s3(
                    "upload_part", Bucket=store.bucket, Key=self.key, UploadId=self.upload_id,
                    PartNumber=number, Body=body)
                return {"PartNumber": number, "ETag": out["ETag"]}
            except TRANSIENT_ERRORS as e:
                if attempt == store.retries:
                    raise
                _log.warning("orch: uploading part %d of %s failed (%s: %s); retrying in "
                             "%.1fs (attempt %d of %d)", number, store.uri(self.key),
                             type(e).__name__, e, delay, attempt + 1, store.retries)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def commit(self) -> None:
        store = self.store
        if self.upload_id is None:  # smaller than one part: one PUT
            store.put(self.key, self.buffer)  # type: ignore[arg-type]  # bytearray is fine
            return
        if self.buffer:
            self._send_part(self.buffer)
            self.buffer = bytearray()
        self._wait(concurrent.futures.ALL_COMPLETED)
        parts = sorted(self.parts, key=lambda p: p["PartNumber"])
        store._call(f"completing the upload of {store.uri(self.key)}",
                    "complete_multipart_upload", Key=self.key, UploadId=self.upload_id,
                    MultipartUpload={"Parts": parts})
        self.upload_id = None

    def abort(self) -> None:
        """Drop the parts sent so far: the multipart upload never becomes an object."""
        for future in self.in_flight:
            future.cancel()
        concurrent.futures.wait(self.in_flight)
        self.in_flight = set()
        if self.upload_id is None:
            return
        store, upload_id, self.upload_id = self.store, self.upload_id, None
        try:
            store._call(f"aborting the upload of {store.uri(self.key)}",
                        "abort_multipart_upload", Key=self.key, UploadId=upload_id)
        except Exception as e:  # the object was never completed; the parts are orphaned
            _log.warning("orch: could not abort the multipart upload %s of %s (%s: %s); "
                         "its parts stay until the bucket's lifecycle rules remove them",
                         upload_id, store.uri(self.key), type(e).__name__, e)


class _Body(io.RawIOBase):
    """A GET's body as a blocking raw file: ``readinto`` fills the caller's buffer from the
    response stream on s3fs's loop; a dropped connection resumes where it stopped."""

    def __init__(self, store: S3ObjectStore, key: str, response: dict[str, Any]) -> None:
        super().__init__()
        self.store = store
        self.key = key
        self.response = response
        self.length = int(response.get("ContentLength") or 0)
        self.etag = response.get("ETag")
        self.position = 0

    def readable(self) -> bool:
        return True

    def read_all(self) -> bytes:
        async def read() -> bytes:
            return await self.response["Body"].read()

        data: bytes = self.store._sync(read)
        self.position = len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        # A stream cut off (aiohttp's ClientPayloadError, botocore's ResponseStreamingError),
        # a read timeout: what s3fs itself retries, and a connection dropped.
        from s3fs.core import S3_RETRYABLE_ERRORS

        view = memoryview(buffer).cast("B")
        start = self.position
        wanted = min(len(view), self.length - start)
        delay = 0.1
        for attempt in range(1, self.store.retries + 1):
            try:
                self.store._sync(self._fill, view[self.position - start:wanted])
                break
            except (*TRANSIENT_ERRORS, *S3_RETRYABLE_ERRORS) as e:
                if attempt == self.store.retries:
                    raise
                _log.warning("orch: reading %s failed at byte %d of %d (%s: %s); resuming "
                             "in %.1fs (attempt %d of %d)", self.store.uri(self.key),
                             self.position, self.length, type(e).__name__, e, delay,
                             attempt + 1, self.store.retries)
                time.sleep(delay)
                delay *= 2
                self._resume()
        return self.position - start

    async def _fill(self, view: memoryview) -> None:
        filled, body = 0, self.response["Body"]
        while filled < len(view):
            chunk = await body.read(min(len(view) - filled, 4 * MiB))
            if not chunk:
                raise ConnectionError(
                    f"the response ended after {self.position} of {self.length} bytes")
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
            self.position += len(chunk)

    def _resume(self) -> None:
        self.close_body()
        extra = {"IfMatch": self.etag} if self.etag else {}
        self.response = self.store._call(
            f"reading {self.store.uri(self.key)}", "get_object", Key=self.key,
            Range=f"bytes={self.position}-", **extra)

    def close_body(self) -> None:
        body = self.response.get("Body")

        async def close() -> None:  # aiohttp's response belongs to the loop's thread
            body.close()

        if body is not None:
            self.store._sync(close)

    def close(self) -> None:
        if not self.closed:
            self.close_body()
        super().close()
