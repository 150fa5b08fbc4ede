"""``adls2_pickle_io_manager`` (legacy ``dagster_azure.adls2.io_manager``): each output pickled
to ``<adls2_file_system>/<adls2_prefix>/storage/<run_id>/files/<step_key>/<output>`` (the
``files`` segment, as in dagster-azure), written through the Blob API of the ``adls2``
resource's account with one PUT (dagster-azure deleted the file, created it and uploaded under
a 60-second lease; a blob PUT replaces the object atomically, so no lease is needed)."""

from __future__ import annotations

from typing import Any

from orch.core.config import Field, StringSource
from orch.core.definitions.io_manager import io_manager
from orch.core.storage.paths import check_path_component

from ...object_store import PickledObjectStoreIOManager
from .resources import ADLS2Resource


class PickledObjectADLS2IOManager(PickledObjectStoreIOManager):
    """``adls2`` is the :class:`~.resources.ADLS2Resource` (dagster-azure took its two clients
    and a lease client constructor instead)."""

    def __init__(self, file_system: str, adls2: ADLS2Resource, prefix: str = "dagster") -> None:
        check_path_component(file_system, "adls2_file_system")
        super().__init__(adls2.store(file_system), prefix, files_segment=True, label="ADLS2")
        self.file_system = file_system
        self.adls2 = adls2
        self.store.check_bucket()


@io_manager(
    config_schema={
        "adls2_file_system": Field(StringSource, description="ADLS Gen2 file system name"),
        "adls2_prefix": Field(StringSource, is_required=False, default_value="dagster"),
    },
    required_resource_keys={"adls2"},
)
def adls2_pickle_io_manager(init_context: Any) -> PickledObjectADLS2IOManager:
    """Persistent IO manager using Azure Data Lake Storage Gen2 (pickles; needs ``adls2``)."""
    config = init_context.resource_config
    return PickledObjectADLS2IOManager(config["adls2_file_system"],
                                       init_context.resources.adls2,
                                       config.get("adls2_prefix") or "dagster")
