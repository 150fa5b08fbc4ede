"""``GCSFileHandle`` and ``GCSFileManager`` (legacy ``dagster_gcp.gcs.file_manager``)."""

from __future__ import annotations

from typing import Any

from ...object_store import FileHandle, ObjectStoreFileManager
from .resources import gcs_store


class GCSFileHandle(FileHandle):
    """A reference to a file on GCS: only its bucket and key (picklable, machine-free)."""

    def __init__(self, gcs_bucket: str, gcs_key: str) -> None:
        if not isinstance(gcs_bucket, str) or not isinstance(gcs_key, str):
            raise TypeError("GCSFileHandle takes a bucket and a key, both str")
        self._gcs_bucket = gcs_bucket
        self._gcs_key = gcs_key

    @property
    def gcs_bucket(self) -> str:
        return self._gcs_bucket

    @property
    def gcs_key(self) -> str:
        return self._gcs_key

    @property
    def path_desc(self) -> str:
        return self.gcs_path

    @property
    def gcs_path(self) -> str:
        return f"gs://{self.gcs_bucket}/{self.gcs_key}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GCSFileHandle) and other.gcs_path == self.gcs_path

    def __hash__(self) -> int:
        return hash(self.gcs_path)

    def __repr__(self) -> str:
        return f"GCSFileHandle(gcs_bucket={self.gcs_bucket!r}, gcs_key={self.gcs_key!r})"


def _handle_key(handle: FileHandle) -> tuple[str, str] | None:
    return (handle.gcs_bucket, handle.gcs_key) if isinstance(handle, GCSFileHandle) else None


class GCSFileManager(ObjectStoreFileManager):
    """Writes ``<gcs_base_key>/<uuid4>[.<ext>]`` objects; reads any GCSFileHandle."""

    def __init__(self, client: Any, gcs_bucket: str, gcs_base_key: str) -> None:
        super().__init__(gcs_store(gcs_bucket, client), gcs_base_key, GCSFileHandle,
                         _handle_key)
        self._client = client

    def get_full_key(self, file_key: str) -> str:
        return f"{self.prefix}/{file_key}"
