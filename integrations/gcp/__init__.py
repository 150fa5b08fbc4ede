"""Google Cloud for orch (legacy ``dagster_gcp``): ``from dagster_gcp.gcs import X`` becomes
``from orch.integrations.gcp.gcs import X``. Install with ``pip install 'orch[gcp]'``."""
