"""BigQuery (legacy ``dagster_gcp.bigquery``)."""

from .io_manager import BigQueryIOManager, bigquery_io_manager
from .resources import bigquery_resource
from .solids import (
    bq_create_dataset,
    bq_delete_dataset,
    bq_solid_for_queries,
    import_df_to_bq,
    import_file_to_bq,
    import_gcs_paths_to_bq,
)
from .types import BigQueryError

__all__ = [
    "BigQueryError",
    "BigQueryIOManager",
    "bigquery_io_manager",
    "bigquery_resource",
    "bq_create_dataset",
    "bq_delete_dataset",
    "bq_solid_for_queries",
    "import_df_to_bq",
    "import_file_to_bq",
    "import_gcs_paths_to_bq",
]
