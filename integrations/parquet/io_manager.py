"""The parquet IO manager: one file per step output, written atomically, private (0600)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orch.core.config import Array, Field, StringSource
from orch.core.definitions.events import AssetMaterialization
from orch.core.definitions.io_manager import IOManager, io_manager
from orch.core.errors import DagsterInvariantViolationError
from orch.core.storage.paths import FILE_MODE, contained, make_private_dir

from .._tables import from_arrow, materialization, table_metadata, to_arrow


class ParquetIOManager(IOManager):
    """Stores DataFrames and Arrow tables as parquet files under ``base_dir``."""

    def __init__(self, base_dir: str | os.PathLike, compression: str = "snappy",
                 asset_key_prefix: list[str] | None = None):
        self.base_dir = Path(base_dir)
        self.compression = compression
        self.asset_key_prefix = list(asset_key_prefix or [])

    def path_for(self, context: Any) -> Path:
        """Where an output lives (``context`` is the output's, or an input's upstream)."""
        if context.partition_key is not None:  # a dataset per pipeline, a file per partition
            parts = [context.pipeline_name, context.step_key, context.name]
            leaf = context.partition_key
            parts += [context.mapping_key] if context.mapping_key else []
        else:  # run-scoped, as fs_io_manager
            parts = [context.run_id, context.step_key]
            leaf = context.name
            if context.mapping_key:
                parts, leaf = [*parts, context.name], context.mapping_key
        parts.append(f"{leaf}.parquet")
        return contained(self.base_dir, *parts)

    def handle_output(self, context: Any, obj: Any) -> AssetMaterialization:
        import pyarrow.parquet as pq

        table = to_arrow(obj, "parquet_io_manager", context)
        path = self.path_for(context)
        make_private_dir(path.parent)
        tmp = path.with_name(path.name + ".tmp")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as f:
            pq.write_table(table, f, compression=self.compression)
        os.replace(tmp, path)  # readers never see a half-written file
        if context.log is not None:
            context.log.debug(f"Wrote {table.num_rows} rows to {path}")
        return materialization(context, self.asset_key_prefix, {
            "path": str(path), **table_metadata(table), "bytes": path.stat().st_size})

    def load_input(self, context: Any) -> Any:
        import pyarrow.parquet as pq

        up = context.upstream_output
        path = self.path_for(up)
        if not path.exists():
            raise DagsterInvariantViolationError(
                f'No stored output "{up.name}" of step "{up.step_key}" from run {up.run_id} '
                f"at {path}.")
        return from_arrow(pq.read_table(path), context)


@io_manager(config_schema={
    "base_dir": Field(StringSource, is_required=False,
                      description="Default: the instance's storage directory /parquet."),
    "compression": Field(StringSource, is_required=False, default_value="snappy",
                         description="snappy, zstd, gzip, lz4, brotli or none."),
    "asset_key_prefix": Field(Array(str), is_required=False, default_value=[]),
})
def parquet_io_manager(init_context: Any) -> ParquetIOManager:
    """Stores DataFrame/Arrow outputs as parquet files, partition-aware; records rows,
    columns, schema and bytes."""
    config = init_context.resource_config or {}
    base_dir = config.get("base_dir") or Path(init_context.instance.storage_dir) / "parquet"
    return ParquetIOManager(base_dir, config.get("compression", "snappy"),
                            config.get("asset_key_prefix"))
