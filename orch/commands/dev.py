"""``orch dev``: the terminal workbench. Textual is imported only inside the command."""

from __future__ import annotations

import typer

from ._common import (
    Attribute,
    ConfigFiles,
    Mode,
    ModuleName,
    PipelineName,
    Preset,
    PythonFile,
    WorkingDirectory,
    fail,
    load_config_files,
)


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)


def dev(
    target: str = typer.Argument(".", help="A Python file or a directory (default: here)."),
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    mode: Mode = None,
    preset: Preset = None,
    config: ConfigFiles = None,
    watch: bool = typer.Option(True, "--watch/--no-watch",
                               help="Reload on save; re-execute selected solids."),
    load_timeout: float = typer.Option(30.0, "--load-timeout",
                                       help="Seconds a repository load may take."),
    daemon: bool = typer.Option(True, "--daemon/--no-daemon",
                                help="Host the instance's daemon (run queue, run monitoring) "
                                     "unless another process runs it."),
    web: bool = typer.Option(False, "--web", help="Serve the same workbench in a browser "
                             "(each tab is a session of its own); needs orch[web]."),
    host: str = typer.Option("127.0.0.1", "--host", help="With --web: the address to listen "
                             "on (loopback unless you say otherwise)."),
    port: int = typer.Option(8080, "--port", help="With --web: the port."),
) -> None:
    """Open the workbench on a repository: DAG, runs, events and compute logs, live.

    --mode, --preset and -c set how `r` launches the pipeline (remembered per pipeline in
    ORCH_HOME, changed in the launchpad with `l`)."""
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
        fail(str(e))
    if preset is not None and (mode is not None or config):
        fail("--preset sets the run config and mode; do not combine it with --mode or -c.")
    run_config = load_config_files(config)
    if web:
        from .web import serve_workbench

        raise typer.Exit(serve_workbench(host, port, _without_web_flags()))
    from orch.tui import build_app, run_app
    from orch.tui.services.launcher import LaunchChoice

    choice = LaunchChoice(run_config=run_config or {}, mode=mode, preset=preset) \
        if (mode or preset or config) else None
    with Instance.get(workspace.root) as instance:
        app = build_app(workspace, instance, watch=watch, load_timeout=load_timeout,
                        pipeline=pipeline, initial_choice=choice, daemon=daemon)
        code = run_app(app)
    raise typer.Exit(code)


def _without_web_flags() -> list[str]:
    """This command's arguments as given, less --web/--host/--port: what each browser tab's
    session runs."""
    import sys

    args = sys.argv[sys.argv.index("dev") + 1:] if "dev" in sys.argv else []
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--web":
            continue
        if arg in ("--host", "--port"):
            skip = True
            continue
        if arg.startswith(("--host=", "--port=")):
            continue
        out.append(arg)
    return out
