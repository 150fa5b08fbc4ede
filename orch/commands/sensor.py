"""``orch sensor list | start | stop | preview | cursor | tick``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ._common import Attribute, ModuleName, PythonFile, WorkingDirectory, fail
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
    stop_orphan,
    switch,
    tick_line,
)

if TYPE_CHECKING:
    from orch.core.scheduling.ticks import Instigator

    from ._instigators import Context

sensor_app = typer.Typer(help="Sensors: turn them on and off, preview, set their cursor.",
                         no_args_is_help=True, add_completion=False)

Name = Annotated[str | None, typer.Argument(help="The sensor (or REPOSITORY:NAME).")]


def register(app: typer.Typer) -> None:
    app.add_typer(sensor_app, name="sensor")


@sensor_app.command("list")
def list_sensors(
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    running: bool = typer.Option(False, "--running", help="Only running sensors."),
    stopped: bool = typer.Option(False, "--stopped", help="Only stopped sensors."),
    names_only: bool = typer.Option(False, "--name", help="Print the names only."),
) -> None:
    """Each sensor with its status, interval, cursor and last tick."""
    ctx = load("sensor", python_file, module_name, attribute, working_directory)
    states = {s.selector_id: s for s in ctx.instance.storage.all_instigator_states()}
    shown = []
    for instigator in ctx.instigators:
        state = states.get(instigator.selector)
        status = "RUNNING" if state is not None and state.is_running else "STOPPED"
        if (running and status != "RUNNING") or (stopped and status != "STOPPED"):
            continue
        shown.append((instigator, status, state))
    if names_only:
        for instigator, _, _ in shown:
            typer.echo(instigator.name)
        return
    if not ctx.instigators:
        typer.echo(f"There are no sensors defined for repository "
                   f"{', '.join(ctx.repositories)}.")
        return
    latest = ctx.instance.storage.get_latest_ticks([i.selector for i, _, _ in shown])
    for repo in ctx.repositories:
        title = f"Repository {repo}"
        typer.echo(f"{title}\n{'*' * len(title)}")
        for instigator, status, state in shown:
            if instigator.repository != repo:
                continue
            d = instigator.definition
            typer.echo(f"Sensor: {instigator.name} [{status}]")
            typer.echo(f"Pipeline: {d.pipeline_name or '-'}  Minimum interval: "
                       f"{d.minimum_interval_seconds} s  Kind: {d.sensor_type}")
            typer.echo(f"Cursor: {state.cursor if state and state.cursor is not None else '-'}")
            last = latest.get(instigator.selector)
            typer.echo(f"Last tick: {tick_line(last) if last else '-'}")
            typer.echo("*" * len(title))
    print_orphans(ctx)


def _targets(ctx: Context, name: str | None, everything: bool, verb: str
             ) -> list[Instigator]:
    return pick(ctx, name, everything, verb, "Missing sensor name argument.")


@sensor_app.command("start")
def start(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    start_all: bool = typer.Option(False, "--start-all", help="Start every sensor."),
    now: Now = None,
) -> None:
    """Turn a sensor on (its cursor survives stop and start)."""
    ctx = load("sensor", python_file, module_name, attribute, working_directory)
    switch(ctx, _targets(ctx, name, start_all, "start"), True, start_all, parse_now(now))


@sensor_app.command("stop")
def stop(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    stop_all: bool = typer.Option(False, "--stop-all", help="Stop every sensor."),
) -> None:
    """Turn a sensor off (its cursor and history stay)."""
    ctx = load("sensor", python_file, module_name, attribute, working_directory)
    if not stop_all and stop_orphan(ctx, name):
        return
    switch(ctx, _targets(ctx, name, stop_all, "stop"), False, stop_all)


@sensor_app.command("preview")
def preview(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    cursor: str | None = typer.Option(None, "--cursor", help="Evaluate with this cursor "
                                      "(default: the stored one)."),
    last_run_key: str | None = typer.Option(None, "--last-run-key", "--last_run_key"),
    since: float | None = typer.Option(None, "--since", help="last_completion_time "
                                       "(a Unix timestamp)."),
) -> None:
    """Evaluate the sensor once without launching or storing anything.

    Prints the run requests (with their run config, checked against the pipeline) or the
    skip reason. Exit 1 when the tick would fail."""
    from orch.core.scheduling.preview import preview_sensor

    ctx = load("sensor", python_file, module_name, attribute, working_directory)
    instigator = _targets(ctx, name, False, "preview")[0]
    state = ctx.instance.storage.get_instigator_state(instigator.selector)
    if cursor is None and state is not None:
        cursor = state.cursor
    if last_run_key is None and state is not None:
        last_run_key = state.last_run_key
    result = preview_sensor(ctx.instance, ctx.workspace, instigator, cursor, last_run_key,
                            since)
    raise typer.Exit(print_preview(result, "sensor", instigator.name))


@sensor_app.command("cursor")
def cursor_command(
    name: Name = None,
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    set_value: str | None = typer.Option(None, "--set", help="The new cursor."),
    delete: bool = typer.Option(False, "--delete", help="Clear the cursor."),
) -> None:
    """Set or clear a sensor's cursor (exactly one of --set / --delete)."""
    from dataclasses import replace

    from orch.core.storage.schedules import InstigatorState, InstigatorType

    ctx = load("sensor", python_file, module_name, attribute, working_directory)
    instigator = _targets(ctx, name, False, "cursor")[0]
    if (set_value is None) == (not delete):
        fail("Give exactly one of --set VALUE and --delete.")
    storage = ctx.instance.storage
    state = storage.get_instigator_state(instigator.selector) or InstigatorState(
        instigator.repository, instigator.name, InstigatorType.SENSOR,
        origin=instigator.origin)
    storage.put_instigator_state(replace(state, cursor=None if delete else set_value))
    if delete:
        typer.echo(f"Cleared cursor state for sensor {instigator.name}")
    else:
        typer.echo(f'Set cursor state for sensor {instigator.name} to "{set_value}"')


@sensor_app.command("tick")
def tick(
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    now: Now = None,
) -> None:
    """One evaluation pass over the running sensors that are due."""
    from orch.core.errors import DagsterError
    from orch.core.scheduling.ticks import find_instigators, tick_sensors

    ctx = load("sensor", python_file, module_name, attribute, working_directory)
    refuse_beside_daemon(ctx.instance)
    clock = parse_now(now)
    try:
        ticks = tick_sensors(ctx.instance, ctx.workspace, clock)
    except DagsterError as e:
        fail(str(e))
    if not ticks:
        typer.echo(f"No sensor due at {iso(clock)}.")
        return
    by_selector = {i.selector: i for i in find_instigators(ctx.workspace)}
    raise typer.Exit(print_ticks(ticks, by_selector))
