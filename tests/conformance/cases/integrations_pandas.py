"""dagster-pandas: the DataFrame type, typed DataFrame types with column and DataFrame
constraints, their failure texts and descriptions, summary metadata, and the file loader and
materializer in a pipeline (``dagster_pandas`` under the oracle)."""

import re

import pandas as pd
from orch.integrations.pandas import (
    DataFrame,
    PandasColumn,
    RowCountConstraint,
    StrictColumnsConstraint,
    create_dagster_pandas_dataframe_type,
)

from orch import (
    InputDefinition,
    OutputDefinition,
    execute_pipeline,
    pipeline,
    solid,
)

_COMPARED = {"STEP_START", "STEP_INPUT", "STEP_OUTPUT", "HANDLED_OUTPUT",
             "ASSET_MATERIALIZATION", "STEP_SUCCESS", "STEP_FAILURE"}
_ADDR = re.compile(r" at 0x[0-9a-fA-F]+")


def _value(entry):
    data = entry.entry_data  # a one-field NamedTuple in both libraries
    return data[0] if isinstance(data, tuple) else repr(data)


def _check(dagster_type, value):
    result = dagster_type.type_check(None, value)
    return {"success": result.success,
            "description": _ADDR.sub("", result.description or ""),
            "metadata": {e.label: _value(e) for e in result.metadata_entries}}


def _frame(**overrides):
    data = {"id": pd.Series([1, 2, 3], dtype="int64"),
            "price": pd.Series([1.5, 2.0, 9.5], dtype="float64"),
            "paid": pd.Series([True, False, True], dtype="bool")}
    data.update(overrides)
    return pd.DataFrame(data)


Trips = create_dagster_pandas_dataframe_type(
    name="Trips",
    description="Trips taken.",
    columns=[
        PandasColumn.integer_column("id", min_value=0, unique=True, non_nullable=True),
        PandasColumn.float_column("price", min_value=0.0, max_value=10.0),
        PandasColumn.boolean_column("paid"),
        PandasColumn.exists("note", is_required=False),
        PandasColumn.numeric_column("price", max_value=100),
    ],
    dataframe_constraints=[RowCountConstraint(3, error_tolerance=1)],
    event_metadata_fn=lambda df: {"rows": len(df), "max_price": float(df["price"].max())},
)

Strict = create_dagster_pandas_dataframe_type(
    name="Strict", columns=[PandasColumn.exists("id")],
    dataframe_constraints=[StrictColumnsConstraint(["id", "price"], enforce_ordering=True)],
)

Loose = create_dagster_pandas_dataframe_type(
    name="Loose", dataframe_constraints=[StrictColumnsConstraint(["id", "price"])])

Bucketed = create_dagster_pandas_dataframe_type(
    name="Bucketed", columns=[PandasColumn.categorical_column(
        "kind", categories={"a"}, of_types="category")])

BadMetadata = create_dagster_pandas_dataframe_type(name="BadMetadata",
                                                   event_metadata_fn=lambda df: 42)


def run_dataframe_type_ok():
    return _check(DataFrame, _frame())


def run_dataframe_type_not_a_frame():
    return _check(DataFrame, [1, 2])


def run_dataframe_type_name_and_description():
    return {"name": DataFrame.display_name, "description": DataFrame.description}


def run_typed_ok_with_metadata():
    return _check(Trips, _frame())


def run_typed_not_a_frame():
    return _check(Trips, {"id": 1})


def run_typed_description():
    return {"name": Trips.display_name, "description": Trips.description}


def run_typed_unique():
    return _check(Trips, _frame(id=pd.Series([1, 1, 3], dtype="int64")))


def run_typed_non_null():
    return _check(Trips, _frame(id=pd.Series([1, None, 3], dtype="Int64")))


def run_typed_dtype():
    return _check(Trips, _frame(id=pd.Series([1.0, 2.0, 3.0], dtype="float64")))


def run_typed_range():
    return _check(Trips, _frame(price=pd.Series([1.5, 20.0, 9.5], dtype="float64")))


def run_typed_row_count():
    return _check(Trips, _frame().iloc[:1])


def run_strict_columns_order():
    return _check(Strict, _frame()[["price", "id"]])


def run_strict_columns_extra():
    return _check(Loose, _frame())


def run_categorical_dtype():
    frame = pd.DataFrame({"kind": pd.Series(["a", "b"], dtype="category")})
    return _check(Bucketed, frame)


@solid(output_defs=[OutputDefinition(BadMetadata)])
def make_bad_metadata(context):
    return pd.DataFrame({"x": pd.Series([1], dtype="int64")})


@pipeline
def bad_metadata_pipeline():
    make_bad_metadata()


def run_bad_event_metadata_fn():
    return execute_pipeline(bad_metadata_pipeline, raise_on_error=False)


def run_row_count_tolerance_too_big():
    return RowCountConstraint(1, error_tolerance=5)


def run_non_nullable_and_ignore_missing():
    return PandasColumn.exists("x", non_nullable=True, ignore_missing_vals=True)


@solid(output_defs=[OutputDefinition(Trips)])
def make_bad_trips(context):
    return _frame(price=pd.Series([1.5, 20.0, 9.5], dtype="float64"))


@pipeline
def bad_trips_pipeline():
    make_bad_trips()


def run_pipeline_type_check_fails():
    return execute_pipeline(bad_trips_pipeline, raise_on_error=False)


@solid(input_defs=[InputDefinition("df", DataFrame)], output_defs=[OutputDefinition(DataFrame)])
def double(context, df):
    return df * 2


@pipeline
def files_pipeline():
    double()


def run_pipeline_loader_and_materializer():
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_csv("in.csv", index=False)
    result = execute_pipeline(files_pipeline, run_config={"solids": {"double": {
        "inputs": {"df": {"csv": {"path": "in.csv"}}},
        "outputs": [{"result": {"table": {"path": "out.tsv"}}}],
    }}})
    with open("out.tsv") as f:
        written = f.read()
    return {"success": result.success, "written": written,
            "events": [e.event_type_value for e in result.event_list
                       if e.step_key and e.event_type_value in _COMPARED]}


def run_loader_bad_selector():
    return execute_pipeline(files_pipeline, run_config={"solids": {"double": {
        "inputs": {"df": {"xlsx": {"path": "in.xlsx"}}}}}})


Dated = create_dagster_pandas_dataframe_type(
    name="Dated", columns=[
        PandasColumn.datetime_column("ts", min_datetime=pd.Timestamp("2020-01-01")),
        PandasColumn.categorical_column("kind", categories={"a", "b"}),
        PandasColumn.string_column("name"),
    ])


def run_dates_and_strings_as_read():
    # what read_csv gives under the running pandas: datetime64[ns] and object under pandas 2,
    # datetime64[us] and str under pandas 3
    with open("dated.csv", "w") as f:
        f.write("ts,kind,name\n2021-03-01 10:00,a,x\n2021-03-02 11:00,b,y\n")
    return _check(Dated, pd.read_csv("dated.csv", parse_dates=["ts"]))


def run_dates_out_of_range():
    frame = pd.DataFrame({"ts": pd.to_datetime(["2019-05-01"]), "kind": ["a"], "name": ["x"]})
    return _check(Dated, frame)


def run_required_column_missing():
    return _check(Dated, pd.DataFrame({"kind": ["a"]}))
