"""Typed pandas DataFrames as a user meets them in ``orch run``: a constraint that fails is
the step's failure with dagster-pandas' text, a frame that passes carries its summary
statistics; the integrations import no third-party package until used. (Every constraint's
text against Dagster 0.15.10's dagster-pandas: tests/conformance/cases/integrations_pandas.py.)"""

from __future__ import annotations

import subprocess
import sys

from .conftest import require

require("pandas", "pandas", "pyarrow")

REPO = '''
import pandas as pd
from orch import OutputDefinition, pipeline, solid
from orch.integrations.pandas import (PandasColumn, RowCountConstraint,
                                      create_dagster_pandas_dataframe_type, summary_statistics)

Orders = create_dagster_pandas_dataframe_type(
    name="Orders",
    columns=[PandasColumn.integer_column("qty", min_value=1, non_nullable=True),
             PandasColumn.categorical_column("region", categories={"north", "south"}),
             PandasColumn.datetime_column("day")],
    dataframe_constraints=[RowCountConstraint(2)],
    event_metadata_fn=summary_statistics,
)


@solid(config_schema={"qty": [int]}, output_defs=[OutputDefinition(Orders)])
def orders(context):
    qty = context.solid_config["qty"]
    return pd.DataFrame({"qty": qty, "region": ["north", "south"][:len(qty)],
                         "day": pd.to_datetime(["2024-03-01", "2024-03-02"][:len(qty)])})


@pipeline
def shop():
    orders()
'''


def _config(tmp_path, qty):
    path = tmp_path / "run.yaml"
    path.write_text(f"solids:\n  orders:\n    config:\n      qty: {qty}\n")
    return str(path)


def test_a_frame_that_meets_its_constraints_carries_summary_statistics(project, tmp_path):
    project.write(REPO)
    run = project.run("shop", "-c", _config(tmp_path, [3, 4]))
    assert run.returncode == 0, run.stderr
    (output,) = run.of_type("STEP_OUTPUT", "orders")
    check = output["data"]["type_check"]
    assert check["success"] is True
    meta = {m["label"]: m["value"] for m in check["metadata"]}
    assert (meta["rows"], meta["columns"]) == (2, 3)
    # pandas 3 reads dates to microseconds and strings to its str dtype: both accepted
    assert meta["dtypes"] == {"qty": "int64", "region": "str", "day": "datetime64[us]"}
    assert meta["describe"].splitlines()[:3] == ["| | qty |", "|---|---|", "| count | 2 |"]


def test_a_violated_constraint_fails_the_step_with_its_text(project, tmp_path):
    project.write(REPO)
    run = project.run("shop", "-c", _config(tmp_path, [3, 0]))
    assert run.returncode == 1
    (output,) = run.of_type("STEP_OUTPUT", "orders")
    description = output["data"]["type_check"]["description"]
    assert description.startswith(
        'Violated "InRangeColumnConstraint" for column "qty" - Column must have values between '
        "1 and inf inclusive.The offending (index, row values) are the following:")
    (failure,) = run.of_type("STEP_FAILURE", "orders")
    assert failure["data"]["error"]["cls_name"] == "DagsterTypeCheckDidNotPass"
    assert 'Type check failed for step output "result" - expected type "Orders".' in \
        failure["data"]["error"]["message"]

    run = project.run("shop", "-c", _config(tmp_path, [3]))
    description = run.of_type("STEP_OUTPUT", "orders")[0]["data"]["type_check"]["description"]
    assert description == "Violated RowCountConstraint - Expected 2 +- 0 rows. Got 1"


def test_importing_an_integration_imports_none_of_its_libraries():
    code = ("import sys, orch.integrations.pandas, orch.integrations.parquet, "
            "orch.integrations.duckdb; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'duckdb', 'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
