"""Shared pieces of the commands that load user code: target flags, errors, run options.

Nothing heavy at module level: the CLI must start fast, and must never import Textual.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any, NoReturn

import typer

EXIT_OK, EXIT_FAILURE, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130

PythonFile = Annotated[str | None, typer.Option(
    "--python-file", "-f", help="A Python file, or a directory whose .py files define pipelines.",
    rich_help_panel="Code location")]
ModuleName = Annotated[str | None, typer.Option(
    "--module-name", "-m", help="A Python module (importable from the working directory).",
    rich_help_panel="Code location")]
Attribute = Annotated[str | None, typer.Option(
    "--attribute", "-a", help="The pipeline or repository (or a function returning one) to load.",
    rich_help_panel="Code location")]
WorkingDirectory = Annotated[str | None, typer.Option(
    "--working-directory", "-d", help="Put on sys.path; runs execute there (default: current).",
    rich_help_panel="Code location")]
PipelineName = Annotated[str | None, typer.Option(
    "--pipeline", "-p", help="The pipeline (optional when the code defines only one).")]
ConfigFiles = Annotated[list[str] | None, typer.Option(
    "--config", "-c", help="Run config YAML file or glob; repeatable, deep-merged in order.")]
Preset = Annotated[str | None, typer.Option("--preset", help="A preset of the pipeline.")]
Mode = Annotated[str | None, typer.Option("--mode", help="The mode to run in.")]
Tags = Annotated[str | None, typer.Option("--tags", help='Run tags as JSON, e.g. \'{"team": "a"}\'.')]
Selection = Annotated[str | None, typer.Option(
    "--solid-selection", "-s",
    help='Solids to run, e.g. "a,*b+" (with --parent: steps of the parent run to re-execute).')]


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``orch: error: ...`` on stderr and exit (2 = invalid input)."""
    sys.stderr.write(f"orch: error: {message.rstrip()}\n")
    sys.stderr.flush()
    raise typer.Exit(code)


def make_target(python_file: str | None, module_name: str | None, attribute: str | None,
                working_directory: str | None):
    from orch.core.errors import DagsterError
    from orch.core.workspace import WorkspaceTarget

    try:
        return WorkspaceTarget.from_options(python_file, module_name, attribute,
                                            working_directory)
    except DagsterError as e:
        fail(str(e))


def open_instance(code_location: str | None = None, *, migrating: bool = False) -> Any:
    """The instance of the project ``code_location`` belongs to (``$ORCH_HOME`` wins; see
    ``orch.core.instance.locate_home``), or exit 2 with the reason it cannot be opened."""
    from orch.core.errors import DagsterError
    from orch.core.instance import Instance

    try:
        return Instance.get(code_location, migrating=migrating)
    except DagsterError as e:
        fail(str(e))


def find_parent_run(instance: Any, ref: str, pipeline_name: str | None = None) -> Any:
    """The run ``ref`` names (an id, the start of one, ``latest``; see
    ``orch.core.execution.reexecution.resolve_parent_run``), or exit 2 saying which instance
    was searched and why that one."""
    from orch.core.errors import DagsterError, DagsterRunNotFoundError
    from orch.core.execution.reexecution import resolve_parent_run

    try:
        return resolve_parent_run(instance, ref, pipeline_name)
    except DagsterRunNotFoundError as e:
        fail(f"{e} Give the code location (-f/-m) of the project the run belongs to, or set "
             "ORCH_HOME.")
    except DagsterError as e:
        fail(str(e))


def target_code_location(python_file: str | None, module_name: str | None,
                         attribute: str | None, working_directory: str | None) -> str | None:
    """Where the given code lives (a file's folder, a directory, a module's working
    directory), or None when no code location was given."""
    if not (python_file or module_name):
        return None
    return make_target(python_file, module_name, attribute, working_directory).root


def load_error_note(error: Any) -> str:
    """A file of a directory target that did not load, and why (the user's traceback)."""
    name = os.path.basename(error.file) if error.file else "a file"
    return f"{name} did not load, so its pipelines are missing:\n{error.format()}"


