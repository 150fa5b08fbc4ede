"""The pandas DataFrame Dagster type and typed DataFrame types with column constraints
(legacy ``dagster_pandas.data_frame``).

``DataFrame`` checks that a value is a ``pandas.DataFrame`` and records its row count and
columns; its input config reads csv/parquet/table/pickle files and its output config writes
them. :func:`create_dagster_pandas_dataframe_type` builds a type whose check also runs
:class:`PandasColumn` and DataFrame constraints and fails with the first violation's text.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from orch.core.config import Field, Selector, StringSource
from orch.core.definitions.events import AssetMaterialization, TypeCheck
from orch.core.definitions.metadata import MetadataEntry, normalize_metadata
from orch.core.definitions.types import (
    DagsterType,
    DagsterTypeLoader,
    DagsterTypeMaterializer,
    dagster_type_loader,
    dagster_type_materializer,
)
from orch.core.errors import DagsterInvalidMetadata, DagsterInvariantViolationError

from .constraints import (
    ColumnDTypeFnConstraint,
    ColumnDTypeInSetConstraint,
    Constraint,
    ConstraintViolationException,
    DataFrameConstraint,
)
from .validation import PandasColumn, validate_constraints


def _file_config() -> Selector:
    return Selector({
        "csv": {"path": StringSource,
                "sep": Field(StringSource, is_required=False, default_value=",")},
        "parquet": {"path": StringSource},
        "table": {"path": StringSource},
        "pickle": {"path": StringSource},
    })


@dagster_type_materializer(_file_config())
def dataframe_materializer(_context: Any, config: dict[str, Any], pandas_df: Any) -> Any:
    """``outputs: [{result: {csv: {path: out.csv}}}]``: write the DataFrame there."""
    (file_type, options), = config.items()
    path = options["path"]
    if file_type == "csv":
        pandas_df.to_csv(path, index=False, **{k: v for k, v in options.items() if k != "path"})
    elif file_type == "parquet":
        pandas_df.to_parquet(path)
    elif file_type == "table":
        pandas_df.to_csv(path, sep="\t", index=False)
    else:
        pandas_df.to_pickle(path)
    return AssetMaterialization.file(path)


@dagster_type_loader(_file_config())
def dataframe_loader(_context: Any, config: dict[str, Any]) -> Any:
    """``inputs: {df: {csv: {path: in.csv}}}``: read the DataFrame from there."""
    import pandas as pd

    (file_type, options), = config.items()
    path = options["path"]
    if file_type == "csv":
        return pd.read_csv(path, **{k: v for k, v in options.items() if k != "path"})
    if file_type == "parquet":
        return pd.read_parquet(path)
    if file_type == "table":
        return pd.read_csv(path, sep="\t")
    return pd.read_pickle(path)


def is_dataframe(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas to say no)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def _df_type_check(_context: Any, value: Any) -> TypeCheck:
    if not is_dataframe(value):
        return TypeCheck(success=False)
    return TypeCheck(success=True, metadata_entries=[
        MetadataEntry("row_count", value=str(len(value))),
        MetadataEntry("metadata", value={"columns": [str(c) for c in value.columns]}),
    ])


DataFrame = DagsterType(
    name="PandasDataFrame",
    description="""Two-dimensional size-mutable, potentially heterogeneous
    tabular data structure with labeled axes (rows and columns).
    See http://pandas.pydata.org/""",
    loader=dataframe_loader,
    materializer=dataframe_materializer,
    type_check_fn=_df_type_check,
)

_DTYPE_CONSTRAINTS = (ColumnDTypeFnConstraint, ColumnDTypeInSetConstraint)


def _column_header(column: PandasColumn) -> str:
    header = f"**{column.name}**"
    for constraint in column.constraints:
        if isinstance(constraint, ColumnDTypeInSetConstraint):
            dtypes = tuple(constraint.expected_dtype_set)
            return header + f": `{dtypes if len(dtypes) > 1 else dtypes[0]}`"
        if isinstance(constraint, ColumnDTypeFnConstraint):
            return header + f": Validator `{constraint.type_fn.__name__}`"
    return header


def _constraint_bullets(constraints: list[Constraint]) -> str:
    return "".join(f"+ {c.markdown_description}\n" for c in constraints
                   if not isinstance(c, _DTYPE_CONSTRAINTS))


