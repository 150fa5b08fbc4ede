"""pandas for orch (legacy ``dagster_pandas``): ``from dagster_pandas import X`` becomes
``from orch.integrations.pandas import X``.

Install with ``pip install 'orch[pandas]'``. Importing this package does not import pandas;
the type checks, loaders and materializers do, when they first run.
"""

from .constraints import (
    CategoricalColumnConstraint,
    ColumnConstraint,
    ColumnConstraintViolationException,
    ColumnDTypeFnConstraint,
    ColumnDTypeInSetConstraint,
    Constraint,
    ConstraintViolationException,
    DataFrameConstraint,
    DataFrameConstraintViolationException,
    InRangeColumnConstraint,
    MaxValueColumnConstraint,
    MinValueColumnConstraint,
    NonNullableColumnConstraint,
    RowCountConstraint,
    StrictColumnsConstraint,
    UniqueColumnConstraint,
)
from .data_frame import (
    DataFrame,
    create_dagster_pandas_dataframe_type,
    dataframe_loader,
    dataframe_materializer,
    summary_statistics,
)
from .validation import PandasColumn, validate_constraints

__all__ = [
    "CategoricalColumnConstraint",
    "ColumnConstraint",
    "ColumnConstraintViolationException",
    "ColumnDTypeFnConstraint",
    "ColumnDTypeInSetConstraint",
    "Constraint",
    "ConstraintViolationException",
    "DataFrame",
    "DataFrameConstraint",
    "DataFrameConstraintViolationException",
    "InRangeColumnConstraint",
    "MaxValueColumnConstraint",
    "MinValueColumnConstraint",
    "NonNullableColumnConstraint",
    "PandasColumn",
    "RowCountConstraint",
    "StrictColumnsConstraint",
    "UniqueColumnConstraint",
    "create_dagster_pandas_dataframe_type",
    "dataframe_loader",
    "dataframe_materializer",
    "summary_statistics",
    "validate_constraints",
]
