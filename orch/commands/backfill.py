"""``orch backfill -p PIPELINE [--partition-set NAME] [--partitions a,b | --all | --from X
--to Y] [--tags JSON] [--noprompt]``: one run per partition, through the run coordinator;
``orch backfill list | resume ID | cancel ID``.

A backfill is stored before its first run and keeps a checkpoint after every chunk, so if the
process launching it dies (SIGKILL, a closed terminal) ``orch backfill resume ID`` goes on
from there without launching any partition twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ._common import (
    Attribute,
    ModuleName,
    PipelineName,
    PythonFile,
    Tags,
    WorkingDirectory,
    fail,
    load_in_process,
    make_target,
    open_instance,
    parse_tags,
    target_code_location,
)

if TYPE_CHECKING:
    from orch.core.instance import Instance
    from orch.core.storage.schedules import Backfill

backfill_app = typer.Typer(
    help="Backfills: one run per partition of a partition set (give -p PIPELINE and -f).",
    invoke_without_command=True, add_completion=False)


def register(app: typer.Typer) -> None:
    app.add_typer(backfill_app, name="backfill")


@backfill_app.callback()
def backfill(
    ctx: typer.Context,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    pipeline: PipelineName = None,
    partition_set: str | None = typer.Option(None, "--partition-set",
                                             help="The partition set (optional when the "
                                                  "pipeline has one)."),
    partitions: str | None = typer.Option(None, "--partitions",
                                          help="Comma-separated partition names."),
    select_all: bool = typer.Option(False, "--all", help="Every partition (the default)."),
    from_name: str | None = typer.Option(None, "--from", help="First partition (inclusive)."),
    to_name: str | None = typer.Option(None, "--to", help="Last partition (inclusive)."),
    tags: Tags = None,
    noprompt: bool = typer.Option(False, "--noprompt", help="Do not ask for confirmation."),
) -> None:
    """Launch a backfill: one run per selected partition.

    Runs are submitted through the run coordinator in chunks of 25, with a checkpoint after
    each."""
    if ctx.invoked_subcommand is not None:
        return
    from orch.core.errors import DagsterError
    from orch.core.scheduling.backfill import (
        choose_partition_set,
        create_backfill,
        select_partitions,
    )

    if not pipeline:
        fail("Give the pipeline to backfill: orch backfill -p PIPELINE -f FILE.py "
             "(or orch backfill list | resume ID | cancel ID).")
    target = make_target(python_file, module_name, attribute, working_directory)
    workspace = load_in_process(target)
    user_tags = parse_tags(tags)
    try:
        _, partition_set_def = choose_partition_set(workspace, pipeline, partition_set)
        all_names = partition_set_def.get_partition_names()
        names = [n.strip() for n in partitions.split(",") if n.strip()] if partitions else None
        chosen = select_partitions(all_names, names, select_all, from_name, to_name)
    except DagsterError as e:
        fail(str(e))
    typer.echo(f"Pipeline: {pipeline}")
    typer.echo(f"Partition set: {partition_set_def.name}")
    typer.echo("Partitions:\n" + _grid(chosen))
    if not noprompt and not typer.confirm(
            f"Do you want to proceed with the backfill ({len(chosen)} partitions)?"):
        typer.echo("Aborted!", err=True)
        raise typer.Exit(1)
    instance = open_instance(target_code_location(python_file, module_name, attribute,
                                                  working_directory))
    try:
        stored = create_backfill(instance, workspace, pipeline, partition_set_def.name, chosen,
                                 user_tags)
    except DagsterError as e:
        fail(str(e))
    typer.echo(f"Created backfill `{stored.backfill_id}` ({len(chosen)} partitions); "
               f"resume it with: orch backfill resume {stored.backfill_id}", err=True)
    raise typer.Exit(_execute(instance, workspace, stored.backfill_id))


def _grid(names: list[str], width: int = 88) -> str:
    if not names:
        return "  (none)"
    column = max(len(n) for n in names) + 2
    per_row = max(1, width // column)
    rows = [names[i:i + per_row] for i in range(0, len(names), per_row)]
    return "\n".join("  " + "".join(n.ljust(column) for n in row).rstrip() for row in rows)


def _execute(instance: Instance, workspace: Any, backfill_id: str) -> int:
    from orch.core.errors import DagsterError
    from orch.core.scheduling.backfill import execute_backfill
    from orch.core.storage.schedules import BulkActionStatus

    def progress(b: Backfill, _outcome: Any) -> None:
        typer.echo(f"Submitted {b.submitted_count}/{len(b.partition_names)} partitions",
                   err=True)

    try:
        result = execute_backfill(instance, workspace, backfill_id, on_chunk=progress)
    except DagsterError as e:
        fail(str(e))
    if result.status is BulkActionStatus.COMPLETED:
        typer.echo(f"Launched backfill job `{backfill_id}`")
        return 0
    if result.status is BulkActionStatus.CANCELED:
        typer.echo(f"Backfill `{backfill_id}` was canceled after "
                   f"{result.submitted_count} partitions.", err=True)
        return 1
    typer.echo(f"Backfill `{backfill_id}` FAILED after {result.submitted_count} partitions:\n"
               f"{result.error}", err=True)
    return 1


@backfill_app.command("list")
def list_backfills() -> None:
    """Backfills of the instance, newest first."""
    import datetime

    with open_instance() as instance:
        backfills = instance.storage.get_backfills()
        if not backfills:
            typer.echo("No backfills.")
            return
        for b in backfills:
            created = datetime.datetime.fromtimestamp(b.create_timestamp or 0, datetime.UTC)
            typer.echo(f"{b.backfill_id}  {b.status.value:<9}  {b.pipeline_name}  "
                       f"{b.partition_set_name}  {b.submitted_count}/{len(b.partition_names)}"
                       f"  {created.isoformat(timespec='seconds')}")


@backfill_app.command("cancel")
def cancel(backfill_id: str = typer.Argument(..., help="The backfill id.")) -> None:
    """Stop a backfill between chunks (its runs already submitted go on)."""
    from orch.core.errors import DagsterError
    from orch.core.scheduling.backfill import set_backfill_status
    from orch.core.storage.schedules import BulkActionStatus

    with open_instance() as instance:
        try:
            set_backfill_status(instance, backfill_id, BulkActionStatus.CANCELED)
        except DagsterError as e:
            fail(str(e))
    typer.echo(f"Canceled backfill {backfill_id}")


@backfill_app.command("resume")
def resume(
    backfill_id: str = typer.Argument(..., help="The backfill id."),
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
) -> None:
    """Go on with a backfill from its checkpoint (after a crash, a failure or a cancel).

    Partitions that already have their run are not launched again. The code is loaded from
    where the backfill was created unless -f/-m is given."""
    from orch.core.errors import DagsterError
    from orch.core.scheduling.backfill import set_backfill_status
    from orch.core.storage.schedules import BulkActionStatus
    from orch.core.workspace import WorkspaceTarget

    instance = open_instance(target_code_location(python_file, module_name, attribute,
                                                  working_directory))
    stored = instance.storage.get_backfill(backfill_id)
    if stored is None:
        fail(f'No backfill "{backfill_id}" in the instance {instance.root_dir}.')
    if python_file or module_name:
        target = make_target(python_file, module_name, attribute, working_directory)
    else:
        target = WorkspaceTarget.from_origin(stored.origin or {})
    workspace = load_in_process(target)
    if stored.status is not BulkActionStatus.REQUESTED:
        try:
            set_backfill_status(instance, backfill_id, BulkActionStatus.REQUESTED)
        except DagsterError as e:
            fail(str(e))
    raise typer.Exit(_execute(instance, workspace, backfill_id))
