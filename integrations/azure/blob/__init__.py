"""Azure Blob Storage for orch (legacy ``dagster_azure.blob``)."""

from .compute_log_manager import AzureBlobComputeLogManager
from .utils import AzureAccount, AzureBlobStore, create_blob_client

__all__ = ["AzureAccount", "AzureBlobComputeLogManager", "AzureBlobStore",
           "create_blob_client"]
