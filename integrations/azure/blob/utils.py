"""The one place Azure Blob clients and object stores are made from an account's settings.

dagster-azure hard-codes ``https://<account>.blob.core.windows.net/``; orch takes an
``account_url`` override (an emulator such as Azurite, ``http://127.0.0.1:10000/<account>``,
or a private endpoint). Objects go through adlfs (the Blob API), also for the ADLS2 IO
manager: Azurite has no DFS endpoint, and a Gen2 account serves the same data as blobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...object_store import FilesystemSpec, ObjectStore


@dataclass(frozen=True)
class AzureAccount:
    """A storage account and how to authenticate: a shared key or a SAS token."""

    name: str
    key: str | None = None
    sas: str | None = None
    account_url: str | None = None

    @property
    def blob_url(self) -> str:
        return (self.account_url or f"https://{self.name}.blob.core.windows.net").rstrip("/")

    @property
    def dfs_url(self) -> str:
        if self.account_url:
            return self.account_url.replace(".blob.", ".dfs.").rstrip("/")
        return f"https://{self.name}.dfs.core.windows.net"

    @property
    def credential(self) -> str | None:
        return self.key if self.key is not None else self.sas

    def connection_string(self) -> str:
        scheme = self.blob_url.split("://", 1)[0]
        parts = [f"DefaultEndpointsProtocol={scheme}", f"AccountName={self.name}"]
        if self.key is not None:
            parts.append(f"AccountKey={self.key}")
        parts.append(f"BlobEndpoint={self.blob_url}/")
        if self.key is None and self.sas is not None:
            parts.append(f"SharedAccessSignature={self.sas.lstrip('?')}")
        return ";".join(parts) + ";"

    def blob_client(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(self.blob_url, credential=self.credential)

    def adls2_client(self) -> Any:
        from azure.storage.filedatalake import DataLakeServiceClient

        return DataLakeServiceClient(self.dfs_url, credential=self.credential)

    def filesystem_spec(self) -> FilesystemSpec:
        return FilesystemSpec("abfs", {"connection_string": self.connection_string()},
                              modified_field="last_modified")


class AzureBlobStore(ObjectStore):
    """A container as an object store; URIs in dagster-azure's ``abfss://`` form."""

    def __init__(self, account: AzureAccount, container: str, **kwargs: Any) -> None:
        super().__init__(account.filesystem_spec(), container, "abfss", **kwargs)
        self.account_name = account.name

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "account_name": self.account_name}

    def uri(self, key: str) -> str:
        return f"abfss://{self.bucket}@{self.account_name}.dfs.core.windows.net/{key}"


def create_blob_client(storage_account: str, credential: Any,
                       account_url: str | None = None) -> Any:
    """A ``BlobServiceClient`` (legacy ``dagster_azure.blob.utils.create_blob_client``)."""
    key = getattr(credential, "account_key", credential)
    return AzureAccount(storage_account, key=key, account_url=account_url).blob_client()
