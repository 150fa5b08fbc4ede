"""Dataproc (legacy ``dagster_gcp.dataproc``): ``dataproc_resource`` and ``dataproc_solid``.
google-api-python-client is imported when the resource is made, not with this package."""

from .resources import DataprocResource, dataproc_resource
from .solids import DATAPROC_CONFIG_SCHEMA, dataproc_solid
from .types import DataprocError

__all__ = [
    "DATAPROC_CONFIG_SCHEMA",
    "DataprocError",
    "DataprocResource",
    "dataproc_resource",
    "dataproc_solid",
]
