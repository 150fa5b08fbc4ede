"""``AzureBlobComputeLogManager`` (legacy ``dagster_azure.blob.compute_log_manager``): compute
logs captured locally and uploaded to ``<container>/<prefix>/storage/<run_id>/compute_logs/
<step_key>.out|.err`` when each step ends. ``orch.yaml``::

    compute_logs:
      name: azure_blob             # or module: dagster_azure.blob.compute_log_manager
      config:                      #    class: AzureBlobComputeLogManager
        storage_account: myaccount
        container: orch-logs
        secret_key: {env: AZURE_STORAGE_KEY}
        prefix: dagster            # default
        local_dir: logs            # default, relative to ORCH_HOME
        account_url: http://127.0.0.1:10000/myaccount   # orch: another endpoint (Azurite)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orch.core.storage.base import Storage

from ...object_store import ObjectStoreComputeLogManager
from .utils import AzureAccount, AzureBlobStore

_REQUIRED = ("storage_account", "container", "secret_key")


class AzureBlobComputeLogManager(ObjectStoreComputeLogManager):
    legacy_modules = ("dagster_azure.blob.compute_log_manager",)

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
                    ) -> AzureBlobComputeLogManager:
        cls.check_config(config, _REQUIRED, frozenset({"account_url"}))
        account = AzureAccount(config["storage_account"], key=config["secret_key"],
                               account_url=config.get("account_url"))
        manager: AzureBlobComputeLogManager = cls.with_store(
            config, root_dir, storage, AzureBlobStore(account, config["container"]))
        return manager
