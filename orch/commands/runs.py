"""``orch runs``: list, show, follow the logs of, and delete the runs of an instance.

Imports stay inside the commands so ``orch --help`` does not pay for storage or rich.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import typer

from ._common import open_instance

if TYPE_CHECKING:
    import threading

    from orch.core.events import EventRecord, EventType
    from orch.core.instance import Instance
    from orch.core.run_monitor import MonitorPass
    from orch.core.runs import PipelineRun, PipelineRunStatus

runs_app = typer.Typer(
    help="Inspect, follow and delete runs.", no_args_is_help=True, add_completion=False
)

STATUS_STYLE = {
    "SUCCESS": "green",
    "FAILURE": "red",
    "CANCELED": "yellow",
    "CANCELING": "yellow",
    "STARTED": "cyan",
    "STARTING": "cyan",
    "QUEUED": "blue",
    "NOT_STARTED": "dim",
    "IN_PROGRESS": "cyan",
    "UP_FOR_RETRY": "yellow",
    "SKIPPED": "dim",
}
LEVEL_STYLE = {"DEBUG": "dim", "WARNING": "yellow", "ERROR": "red", "CRITICAL": "bold red"}


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")


# -- helpers shared with `orch instance` -----------------------------------------------------
def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"orch: {message}", err=True)
    return typer.Exit(code)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _duration(start: float | None, end: float | None) -> str:
    if start is None:
        return "-"
    seconds = (end if end is not None else time.time()) - start
    text = f"{seconds:.2f}s" if seconds < 60 else f"{int(seconds // 60)}m {seconds % 60:04.1f}s"
    return text if end is not None else f"{text}…"


def _styled(value: str) -> str:
    style = STATUS_STYLE.get(value)
    return f"[{style}]{value}[/]" if style else value


def _resolve_run(instance: Instance, run_id: str) -> PipelineRun:
    """The run with this id, the only run whose id starts with it, or ``latest``."""
    from orch.core.errors import DagsterError, DagsterRunNotFoundError
    from orch.core.execution.reexecution import resolve_parent_run

    try:
        return resolve_parent_run(instance, run_id)
    except DagsterRunNotFoundError:
        raise fail(f"no run {run_id!r} in {instance.root_dir}") from None
    except DagsterError as e:
        raise fail(str(e)) from None


def _statuses(values: list[str] | None) -> list[PipelineRunStatus] | None:
    from orch.core.runs import PipelineRunStatus

    if not values:
        return None
    valid = [s.value for s in PipelineRunStatus]
    out = []
    for value in values:
        for part in value.split(","):
            name = part.strip().upper()
            if name not in valid:
                raise typer.BadParameter(f"unknown status {part!r}; choose from {valid}")
            out.append(PipelineRunStatus(name))
    return out


def _event_types(values: list[str] | None) -> set[EventType] | None:
    from orch.core.events import EventType

    if not values:
        return None
    by_name = {t.name: t for t in EventType} | {t.value: t for t in EventType}
    out = set()
    for value in values:
        for part in value.split(","):
            name = part.strip().upper()
            if name not in by_name:
                choices = sorted({t.value for t in EventType})
                raise typer.BadParameter(f"unknown event type {part!r}; choose from {choices}")
            out.add(by_name[name])
    return out


def _run_json(run: PipelineRun) -> dict[str, Any]:
    d = run.to_dict()
    d["duration"] = (
        None if run.start_time is None or run.end_time is None else (run.end_time - run.start_time)
    )
    return d


# -- commands --------------------------------------------------------------------------------
@runs_app.command("list")
def list_runs(
    status: list[str] = typer.Option(
        None, "--status", "-s", help="Only runs with this status (repeat or comma-separate)."
    ),
    pipeline: str = typer.Option(None, "--pipeline", "-p", help="Only runs of this pipeline."),
    tag: list[str] = typer.Option(
        None, "--tag", "-t", help="Only runs with this tag, KEY=VALUE (repeat: all of them)."
    ),
    limit: int = typer.Option(20, "--limit", "-n", help="At most this many runs (newest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List runs, newest first, with each one's parent (a re-execution's lineage) and why a
    queued run waits."""
    from orch.core.runs import PipelineRunStatus

    statuses = _statuses(status)
    tags = _tag_filter(tag)
    with open_instance() as instance:
        runs = instance.get_runs(statuses=statuses, pipeline_name=pipeline, tags=tags,
                                 limit=limit)
        waiting = _queue_reasons(instance) if any(
            r.status is PipelineRunStatus.QUEUED for r in runs) else {}
    if as_json:
        print_json([{**_run_json(r), **({"waiting": waiting[r.run_id]}
                                        if r.run_id in waiting else {})} for r in runs])
        return
    rows = [[run.run_id[:8], run.pipeline_name, run.status.value, _when(run.create_timestamp),
             _duration(run.start_time, run.end_time), (run.parent_run_id or "")[:8],
             waiting.get(run.run_id, "")] for run in runs]
    if not rows:
        typer.echo("No runs.")
        return
    if _print_plain_table(_RUN_COLUMNS, rows):
        return
    from rich.console import Console
    from rich.table import Table

    # Short ids, like git and docker: every command here accepts a unique prefix.
    table = Table(box=None, header_style="bold")
    for name, justify in _RUN_COLUMNS:
        if name in ("Pipeline", "Note"):
            table.add_column(name, overflow="fold")
        else:
            table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*row[:2], _styled(row[2]), *row[3:])
    Console().print(table)


