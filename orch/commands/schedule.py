"""``orch schedule list | start | stop | preview | logs | wipe | tick``.

State lives in the instance (``instigators``/``ticks``), keyed by repository and schedule
name; ``tick`` runs one evaluation pass of the running schedules (what the daemon repeats).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ._common import Attribute, ModuleName, PythonFile, WorkingDirectory, confirm_delete, fail
from ._instigators import (
    Now,
    iso,
    load,
    parse_now,
    pick,
    print_orphans,
    print_preview,
    print_ticks,
    refuse_beside_daemon,
    state_word,
    stop_orphan,
    switch,
    tick_line,
)

if TYPE_CHECKING:
    from orch.core.scheduling.ticks import Instigator

    from ._instigators import Context

schedule_app = typer.Typer(help="Schedules: turn them on and off, preview, see their ticks.",
                           no_args_is_help=True, add_completion=False)

Name = Annotated[str | None, typer.Argument(help="The schedule (or REPOSITORY:NAME).")]


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")


@schedule_app.command("list")
def list_schedules(
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    running: bool = typer.Option(False, "--running", help="Only running schedules."),
    stopped: bool = typer.Option(False, "--stopped", help="Only stopped schedules."),
    names_only: bool = typer.Option(False, "--name", help="Print the names only."),
    now: Now = None,
) -> None:
    """Each schedule with its status, cron, next tick and last tick."""
    from orch.core.scheduling.cron import next_ticks

    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    clock = parse_now(now)
    shown = []
    for instigator in ctx.instigators:
        status = state_word(ctx.instance, instigator)
        if (running and status != "RUNNING") or (stopped and status != "STOPPED"):
            continue
        shown.append((instigator, status))
    if names_only:
        for instigator, _ in shown:
            typer.echo(instigator.name)
        return
    if not ctx.instigators:
        typer.echo(f"There are no schedules defined for repository "
                   f"{', '.join(ctx.repositories)}.")
        return
    latest = ctx.instance.storage.get_latest_ticks([i.selector for i, _ in shown])
    for repo in ctx.repositories:
        title = f"Repository {repo}"
        typer.echo(f"{title}\n{'*' * len(title)}")
        for instigator, status in shown:
            if instigator.repository != repo:
                continue
            d = instigator.definition
            tz = d.execution_timezone or "UTC"
            [following] = next_ticks(d.cron_schedule, d.execution_timezone, clock, 1)
            typer.echo(f"Schedule: {instigator.name} [{status}]")
            typer.echo(f"Cron Schedule: {d.cron_schedule} ({tz})")
            typer.echo(f"Pipeline: {d.pipeline_name}")
            typer.echo(f"Next tick: {following.isoformat()}")
            last = latest.get(instigator.selector)
            typer.echo(f"Last tick: {tick_line(last, d.execution_timezone) if last else '-'}")
            typer.echo("*" * len(title))
    print_orphans(ctx)


def _names(ctx: Context, name: str | None, everything: bool, verb: str) -> list[Instigator]:
    return pick(ctx, name, everything, verb, f"Noop: give the schedule to {verb}, or "
                                             f"--{verb}-all.")


@schedule_app.command("start")
def start(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    start_all: bool = typer.Option(False, "--start-all", help="Start every schedule."),
    now: Now = None,
) -> None:
    """Turn a schedule on: it runs for its cron times from now on, never earlier ones."""
    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    switch(ctx, _names(ctx, name, start_all, "start"), True, start_all, parse_now(now))


@schedule_app.command("stop")
def stop(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    stop_all: bool = typer.Option(False, "--stop-all", help="Stop every schedule."),
) -> None:
    """Turn a schedule off (its tick history stays)."""
    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    if not stop_all and stop_orphan(ctx, name):
        return
    switch(ctx, _names(ctx, name, stop_all, "stop"), False, stop_all)


@schedule_app.command("preview")
def preview(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    at: str | None = typer.Option(None, "--at", help="Evaluate the tick at this time (ISO "
                                  "8601); default: the next cron time after --now."),
    count: int = typer.Option(5, "--count", help="How many upcoming cron times to list."),
    now: Now = None,
) -> None:
    """Evaluate one tick without launching or storing anything.

    Prints the run requests (with their run config, checked against the pipeline) or the
    skip reason, and the next cron times. Exit 1 when that tick would fail."""
    from orch.core.scheduling.cron import as_aware, next_ticks
    from orch.core.scheduling.preview import preview_schedule

    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    if not name:
        fail("Give the schedule to preview: orch schedule preview NAME -f FILE.")
    instigator = ctx.find(name)
    d = instigator.definition
    clock = parse_now(now)
    upcoming = next_ticks(d.cron_schedule, d.execution_timezone, clock, max(count, 1))
    when = as_aware(parse_now(at)) if at else upcoming[0]
    typer.echo(f"Schedule {instigator.name} [{state_word(ctx.instance, instigator)}]: "
               f"cron {d.cron_schedule} ({d.execution_timezone or 'UTC'}), pipeline "
               f"{d.pipeline_name}")
    typer.echo("Next ticks: " + ", ".join(t.isoformat() for t in upcoming[:count]))
    result = preview_schedule(ctx.instance, ctx.workspace, instigator, when)
    typer.echo(f"Evaluating the tick at {result.when.isoformat() if result.when else when}:")
    raise typer.Exit(print_preview(result, "schedule", instigator.name))


@schedule_app.command("logs")
def logs(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    limit: int = typer.Option(20, "--limit", "-n", help="How many ticks, newest first."),
) -> None:
    """A schedule's ticks, newest first: time, status, runs, skip reason or error."""
    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    if not name:
        fail("Give the schedule: orch schedule logs NAME -f FILE.")
    instigator = ctx.find(name)
    ticks = ctx.instance.storage.get_ticks(instigator.selector, limit=limit)
    if not ticks:
        typer.echo(f"Schedule {instigator.name} has no ticks yet "
                   f"({state_word(ctx.instance, instigator)}).")
        return
    zone = instigator.definition.execution_timezone
    for tick in ticks:
        typer.echo(tick_line(tick, zone))


@schedule_app.command("wipe")
def wipe(
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Turn off every schedule of the instance and delete all schedule history."""
    from orch.core.storage.schedules import InstigatorType

    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    confirm_delete("Are you sure you want to turn off all schedules and delete all schedule "
                   "history?", yes)
    ctx.instance.storage.delete_instigator_states(InstigatorType.SCHEDULE)
    typer.echo("Turned off all schedules and deleted all schedule history")


@schedule_app.command("tick")
def tick(
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    sensors: bool = typer.Option(False, "--sensors", help="Also evaluate the due sensors."),
    now: Now = None,
) -> None:
    """One evaluation pass over the running schedules (what the daemon repeats).

    Every running schedule whose cron time has come launches its runs through the run
    coordinator. Exit 1 when a tick failed."""
    from orch.core.errors import DagsterError
    from orch.core.scheduling.ticks import tick_all, tick_schedules

    ctx = load("schedule", python_file, module_name, attribute, working_directory)
    refuse_beside_daemon(ctx.instance)
    clock = parse_now(now)
    try:
        ticks = (tick_all if sensors else tick_schedules)(ctx.instance, ctx.workspace, clock)
    except DagsterError as e:
        fail(str(e))
    if not ticks:
        typer.echo(f"No tick due at {iso(clock)}.")
        return
    from orch.core.scheduling.ticks import find_instigators

    by_selector = {i.selector: i for i in find_instigators(ctx.workspace)}
    raise typer.Exit(print_ticks(ticks, by_selector))
