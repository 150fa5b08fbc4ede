"""One object-store core for the three clouds (``orch.integrations.aws.s3``, ``.gcp.gcs``,
``.azure``): an fsspec bucket (:class:`ObjectStore`: s3fs, gcsfs or adlfs underneath), the
pickle IO manager with the legacy key layouts, file handles and managers, and compute logs
uploaded to the store. Each cloud package adds only its filesystem's settings and its legacy
names. fsspec and the cloud's filesystem package are imported when a store is first used.
"""

from .compute_logs import ObjectStoreComputeLogManager
from .file_manager import (
    FileHandle,
    FileManager,
    LocalFileHandle,
    LocalFileManager,
    ObjectStoreFileManager,
)
from .io_manager import PickledObjectStoreIOManager, check_prefix
from .store import FilesystemSpec, ObjectInfo, ObjectStore, ObjectStoreError, join_key

__all__ = [
    "FileHandle",
    "FileManager",
    "FilesystemSpec",
    "LocalFileHandle",
    "LocalFileManager",
    "ObjectInfo",
    "ObjectStore",
    "ObjectStoreComputeLogManager",
    "ObjectStoreError",
    "ObjectStoreFileManager",
    "PickledObjectStoreIOManager",
    "check_prefix",
    "join_key",
]
