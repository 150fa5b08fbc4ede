"""dagster-gcp's BigQuery solids: ``bq_solid_for_queries`` (named ``bq_solid_<sha1[:10]>``
of the queries), ``import_df_to_bq``, ``import_file_to_bq``, ``import_gcs_paths_to_bq``,
``bq_create_dataset`` and ``bq_delete_dataset``. Each needs the ``bigquery`` resource."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from orch.core.definitions.io_defs import InputDefinition, OutputDefinition
from orch.core.definitions.solid import solid
from orch.core.definitions.types import List, Nothing
from orch.core.errors import DagsterInvariantViolationError
from orch.integrations.pandas import DataFrame

from .configs import (
    define_bigquery_create_dataset_config,
    define_bigquery_delete_dataset_config,
    define_bigquery_load_config,
    define_bigquery_query_config,
)
from .types import checked_dataset, checked_table


def _preprocess(config: dict[str, Any]) -> dict[str, Any]:
    """The job config's values as google-cloud-bigquery's objects."""
    from google.cloud.bigquery.table import EncryptionConfiguration, TimePartitioning

    # A section left out is absent (time_partitioning is Field(..., is_required=False): no
    # implicit default); one given as {} becomes TimePartitioning() (DAY), as in dagster-gcp.
    config = {k: v for k, v in config.items() if v is not None}
    if config.get("destination_encryption_configuration") is not None:
        config["destination_encryption_configuration"] = EncryptionConfiguration(
            kms_key_name=config["destination_encryption_configuration"])
    if config.get("time_partitioning") is not None:
        config["time_partitioning"] = TimePartitioning(**config["time_partitioning"])
    if config.get("schema") is not None:
        from google.cloud.bigquery import SchemaField

        config["schema"] = [SchemaField.from_api_repr(field) for field in config["schema"]]
    return config


def bq_solid_for_queries(sql_queries: list[str]) -> Any:
    """A solid running each query and returning their results as DataFrames."""
    if not isinstance(sql_queries, list) or not all(isinstance(q, str) for q in sql_queries):
        raise DagsterInvariantViolationError(
            f"sql_queries must be a list of str, got {sql_queries!r}.")
    digest = hashlib.sha1()
    for query in sql_queries:
        digest.update(query.encode("utf-8"))

    @solid(name=f"bq_solid_{digest.hexdigest()[:10]}",
           input_defs=[InputDefinition("start", Nothing)],
           output_defs=[OutputDefinition(List[DataFrame])],
           config_schema=define_bigquery_query_config(), required_resource_keys={"bigquery"},
           tags={"kind": "sql", "sql": "\n".join(sql_queries)})
    def _bq_fn(context: Any) -> list[Any]:
        from google.cloud.bigquery.job import QueryJobConfig

        job_config = _preprocess(context.solid_config.get("query_job_config") or {})
        results = []
        for sql in sql_queries:
            cfg = QueryJobConfig(**job_config) if job_config else None
            context.log.info(f"executing query {sql} with config: "
                             f"{cfg.to_api_repr() if cfg else '(no config provided)'}")
            results.append(context.resources.bigquery.query(sql, job_config=cfg).to_dataframe(
                create_bqstorage_client=False))
        return results

    return _bq_fn


def _load(context: Any, source: Any, kind: str) -> None:
    from google.cloud.bigquery.job import LoadJobConfig

    destination = checked_table(context.solid_config["destination"])
    job_config = _preprocess(context.solid_config.get("load_job_config") or {})
    cfg = LoadJobConfig(**job_config) if job_config else None
    context.log.info(f"executing BQ load with config: "
                     f"{cfg.to_api_repr() if cfg else '(no config provided)'} for source "
                     f"{source if kind != 'df' else type(source).__name__}")
    client = context.resources.bigquery
    if kind == "df":
        load_dataframe(client, source, destination, cfg)
    elif kind == "file":
        with open(source, "rb") as f:
            client.load_table_from_file(f, destination, job_config=cfg).result()
    else:
        client.load_table_from_uri(source, destination, job_config=cfg).result()


def load_dataframe(client: Any, df: Any, destination: str, cfg: Any = None) -> Any:
    """What ``load_table_from_dataframe`` does (the frame as one parquet file, loaded), sent as
    a resumable upload: some endpoints (bqemulator) refuse the multipart one it uses."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from google.cloud.bigquery.job import LoadJobConfig, SourceFormat

    cfg = cfg or LoadJobConfig()
    cfg.source_format = SourceFormat.PARQUET
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buffer)
    buffer.seek(0)
    return client.load_table_from_file(buffer, destination, job_config=cfg).result()


_LOAD = {"config_schema": define_bigquery_load_config(), "required_resource_keys": {"bigquery"},
         "output_defs": [OutputDefinition(Nothing)]}


@solid(input_defs=[InputDefinition("paths", List[str])], **_LOAD)
def import_gcs_paths_to_bq(context: Any, paths: list[str]) -> None:
    _load(context, paths, "gcs")


@solid(input_defs=[InputDefinition("df", DataFrame)], **_LOAD)
def import_df_to_bq(context: Any, df: Any) -> None:
    _load(context, df, "df")


@solid(input_defs=[InputDefinition("path", str)], **_LOAD)
def import_file_to_bq(context: Any, path: str) -> None:
    _load(context, path, "file")


@solid(input_defs=[InputDefinition("start", Nothing)],
       config_schema=define_bigquery_create_dataset_config(),
       required_resource_keys={"bigquery"})
def bq_create_dataset(context: Any):  # output 'result', Any
    """BigQuery Create Dataset."""
    dataset = checked_dataset(context.solid_config["dataset"])
    context.log.info(f"executing BQ create_dataset for dataset {dataset}")
    context.resources.bigquery.create_dataset(dataset, context.solid_config.get("exists_ok"))


@solid(input_defs=[InputDefinition("start", Nothing)],
       config_schema=define_bigquery_delete_dataset_config(),
       required_resource_keys={"bigquery"})
def bq_delete_dataset(context: Any):  # output 'result', Any
    """BigQuery Delete Dataset."""
    dataset = checked_dataset(context.solid_config["dataset"])
    context.log.info(f"executing BQ delete_dataset for dataset {dataset}")
    context.resources.bigquery.delete_dataset(
        dataset, delete_contents=context.solid_config.get("delete_contents"),
        not_found_ok=context.solid_config.get("not_found_ok"))
