"""A legacy Dagster file with a PySpark solid (dagster_pyspark.pyspark_resource) feeding a
dagstermill notebook solid runs under orch with only its imports changed (in the file and in
the notebook): the Spark solid writes parquet on local Spark, the notebook reads it on a
Jupyter kernel and yields a result back to the pipeline. It runs in this process, on the
test session's Spark session, which the resource reuses."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from .conftest import require

require("notebook", "papermill", "ipykernel", "nbformat", "dill")
require("pyspark", "pyspark")
require("parquet", "pandas", "pyarrow")  # the notebook reads the parquet with pandas

import nbformat  # noqa: E402

LEGACY = '''
import os

import dagstermill
from dagster import (InputDefinition, ModeDefinition, OutputDefinition, execute_pipeline,
                     file_relative_path, fs_io_manager, pipeline, solid)
from dagster_pyspark import pyspark_resource


@solid(required_resource_keys={"pyspark"}, config_schema={"out_dir": str})
def delays_by_carrier(context) -> str:
    spark = context.resources.pyspark.spark_session
    flights = spark.createDataFrame(
        [("UA", 10.0), ("UA", 30.0), ("DL", 5.0), ("DL", 7.0), ("AA", 50.0)],
        ["carrier", "delay"])
    path = os.path.join(context.solid_config["out_dir"], "delays.parquet")
    flights.groupBy("carrier").avg("delay").write.mode("overwrite").parquet(path)
    context.log.info(f"wrote {path}")
    return path


delays_report = dagstermill.define_dagstermill_solid(
    "delays_report", file_relative_path(__file__, "delays_report.ipynb"),
    input_defs=[InputDefinition("path", str)],
    output_defs=[OutputDefinition(str, "worst")])


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "pyspark": pyspark_resource, "io_manager": fs_io_manager,
    "output_notebook_io_manager": dagstermill.local_output_notebook_io_manager})])
def airline_delays():
    delays_report(delays_by_carrier())


if __name__ == "__main__":
    execute_pipeline(airline_delays, run_config={
        "resources": {"pyspark": {"config": {"spark_conf": {"spark": {"master": "local[2]"}}}}},
        "solids": {"delays_by_carrier": {"config": {"out_dir": "."}}}})
'''

CELLS = [
    ("import dagstermill\nimport pandas as pd", []),
    ("context = dagstermill.get_context()\npath = 'delays.parquet'", ["parameters"]),
    ("delays = pd.read_parquet(path).sort_values('avg(delay)', ascending=False)\n"
     "worst = str(delays.iloc[0]['carrier'])\n"
     "context.log.info(f'worst carrier {worst}')", []),
    ("dagstermill.yield_result(worst, output_name='worst')", []),
]

# The only edits: the import lines.
IMPORTS = [(r"^import dagstermill$", "import orch.integrations.notebook as dagstermill"),
           (r"^from dagster import", "from orch import"),
           (r"^from dagster_pyspark import", "from orch.integrations.pyspark import")]


def _orch_imports(source: str) -> str:
    for legacy, orch in IMPORTS:
        source = re.sub(legacy, orch, source, flags=re.MULTILINE)
    return source


def test_a_legacy_pyspark_and_dagstermill_file_runs_with_only_its_imports_changed(
        spark_session, tmp_path: Path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    for source, tags in CELLS:
        cell = nbformat.v4.new_code_cell(_orch_imports(source))
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(tmp_path / "delays_report.ipynb"))
    changed = _orch_imports(LEGACY)
    assert [a for a, b in zip(LEGACY.splitlines(), changed.splitlines(), strict=True)
            if a != b] == ["import dagstermill", "from dagster import (InputDefinition, "
                           "ModeDefinition, OutputDefinition, execute_pipeline,",
                           "from dagster_pyspark import pyspark_resource"]
    (tmp_path / "airline.py").write_text(changed)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("airline", tmp_path / "airline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "airline", module)
    spec.loader.exec_module(module)

    from orch import execute_pipeline

    result = execute_pipeline(module.airline_delays, run_config={
        "resources": {"pyspark": {"config": {"spark_conf": {"spark": {"master": "local[2]"}}}}},
        "solids": {"delays_by_carrier": {"config": {"out_dir": str(tmp_path)}}}})
    assert result.success
    assert result.output_for_solid("delays_report", "worst") == "AA"
    logs = [e.message for e in result.all_events if e.event_type is None]
    assert "worst carrier AA" in logs
    assert (tmp_path / "delays.parquet" / "_SUCCESS").exists()