_RUN_COLUMNS = (("Run", "left"), ("Pipeline", "left"), ("Status", "left"), ("Created", "left"),
                ("Duration", "right"), ("Parent", "left"), ("Note", "left"))
_ANSI = {"green": "32", "red": "31", "yellow": "33", "cyan": "36", "blue": "34", "dim": "2",
         "bold": "1"}


def _print_plain_table(columns: tuple[tuple[str, str], ...], rows: list[list[str]]) -> bool:
    """The table as rich prints it (``box=None``: one space of padding each side of a cell,
    a bold header, the status in its colour on a terminal), without importing rich (~40 ms
    of ``orch runs list``). Only when every row fits the terminal's width on one line and is
    plain text; False otherwise, and rich folds the long cells as ever."""
    import shutil

    widths = [max(len(name), *(len(row[i]) for row in rows)) for i, (name, _) in
              enumerate(columns)]
    if sum(widths) + 2 * len(widths) > shutil.get_terminal_size().columns or any(
            not cell.isprintable() or "[" in cell or (":" in cell and i != 3)  # markup, emoji
            for row in rows for i, cell in enumerate(row)):
        return False
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"

    def line(cells: list[str], styles: list[str | None]) -> str:
        out = []
        for cell, width, (_, justify), style in zip(cells, widths, columns, styles, strict=True):
            text = cell.rjust(width) if justify == "right" else cell.ljust(width)
            if color and style and cell:
                text = (f"\x1b[{_ANSI[style]}m{cell}\x1b[0m" + " " * (width - len(cell))
                        if justify != "right" else
                        " " * (width - len(cell)) + f"\x1b[{_ANSI[style]}m{cell}\x1b[0m")
            out.append(f" {text} ")
        return "".join(out)

    header = [name for name, _ in columns]
    text = [line(header, ["bold"] * len(header))]
    for row in rows:
        styles: list[str | None] = [None] * len(row)
        styles[2] = STATUS_STYLE.get(row[2])
        text.append(line(row, styles))
    sys.stdout.write("\n".join(text) + "\n")
    return True


def _tag_filter(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    out: dict[str, str] = {}
    for value in values:
        key, sep, tag_value = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"tag {value!r} is not KEY=VALUE", param_hint="--tag")
        out[key.strip()] = tag_value.strip()
    return out


def _queue_reasons(instance: Instance) -> dict[str, str]:
    from orch.core.run_coordinator import queue_reasons

    return queue_reasons(instance)


@runs_app.command("monitor")
def monitor_runs(
    watch: bool = typer.Option(False, "--watch", help="Keep monitoring every "
                               "poll_interval_seconds until Ctrl-C."),
) -> None:
    """Fail runs stuck STARTING past run_monitoring.start_timeout_seconds or whose worker is
    gone (resuming them from failure if max_resume_run_attempts is set); print what it did.
    orch dev and orch queue run do this all the time."""
    with open_instance() as instance:
        if not watch:
            from orch.core.run_monitor import monitor_runs as one_pass

            _report_monitor_pass(one_pass(instance))
            return
        import signal
        import threading

        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        from orch.core.run_monitor import run_monitor

        run_monitor(instance, stop, on_pass=_report_monitor_pass)


def _report_monitor_pass(done: MonitorPass) -> None:
    for run_id in done.timed_out:
        typer.echo(f"{run_id} FAILURE: did not start within the start timeout")
    for run_id in done.worker_gone:
        typer.echo(f"{run_id} FAILURE: its worker process is gone")
    for run_id, resumed in done.resumed.items():
        typer.echo(f"{run_id} resumed from failure as {resumed}")


