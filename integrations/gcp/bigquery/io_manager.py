"""A BigQuery IO manager (dagster-gcp 0.15 has none): each output, a pandas DataFrame or a
pyarrow Table, is the table ``<dataset>.<step_key>__<output>`` (or the output's ``table``
metadata), replaced by each run; inputs load with ``SELECT *`` as DataFrames, or Arrow when
annotated ``pyarrow.Table``."""

from __future__ import annotations

import io
from typing import Any

from orch.core.config import Bool, Field, StringSource
from orch.core.definitions.events import AssetMaterialization
from orch.core.definitions.io_manager import IOManager, io_manager

from ..._tables import from_arrow, identifier, materialization, table_metadata, to_arrow
from .resources import make_client

_BQ_TYPES = (("bool", "BOOL"), ("int", "INT64"), ("uint", "INT64"), ("double", "FLOAT64"),
             ("float", "FLOAT64"), ("string", "STRING"), ("large_string", "STRING"),
             ("date32", "DATE"), ("timestamp", "TIMESTAMP"), ("decimal", "NUMERIC"))


def _field_type(arrow_type: Any) -> str:
    text = str(arrow_type)
    for prefix, bq_type in _BQ_TYPES:
        if text.startswith(prefix):
            return bq_type
    return "STRING"


class BigQueryIOManager(IOManager):
    def __init__(self, client: Any, dataset: str, asset_key_prefix: list[str] | None = None):
        self.client = client
        self.dataset = dataset
        self.asset_key_prefix = list(asset_key_prefix or [])

    def table_for(self, context: Any) -> str:
        name = (context.metadata or {}).get("table") or identifier(
            context.step_key, context.name, context.mapping_key or "")
        return f"{self.dataset}.{name}"

    def handle_output(self, context: Any, obj: Any) -> AssetMaterialization:
        import pyarrow.parquet as pq
        from google.cloud import bigquery

        arrow = to_arrow(obj, "bigquery_io_manager", context)
        table = self.table_for(context)
        schema = [bigquery.SchemaField(f.name, _field_type(f.type)) for f in arrow.schema]
        self.client.delete_table(table, not_found_ok=True)
        self.client.create_table(bigquery.Table(self._qualified(table), schema=schema))
        buffer = io.BytesIO()
        pq.write_table(arrow, buffer)
        size = buffer.tell()
        buffer.seek(0)
        job = bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.PARQUET,
                                     write_disposition="WRITE_TRUNCATE")
        self.client.load_table_from_file(buffer, table, job_config=job).result()
        return materialization(context, self.asset_key_prefix, {
            "table": table, **table_metadata(arrow), "bytes": size})

    def _qualified(self, table: str) -> str:
        return table if table.count(".") == 2 else f"{self.client.project}.{table}"

    def load_input(self, context: Any) -> Any:
        table = self.table_for(context.upstream_output)
        job = self.client.query(f"SELECT * FROM `{table}`")
        return from_arrow(job.to_arrow(create_bqstorage_client=False), context)


@io_manager(config_schema={
    "dataset": Field(StringSource, description="The dataset (or project.dataset) of the tables."),
    "project": Field(StringSource, is_required=False),
    "location": Field(StringSource, is_required=False),
    "api_endpoint": Field(StringSource, is_required=False),
    "anonymous": Field(Bool, is_required=False, default_value=False),
})
def bigquery_io_manager(init_context: Any) -> BigQueryIOManager:
    """Stores DataFrame/Arrow outputs as BigQuery tables; records rows, columns, schema and
    the bytes loaded."""
    config = init_context.resource_config or {}
    return BigQueryIOManager(make_client(config), config["dataset"])
