"""S3 for orch (legacy ``dagster_aws.s3``): ``from dagster_aws.s3 import X`` becomes
``from orch.integrations.aws.s3 import X``.

Install with ``pip install 'orch[aws]'`` (boto3, s3fs); they are imported when a client or a
store is first used, not with this package. Objects go through the shared fsspec layer
(:mod:`orch.integrations.object_store`).
"""

from .compute_log_manager import S3ComputeLogManager
from .file_manager import S3FileHandle, S3FileManager
from .io_manager import PickledObjectS3IOManager, s3_pickle_io_manager
from .resources import S3_SESSION_CONFIG, S3Settings, s3_file_manager, s3_resource, s3_store
from .sensor import get_s3_keys
from .solids import S3Coordinate, file_handle_to_s3

__all__ = [
    "S3_SESSION_CONFIG",
    "PickledObjectS3IOManager",
    "S3ComputeLogManager",
    "S3Coordinate",
    "S3FileHandle",
    "S3FileManager",
    "S3Settings",
    "file_handle_to_s3",
    "get_s3_keys",
    "s3_file_manager",
    "s3_pickle_io_manager",
    "s3_resource",
    "s3_store",
]