def start_monitor_thread(instance: Instance, stop: threading.Event) -> threading.Thread | None:
    """Run monitoring beside a long-lived command (``orch queue run``), on its own instance
    connection; None when orch.yaml turns it off."""
    import threading

    if not instance.run_monitoring.enabled or instance.root_dir is None:
        return None
    from orch.core.instance import Instance as OwnInstance
    from orch.core.run_monitor import run_monitor

    home = instance.root_dir

    def monitor() -> None:
        with OwnInstance.from_home(home) as own:
            run_monitor(own, stop, on_pass=_report_monitor_pass)

    thread = threading.Thread(target=monitor, name="orch-run-monitor", daemon=True)
    thread.start()
    return thread


@runs_app.command("cancel")
def cancel_run(run_id: str = typer.Argument(..., help="A run id or a unique prefix.")) -> None:
    """Cancel a run: a queued one never starts; a started one's worker is told to stop."""
    with open_instance() as instance:
        run = _resolve_run(instance, run_id)
        if run.status.is_finished:
            raise fail(f"run {run.run_id} already finished ({run.status.value}).")
        instance.cancel_run(run.run_id)
        after = instance.get_run(run.run_id)
        typer.echo(f"{run.run_id} {after.status.value if after else 'CANCELING'}")


@runs_app.command("show")
def show_run(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show a run: status, step timings, and its lineage (parent, root, children)."""
    with open_instance() as instance:
        run = _resolve_run(instance, run_id)
        steps = instance.get_step_stats(run.run_id)
        children = instance.get_runs(parent_run_id=run.run_id)
        errors = _failures(instance, run.run_id)
    if as_json:
        print_json(
            {
                "run": _run_json(run),
                "steps": [
                    {
                        "step_key": s.step_key,
                        "status": s.status.value,
                        "start_time": s.start_time,
                        "end_time": s.end_time,
                        "duration": s.duration,
                        "attempts": s.attempts,
                        "error": errors.get(s.step_key),
                    }
                    for s in steps
                ],
                "lineage": {
                    "parent_run_id": run.parent_run_id,
                    "root_run_id": run.root_run_id,
                    "children": [c.run_id for c in children],
                },
                "error": errors.get(None),
            }
        )
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row("Run", run.run_id)
    facts.add_row("Pipeline", f"{run.pipeline_name} (mode {run.mode})")
    facts.add_row("Status", _styled(run.status.value))
    facts.add_row("Created", _when(run.create_timestamp))
    facts.add_row("Started", _when(run.start_time))
    facts.add_row("Ended", _when(run.end_time))
    facts.add_row("Duration", _duration(run.start_time, run.end_time))
    if run.solid_selection:
        facts.add_row("Selection", ", ".join(run.solid_selection))
    if run.tags:
        facts.add_row("Tags", ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items())))
    facts.add_row("Parent", run.parent_run_id or "-")
    facts.add_row("Root", run.root_run_id or "-")
    facts.add_row("Children", ", ".join(c.run_id for c in children) or "-")
    console.print(facts)
    if not steps:
        console.print("\nNo step events yet.")
        return
    table = Table(box=None, header_style="bold", title="Steps", title_justify="left")
    table.add_column("Step", no_wrap=True)
    table.add_column("Status")
    table.add_column("Attempts", justify="right")
    table.add_column("Started", no_wrap=True)
    table.add_column("Duration", justify="right")
    for s in steps:
        table.add_row(
            s.step_key,
            _styled(s.status.value),
            str(s.attempts),
            _when(s.start_time),
            _duration(s.start_time, s.end_time) if s.start_time else "-",
        )
    console.print()
    console.print(table)
    _print_errors(console, errors)


def _failures(instance: Instance, run_id: str) -> dict[str | None, dict[str, Any]]:
    """The error payload of each failed step (its last failure), and of the run (key None)."""
    from orch.core.events import EventType

    kinds = {EventType.STEP_FAILURE, EventType.PIPELINE_FAILURE}
    out: dict[str | None, dict[str, Any]] = {}
    for e in instance.get_logs_for_run(run_id, of_type=kinds):
        if e.data.get("error"):
            out[e.step_key] = e.data["error"]
    return out


def _print_errors(console: Any, errors: dict[str | None, dict[str, Any]]) -> None:
    from orch.core.errors import format_error

    for key, error in errors.items():
        if key is None and len(errors) > 1:
            continue  # the run failed because its steps did: they are shown
        console.print()
        title = f"Step {key} failed:" if key else "The run failed:"
        console.print(title, style="bold red", highlight=False, markup=False)
        console.print(format_error(error, verbose=True), highlight=False, markup=False,
                      soft_wrap=True)


@runs_app.command("diff")
def diff(
    run_a: str = typer.Argument(..., help="The first run (id, prefix or latest)."),
    run_b: str = typer.Argument(..., help="The second run."),
    as_json: bool = typer.Option(False, "--json", help="The comparison as one JSON object."),
) -> None:
    """Two runs side by side: config diff, each step's status and duration (slower / faster
    marked), output metadata that changed, and the solids whose code changed."""
    from orch.core.run_diff import diff_runs

    with open_instance() as instance:
        a, b = _resolve_run(instance, run_a), _resolve_run(instance, run_b)
        if a.pipeline_name != b.pipeline_name:
            raise fail(f"runs {a.run_id[:8]} ({a.pipeline_name}) and {b.run_id[:8]} "
                       f"({b.pipeline_name}) are of different pipelines: compare two runs of "
                       "one.", 2)
        result = diff_runs(instance, a, b)
    if as_json:
        typer.echo(json.dumps({
            "run_a": a.run_id, "run_b": b.run_id, "config_diff": result.config_diff,
            "steps": [{"step_key": c.step_key, "status_a": c.status_a and c.status_a.value,
                       "status_b": c.status_b and c.status_b.value, "seconds_a": c.seconds_a,
                       "seconds_b": c.seconds_b, "change": c.change} for c in result.steps],
            "metadata": [m.__dict__ for m in result.metadata],
            "changed_solids": result.changed_solids}, default=str))
        return
    _print_diff(result)


def _print_diff(result: Any) -> None:
    a, b = result.run_a, result.run_b
    typer.echo(f"{a.pipeline_name}: A = {a.run_id[:8]} ({a.status.value}), "
               f"B = {b.run_id[:8]} ({b.status.value})")
    typer.echo("\nConfig: " + ("the same" if result.same_config else "changed"))
    for line in result.config_diff[2:]:
        typer.echo(f"  {line}")
    typer.echo("\nCode changed in: " + (", ".join(result.changed_solids) or "no solid"))
    width = max([len(c.step_key) for c in result.steps] + [4])
    typer.echo(f"\n{'step':<{width}}  {'A':<18}  {'B':<18}  change")
    for c in result.steps:
        def cell(status: Any, seconds: float | None) -> str:
            if status is None:
                return "—"
            took = f" {seconds:.2f}s" if seconds is not None else ""
            return f"{status.glyph} {status.label}{took}"

        typer.echo(f"{c.step_key:<{width}}  {cell(c.status_a, c.seconds_a):<18}  "
                   f"{cell(c.status_b, c.seconds_b):<18}  {c.change}".rstrip())
    if result.metadata:
        typer.echo("\nMetadata that changed:")
        for m in result.metadata:
            typer.echo(f"  {m.step_key}: {m.label}: {m.value_a!r} → {m.value_b!r}")


@runs_app.command("logs")
def run_logs(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    step: str = typer.Option(None, "--step", help="Only events of this step."),
    event_type: list[str] = typer.Option(
        None, "--type", "-t", help="Only these event types (repeat or comma-separate)."
    ),
    stdout: bool = typer.Option(
        False, "--stdout", help="With --step: what the step wrote to stdout (its compute log)."
    ),
    stderr: bool = typer.Option(
        False, "--stderr", help="With --step: what the step wrote to stderr (its compute log)."
    ),
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Keep printing new events until the run finishes."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Print a run's structured events (the console line format, or JSON lines), or with
    --step KEY --stdout/--stderr the step's captured output."""
    if stdout or stderr:
        _compute_log(run_id, step, "stderr" if stderr else "stdout", stdout and stderr, follow)
        return
    types = _event_types(event_type)
    with open_instance() as instance:
        run = _resolve_run(instance, run_id)
        if step is not None:
            step = _check_step(instance, run, step)
        if follow:
            events: Any = instance.watch(run.run_id, of_type=types, step_key=step)
        else:
            events = instance.get_logs_for_run(run.run_id, of_type=types, step_key=step)
        emit = _json_line if as_json else _console_printer()
        try:
            for e in events:
                emit(e)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def _run_step_keys(instance: Instance, run: PipelineRun) -> list[str]:
    """The steps the run has events of, in the order they first appear."""
    keys: dict[str, None] = {}
    for e in instance.get_logs_for_run(run.run_id):
        if e.step_key:
            keys.setdefault(e.step_key, None)
    return list(keys)


