"""``adls2_resource`` and ``adls2_file_manager`` (legacy ``dagster_azure.adls2.resources``).

``context.resources.adls2`` has ``.adls2_client`` (a ``DataLakeServiceClient``) and
``.blob_client`` (a ``BlobServiceClient``), as in dagster-azure, plus ``account_url`` for an
endpoint other than ``<account>.blob.core.windows.net``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from orch.core.config import Field, Selector, StringSource
from orch.core.definitions.resource import resource

from ..blob.utils import AzureAccount, AzureBlobStore

ADLS2_CLIENT_CONFIG: dict[str, Field] = {
    "storage_account": Field(StringSource, description="The storage account name."),
    "credential": Field(
        Selector({
            "sas": Field(StringSource, description="SAS token for the account."),
            "key": Field(StringSource, description="Shared Access Key for the account"),
        }),
        description="The credentials with which to authenticate.",
    ),
    "account_url": Field(StringSource, is_required=False,
                         description="orch: the Blob endpoint, when it is not "
                         "https://<storage_account>.blob.core.windows.net (Azurite, a private "
                         "endpoint)."),
}


class ADLS2Resource:
    """Clients for the Data Lake and Blob APIs of one account (made on first use)."""

    def __init__(self, storage_account: str, credential: dict[str, str],
                 account_url: str | None = None) -> None:
        self.account = AzureAccount(storage_account, key=credential.get("key"),
                                    sas=credential.get("sas"), account_url=account_url)

    @cached_property
    def adls2_client(self) -> Any:
        return self.account.adls2_client()

    @cached_property
    def blob_client(self) -> Any:
        return self.account.blob_client()

    def store(self, file_system: str) -> AzureBlobStore:
        return AzureBlobStore(self.account, file_system)


def _resource_from_config(config: dict[str, Any]) -> ADLS2Resource:
    return ADLS2Resource(config["storage_account"], config["credential"],
                         config.get("account_url"))


@resource(ADLS2_CLIENT_CONFIG)
def adls2_resource(context: Any) -> ADLS2Resource:
    """Gives solids access to Azure Data Lake Storage Gen2 (and its Blob API)."""
    return _resource_from_config(context.resource_config)


@resource({**ADLS2_CLIENT_CONFIG,
           "adls2_file_system": Field(StringSource, description="ADLS Gen2 file system name"),
           "adls2_prefix": Field(StringSource, is_required=False, default_value="dagster")})
def adls2_file_manager(context: Any) -> Any:
    """FileManager that provides abstract access to ADLS2 (``<adls2_prefix>/<uuid>[.ext]``)."""
    from .file_manager import ADLS2FileManager

    config = context.resource_config
    return ADLS2FileManager(_resource_from_config(config), config["adls2_file_system"],
                            config["adls2_prefix"])
