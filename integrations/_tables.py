"""What the table IO managers (parquet, DuckDB, warehouses) share: which values they store,
how a value becomes an Arrow table, how an input asks for Arrow instead of pandas, and the
metadata each records about a stored output. pyarrow is imported by the calls, not here."""

from __future__ import annotations

import re
import sys
from typing import Any

from orch.core.definitions.events import AssetKey, AssetMaterialization
from orch.core.errors import DagsterInvariantViolationError


def is_arrow_table(value: Any) -> bool:
    pyarrow = sys.modules.get("pyarrow")
    return pyarrow is not None and isinstance(value, pyarrow.Table)


def to_arrow(value: Any, manager: str, context: Any) -> Any:
    """The output as a ``pyarrow.Table`` (a pandas DataFrame is converted, keeping a
    non-default index); anything else is refused, naming the step and output."""
    from orch.integrations.pandas.data_frame import is_dataframe

    if is_arrow_table(value):
        return value
    if is_dataframe(value):
        import pyarrow as pa

        return pa.Table.from_pandas(value)
    kind = type(value)
    raise DagsterInvariantViolationError(
        f'Output "{context.name}" of step "{context.step_key}" is a '
        f"{kind.__module__}.{kind.__qualname__}: {manager} stores pandas DataFrames and "
        "pyarrow Tables. Give this output another IO manager (io_manager_key).")


def wants_arrow(context: Any) -> bool:
    """An input annotated ``pyarrow.Table`` (or with ``metadata={"format": "arrow"}``) is
    loaded as Arrow; every other input as a pandas DataFrame."""
    if (context.metadata or {}).get("format") == "arrow":
        return True
    python_type = getattr(context.dagster_type, "python_type", None)
    return getattr(python_type, "__module__", "").startswith("pyarrow") and \
        getattr(python_type, "__name__", "") == "Table"


def from_arrow(table: Any, context: Any) -> Any:
    return table if wants_arrow(context) else table.to_pandas()


def table_metadata(table: Any) -> dict[str, Any]:
    """Rows, column count and the Arrow schema of a stored table."""
    return {"rows": table.num_rows, "columns": table.num_columns,
            "schema": {field.name: str(field.type) for field in table.schema}}


def output_asset_key(context: Any, prefix: list[str]) -> AssetKey:
    parts = [*prefix, context.step_key, context.name]
    return AssetKey(parts + [context.mapping_key] if context.mapping_key else parts)


def materialization(context: Any, prefix: list[str],
                    metadata: dict[str, Any]) -> AssetMaterialization:
    """What ``handle_output`` returns: the stored output's metadata goes on its
    HANDLED_OUTPUT event and on this ASSET_MATERIALIZATION (keyed ``[*prefix, step, output]``,
    with the run's partition), as Dagster 0.15 does with a returned materialization."""
    context.add_output_metadata(metadata)
    return AssetMaterialization(output_asset_key(context, prefix), partition=context.partition_key)


_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def identifier(*parts: str) -> str:
    """A SQL identifier (letters, digits, underscores) from a step key and output name:
    ``clean.orders[x]`` + ``result`` -> ``clean_orders_x___result``."""
    return "__".join(_UNSAFE.sub("_", part) for part in parts if part)
