"""``orch plan``: the execution plan of a pipeline, steps in order with their dependencies."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ._common import (
    Attribute,
    ConfigFiles,
    Mode,
    ModuleName,
    PipelineName,
    Preset,
    PythonFile,
    Selection,
    WorkingDirectory,
    choose,
    fail,
    load_in_process,
)
from ._request import LaunchRequest


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def plan(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    config: ConfigFiles = None,
    preset: Preset = None,
    mode: Mode = None,
    selection: Selection = None,
    json_output: Annotated[bool, typer.Option("--json", help="The plan snapshot as JSON.")] = False,
) -> None:
    """Steps in execution order with the steps each depends on (config is validated)."""
    from orch.core.errors import DagsterError
    from orch.core.execution.api import prepare_run

    request = LaunchRequest.from_options(
        python_file=python_file, module_name=module_name, attribute=attribute,
        working_directory=working_directory, pipeline=pipeline, config=config, preset=preset,
        mode=mode, selection=selection)
    loaded = choose(load_in_process(request.code.target()), request.pipeline)
    kwargs = request.fresh_run_args(loaded.get_definition())
    try:
        prepared = prepare_run(loaded.get_definition(), **kwargs)
    except DagsterError as e:
        fail(str(e))
    snap = prepared.plan.snapshot()
    if json_output:
        typer.echo(json.dumps(snap, indent=1, default=str))
        return
    steps = [s for s in snap["steps"] if s["key"] in set(snap["step_keys_to_execute"])]
    lines = [f"Execution plan for {snap['pipeline_name']} (mode {prepared.mode_def.name}, "
             f"{len(steps)} step{'s' if len(steps) != 1 else ''}):"]
    width = max((len(s["key"]) for s in steps), default=0)
    for n, step in enumerate(steps, 1):
        upstream = sorted({u for i in step["inputs"] for u in i["upstream"]})
        deps = f"  ← {', '.join(upstream)}" if upstream else ""
        kind = "" if step["kind"] == "COMPUTE" else f"  [{step['kind'].lower()}]"
        lines.append(f"  {n:>3}. {step['key']:<{width}}{deps}{kind}".rstrip())
        for i in step["inputs"]:
            lines.append(f"         {'':<{width}}  {i['name']}: {i['type']} from {i['source']}")
    typer.echo("\n".join(lines))
