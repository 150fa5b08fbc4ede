"""A parquet IO manager (pyarrow): ``from orch.integrations.parquet import parquet_io_manager``.

Install with ``pip install 'orch[parquet]'``. Each output (a pandas DataFrame or a pyarrow
Table) is one parquet file: ``<base_dir>/<run_id>/<step_key>/<output>.parquet``, or, in a
partitioned run, ``<base_dir>/<pipeline>/<step_key>/<output>/<partition>.parquet`` (one file
per partition, replaced when that partition runs again). Inputs load as pandas DataFrames, or
as Arrow tables when annotated ``pyarrow.Table``.
"""

from .io_manager import ParquetIOManager, parquet_io_manager

__all__ = ["ParquetIOManager", "parquet_io_manager"]
