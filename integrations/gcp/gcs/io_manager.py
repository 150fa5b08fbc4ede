"""``gcs_pickle_io_manager`` (legacy ``dagster_gcp.gcs.io_manager``): each output pickled to
``gs://<gcs_bucket>/<gcs_prefix>/storage/<run_id>/files/<step_key>/<output>`` (dagster-gcp's
``files`` segment) through the ``gcs`` resource's project and endpoint."""

from __future__ import annotations

from typing import Any

from orch.core.config import Field, StringSource
from orch.core.definitions.io_manager import io_manager
from orch.core.storage.paths import check_path_component

from ...object_store import PickledObjectStoreIOManager
from .resources import gcs_store


class PickledObjectGCSIOManager(PickledObjectStoreIOManager):
    def __init__(self, bucket: str, client: Any = None, prefix: str = "dagster") -> None:
        check_path_component(bucket, "gcs_bucket")
        super().__init__(gcs_store(bucket, client), prefix, files_segment=True, label="GCS")
        self.bucket = bucket
        self.client = client
        self.store.check_bucket()


@io_manager(
    config_schema={
        "gcs_bucket": Field(StringSource),
        "gcs_prefix": Field(StringSource, is_required=False, default_value="dagster"),
    },
    required_resource_keys={"gcs"},
)
def gcs_pickle_io_manager(init_context: Any) -> PickledObjectGCSIOManager:
    """Persistent IO manager using GCS for storage (pickles; needs the ``gcs`` resource)."""
    config = init_context.resource_config
    return PickledObjectGCSIOManager(config["gcs_bucket"], init_context.resources.gcs,
                                     config.get("gcs_prefix") or "dagster")
