"""``PandasColumn``: a column's schema as a list of constraints (legacy
``dagster_pandas.validation``), with the factory methods users write
(``PandasColumn.integer_column("id", min_value=0, unique=True)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orch.core.errors import DagsterInvariantViolationError

from .constraints import (
    CategoricalColumnConstraint,
    ColumnDTypeFnConstraint,
    ColumnDTypeInSetConstraint,
    Constraint,
    ConstraintViolationException,
    DataFrameConstraint,
    InRangeColumnConstraint,
    NonNullableColumnConstraint,
    UniqueColumnConstraint,
    _DatetimeDTypeConstraint,
)

INF = float("inf")


def _dtype_check(name: str) -> Callable[[Any], bool]:
    """``pandas.api.types.<name>``, imported when a DataFrame is first checked."""

    def check(dtype: Any) -> bool:
        from pandas.api import types

        return bool(getattr(types, name)(dtype))

    check.__name__ = check.__qualname__ = name
    return check


is_bool_dtype = _dtype_check("is_bool_dtype")
is_numeric_dtype = _dtype_check("is_numeric_dtype")
is_integer_dtype = _dtype_check("is_integer_dtype")
is_float_dtype = _dtype_check("is_float_dtype")
is_string_dtype = _dtype_check("is_string_dtype")


def _keyword_constraints(non_nullable: bool, unique: bool,
                         ignore_missing_vals: bool) -> list[Constraint]:
    if non_nullable and ignore_missing_vals:
        raise DagsterInvariantViolationError(
            "PandasColumn cannot have a non-null constraint while also ignore missing values")
    constraints: list[Constraint] = []
    if non_nullable:
        constraints.append(NonNullableColumnConstraint())
    if unique:
        constraints.append(UniqueColumnConstraint(ignore_missing_vals=ignore_missing_vals))
    return constraints


def _number(value: Any, what: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DagsterInvariantViolationError(
            f'Param "{what}" is not a number. Got {value!r} which is type {type(value)}.')
    return value


class PandasColumn:
    """A column the DataFrame must have (unless ``is_required=False``) and the constraints
    its values must meet."""

    def __init__(self, name: str, constraints: list[Constraint] | None = None,
                 is_required: bool | None = None):
        if not isinstance(name, str):
            raise DagsterInvariantViolationError(f"A PandasColumn name must be a str, got {name!r}.")
        for constraint in constraints or []:
            if not isinstance(constraint, Constraint):
                raise DagsterInvariantViolationError(
                    f"PandasColumn {name!r}: {constraint!r} is not a Constraint.")
        self.name = name
        self.is_required = True if is_required is None else bool(is_required)
        self.constraints = list(constraints or [])

    def validate(self, dataframe: Any) -> None:
        if self.name not in dataframe.columns:
            if self.is_required:
                raise ConstraintViolationException(
                    f"Required column {self.name} not in dataframe with columns "
                    f"{dataframe.columns}")
            return
        for constraint in self.constraints:
            constraint.validate(dataframe, self.name)

    @staticmethod
    def _typed(name: str, first: list[Constraint], non_nullable: bool, unique: bool,
               ignore_missing_vals: bool, is_required: bool | None) -> PandasColumn:
        return PandasColumn(name, first + _keyword_constraints(non_nullable, unique,
                                                                ignore_missing_vals),
                            is_required)

    @staticmethod
    def exists(name: str, non_nullable: bool = False, unique: bool = False,
               ignore_missing_vals: bool = False, is_required: bool | None = None) -> PandasColumn:
        return PandasColumn._typed(name, [], non_nullable, unique, ignore_missing_vals,
                                   is_required)

    @staticmethod
    def boolean_column(name: str, non_nullable: bool = False, unique: bool = False,
                       ignore_missing_vals: bool = False,
                       is_required: bool | None = None) -> PandasColumn:
        return PandasColumn._typed(name, [ColumnDTypeFnConstraint(is_bool_dtype)],
                                   non_nullable, unique, ignore_missing_vals, is_required)

    @staticmethod
    def _ranged(name: str, dtype_fn: Callable[[Any], bool], min_value: Any, max_value: Any,
                non_nullable: bool, unique: bool, ignore_missing_vals: bool,
                is_required: bool | None) -> PandasColumn:
        return PandasColumn._typed(name, [
            ColumnDTypeFnConstraint(dtype_fn),
            InRangeColumnConstraint(_number(min_value, "min_value"),
                                    _number(max_value, "max_value"),
                                    ignore_missing_vals=ignore_missing_vals),
        ], non_nullable, unique, ignore_missing_vals, is_required)

    @staticmethod
    def numeric_column(name: str, min_value: Any = -INF, max_value: Any = INF,
                       non_nullable: bool = False, unique: bool = False,
                       ignore_missing_vals: bool = False,
                       is_required: bool | None = None) -> PandasColumn:
        return PandasColumn._ranged(name, is_numeric_dtype, min_value, max_value, non_nullable,
                                    unique, ignore_missing_vals, is_required)

    @staticmethod
    def integer_column(name: str, min_value: Any = -INF, max_value: Any = INF,
                       non_nullable: bool = False, unique: bool = False,
                       ignore_missing_vals: bool = False,
                       is_required: bool | None = None) -> PandasColumn:
        return PandasColumn._ranged(name, is_integer_dtype, min_value, max_value, non_nullable,
                                    unique, ignore_missing_vals, is_required)

    @staticmethod
    def float_column(name: str, min_value: Any = -INF, max_value: Any = INF,
                     non_nullable: bool = False, unique: bool = False,
                     ignore_missing_vals: bool = False,
                     is_required: bool | None = None) -> PandasColumn:
        return PandasColumn._ranged(name, is_float_dtype, min_value, max_value, non_nullable,
                                    unique, ignore_missing_vals, is_required)

    @staticmethod
    def datetime_column(name: str, min_datetime: Any = None, max_datetime: Any = None,
                        non_nullable: bool = False, unique: bool = False,
                        ignore_missing_vals: bool = False, is_required: bool | None = None,
                        tz: str | None = None) -> PandasColumn:
        """Bounds default to ``pandas.Timestamp.min``/``.max`` (one day inside them with a
        ``tz``, as dagster-pandas does, so they can be localised)."""
        from pandas import Timestamp

        low = Timestamp.min if min_datetime is None else min_datetime
        high = Timestamp.max if max_datetime is None else max_datetime
        if tz is not None:
            if low.tz_localize(None) == Timestamp.min:
                low = Timestamp("1677-09-22 00:12:43.145225Z")
            if high.tz_localize(None) == Timestamp.max:
                high = Timestamp("2262-04-10 23:47:16.854775807Z")
            low = Timestamp(low).tz_localize(tz) if Timestamp(low).tz is None else low
            high = Timestamp(high).tz_localize(tz) if Timestamp(high).tz is None else high
        return PandasColumn._typed(name, [
            _DatetimeDTypeConstraint(tz),
            InRangeColumnConstraint(low, high, ignore_missing_vals=ignore_missing_vals),
        ], non_nullable, unique, ignore_missing_vals, is_required)

    @staticmethod
    def string_column(name: str, non_nullable: bool = False, unique: bool = False,
                      ignore_missing_vals: bool = False,
                      is_required: bool | None = None) -> PandasColumn:
        return PandasColumn._typed(name, [ColumnDTypeFnConstraint(is_string_dtype)],
                                   non_nullable, unique, ignore_missing_vals, is_required)

    @staticmethod
    def categorical_column(name: str, categories: Any,
                           of_types: str | set[str] | frozenset[str] = frozenset(
                               {"category", "object", "str"}),
                           non_nullable: bool = False, unique: bool = False,
                           ignore_missing_vals: bool = False,
                           is_required: bool | None = None) -> PandasColumn:
        """``of_types`` defaults to ``category``, ``object`` and ``str`` (pandas 3's string
        dtype; dagster-pandas, written for pandas 1, lists the first two)."""
        types = {of_types} if isinstance(of_types, str) else set(of_types)
        return PandasColumn._typed(name, [
            ColumnDTypeInSetConstraint(types),
            CategoricalColumnConstraint(categories, ignore_missing_vals=ignore_missing_vals),
        ], non_nullable, unique, ignore_missing_vals, is_required)


def validate_constraints(dataframe: Any, pandas_columns: list[PandasColumn] | None = None,
                         dataframe_constraints: list[DataFrameConstraint] | None = None) -> None:
    """Each column's constraints in order, then the DataFrame-level ones; the first violation
    raises."""
    for column in pandas_columns or []:
        column.validate(dataframe)
    for constraint in dataframe_constraints or []:
        constraint.validate(dataframe)
