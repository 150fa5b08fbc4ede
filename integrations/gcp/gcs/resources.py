"""``gcs_resource`` and ``gcs_file_manager`` (legacy ``dagster_gcp.gcs.resources``), and the
one place a GCS client and an :class:`~orch.integrations.object_store.ObjectStore` on the same
project and endpoint are made.

``context.resources.gcs`` is a ``google.cloud.storage.Client(project=...)``, as in dagster-gcp;
like it, it honours ``STORAGE_EMULATOR_HOST`` (an emulator such as fake-gcs-server). The IO
manager, file manager and compute-log manager reach the same bucket through gcsfs's plain
``GCSFileSystem`` (not the experimental one that probes the bucket type over gRPC, which an
emulator never answers).
"""

from __future__ import annotations

import os
from typing import Any

from orch.core.config import Field, Noneable, StringSource
from orch.core.definitions.resource import resource

from ...object_store import FilesystemSpec, ObjectStore

GCS_CLIENT_CONFIG: dict[str, Field] = {
    "project": Field(Noneable(StringSource), is_required=False, description="Project name"),
}
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
_PUBLIC_ENDPOINT = "https://storage.googleapis.com"


def gcs_client(project: str | None = None) -> Any:
    from google.cloud import storage

    return storage.Client(project=project)


def gcs_filesystem_spec(project: str | None = None, endpoint_url: str | None = None,
                        anonymous: bool | None = None, token: Any = None) -> FilesystemSpec:
    """gcsfs on ``project`` at ``endpoint_url`` (default: ``STORAGE_EMULATOR_HOST`` if set,
    else Google's); anonymous against an emulator, else ``token`` (service account info) or
    Google's default credentials."""
    endpoint = endpoint_url or os.environ.get(EMULATOR_ENV) or None
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        endpoint = f"http://{endpoint}"
    anon = anonymous if anonymous is not None else endpoint is not None
    options: dict[str, Any] = {"project": project, "endpoint_url": endpoint,
                               "token": "anon" if anon and token is None else token}
    return FilesystemSpec("gcs", {k: v for k, v in options.items() if v is not None},
                          modified_field="updated", cls_path="gcsfs.core:GCSFileSystem")


def gcs_store(bucket: str, client: Any = None) -> ObjectStore:
    """``bucket`` as an object store, on the project and endpoint of ``client`` (a
    google-cloud-storage client) or of the environment."""
    project = None
    endpoint = None
    anonymous = None
    if client is not None:
        project = getattr(client, "project", None)
        if project == "<none>":  # what the client calls no project
            project = None
        base = getattr(getattr(client, "_connection", None), "API_BASE_URL", None)
        endpoint = base if base and base.rstrip("/") != _PUBLIC_ENDPOINT else None
        creds = getattr(client, "_credentials", None)
        anonymous = type(creds).__name__ == "AnonymousCredentials"
    return ObjectStore(gcs_filesystem_spec(project, endpoint, anonymous), bucket, "gs")


@resource(GCS_CLIENT_CONFIG, description="This resource provides a GCS client")
def gcs_resource(init_context: Any) -> Any:
    return gcs_client((init_context.resource_config or {}).get("project"))


@resource({**GCS_CLIENT_CONFIG,
           "gcs_bucket": Field(StringSource),
           "gcs_prefix": Field(StringSource, is_required=False, default_value="dagster")})
def gcs_file_manager(context: Any) -> Any:
    """FileManager that provides abstract access to GCS (``<gcs_prefix>/<uuid>[.ext]``)."""
    from .file_manager import GCSFileManager

    config = context.resource_config
    return GCSFileManager(gcs_client(config.get("project")), config["gcs_bucket"],
                          config["gcs_prefix"])
