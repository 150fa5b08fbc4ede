"""``orch dev``: the terminal workbench. Textual is imported only inside the command."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import Attribute, ModuleName, PipelineName, PythonFile, WorkingDirectory


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)


def dev(
    target: str = typer.Argument(".", help="A Python file or a directory (default: here)."),
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    watch: bool = typer.Option(True, "--watch/--no-watch",
                               help="Reload on save; re-execute selected solids."),
    load_timeout: float = typer.Option(30.0, "--load-timeout",
                                       help="Seconds a repository load may take."),
) -> None:
    """Open the workbench on a repository: DAG, runs, events and compute logs, live."""
    from orch.core.errors import DagsterError
    from orch.core.instance import Instance
    from orch.core.workspace import WorkspaceTarget

    try:
        if module_name:
            workspace = WorkspaceTarget.from_options(module_name=module_name,
                                                     attribute=attribute,
                                                     working_directory=working_directory)
        else:
            workspace = WorkspaceTarget.from_options(python_file=python_file or target,
                                                     attribute=attribute,
                                                     working_directory=working_directory)
    except DagsterError as e:
        typer.echo(f"orch dev: {e}", err=True)
        raise typer.Exit(2) from None
    target_args = _target_args(workspace)
    from orch.tui import run_app
    from orch.tui.services.snapshot import subprocess_loader

    with Instance.get() as instance:
        code = run_app(
            load_snapshot=subprocess_loader(workspace, load_timeout),
            instance=instance,
            target_args=target_args,
            watch_root=workspace.root,
            watch=watch,
            cwd=workspace.working_directory,
            pipeline=pipeline,
        )
    raise typer.Exit(code)


def _target_args(workspace) -> list[str]:
    """The same code location as flags for `orch launch`."""
    if workspace.module_name:
        args = ["-m", workspace.module_name]
    else:
        args = ["-f", str(Path(workspace.python_file or workspace.directory))]
    if workspace.attribute:
        args += ["-a", workspace.attribute]
    if workspace.working_directory:
        args += ["-d", workspace.working_directory]
    return args