def _check_step(instance: Instance, run: PipelineRun, step: str) -> str:
    """The run's step key ``step`` names (a legacy ``x.compute`` key means ``x``)."""
    from orch.core.selection import normalize_step_key

    keys = _run_step_keys(instance, run)
    key = normalize_step_key(step, keys)
    if key not in keys:
        raise fail(f"run {run.run_id} has no step {step!r}; its steps: "
                   f"{', '.join(keys) or 'none yet'}", code=2)
    return key


def _compute_log(run_id: str, step: str | None, stream: str, both: bool, follow: bool) -> None:
    """Copy a step's captured stdout or stderr to stdout (with --follow, until the capture
    is complete or the run has finished)."""
    if both:
        raise fail("give one of --stdout and --stderr", code=2)
    with open_instance() as instance:
        run = _resolve_run(instance, run_id)
        if step is None:
            raise fail(f"--{stream} needs --step KEY; steps of run {run.run_id[:8]}: "
                       f"{', '.join(_run_step_keys(instance, run)) or 'none yet'}", code=2)
        step = _check_step(instance, run, step)
        try:
            wrote, finished = _copy_log(instance, run.run_id, step, stream, follow)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
    if not wrote:
        typer.echo(f"orch: step {step} wrote nothing to {stream}{'' if finished else ' yet'}.",
                   err=True)


