"""``S3FileHandle`` and ``S3FileManager`` (legacy ``dagster_aws.s3.file_manager``)."""

from __future__ import annotations

from typing import Any

from ...object_store import FileHandle, ObjectStoreFileManager
from .resources import s3_store


class S3FileHandle(FileHandle):
    """A reference to a file on S3: only its bucket and key (picklable, machine-free)."""

    def __init__(self, s3_bucket: str, s3_key: str) -> None:
        if not isinstance(s3_bucket, str) or not isinstance(s3_key, str):
            raise TypeError("S3FileHandle takes a bucket and a key, both str")
        self._s3_bucket = s3_bucket
        self._s3_key = s3_key

    @property
    def s3_bucket(self) -> str:
        return self._s3_bucket

    @property
    def s3_key(self) -> str:
        return self._s3_key

    @property
    def path_desc(self) -> str:
        return self.s3_path

    @property
    def s3_path(self) -> str:
        return f"s3://{self.s3_bucket}/{self.s3_key}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3FileHandle) and other.s3_path == self.s3_path

    def __hash__(self) -> int:
        return hash(self.s3_path)

    def __repr__(self) -> str:
        return f"S3FileHandle(s3_bucket={self.s3_bucket!r}, s3_key={self.s3_key!r})"


def _handle_key(handle: FileHandle) -> tuple[str, str] | None:
    return (handle.s3_bucket, handle.s3_key) if isinstance(handle, S3FileHandle) else None


class S3FileManager(ObjectStoreFileManager):
    """Writes ``<s3_base_key>/<uuid4>[.<ext>]`` objects; reads any S3FileHandle."""

    def __init__(self, s3_session: Any, s3_bucket: str, s3_base_key: str) -> None:
        super().__init__(s3_store(s3_bucket, s3_session), s3_base_key, S3FileHandle,
                         _handle_key)
        self._s3_session = s3_session

    def get_full_key(self, file_key: str) -> str:
        return f"{self.prefix}/{file_key}"
