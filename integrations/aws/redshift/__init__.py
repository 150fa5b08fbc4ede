"""Redshift (legacy ``dagster_aws.redshift``): install with ``pip install 'orch[redshift]'``;
psycopg2 is imported when a query runs."""

from .resources import (
    FakeRedshiftResource,
    RedshiftError,
    RedshiftResource,
    define_redshift_config,
    fake_redshift_resource,
    redshift_resource,
)

__all__ = [
    "FakeRedshiftResource",
    "RedshiftError",
    "RedshiftResource",
    "define_redshift_config",
    "fake_redshift_resource",
    "redshift_resource",
]
