"""What ``orch schedule`` and ``orch sensor`` share: loading the code location, finding a
schedule or sensor by name (exit 2 naming the choices), the clock, and printing ticks and
previews. Nothing heavy at module level."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import fail, load_in_process, make_target, open_instance, target_code_location

if TYPE_CHECKING:
    from orch.core.instance import Instance
    from orch.core.scheduling.preview import Preview
    from orch.core.scheduling.ticks import Instigator
    from orch.core.storage.schedules import InstigatorType, Tick
    from orch.core.workspace import LoadedWorkspace

Now = Annotated[str | None, typer.Option(
    "--now", help="Evaluate as if it were this time (ISO 8601, or a Unix timestamp); "
                  "default: the current time.")]


@dataclass
class Context:
    """The loaded code location, its instance, and the schedules or sensors in it."""

    workspace: LoadedWorkspace
    instance: Instance
    instigators: list[Instigator]
    kind: str  # "schedule" or "sensor"

    @property
    def repositories(self) -> list[str]:
        return sorted(self.workspace.repository_defs)

    def find(self, name: str) -> Instigator:
        """The schedule or sensor ``name`` (or ``repository:name``); exit 2 naming the
        choices."""
        matches = [i for i in self.instigators if name in (i.name, i.selector)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            fail(f'Several {self.kind}s are named "{name}": give one of '
                 f"{', '.join(i.selector for i in matches)}.")
        where = ", ".join(self.repositories) or "none"
        if not self.instigators:
            fail(f"There are no {self.kind}s defined for repository {where}.")
        fail(f'No {self.kind} named "{name}" in repository {where}. Valid {self.kind}s: '
             f"{', '.join(sorted(i.name for i in self.instigators))}.")


def load(kind: str, python_file: str | None, module_name: str | None, attribute: str | None,
         working_directory: str | None) -> Context:
    from orch.core.scheduling.ticks import find_instigators
    from orch.core.storage.schedules import InstigatorType

    target = make_target(python_file, module_name, attribute, working_directory)
    workspace = load_in_process(target)
    if not workspace.repository_defs:
        fail(f"{target.describe()} defines no @repository: schedules and sensors are found "
             "in repositories.")
    itype = InstigatorType.SCHEDULE if kind == "schedule" else InstigatorType.SENSOR
    instance = open_instance(target_code_location(python_file, module_name, attribute,
                                                  working_directory))
    return Context(workspace, instance, find_instigators(workspace, itype), kind)


def instigator_type(kind: str) -> InstigatorType:
    from orch.core.storage.schedules import InstigatorType

    return InstigatorType.SCHEDULE if kind == "schedule" else InstigatorType.SENSOR


def parse_now(value: str | None) -> float:
    """``--now`` as a timestamp: ISO 8601 (naive means UTC) or seconds since the epoch."""
    import time

    if value is None:
        return time.time()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        fail(f'--now "{value}" is neither an ISO 8601 time (2021-03-14T02:30:00-05:00) nor '
             "a Unix timestamp.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def iso(timestamp: float | None, tz: str | None = None) -> str:
    if timestamp is None:
        return "-"
    from orch.core.scheduling.cron import get_timezone

    return datetime.datetime.fromtimestamp(timestamp, get_timezone(tz)).isoformat()


def tick_line(tick: Tick, tz: str | None = None) -> str:
    """One line per tick: time, status, then runs or the reason."""
    detail = ""
    if tick.run_ids:
        detail = f"  runs: {', '.join(tick.run_ids)}"
    if tick.origin_run_ids:
        detail = f"  reacted to: {', '.join(tick.origin_run_ids)}"
    if tick.skip_reason:
        detail += f"  ({tick.skip_reason})"
    line = f"{iso(tick.timestamp, tz)}  {tick.status.value:<8}{detail}"
    if tick.error:  # the whole error, indented under its tick
        line += "\n    " + tick.error.strip().replace("\n", "\n    ")
    return line


def print_ticks(ticks: list[Tick], instigators: dict[str, Instigator]) -> int:
    """Print finished ticks; returns the exit code: 1 when any of them failed."""
    from orch.core.storage.schedules import TickStatus

    for tick in ticks:
        definition = getattr(instigators.get(tick.selector_id), "definition", None)
        zone = getattr(definition, "execution_timezone", None)
        typer.echo(f"{tick.name}  {tick_line(tick, zone)}")
    return 1 if any(t.status is TickStatus.FAILURE for t in ticks) else 0


def print_preview(preview: Preview, kind: str, name: str) -> int:
    """Print a preview; returns the exit code (1 when the tick would fail)."""
    import yaml

    if preview.error is not None:
        typer.echo(f"Failed to resolve {kind} for {name} : {preview.error}", err=True)
        return 1
    if not preview.runs:
        reason = f": {preview.skip_message}" if preview.skip_message else ""
        typer.echo(f"{kind.capitalize()} returned false for {name}, skipping{reason}")
        return 0
    count = len(preview.runs)
    typer.echo(f"{kind.capitalize()} returning run requests for {count} run(s):")
    code = 0
    for index, run in enumerate(preview.runs, 1):
        request = run.request
        key = f" (run key {request.run_key})" if request.run_key is not None else ""
        typer.echo(f"\nRun {index} of {count}{key}")
        if request.tags:
            typer.echo("tags: " + ", ".join(f"{k}={v}" for k, v in sorted(request.tags.items())))
        typer.echo("run config:")
        text = yaml.safe_dump(request.run_config, sort_keys=False, default_flow_style=False)
        typer.echo("  " + text.rstrip().replace("\n", "\n  ") if request.run_config else "  {}")
        if run.config_error is None:
            typer.echo("The run config is valid.")
        else:
            code = 1
            typer.echo(f"The run config is NOT valid, so this tick would fail:\n"
                       f"{run.config_error}")
    if preview.cursor is not None:
        typer.echo(f"\nCursor after this evaluation: {preview.cursor}")
    return code


def _orphans(ctx: Context) -> list:
    known = {i.selector for i in ctx.instigators}
    return [s for s in ctx.instance.storage.all_instigator_states(instigator_type(ctx.kind))
            if s.repository_name in ctx.repositories and s.selector_id not in known]


def stop_orphan(ctx: Context, name: str | None) -> bool:
    """Stop a running state whose definition is gone, named as in ``list``; False if
    ``name`` is not one."""
    from dataclasses import replace

    from orch.core.storage.schedules import InstigatorStatus

    for state in _orphans(ctx):
        if name in (state.name, state.selector_id) and state.is_running:
            ctx.instance.storage.put_instigator_state(replace(
                state, status=InstigatorStatus.STOPPED, start_timestamp=None))
            typer.echo(f"Stopped {ctx.kind} {state.name} (no longer in the code)")
            return True
    return False


def print_orphans(ctx: Context) -> None:
    """States of this code location's repositories whose definition is gone (renamed or
    deleted): a daemon no longer evaluates them, and they can be stopped by name."""
    orphans = _orphans(ctx)
    if orphans:
        typer.echo(f"Stored {ctx.kind}s no longer in the code (not evaluated): " + ", ".join(
            f"{s.selector_id} [{s.status.value}]" for s in orphans))


def state_word(instance: Instance, instigator: Instigator) -> str:
    state = instance.storage.get_instigator_state(instigator.selector)
    return "RUNNING" if state is not None and state.is_running else "STOPPED"


def refuse_beside_daemon(instance: Instance) -> None:
    """A manual tick while the daemon evaluates the same schedules and sensors could evaluate
    a sensor twice (runs without a run key launched twice): exit 2 naming the daemon."""
    from orch.core.daemon import lock_holder

    if instance.root_dir is None:
        return
    holder = lock_holder(instance.root_dir)
    if holder is not None:
        fail(f"the daemon (process {holder}) evaluates the schedules and sensors of "
             f"{instance.root_dir}; a manual tick beside it could evaluate one twice. Use "
             "preview to see what a tick would do, or stop the daemon first.")


def switch(ctx: Context, targets: list[Instigator], turn_on: bool, everything: bool,
           now: float = 0.0) -> None:
    """``start``/``stop`` for schedules and sensors alike: turn each target on or off and say
    so; with ``--start-all``/``--stop-all`` one line for the lot, and a target already in
    that state is skipped instead of an error."""
    from orch.core.scheduling.ticks import InstigatorStateError, start_instigator, stop_instigator

    done = "Started" if turn_on else "Stopped"
    for instigator in targets:
        try:
            if turn_on:
                start_instigator(ctx.instance, instigator, now)
            else:
                stop_instigator(ctx.instance, instigator)
        except InstigatorStateError as e:
            if not everything:
                fail(str(e))
            continue
        if not everything:
            typer.echo(f"{done} {ctx.kind} {instigator.name}")
    if everything:
        typer.echo(f"{done} all {ctx.kind}s for repository {', '.join(ctx.repositories)}")


def pick(ctx: Context, name: str | None, everything: bool, verb: str, missing: str
         ) -> list[Instigator]:
    """The schedules or sensors a command acts on: ``name``, or all with ``--VERB-all``;
    neither is exit 2 with ``missing`` and the valid names."""
    plural = f"{ctx.kind.capitalize()}s"
    if everything:
        if name:
            fail(f"Give a {ctx.kind} name or --{verb}-all, not both.")
        return ctx.instigators
    if not name:
        fail(f"{missing} {plural}: "
             f"{', '.join(sorted(i.name for i in ctx.instigators)) or 'none'}.")
    return [ctx.find(name)]
