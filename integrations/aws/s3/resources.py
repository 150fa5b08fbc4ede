"""``s3_resource`` and ``s3_file_manager`` (legacy ``dagster_aws.s3.resources``) and the one
place an S3 client and an :class:`~orch.integrations.object_store.ObjectStore` are built from
the same settings.

``context.resources.s3`` is a boto3 S3 client, as in dagster-aws, built from
``boto3.session.Session(profile_name).resource("s3", region_name, use_ssl=True, endpoint_url,
config=retries{max_attempts, mode: standard}).meta.client``. orch's S3 IO manager, file
manager, sensor helper and compute-log manager reach the same bucket through s3fs, with the
client's endpoint, region, signing and credentials (:func:`s3_store`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from orch.core.config import Field, StringSource
from orch.core.definitions.resource import resource

from ...object_store import FilesystemSpec, ObjectStore, ObjectStoreFileManager

S3_SESSION_CONFIG: dict[str, Field] = {
    "use_unsigned_session": Field(bool, is_required=False, default_value=False,
                                  description="Specifies whether to use an unsigned S3 session"),
    "region_name": Field(str, is_required=False,
                         description="Specifies a custom region for the S3 session"),
    "endpoint_url": Field(StringSource, is_required=False,
                          description="Specifies a custom endpoint for the S3 session"),
    "max_attempts": Field(int, is_required=False, default_value=5,
                          description="This provides Boto3's retry handler with a value of "
                          "maximum retry attempts, where the initial call counts toward the "
                          "max_attempts value that you provide"),
    "profile_name": Field(str, is_required=False,
                          description="Specifies a profile to connect that session"),
}


@dataclass(frozen=True)
class S3Settings:
    """Where and how to reach S3 (the resource's config, with None for the defaults)."""

    region_name: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 5
    profile_name: str | None = None
    use_unsigned_session: bool = False
    use_ssl: bool = True
    verify: bool | str | None = None
    credentials: tuple[str, str, str | None] | None = None  # only for a client built elsewhere

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> S3Settings:
        return cls(region_name=config.get("region_name"),
                   endpoint_url=config.get("endpoint_url"),
                   max_attempts=config.get("max_attempts", 5),
                   profile_name=config.get("profile_name"),
                   use_unsigned_session=config.get("use_unsigned_session", False))

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(profile_name=self.profile_name)
        client = session.resource(
            "s3", region_name=self.region_name, use_ssl=self.use_ssl,
            endpoint_url=self.endpoint_url, verify=self.verify,
            config=Config(retries={"max_attempts": self.max_attempts, "mode": "standard"}),
        ).meta.client
        if self.use_unsigned_session:
            from botocore.handlers import disable_signing

            client.meta.events.register("choose-signer.s3.*", disable_signing)
        _SETTINGS_OF[client] = self
        return client

    def filesystem_spec(self) -> FilesystemSpec:
        client_kwargs: dict[str, Any] = {}
        if self.region_name:
            client_kwargs["region_name"] = self.region_name
        if self.endpoint_url:
            client_kwargs["endpoint_url"] = self.endpoint_url
        if self.verify is not None:
            client_kwargs["verify"] = self.verify
        options: dict[str, Any] = {"client_kwargs": client_kwargs, "use_ssl": self.use_ssl,
                                   "use_listings_cache": False,
                                   "config_kwargs": {"retries": {
                                       "max_attempts": self.max_attempts, "mode": "standard"}}}
        if self.use_unsigned_session:
            options["anon"] = True
        elif self.credentials is not None:
            options["key"], options["secret"], options["token"] = self.credentials
        elif self.profile_name:
            options["profile"] = self.profile_name
        return FilesystemSpec("s3", options)


# The clients this module built -> their settings (weakly: a client can go away).
_SETTINGS_OF: weakref.WeakKeyDictionary[Any, S3Settings] = weakref.WeakKeyDictionary()


def settings_of(client: Any) -> S3Settings:
    """The settings a boto3 S3 client was built with: remembered for the clients
    :meth:`S3Settings.client` made, read from ``client.meta`` for any other."""
    known = _SETTINGS_OF.get(client)
    if known is not None:
        return known
    meta = getattr(client, "meta", None)
    endpoint = getattr(meta, "endpoint_url", None)
    if endpoint and endpoint.rstrip("/").endswith("amazonaws.com"):
        endpoint = None  # the default endpoint of its region
    signature = getattr(getattr(meta, "config", None), "signature_version", None)
    return S3Settings(region_name=getattr(meta, "region_name", None), endpoint_url=endpoint,
                      use_unsigned_session=str(signature).endswith("UNSIGNED"),
                      credentials=_frozen_credentials(client))


def _frozen_credentials(client: Any) -> tuple[str, str, str | None] | None:
    """The key, secret and token a client someone else built signs with (botocore keeps them
    on its request signer; there is no public accessor)."""
    creds = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    if creds is None:
        return None
    frozen = creds.get_frozen_credentials()
    return frozen.access_key, frozen.secret_key, frozen.token


def s3_store(bucket: str, client: Any = None, settings: S3Settings | None = None
             ) -> ObjectStore:
    """``bucket`` as an object store, reached as ``client`` (or ``settings``) reaches S3 (an
    :class:`~.store.S3ObjectStore`: large objects are written and read in parts)."""
    chosen = settings or (settings_of(client) if client is not None else S3Settings())
    from .store import S3ObjectStore

    return S3ObjectStore(chosen.filesystem_spec(), bucket, "s3")


@resource(S3_SESSION_CONFIG)
def s3_resource(context: Any) -> Any:
    """A boto3 S3 client: ``context.resources.s3.list_objects_v2(Bucket=..., Prefix=...)``.
    ``endpoint_url`` reaches an S3-compatible server (MinIO, SeaweedFS, Ceph)."""
    return S3Settings.from_config(context.resource_config or {}).client()


@resource({**S3_SESSION_CONFIG,
           "s3_bucket": Field(StringSource),
           "s3_prefix": Field(StringSource, is_required=False, default_value="dagster")})
def s3_file_manager(context: Any) -> ObjectStoreFileManager:
    """FileManager that provides abstract access to S3 (``<s3_prefix>/<uuid>[.ext]``)."""
    from .file_manager import S3FileManager

    config = context.resource_config
    settings = S3Settings.from_config(config)
    return S3FileManager(settings.client(), config["s3_bucket"], config["s3_prefix"])
