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
from .resources import S3Settings, s3_store

_OPTIONAL = frozenset({"use_ssl", "verify", "verify_cert_path", "endpoint_url", "region_name"})


class S3ComputeLogManager(ObjectStoreComputeLogManager):
    legacy_modules = ("dagster_aws.s3.compute_log_manager",)

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
                    ) -> S3ComputeLogManager:
        cls.check_config(config, ("bucket",), _OPTIONAL)
        verify = config.get("verify", True)
        settings = S3Settings(
            endpoint_url=config.get("endpoint_url"), region_name=config.get("region_name"),
            use_ssl=config.get("use_ssl", True),
            verify=config.get("verify_cert_path") if verify else False)
        manager: S3ComputeLogManager = cls.with_store(
            config, root_dir, storage, s3_store(config["bucket"], settings=settings))
        return manager
