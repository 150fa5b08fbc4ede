"""Config schemas of dagster-gcp's BigQuery solids and resource (legacy
``dagster_gcp.bigquery.configs``), plus orch's endpoint keys on the resource."""

from __future__ import annotations

from typing import Any

from orch.core.config import Array, Bool, Field, Int, IntSource, String, StringSource

from .types import (
    BQCreateDisposition,
    BQEncoding,
    BQPriority,
    BQSchemaUpdateOption,
    BQSourceFormat,
    BQWriteDisposition,
)


def bq_resource_config() -> dict[str, Any]:
    return {
        "project": Field(StringSource, is_required=False,
                         description="Project ID the client acts on behalf of."),
        "location": Field(StringSource, is_required=False,
                          description="Default location for jobs / datasets / tables."),
        "api_endpoint": Field(StringSource, is_required=False,
                              description="orch: a BigQuery endpoint other than Google's "
                                          "(e.g. an emulator)."),
        "anonymous": Field(Bool, is_required=False, default_value=False,
                           description="orch: anonymous credentials (an emulator)."),
    }


def _shared() -> dict[str, Any]:
    return {
        "clustering_fields": Field([String], is_required=False),
        "create_disposition": Field(BQCreateDisposition, is_required=False),
        "destination_encryption_configuration": Field(StringSource, is_required=False,
                                                      description="A KMS key name."),
        "schema_update_options": Field([BQSchemaUpdateOption], is_required=False),
        "time_partitioning": Field({
            "expiration_ms": Field(IntSource, is_required=False),
            "field": Field(StringSource, is_required=False),
            "require_partition_filter": Field(Bool, is_required=False),
        }, is_required=False),
        "write_disposition": Field(BQWriteDisposition, is_required=False),
    }


def define_bigquery_query_config() -> dict[str, Any]:
    return {"query_job_config": {
        **_shared(),
        "allow_large_results": Field(Bool, is_required=False),
        "default_dataset": Field(StringSource, is_required=False),
        "destination": Field(StringSource, is_required=False),
        "dry_run": Field(Bool, is_required=False),
        "flatten_results": Field(Bool, is_required=False),
        "maximum_billing_tier": Field(Int, is_required=False),
        "maximum_bytes_billed": Field(Int, is_required=False),
        "priority": Field(BQPriority, is_required=False),
        "query_parameters": Field([String], is_required=False),
        "use_legacy_sql": Field(Bool, is_required=False),
        "use_query_cache": Field(Bool, is_required=False),
    }}


def define_bigquery_load_config() -> dict[str, Any]:
    return {
        "destination": Field(StringSource, description="The table to load into.",
                             is_required=True),
        "load_job_config": {
            **_shared(),
            "allow_jagged_rows": Field(Bool, is_required=False),
            "allow_quoted_newlines": Field(Bool, is_required=False),
            "autodetect": Field(Bool, is_required=False),
            "destination_table_description": Field(StringSource, is_required=False),
            "destination_table_friendly_name": Field(StringSource, is_required=False),
            "encoding": Field(BQEncoding, is_required=False),
            "field_delimiter": Field(StringSource, is_required=False),
            "ignore_unknown_values": Field(Bool, is_required=False),
            "max_bad_records": Field(Int, is_required=False),
            "null_marker": Field(StringSource, is_required=False),
            "quote_character": Field(StringSource, is_required=False),
            "schema": Field(Array(dict), description="Schema of the destination table.",
                            is_required=False),
            "skip_leading_rows": Field(Int, is_required=False),
            "source_format": Field(BQSourceFormat, is_required=False),
            "use_avro_logical_types": Field(Bool, is_required=False),
        },
    }


def define_bigquery_create_dataset_config() -> dict[str, Any]:
    return {"dataset": Field(StringSource, description="A dataset to create.", is_required=True),
            "exists_ok": Field(Bool, is_required=False,
                               description="Do not fail when the dataset exists.")}


def define_bigquery_delete_dataset_config() -> dict[str, Any]:
    return {"dataset": Field(StringSource, description="A dataset to delete.", is_required=True),
            "delete_contents": Field(Bool, is_required=False,
                                     description="Delete the dataset's tables too."),
            "not_found_ok": Field(Bool, is_required=False,
                                  description="Do not fail when the dataset is missing.")}
