"""``S3ComputeLogManager`` (legacy ``dagster_aws.s3.compute_log_manager``): compute logs
captured locally and uploaded to ``s3://<bucket>/<prefix>/storage/<run_id>/compute_logs/
<step_key>.out|.err`` when each step ends (see
:mod:`orch.integrations.object_store.compute_logs` for reads). In ``orch.yaml``::

    compute_logs:
      name: s3                     # or module: orch.integrations.aws.s3.compute_log_manager
      config:                      #    class: S3ComputeLogManager
        bucket: orch-logs
        endpoint_url: http://127.0.0.1:9000
        prefix: dagster            # default
        local_dir: logs            # default, relative to ORCH_HOME
        skip_empty_files: false

The legacy ``module: dagster_aws.s3.compute_log_manager`` names this class too. Credentials
come from boto3's chain (environment, profile, instance role).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orch.core.storage.base import Storage

from ...object_store import ObjectStoreComputeLogManager
from ...object_store.compute_logs import local_dir_from_config
from .resources import S3Settings, s3_store

_KEYS = {"bucket", "local_dir", "prefix", "use_ssl", "verify", "verify_cert_path",
         "endpoint_url", "skip_empty_files", "region_name"}


class S3ComputeLogManager(ObjectStoreComputeLogManager):
    legacy_modules = ("dagster_aws.s3.compute_log_manager",)

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
                    ) -> S3ComputeLogManager:
        unknown = set(config) - _KEYS
        if unknown or not isinstance(config.get("bucket"), str):
            raise TypeError(
                "S3ComputeLogManager takes `bucket` (required) and "
                f"{', '.join(sorted(_KEYS - {'bucket'}))}"
                + (f"; unexpected {sorted(unknown)}" if unknown else ""))
        verify = config.get("verify", True)
        settings = S3Settings(
            endpoint_url=config.get("endpoint_url"), region_name=config.get("region_name"),
            use_ssl=config.get("use_ssl", True),
            verify=config.get("verify_cert_path") if verify else False)
        return cls(local_dir_from_config(config, root_dir), storage,
                   s3_store(config["bucket"], settings=settings),
                   prefix=config.get("prefix", "dagster"),
                   skip_empty_files=config.get("skip_empty_files", False))
