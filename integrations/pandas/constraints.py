"""Column and DataFrame constraints for typed pandas DataFrames (legacy
``dagster_pandas.constraints``): each ``validate`` raises a :class:`ConstraintViolationException`
whose text is the type check's failure description, word for word as dagster-pandas 0.15.

pandas is imported by the checks themselves, never when this module loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from orch.core.errors import DagsterInvariantViolationError


class ConstraintViolationException(Exception):
    """A constraint has been violated."""


class DataFrameConstraintViolationException(ConstraintViolationException):
    """A DataFrame-level constraint has been violated."""

    def __init__(self, constraint_name: str, constraint_description: str):
        super().__init__(f"Violated {constraint_name} - {constraint_description}")


class ColumnConstraintViolationException(ConstraintViolationException):
    """A column constraint has been violated; ``offending_rows`` shows which rows."""

    def __init__(self, constraint_name: str, constraint_description: str, column_name: str,
                 offending_rows: Any = None):
        self.constraint_name = constraint_name
        self.constraint_description = constraint_description
        self.column_name = column_name
        self.offending_rows = offending_rows
        super().__init__(self.construct_message())

    def construct_message(self) -> str:
        message = (f'Violated "{self.constraint_name}" for column "{self.column_name}" - '
                   f"{self.constraint_description}")
        if self.offending_rows is not None:
            # (sic: no separator, as dagster-pandas writes it)
            message += f"The offending (index, row values) are the following: {self.offending_rows}"
        return message


class Constraint:
    """Base of every constraint: a name, a plain and a markdown description."""

    def __init__(self, error_description: str, markdown_description: str):
        if not isinstance(error_description, str) or not isinstance(markdown_description, str):
            raise DagsterInvariantViolationError(
                f"{type(self).__name__} needs string error and markdown descriptions.")
        self.name = type(self).__name__
        self.markdown_description = markdown_description
        self.error_description = error_description


class DataFrameConstraint(Constraint):
    """A constraint on the whole DataFrame (its shape, its columns)."""

    def validate(self, dataframe: Any) -> None:
        raise NotImplementedError()


class StrictColumnsConstraint(DataFrameConstraint):
    """The DataFrame has no columns outside ``strict_column_list`` (in that order if
    ``enforce_ordering``)."""

    def __init__(self, strict_column_list: list[str], enforce_ordering: bool = False):
        self.enforce_ordering = bool(enforce_ordering)
        self.strict_column_list = list(strict_column_list)
        description = f"No columns outside of {self.strict_column_list} allowed. "
        if enforce_ordering:
            description += "Columns must be in that order."
        super().__init__(description, description)

    def validate(self, dataframe: Any) -> None:
        received = list(dataframe.columns)
        if self.enforce_ordering and self.strict_column_list != received:
            raise DataFrameConstraintViolationException(
                self.name, f"Expected the following ordering of columns "
                f"{self.strict_column_list}. Received: {received}")
        for column in received:
            if column not in self.strict_column_list:
                raise DataFrameConstraintViolationException(
                    self.name, f"Expected {self.strict_column_list}. Recevied {received}.")


class RowCountConstraint(DataFrameConstraint):
    """The DataFrame has ``num_allowed_rows`` rows, give or take ``error_tolerance``."""

    def __init__(self, num_allowed_rows: int, error_tolerance: int = 0):
        self.num_allowed_rows = int(num_allowed_rows)
        self.error_tolerance = abs(int(error_tolerance))
        if self.error_tolerance > self.num_allowed_rows:
            raise ValueError("Tolerance can't be greater than the number of rows you expect.")
        description = f"Dataframe must have {self.num_allowed_rows} +- {self.error_tolerance} rows."
        super().__init__(description, description)

    def validate(self, dataframe: Any) -> None:
        low = self.num_allowed_rows - self.error_tolerance
        high = self.num_allowed_rows + self.error_tolerance
        if not low <= len(dataframe) <= high:
            raise DataFrameConstraintViolationException(
                self.name, f"Expected {self.num_allowed_rows} +- {self.error_tolerance} rows. "
                f"Got {len(dataframe)}")


class ColumnConstraint(Constraint):
    """A constraint on one column."""

    def validate(self, dataframe: Any, column_name: str) -> None:
        pass

    @staticmethod
    def get_offending_row_pairs(dataframe: Any, column_name: str) -> Iterable[tuple[Any, Any]]:
        return zip(dataframe.index.tolist(), dataframe[column_name].tolist(), strict=True)


def _masked(invalid: Any, column: Any, ignore_missing_vals: bool) -> Any:
    return invalid & ~column.isnull() if ignore_missing_vals else invalid


class _RowsConstraint(ColumnConstraint):
    """A column constraint that fails on the rows ``invalid_rows`` marks."""

    ignore_missing_vals = False

    def invalid_rows(self, column: Any) -> Any:
        raise NotImplementedError()

    def validate(self, dataframe: Any, column_name: str) -> None:
        column = dataframe[column_name]
        offending = dataframe[_masked(self.invalid_rows(column), column,
                                      self.ignore_missing_vals)]
        if not offending.empty:
            raise ColumnConstraintViolationException(
                self.name, self.error_description, column_name, offending_rows=offending)


class ColumnDTypeFnConstraint(ColumnConstraint):
    """The column's dtype satisfies ``type_fn`` (e.g. ``is_integer_dtype``)."""

    def __init__(self, type_fn: Callable[[Any], bool]):
        if not callable(type_fn):
            raise DagsterInvariantViolationError("ColumnDTypeFnConstraint needs a callable.")
        self.type_fn = type_fn
        description = f'Dtype must satisfy "{type_fn.__name__}"'
        super().__init__(description, description)

    def validate(self, dataframe: Any, column_name: str) -> None:
        dtype = dataframe[column_name].dtype
        if not self.type_fn(dtype):
            raise ColumnConstraintViolationException(
                self.name, f'{self.error_description}, but was "{dtype}"', column_name)