def load_in_process(target: Any):
    """Import the target here (the commands that validate or inspect definitions do)."""
    from orch.core.workspace import load_error_from_exception, load_workspace

    try:
        workspace = load_workspace(target)
    except (Exception, SystemExit) as exc:
        fail(load_error_from_exception(exc, target).format())
    for warning in workspace.warnings:
        sys.stderr.write(f"orch: warning: {warning}\n")
    for error in workspace.load_errors:
        sys.stderr.write(f"orch: warning: {load_error_note(error)}\n")
    return workspace


def choose(workspace: Any, pipeline_name: str | None):
    """The LoadedPipeline named ``pipeline_name`` (or the only one); exit 2 listing the
    choices otherwise."""
    from orch.core.errors import DagsterError

    try:
        return workspace.get(pipeline_name)
    except DagsterError as e:
        fail(str(e))


def parse_tags(tags: str | None) -> dict[str, str]:
    if not tags:
        return {}
    try:
        value = json.loads(tags)
    except json.JSONDecodeError as e:
        fail(f"--tags must be a JSON object, e.g. '{{\"team\": \"data\"}}': {e}")
    if not isinstance(value, dict):
        fail(f"--tags must be a JSON object, got {type(value).__name__}.")
    from orch.core.runs import LEGACY_PRIORITY_TAG, PRIORITY_TAG

    settable = {PRIORITY_TAG, LEGACY_PRIORITY_TAG}  # the queue's priority is the user's to set
    reserved = [k for k in value if str(k).startswith(("orch/", "dagster/"))
                and k not in settable]
    if reserved:
        fail(f"Tags with the orch/ or dagster/ prefix are reserved for orch: {reserved} "
             f"(except {', '.join(sorted(settable))}).")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def load_config_files(config_files: list[str] | None) -> dict[str, Any] | None:
    if not config_files:
        return None
    from orch.core.definitions.preset import load_yaml_files
    from orch.core.errors import DagsterError

    try:
        return load_yaml_files(list(config_files))
    except DagsterError as e:
        fail(str(e))


def execution_config(executor: str | None, max_concurrent: int | None,
                     dask_address: str | None = None) -> dict[str, Any] | None:
    """``execution:`` run config from --executor / --max-concurrent / --dask-address (None
    when none is given)."""
    if executor is None and max_concurrent is None and dask_address is None:
        return None
    name = executor or ("dask" if dask_address is not None else "multiprocess")
    if max_concurrent is not None and name not in ("multiprocess", "dask"):
        fail("--max-concurrent applies to the multiprocess and dask executors only.")
    if dask_address is not None and name != "dask":
        fail("--dask-address applies to the dask executor only (--executor dask).")
    config: dict[str, Any] = {}
    if max_concurrent is not None:
        if max_concurrent < 0:
            fail("--max-concurrent must be 0 (one per CPU) or more.")
        config["max_concurrent"] = max_concurrent
    if dask_address is not None:
        if "://" not in dask_address:
            fail(f'--dask-address "{dask_address}" is not a scheduler address such as '
                 "tcp://127.0.0.1:8786.")
        config["cluster"] = {"existing": {"address": dask_address}}
    return {"execution": {name: {"config": config}}}


def require_mode(pipeline_def: Any, mode: str | None, presets_apply: bool = False) -> None:
    """Exit 2 when a pipeline with several modes is given none, naming the choices."""
    from orch.core.errors import missing_mode_message

    if mode is None and len(pipeline_def.mode_names) > 1:
        presets = [p.name for p in pipeline_def.preset_defs] if presets_apply else []
        fail(missing_mode_message(pipeline_def.name, pipeline_def.mode_names, presets))


def confirm_delete(question: str, yes: bool) -> None:
    """Ask to type DELETE (in a terminal; elsewhere ``--yes`` is needed); exit 2 otherwise."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail("this needs confirmation: run it in a terminal, or pass --yes.")
    answer = typer.prompt(f"{question} Type DELETE", default="")
    if answer.strip() != "DELETE":
        fail("nothing deleted (you did not type DELETE)")
