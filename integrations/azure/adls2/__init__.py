"""Azure Data Lake Storage Gen2 for orch (legacy ``dagster_azure.adls2``), on the Blob API."""

from .file_manager import ADLS2FileHandle, ADLS2FileManager
from .io_manager import PickledObjectADLS2IOManager, adls2_pickle_io_manager
from .resources import ADLS2_CLIENT_CONFIG, ADLS2Resource, adls2_file_manager, adls2_resource

__all__ = [
    "ADLS2_CLIENT_CONFIG",
    "ADLS2FileHandle",
    "ADLS2FileManager",
    "ADLS2Resource",
    "PickledObjectADLS2IOManager",
    "adls2_file_manager",
    "adls2_pickle_io_manager",
    "adls2_resource",
]
