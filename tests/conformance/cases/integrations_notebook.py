"""dagstermill as a legacy file uses it, at the definition level and outside a run (the
notebook runs on a kernel are tests/integrations/test_notebook.py): define_dagstermill_solid's
name, description, tags, inputs, outputs and resource keys (with output_notebook_name), the
reserved tags, and get_context / yield_result / yield_event in a notebook opened on its own."""

import orch.integrations.notebook as dagstermill

from orch import AssetMaterialization, InputDefinition, OutputDefinition


def _describe(solid_def):
    return {"name": solid_def.name, "description": solid_def.description,
            "tags": dict(solid_def.tags), "inputs": [i.name for i in solid_def.input_defs],
            "outputs": [(o.name, o.io_manager_key) for o in solid_def.output_defs],
            "resources": sorted(solid_def.required_resource_keys)}


def run_plain_definition():
    return _describe(dagstermill.define_dagstermill_solid(
        "clean", "notebooks/clean.ipynb", input_defs=[InputDefinition("df")],
        output_defs=[OutputDefinition(int, "rows")], required_resource_keys={"db"},
        tags={"team": "data"}))


def run_output_notebook_definition():
    return _describe(dagstermill.define_dagstermill_solid(
        "report", "report.ipynb", output_notebook_name="notebook",
        description="The weekly report"))


def run_reserved_tag():
    return dagstermill.define_dagstermill_solid("x", "x.ipynb", tags={"kind": "sql"})


def run_outside_a_run():
    context = dagstermill.get_context(solid_config={"factor": 2})
    event = AssetMaterialization("numbers")
    return {"config": context.solid_config, "pipeline": context.pipeline_name,
            "result": dagstermill.yield_result(42, "rows"),
            "event": dagstermill.yield_event(event) is event}
