"""``orch run`` (headless, for CI and the terminal) and ``orch launch`` (fire and forget).

``orch run`` validates the pipeline in this process — invalid config, an unknown pipeline,
solid, preset or mode exit with code 2 before any run exists — then stores the run, starts
the run worker (``python -m orch.core.worker RUN_ID``) and follows the run's events from
SQLite. Exit codes: 0 success, 1 run failure, 2 invalid input, 130 interrupted (Ctrl-C
cancels the run cleanly: it ends CANCELED).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from ._common import (
    EXIT_INTERRUPTED,
    Attribute,
    ConfigFiles,
    Mode,
    ModuleName,
    PipelineName,
    Preset,
    PythonFile,
    Selection,
    Tags,
    WorkingDirectory,
    choose,
    fail,
    find_parent_run,
    load_in_process,
    open_instance,
)
from ._request import LaunchRequest, OutputOptions, WatchOptions

Executor = Annotated[str | None, typer.Option(
    "--executor", help="in_process (default), multiprocess (each step in its own process) or "
    "dask (each step a task on a Dask cluster).")]
MaxConcurrent = Annotated[int | None, typer.Option(
    "--max-concurrent", help="Steps at once with the multiprocess executor (0: one per CPU) "
    "or the dask executor (0: one per worker thread).")]
DaskAddress = Annotated[str | None, typer.Option(
    "--dask-address", help="Run the steps on the existing Dask cluster whose scheduler is "
    "at this address (tcp://HOST:PORT); without it, --executor dask starts a local cluster "
    "for the run.")]
Parent = Annotated[str | None, typer.Option(
    "--parent", help="Re-execute steps of this earlier run (its id, the start of it, or "
    "latest: the newest run of -p), loading the other outputs from it.",
    rich_help_panel="Re-execution")]
FromFailure = Annotated[bool, typer.Option(
    "--from-failure", help="With --parent: re-execute its failed and unfinished steps and their "
    "downstream.", rich_help_panel="Re-execution")]
JsonOutput = Annotated[bool, typer.Option(
    "--json", help="Stream every event as one JSON object per line on stdout.",
    rich_help_panel="Output")]
Junit = Annotated[str | None, typer.Option(
    "--junit", help="Write a JUnit XML report (one test case per step) to this path.",
    rich_help_panel="Output")]
Verbose = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Print every event as a log line instead of the progress view.",
    rich_help_panel="Output")]
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress on stderr; a run that fails still says which steps "
    "failed, why and where.", rich_help_panel="Output")]
Watch = Annotated[bool, typer.Option(
    "--watch", "-w", help="After the run, re-execute the selection on every save (Ctrl-C "
    "stops).", rich_help_panel="Watch")]
Changed = Annotated[bool, typer.Option(
    "--changed", help="With --watch: re-execute only solids whose code changed, and their "
    "downstream.", rich_help_panel="Watch")]
LoadTimeout = Annotated[float, typer.Option(
    "--load-timeout", help="Seconds a code reload may take in watch mode.",
    rich_help_panel="Watch")]


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("launch")(launch)


# -- building the run ------------------------------------------------------------------------
def _prepare(instance: Any, request: LaunchRequest) -> tuple[Any, dict[str, Any]]:
    """(the loaded pipeline, ``create_run`` kwargs), or exit 2 with the reason."""
    if request.parent is None:
        loaded = choose(load_in_process(request.code.target()), request.pipeline)
        return loaded, request.fresh_run_args(loaded.get_definition())
    parent_run = find_parent_run(instance, request.parent, request.pipeline)
    target = request.target_for(parent_run)
    loaded = choose(load_in_process(target), parent_run.pipeline_name)
    return loaded, request.child_run_args(instance, loaded.reconstructable(), parent_run)


def _create(instance: Any, loaded: Any, kwargs: dict[str, Any]) -> Any:
    from orch.core.errors import DagsterError
    from orch.core.launcher import create_run

    try:
        return create_run(instance, loaded.reconstructable(), **kwargs)
    except DagsterError as e:
        fail(str(e))


def _submit(instance: Any, run: Any, pipeline_def: Any, worker_log: Any) -> Any:
    """Hand the stored run to the instance's coordinator, offering to execute it here: the
    run worker is a fork of this process, which has just imported the code (its own
    process, without a second interpreter start and import; unbuffered, so what user code
    prints outside steps shows as it happens). A queued coordinator queues it: this process
    waits for its turn (limits and the runs ahead of it) and takes it off the queue itself,
    so no dequeuer needs to run; if one takes it first, its worker is followed instead.
    Ctrl-C while queued cancels the run. Returns the worker to follow."""
    from orch.core.launcher import CallerLauncher, RecordedWorker, fork_run
    from orch.core.run_coordinator import wait_for_turn

    def on_wait(reason: str) -> None:
        sys.stderr.write(f"orch: run {run.run_id} is QUEUED: {reason}\n")
        sys.stderr.flush()

    launcher = CallerLauncher(lambda r: fork_run(instance, r, pipeline_def, output=worker_log))
    try:
        submitted = instance.submit_run(run, launcher)
        if launcher.started is None and submitted.status.value == "QUEUED":
            wait_for_turn(instance, run.run_id, launcher, on_wait=on_wait)
    except KeyboardInterrupt:
        instance.cancel_run(run.run_id)  # queued: it never starts; started: it is stopped
        raise
    return launcher.started or RecordedWorker(instance, run.run_id)


def _report(instance: Any, result: Any, output: OutputOptions) -> None:
    from ._follow import github_annotations, write_junit

    if output.junit:
        write_junit(output.junit, instance, result)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        github_annotations(instance, result, sys.stderr if output.json_output else sys.stdout)
    code = result.worker_exit
    if code is not None and code not in (0, 1, 130) and not result.interrupted:
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        sys.stderr.write(f"orch: the run worker {how}\n")
        tail = result.worker_output.rstrip().splitlines()[-15:]
        if tail:
            sys.stderr.write("orch: the end of its output:\n" + "\n".join(tail) + "\n")


# -- orch run --------------------------------------------------------------------------------
def run(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    config: ConfigFiles = None,
    preset: Preset = None,
    mode: Mode = None,
    tags: Tags = None,
    selection: Selection = None,
    executor: Executor = None,
    max_concurrent: MaxConcurrent = None,
    dask_address: DaskAddress = None,
    parent: Parent = None,
    from_failure: FromFailure = False,
    json_output: JsonOutput = False,
    junit: Junit = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
    watch: Watch = False,
    changed: Changed = False,
    load_timeout: LoadTimeout = 60.0,
) -> None:
    """Run a pipeline headless: validate, execute in a run worker, follow its progress.

    Exit code 0 success, 1 run failure, 2 invalid input, 130 interrupted (run CANCELED).
    """
    from ._follow import TerminateAsInterrupt, follow_run, make_sinks

    if changed and not watch:
        fail("--changed works with --watch: it re-executes solids whose code changed on save.")
    if watch and from_failure:
        fail("--watch already re-executes a failed run's unfinished steps with the selection; "
             "drop --from-failure.")
    request = LaunchRequest.from_options(
        python_file=python_file, module_name=module_name, attribute=attribute,
        working_directory=working_directory, pipeline=pipeline, config=config, preset=preset,
        mode=mode, tags=tags, selection=selection, executor=executor,
        max_concurrent=max_concurrent, parent=parent, from_failure=from_failure,
        dask_address=dask_address)
    output = OutputOptions(json_output, junit, verbose, quiet)
    instance = open_instance(request.code.root())
    if watch:
        from ._watch import watch_loop

        raise typer.Exit(watch_loop(instance, request, output,
                                    WatchOptions(changed, load_timeout)))

    import tempfile

    with TerminateAsInterrupt():
        try:
            loaded, kwargs = _prepare(instance, request)
            stored = _create(instance, loaded, kwargs)
            worker_log = tempfile.TemporaryFile()
            process = _submit(instance, stored, loaded.get_definition(), worker_log)
        except KeyboardInterrupt:
            sys.stderr.write("orch: interrupted before the run started\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None

        def worker_output() -> str:
            worker_log.seek(0)
            return worker_log.read().decode(errors="replace")

        sinks = make_sinks(json_output=output.json_output, verbose=output.verbose,
                           quiet=output.quiet)
        result = follow_run(instance, stored, process, sinks, worker_output=worker_output,
                            worker_log=worker_log.fileno(),
                            wait_for_exit=False)
    if output.quiet and result.exit_code not in (0, EXIT_INTERRUPTED):
        from ._follow import outcome_lines

        sys.stderr.write("\n".join(outcome_lines(result.tracker)) + "\n")
    _report(instance, result, output)
    instance.close()
    raise typer.Exit(result.exit_code)


# -- orch launch -----------------------------------------------------------------------------
def launch(
    python_file: PythonFile = None,
    module_name: ModuleName = None,
    attribute: Attribute = None,
    working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    config: ConfigFiles = None,
    preset: Preset = None,
    mode: Mode = None,
    tags: Tags = None,
    selection: Selection = None,
    executor: Executor = None,
    max_concurrent: MaxConcurrent = None,
    dask_address: DaskAddress = None,
    parent: Parent = None,
    from_failure: FromFailure = False,
) -> None:
    """Create a run and start its worker without waiting; print the run id.

    Follow it with "orch runs logs RUN_ID -f" or in the app (orch dev). With a queued run
    coordinator the run waits in the queue (QUEUED is printed on stderr).
    """
    request = LaunchRequest.from_options(
        python_file=python_file, module_name=module_name, attribute=attribute,
        working_directory=working_directory, pipeline=pipeline, config=config, preset=preset,
        mode=mode, tags=tags, selection=selection, executor=executor,
        max_concurrent=max_concurrent, parent=parent, from_failure=from_failure,
        dask_address=dask_address)
    instance = open_instance(request.code.root())
    loaded, kwargs = _prepare(instance, request)
    stored = _create(instance, loaded, kwargs)
    submitted = instance.submit_run(stored)  # the coordinator: launched now, or queued
    if submitted.status.value == "QUEUED":
        typer.echo(f"QUEUED {stored.run_id}", err=True)
    typer.echo(stored.run_id)
    instance.close()
