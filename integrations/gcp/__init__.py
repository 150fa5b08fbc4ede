"""Google Cloud for orch (legacy ``dagster_gcp``): ``from dagster_gcp import bigquery_resource``
becomes ``from orch.integrations.gcp import bigquery_resource`` (or
``orch.integrations.gcp.bigquery``), and ``from dagster_gcp.gcs import X`` becomes
``from orch.integrations.gcp.gcs import X``.

Install with ``pip install 'orch[gcp]'``; google-cloud-bigquery (and, for Dataproc,
google-api-python-client) is imported when a client is made, not with this package.
"""

from .bigquery import (
    BigQueryError,
    bigquery_io_manager,
    bigquery_resource,
    bq_create_dataset,
    bq_delete_dataset,
    bq_solid_for_queries,
    import_df_to_bq,
    import_file_to_bq,
    import_gcs_paths_to_bq,
)
from .dataproc import DataprocError, dataproc_resource, dataproc_solid

__all__ = [
    "BigQueryError",
    "DataprocError",
    "bigquery_io_manager",
    "bigquery_resource",
    "bq_create_dataset",
    "bq_delete_dataset",
    "bq_solid_for_queries",
    "dataproc_resource",
    "dataproc_solid",
    "import_df_to_bq",
    "import_file_to_bq",
    "import_gcs_paths_to_bq",
]