def _copy_log(instance: Instance, run_id: str, step: str, stream: str, follow: bool
              ) -> tuple[bool, bool]:
    """(whether anything was written, whether the run had finished)."""
    manager = instance.compute_log_manager
    offset, wrote = 0, False
    while True:
        run = instance.get_run(run_id)
        finished = run is None or run.status.is_finished
        data, offset, complete = manager.read(run_id, step, stream, offset)
        if data:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            wrote = True
        if not follow or complete or finished:
            return wrote, finished
        time.sleep(0.1)


def _json_line(e: EventRecord) -> None:
    sys.stdout.write(e.to_json() + "\n")
    sys.stdout.flush()


def _console_printer() -> Any:
    from rich.console import Console
    from rich.markup import escape

    from orch.core.errors import format_error

    console = Console(highlight=False, soft_wrap=True)

    def emit(e: EventRecord) -> None:
        style = LEVEL_STYLE.get(e.level_name)
        line = escape(e.console_line())
        console.print(f"[{style}]{line}[/]" if style else line)
        if e.data.get("error"):
            text = format_error(e.data["error"], verbose=True)
            console.print("\n".join("    " + t for t in text.splitlines()), markup=False)

    return emit


def _confirm_delete(what: str, force: bool) -> None:
    if force:
        return
    answer = typer.prompt(f"This deletes {what}. Type DELETE to confirm", default="")
    if answer.strip() != "DELETE":
        raise fail("not deleted (you did not type DELETE)")


@runs_app.command("delete")
def delete_run(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    force: bool = typer.Option(False, "--force", "-f", help="Do not ask for confirmation."),
) -> None:
    """Delete a finished run with its events, compute logs and stored outputs."""
    from orch.core.instance import OrchActiveRunsError

    with open_instance() as instance:
        run = _resolve_run(instance, run_id)
        _confirm_delete(f"run {run.run_id} ({run.pipeline_name}, {run.status.value})", force)
        try:
            instance.delete_run(run.run_id)
        except OrchActiveRunsError as e:
            raise fail(f"not deleted: {e}", 2) from None
    typer.echo(f"Deleted run {run.run_id}.")


@runs_app.command("wipe")
def wipe_runs(
    force: bool = typer.Option(False, "--force", "-f", help="Do not ask for confirmation."),
    cancel_active: bool = typer.Option(
        False, "--cancel-active", help="Cancel runs still in progress first (and wait for "
        "them); without it, wipe refuses while runs are active."),
) -> None:
    """Delete every run, event, compute log and stored output of the instance."""
    from orch.core.instance import OrchActiveRunsError

    with open_instance() as instance:
        count = instance.get_runs_count()
        _confirm_delete(f"all {count} runs in {instance.root_dir}", force)
        try:
            instance.wipe(cancel_active=cancel_active)
        except OrchActiveRunsError as e:
            hint = "" if cancel_active else " (orch runs wipe --cancel-active does that)"
            raise fail(f"nothing deleted: {e}{hint}", 2) from None
    typer.echo(f"Deleted {count} runs.")
