"""GCS for orch (legacy ``dagster_gcp.gcs``): ``from dagster_gcp.gcs import X`` becomes
``from orch.integrations.gcp.gcs import X``.

Install with ``pip install 'orch[gcp]'`` (google-cloud-storage, gcsfs); they are imported when
a client or a store is first used. Objects go through the shared fsspec layer
(:mod:`orch.integrations.object_store`).
"""

from .compute_log_manager import GCSComputeLogManager
from .file_manager import GCSFileHandle, GCSFileManager
from .io_manager import PickledObjectGCSIOManager, gcs_pickle_io_manager
from .resources import GCS_CLIENT_CONFIG, gcs_file_manager, gcs_resource, gcs_store

__all__ = [
    "GCS_CLIENT_CONFIG",
    "GCSComputeLogManager",
    "GCSFileHandle",
    "GCSFileManager",
    "PickledObjectGCSIOManager",
    "gcs_file_manager",
    "gcs_pickle_io_manager",
    "gcs_resource",
    "gcs_store",
]
