"""``bigquery_resource`` (legacy ``dagster_gcp.bigquery.resources``): the resource is a
``google.cloud.bigquery.Client``. orch adds ``api_endpoint`` and ``anonymous`` to reach an
endpoint other than Google's (the tests use bqemulator)."""

from __future__ import annotations

from typing import Any

from orch.core.definitions.resource import resource

from .configs import bq_resource_config


def make_client(config: dict[str, Any]) -> Any:
    from google.cloud import bigquery

    kwargs = {k: config[k] for k in ("project", "location") if config.get(k) is not None}
    if config.get("api_endpoint"):
        from google.api_core.client_options import ClientOptions

        kwargs["client_options"] = ClientOptions(api_endpoint=config["api_endpoint"])
    if config.get("anonymous"):
        from google.auth.credentials import AnonymousCredentials

        kwargs["credentials"] = AnonymousCredentials()
    return bigquery.Client(**kwargs)


@resource(config_schema=bq_resource_config(),
          description="Dagster resource for connecting to BigQuery")
def bigquery_resource(context: Any) -> Any:
    """``context.resources.bigquery`` is a ``google.cloud.bigquery.Client``."""
    return make_client(context.resource_config or {})