def create_dagster_pandas_dataframe_description(description: str,
                                                columns: list[PandasColumn]) -> str:
    """The type's markdown description: the user's text, then one entry per column."""
    text = "\n".join([description, "### Columns", ""])
    for column in columns:
        text += f"{_column_header(column)}\n{_constraint_bullets(column.constraints)}\n"
    return text


def _summary_metadata(type_name: str, value: Any,
                      event_metadata_fn: Callable[[Any], Any]) -> list[MetadataEntry]:
    result = event_metadata_fn(value)
    invalid = (
        "The return value of the user-defined summary_statistics function for pandas "
        f"data frame type {type_name} returned {value}. This function must return "
        "Union[Dict[str, Union[str, float, int, Dict, MetadataValue]], List[MetadataEntry]]"
    )
    if isinstance(result, list):
        if not all(isinstance(e, MetadataEntry) for e in result):
            raise DagsterInvariantViolationError(invalid)
        return list(result)
    if not isinstance(result, dict):
        raise DagsterInvariantViolationError(invalid)
    try:
        return normalize_metadata(None, result)
    except DagsterInvalidMetadata:
        raise DagsterInvariantViolationError(invalid) from None


def create_dagster_pandas_dataframe_type(
    name: str,
    description: str | None = None,
    columns: list[PandasColumn] | None = None,
    event_metadata_fn: Callable[[Any], Any] | None = None,
    dataframe_constraints: list[DataFrameConstraint] | None = None,
    loader: DagsterTypeLoader | None = None,
    materializer: DagsterTypeMaterializer | None = None,
) -> DagsterType:
    """A DataFrame type named ``name`` whose check runs the columns' constraints, then the
    DataFrame constraints; on success ``event_metadata_fn(df)`` (a dict of label -> value, or
    a list of MetadataEntry) becomes the check's metadata."""
    if not isinstance(name, str):
        raise DagsterInvariantViolationError(f"The type's name must be a str, got {name!r}.")
    if event_metadata_fn is not None and not callable(event_metadata_fn):
        raise DagsterInvariantViolationError("event_metadata_fn must be callable.")
    for column in columns or []:
        if not isinstance(column, PandasColumn):
            raise DagsterInvariantViolationError(
                f"columns must be PandasColumn objects, got {column!r}.")

    def type_check(_context: Any, value: Any) -> TypeCheck:
        if not is_dataframe(value):
            return TypeCheck(success=False, description=(
                f"Must be a pandas.DataFrame. Got value of type. {type(value).__name__}"))
        try:
            validate_constraints(value, pandas_columns=columns,
                                 dataframe_constraints=dataframe_constraints)
        except ConstraintViolationException as exc:
            return TypeCheck(success=False, description=str(exc))
        return TypeCheck(success=True, metadata_entries=_summary_metadata(
            name, value, event_metadata_fn) if event_metadata_fn else [])

    return DagsterType(
        name=name,
        type_check_fn=type_check,
        loader=loader or dataframe_loader,
        materializer=materializer or dataframe_materializer,
        description=create_dagster_pandas_dataframe_description(description or "",
                                                                columns or []),
    )


def summary_statistics(df: Any) -> dict[str, Any]:
    """An ``event_metadata_fn`` for the common case: row and column counts, the columns with
    their dtypes, nulls per column, and ``describe()`` of the numeric columns as markdown."""
    from orch.core.definitions.metadata import MetadataValue

    numeric = df.select_dtypes("number")
    stats: dict[str, Any] = {
        "rows": len(df),
        "columns": len(df.columns),
        "dtypes": {str(c): str(t) for c, t in df.dtypes.items()},
        "nulls": {str(c): int(n) for c, n in df.isna().sum().items() if n},
    }
    if len(numeric.columns):
        stats["describe"] = MetadataValue.md(_markdown_table(numeric.describe()))
    return stats


def _markdown_table(frame: Any) -> str:
    header = "| | " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|---" * (len(frame.columns) + 1) + "|"
    rows = ["| " + str(i) + " | " + " | ".join(f"{v:.6g}" for v in row) + " |"
            for i, row in zip(frame.index, frame.to_numpy(), strict=True)]
    return "\n".join([header, rule, *rows])
