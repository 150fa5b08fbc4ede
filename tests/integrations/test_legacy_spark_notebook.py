"""A legacy Dagster file with a PySpark solid (dagster_pyspark.pyspark_resource) feeding two
dagstermill notebook solids runs under orch with only its imports changed (in the file and in
the notebooks): the Spark solid writes parquet on local Spark; one notebook reads it with
pandas, the other with the pipeline's pyspark resource (which the kernel builds for itself, a
session of its own), each on a Jupyter kernel, and both yield their result back to the
pipeline. The run is in this process, on the test session's Spark session, which the
resource reuses."""

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
                     file_relative_path, fs_io_manager, pipeline, reconstructable, solid)
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

# The same notebook reading the parquet with the pipeline's Spark resource: the kernel builds
# its own pyspark_resource (a session does not pickle), as dagstermill does.
delays_report_on_spark = dagstermill.define_dagstermill_solid(
    "delays_report_on_spark", file_relative_path(__file__, "delays_report_spark.ipynb"),
    input_defs=[InputDefinition("path", str)],
    output_defs=[OutputDefinition(str, "worst")], required_resource_keys={"pyspark"})


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "pyspark": pyspark_resource, "io_manager": fs_io_manager,
    "output_notebook_io_manager": dagstermill.local_output_notebook_io_manager})])
def airline_delays():
    path = delays_by_carrier()
    delays_report(path)
    delays_report_on_spark(path)


if __name__ == "__main__":
    execute_pipeline(reconstructable(airline_delays), run_config={
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

SPARK_CELLS = [
    ("import dagstermill", []),
    ("context = dagstermill.get_context()\npath = 'delays.parquet'", ["parameters"]),
    ("spark = context.resources.pyspark.spark_session\n"
     "worst = spark.read.parquet(path).orderBy('avg(delay)', ascending=False).first().carrier\n"
     "context.log.info(f'worst carrier on Spark {worst} in {spark.sparkContext.applicationId}')",
     []),
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
    for name, cells in (("delays_report", CELLS), ("delays_report_spark", SPARK_CELLS)):
        nb = nbformat.v4.new_notebook()
        for source, tags in cells:
            cell = nbformat.v4.new_code_cell(_orch_imports(source))
            cell.metadata["tags"] = tags
            nb.cells.append(cell)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, str(tmp_path / f"{name}.ipynb"))
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

    from orch import execute_pipeline, reconstructable

    # reconstructable, as dagstermill requires: the kernel loads the pipeline to build the
    # pyspark resource (a session does not pickle).
    result = execute_pipeline(reconstructable(module.airline_delays), run_config={
        "resources": {"pyspark": {"config": {"spark_conf": {"spark": {"master": "local[2]"}}}}},
        "solids": {"delays_by_carrier": {"config": {"out_dir": str(tmp_path)}}}})
    assert result.success
    assert result.output_for_solid("delays_report", "worst") == "AA"
    assert result.output_for_solid("delays_report_on_spark", "worst") == "AA"
    logs = [e.message for e in result.all_events if e.event_type is None]
    assert "worst carrier AA" in logs
    kernel_app = [m for m in logs if m.startswith("worst carrier on Spark AA in ")]
    assert kernel_app and spark_session.sparkContext.applicationId not in kernel_app[0]
    # The kernel's session is stopped by its teardown cell (the run's, the test session's,
    # is reused and left running).
    assert logs.count("Stopped the Spark session") == 1
    assert spark_session.sparkContext._jsc is not None
    assert (tmp_path / "delays.parquet" / "_SUCCESS").exists()