class ColumnDTypeInSetConstraint(ColumnConstraint):
    """The column's dtype, as a string, is one of ``expected_dtype_set``."""

    def __init__(self, expected_dtype_set: set[str]):
        self.expected_dtype_set = set(expected_dtype_set)
        description = f"Column dtype must be in the following set {self.expected_dtype_set}."
        super().__init__(description, description)

    def accepts(self, dtype: Any) -> bool:
        return str(dtype) in self.expected_dtype_set

    def validate(self, dataframe: Any, column_name: str) -> None:
        dtype = dataframe[column_name].dtype
        if not self.accepts(dtype):
            raise ColumnConstraintViolationException(
                self.name, f"{self.error_description}. DTypes received: {dtype}", column_name)


class _DatetimeDTypeConstraint(ColumnDTypeInSetConstraint):
    """``datetime64[ns]`` (or ``datetime64[ns, <tz>]``) as dagster-pandas says it, accepting
    every resolution: pandas 3 parses dates to ``datetime64[us]``, pandas 1 always gave ns."""

    def __init__(self, tz: str | None):
        self.tz = tz
        super().__init__({f"datetime64[ns, {tz}]" if tz else "datetime64[ns]"})
        self.name = ColumnDTypeInSetConstraint.__name__

    def accepts(self, dtype: Any) -> bool:
        text = str(dtype)
        for unit in ("s", "ms", "us", "ns"):
            if text == (f"datetime64[{unit}, {self.tz}]" if self.tz else f"datetime64[{unit}]"):
                return True
        return False


class NonNullableColumnConstraint(ColumnConstraint):
    """No null values in the column."""

    def __init__(self) -> None:
        super().__init__("No Null values allowed.", "No Null values allowed.")

    def validate(self, dataframe: Any, column_name: str) -> None:
        rows = dataframe[dataframe[column_name].isna()]
        if not rows.empty:
            raise ColumnConstraintViolationException(
                self.name, self.error_description, column_name,
                offending_rows=self.get_offending_row_pairs(rows, column_name))


class UniqueColumnConstraint(_RowsConstraint):
    """Every value in the column is unique."""

    def __init__(self, ignore_missing_vals: bool):
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__("Column must be unique.", "Column must be unique.")

    def invalid_rows(self, column: Any) -> Any:
        return column.duplicated()


class CategoricalColumnConstraint(_RowsConstraint):
    """Every value in the column is one of ``categories``."""

    def __init__(self, categories: set[str] | list[str], ignore_missing_vals: bool):
        self.categories = list(set(categories))
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(f"Expected Categories are {self.categories}",
                         f"Category examples are {self.categories[:5]}...")

    def invalid_rows(self, column: Any) -> Any:
        return ~column.isin(self.categories)


def _bound(value: Any, what: str) -> Any:
    if not isinstance(value, int | float | datetime):
        raise DagsterInvariantViolationError(
            f"{what} must be an int, a float or a datetime; got {type(value).__name__}.")
    return value


class MinValueColumnConstraint(_RowsConstraint):
    """Every value is at least ``min_value``."""

    def __init__(self, min_value: Any, ignore_missing_vals: bool):
        self.min_value = _bound(min_value, "min_value")
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(f"Column must have values > {self.min_value}", f"values > {self.min_value}")

    def invalid_rows(self, column: Any) -> Any:
        return column < self.min_value


class MaxValueColumnConstraint(_RowsConstraint):
    """Every value is at most ``max_value``."""

    def __init__(self, max_value: Any, ignore_missing_vals: bool):
        self.max_value = _bound(max_value, "max_value")
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(f"Column must have values < {self.max_value}", f"values < {self.max_value}")

    def invalid_rows(self, column: Any) -> Any:
        return column > self.max_value


class InRangeColumnConstraint(_RowsConstraint):
    """Every value is between ``min_value`` and ``max_value``, inclusive."""

    def __init__(self, min_value: Any, max_value: Any, ignore_missing_vals: bool):
        self.min_value = _bound(min_value, "min_value")
        self.max_value = _bound(max_value, "max_value")
        self.ignore_missing_vals = bool(ignore_missing_vals)
        super().__init__(
            f"Column must have values between {self.min_value} and {self.max_value} inclusive.",
            f"{self.min_value} < values < {self.max_value}")

    def invalid_rows(self, column: Any) -> Any:
        return ~column.between(self.min_value, self.max_value)
