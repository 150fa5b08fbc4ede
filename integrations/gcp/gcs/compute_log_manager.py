"""``GCSComputeLogManager`` (legacy ``dagster_gcp.gcs.compute_log_manager``): compute logs
captured locally and uploaded to ``gs://<bucket>/<prefix>/storage/<run_id>/compute_logs/
<step_key>.out|.err`` when each step ends. ``orch.yaml``::

    compute_logs:
      name: gcs                    # or module: dagster_gcp.gcs.compute_log_manager
      config:                      #    class: GCSComputeLogManager
        bucket: orch-logs
        prefix: dagster            # default
        local_dir: logs            # default, relative to ORCH_HOME
        project: my-project        # orch: the client's project (default: the environment's)

An emulator is reached through ``STORAGE_EMULATOR_HOST``. ``json_credentials_envvar`` (the
name of a variable holding a service account's JSON) is accepted and passed to gcsfs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from orch.core.storage.base import Storage

from ...object_store import ObjectStore, ObjectStoreComputeLogManager
from .resources import gcs_filesystem_spec

_OPTIONAL = frozenset({"json_credentials_envvar", "project"})


class GCSComputeLogManager(ObjectStoreComputeLogManager):
    legacy_modules = ("dagster_gcp.gcs.compute_log_manager",)

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
                    ) -> GCSComputeLogManager:
        cls.check_config(config, ("bucket",), _OPTIONAL)
        token = None
        variable = config.get("json_credentials_envvar")
        if variable:
            if variable not in os.environ:
                raise TypeError(f"json_credentials_envvar names {variable!r}, which is not set")
            token = json.loads(os.environ[variable])
        store = ObjectStore(gcs_filesystem_spec(config.get("project"), token=token),
                            config["bucket"], "gs")
        manager: GCSComputeLogManager = cls.with_store(config, root_dir, storage, store)
        return manager
