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
from ...object_store.compute_logs import local_dir_from_config
from .resources import gcs_filesystem_spec

_KEYS = {"bucket", "local_dir", "prefix", "json_credentials_envvar", "project",
         "skip_empty_files"}


class GCSComputeLogManager(ObjectStoreComputeLogManager):
    legacy_modules = ("dagster_gcp.gcs.compute_log_manager",)

    @classmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, storage: Storage
                    ) -> GCSComputeLogManager:
        unknown = set(config) - _KEYS
        if unknown or not isinstance(config.get("bucket"), str):
            raise TypeError(
                "GCSComputeLogManager takes `bucket` (required) and "
                f"{', '.join(sorted(_KEYS - {'bucket'}))}"
                + (f"; unexpected {sorted(unknown)}" if unknown else ""))
        token = None
        variable = config.get("json_credentials_envvar")
        if variable:
            if variable not in os.environ:
                raise TypeError(f"json_credentials_envvar names {variable!r}, which is not set")
            token = json.loads(os.environ[variable])
        store = ObjectStore(gcs_filesystem_spec(config.get("project"), token=token),
                            config["bucket"], "gs")
        return cls(local_dir_from_config(config, root_dir), storage, store,
                   prefix=config.get("prefix", "dagster"),
                   skip_empty_files=config.get("skip_empty_files", False))
