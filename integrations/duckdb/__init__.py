"""A DuckDB IO manager: ``from orch.integrations.duckdb import duckdb_io_manager``.

Install with ``pip install 'orch[duckdb]'``. Each output (a pandas DataFrame or a pyarrow
Table) is a table ``<schema>.<step_key>__<output>`` in one DuckDB file, replaced by each run
(query it with any DuckDB client); in a partitioned run the table keeps one slice per
partition in its ``_partition`` column and a run replaces only its own. Inputs load as pandas
DataFrames, or as Arrow tables when annotated ``pyarrow.Table``.
"""

from .io_manager import DuckDBIOManager, duckdb_io_manager

__all__ = ["DuckDBIOManager", "duckdb_io_manager"]
