"""``orch config scaffold``: a run-config template for a pipeline."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import (
    Attribute,
    Mode,
    ModuleName,
    PipelineName,
    PythonFile,
    WorkingDirectory,
    choose,
    fail,
    load_in_process,
    make_target,
    require_mode,
)

config_app = typer.Typer(help="Run config helpers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


@config_app.command("scaffold")
def scaffold(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    mode: Mode = None,
    required_only: Annotated[bool, typer.Option(
        "--required-only", help="Only the entries a run cannot do without.")] = False,
) -> None:
    """Print a YAML template of the pipeline's run config (defaults filled in)."""
    from orch.core.errors import DagsterError
    from orch.core.execution.run_config import scaffold_run_config

    workspace = load_in_process(make_target(python_file, module_name, attribute,
                                            working_directory))
    loaded = choose(workspace, pipeline)
    require_mode(loaded.get_definition(), mode)
    try:
        text = scaffold_run_config(loaded.get_definition(), mode, required_only)
    except DagsterError as e:
        fail(str(e))
    typer.echo(text.rstrip("\n"))
