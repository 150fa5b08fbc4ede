"""Key ``6``: schedules and sensors, the upcoming ticks, the run queue and backfills.

Reads happen in a thread worker every second (:func:`orch.tui.services.orchestration.
read_state`) and arrive as one :class:`StateRead`; the handlers own what is shown. Turning an
instigator on or off, canceling or resuming a backfill and canceling a queued run are core
calls in workers too. Previews (``p``, and a save while an instigator is selected) evaluate
the schedule or sensor in a fresh code server without launching anything; ``enter`` on a
previewed request launches that one run, with its tick's tags (a sensor's run key is
claimed, so the sensor never launches it again).
"""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Protocol

import yaml
from orch.core.scheduling.preview import Preview, PreviewedRun
from orch.core.storage.schedules import BulkActionStatus, Tick, TickStatus
from orch.tui.services.orchestration import (
    BackfillProgress,
    InstigatorDefinition,
    InstigatorRow,
    OrchestrationState,
    TickCache,
    age,
    progress_bar,
    read_state,
    timeline_axis,
    timeline_marks,
    until,
    zone_stamp,
    zone_time,
)
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from orch.core.instance import Instance

TICK_STYLES = {TickStatus.SUCCESS: "green", TickStatus.FAILURE: "red bold",
               TickStatus.SKIPPED: "grey62", TickStatus.STARTED: "yellow"}
BACKFILL_STYLES = {BulkActionStatus.REQUESTED: "yellow", BulkActionStatus.COMPLETED: "green",
                   BulkActionStatus.FAILED: "red bold", BulkActionStatus.CANCELED: "magenta"}
REFRESH_SECONDS = 1.0
INSTIGATORS_HINT = ("space on/off · enter or h tick history · p preview (a save previews the "
                    "selected one again) · esc back")
# Schedules and sensors load from a repository, as Dagster's do: a file of a pipeline and a
# schedule beside it, without one, shows its pipeline and no schedule.
NO_INSTIGATORS = ("No schedules or sensors in this code. They are found in a @repository that "
                  "returns them with its pipelines, not beside a pipeline on their own.")


class Previewer(Protocol):
    """What the pane needs of the app's launcher (:class:`orch.tui.services.launcher.
    Launcher`)."""

    def preview(self, kind: str, name: str) -> Preview: ...

    def request_run(self, kind: str, name: str, run: PreviewedRun,
                    when: datetime.datetime | None) -> dict[str, list[str]]: ...


class StateRead(Message):
    def __init__(self, state: OrchestrationState):
        super().__init__()
        self.state = state


class PreviewReady(Message):
    def __init__(self, definition: InstigatorDefinition, preview: Preview | None,
                 error: str | None = None, reason: str = "p"):
        super().__init__()
        self.definition = definition
        self.preview = preview
        self.error = error
        self.reason = reason


class Done(Message):
    """An action finished: what to tell the user."""

    def __init__(self, text: str, error: bool = False):
        super().__init__()
        self.text = text
        self.error = error


def _tick_cell(tick: Tick | None, now: float) -> Text:
    if tick is None:
        return Text("never", style="dim")
    runs = f" · {len(tick.run_ids)} run{'s' if len(tick.run_ids) != 1 else ''}" \
        if tick.run_ids else ""
    return Text(f"{tick.status.value}{runs} · {age(tick.timestamp, now)}",
                style=TICK_STYLES.get(tick.status, ""))


def _one_line(error: str, width: int = 90) -> str:
    """An error's lines joined (a config error's first line only names the pipeline)."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Error in config for"):
        lines = lines[1:]
    text = " · ".join(lines)
    return text if len(text) <= width else text[:width - 1] + "…"


class OrchestrationScreen(Screen[None]):
    """Schedules and sensors (on/off, next tick, last tick, cursor), upcoming ticks, the
    queue and backfills."""

    HIDES_MAIN_SCREEN_KEYS = True  # a full screen: the main screen's r, l, … do not apply

    BINDINGS = [
        Binding("escape,6", "close", "Back"),
        Binding("space", "toggle", "On/off"),
        Binding("p", "preview", "Preview"),
        Binding("h", "history", "Ticks"),
        Binding("c", "cancel", "Cancel"),
        Binding("s", "resume", "Resume"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", show=False),
        Binding("right_square_bracket", "tab(1)", "Next tab", show=False),
    ]
    DEFAULT_CSS = """
    OrchestrationScreen #instigators { height: auto; max-height: 50%; }
    OrchestrationScreen #preview-title { color: $accent; padding: 0 1; margin-top: 1; }
    OrchestrationScreen #preview { height: auto; max-height: 10; }
    OrchestrationScreen #preview-detail { height: auto; max-height: 12; padding: 0 1; }
    OrchestrationScreen .hint { color: $text-muted; padding: 0 1; width: 100%; }
    OrchestrationScreen #timeline { height: auto; padding: 0 1; }
    """
    TABS = ("tab-instigators", "tab-upcoming", "tab-queue", "tab-backfills")

    def __init__(self, instance: Instance, definitions: list[InstigatorDefinition],
                 previewer: Previewer | None, daemon_hosted: bool):
        super().__init__()
        self.instance = instance
        self.definitions = definitions
        self.previewer = previewer
        self.daemon_hosted = daemon_hosted
        self.state: OrchestrationState | None = None
        self.selected: InstigatorDefinition | None = None  # the dev loop's instigator
        self.preview: Preview | None = None
        self.previewed: InstigatorDefinition | None = None
        self.ticks = TickCache()  # cron times kept between the once-a-second reads
        self._shown_rows: dict[str, list[tuple[str, tuple[object, ...]]]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="orchestration-tabs"):
            with TabPane("Schedules & sensors", id="tab-instigators"), Vertical():
                yield DataTable(id="instigators", cursor_type="row")
                yield Label(INSTIGATORS_HINT, id="instigators-hint", classes="hint")
                yield Label("", id="preview-title")
                yield DataTable(id="preview", cursor_type="row")
                yield Static("", id="preview-detail", markup=False)
            with TabPane("Upcoming 24 h", id="tab-upcoming"), Vertical():
                yield Static("", id="timeline", markup=False)
                yield DataTable(id="upcoming", cursor_type="row")
            with TabPane("Queue", id="tab-queue"), Vertical():
                yield DataTable(id="queue", cursor_type="row")
                yield Label("c cancels the queued run under the cursor", classes="hint")
            with TabPane("Backfills", id="tab-backfills"), Vertical():
                yield DataTable(id="backfills", cursor_type="row")
                yield Label("c cancel · s resume (the daemon submits the rest)",
                            classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#instigators", DataTable).add_columns(
            "on", "kind", "name", "pipeline", "next tick", "last tick", "cursor")
        self.query_one("#preview", DataTable).add_columns("#", "run key", "config", "tags")
        self.query_one("#upcoming", DataTable).add_columns("when", "", "schedule", "pipeline",
                                                           "on")
        self.query_one("#queue", DataTable).add_columns("run", "pipeline", "queued",
                                                        "why it waits")
        self.query_one("#backfills", DataTable).add_columns(
            "backfill", "pipeline", "status", "progress", "requested", "launched",
            "succeeded", "failed")
        self.query_one("#preview", DataTable).display = False
        self.refresh_state()
        self.set_interval(REFRESH_SECONDS, self.refresh_state)
        self.query_one("#instigators", DataTable).focus()

    # -- reading ------------------------------------------------------------------------
    def set_definitions(self, definitions: list[InstigatorDefinition]) -> None:
        """The code was loaded again: show its instigators (the selection kept by key)."""
        self.definitions = definitions
        if self.selected is not None:
            self.selected = next((d for d in definitions if d.key == self.selected.key), None)
        self.refresh_state()

    def refresh_state(self) -> None:
        self._read(list(self.definitions))

    @work(thread=True, exclusive=True, group="orchestration-read", exit_on_error=False)
    def _read(self, definitions: list[InstigatorDefinition]) -> None:
        self.post_message(StateRead(read_state(self.instance, definitions, ticks=self.ticks)))

    @on(StateRead)
    def _state_read(self, message: StateRead) -> None:
        self.state = message.state
        self._show_instigators(message.state)
        if self.active_tab == "tab-upcoming":  # drawn when its tab is opened, else
            self._show_upcoming(message.state)
        self._show_queue(message.state)
        self._show_backfills(message.state)

    def _fill(self, table_id: str, rows: list[tuple[str, tuple[object, ...]]]) -> None:
        """Replace a table's rows, keeping the cursor on the same key (left alone when
        nothing in them changed: most once-a-second reads change nothing)."""
        before = self._shown_rows.get(table_id)
        if before == rows:
            return
        self._shown_rows[table_id] = rows
        table = self.query_one(f"#{table_id}", DataTable)
        if before is not None and [k for k, _ in before] == [k for k, _ in rows]:
            # The same rows: only the cells that changed (a countdown, a last tick).
            for index, ((_, old), (_, new)) in enumerate(zip(before, rows, strict=True)):
                for column, (was, now) in enumerate(zip(old, new, strict=True)):
                    if was != now:  # a layout pass only when the column must widen
                        wider = Text(str(now)).cell_len > \
                            table.ordered_columns[column].content_width
                        table.update_cell_at(Coordinate(index, column), now,
                                             update_width=wider)
            return
        kept = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value \
            if table.row_count else None
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if kept is not None and kept in table.rows:
            table.move_cursor(row=table.get_row_index(kept))

    def _show_instigators(self, state: OrchestrationState) -> None:
        rows = []
        for row in state.instigators:
            d = row.definition
            on_cell = Text("● on", style="green bold") if row.running else \
                Text("○ off", style="grey62")
            if row.next_tick is None:
                following = Text("— (off)", style="dim")
            elif d.kind == "schedule":
                following = Text(f"{zone_time(row.next_tick, d.execution_timezone)} · "
                                 f"{until(row.next_tick, state.now)}",
                                 style="" if row.running else "dim")
            else:
                following = Text(f"{until(row.next_tick, state.now)} (every "
                                 f"{d.minimum_interval_seconds or 30} s)")
            mark = "▸ " if self.selected is not None and self.selected.key == d.key else ""
            rows.append((d.key, (on_cell, d.kind, mark + d.name, d.pipeline_name, following,
                                 _tick_cell(row.last_tick, state.now),
                                 (row.cursor or "")[:24])))
        self._fill("instigators", rows)
        hint = self.query_one("#instigators-hint", Label)
        text = INSTIGATORS_HINT if rows else NO_INSTIGATORS
        if hint.content != text:  # an update lays the screen out again: only on a change
            hint.update(text)

    def _show_upcoming(self, state: OrchestrationState) -> None:
        width = max(24, self.size.width - 30)
        marks = timeline_marks(state.upcoming.times, state.now, width)
        lines = [f"{'next 24 h (local)':<26}{timeline_axis(state.now, width)}"]
        lines.extend(f"{name[:25]:<26}{row}" for name, row in marks.items())
        if not marks:
            lines.append("No schedule ticks in the next 24 hours.")
        self.query_one("#timeline", Static).update("\n".join(lines))
        rows = []
        for tick in state.upcoming.soonest:
            d = tick.definition
            rows.append((f"{d.key}@{tick.when.timestamp()}", (
                zone_time(tick.when, d.execution_timezone), until(tick.when, state.now), d.name,
                d.pipeline_name, Text("on", style="green") if tick.running else
                Text("off", style="grey62"))))
        self._fill("upcoming", rows)

    def _show_queue(self, state: OrchestrationState) -> None:
        rows = [(q.run.run_id, (q.run.run_id[:8], q.run.pipeline_name,
                                age(q.run.create_timestamp or state.now, state.now),
                                q.reason or "next in line"))
                for q in state.queued]
        self._fill("queue", rows)
        tabs = self.query_one("#orchestration-tabs", TabbedContent)
        tabs.get_tab("tab-queue").label = f"Queue ({len(rows)})" if rows else "Queue"

    def _show_backfills(self, state: OrchestrationState) -> None:
        rows = []
        for p in state.backfills:
            b = p.backfill
            bar = Text.assemble(*progress_bar(p))
            rows.append((b.backfill_id, (
                b.backfill_id, b.pipeline_name,
                Text(b.status.value, style=BACKFILL_STYLES.get(b.status, "")), bar,
                str(p.requested), str(p.launched), str(p.succeeded), str(p.failed))))
        self._fill("backfills", rows)

    # -- what the cursor is on ------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        return self.query_one("#orchestration-tabs", TabbedContent).active

    def _cursor_key(self, table_id: str) -> str | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _instigator_at_cursor(self) -> InstigatorRow | None:
        key = self._cursor_key("instigators")
        rows = self.state.instigators if self.state else []
        return next((r for r in rows if r.definition.key == key), None)

    def _backfill_at_cursor(self) -> BackfillProgress | None:
        key = self._cursor_key("backfills")
        return next((p for p in (self.state.backfills if self.state else [])
                     if p.backfill.backfill_id == key), None)

    @on(DataTable.RowHighlighted, "#instigators")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = self._instigator_at_cursor()
        if row is not None:
            self.selected = row.definition

    # -- actions ------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-upcoming" and self.state is not None:
            self._show_upcoming(self.state)

    def action_tab(self, step: int) -> None:
        tabs = self.query_one("#orchestration-tabs", TabbedContent)
        index = (self.TABS.index(tabs.active) + step) % len(self.TABS)
        tabs.active = self.TABS[index]

    def action_toggle(self) -> None:
        row = self._instigator_at_cursor()
        if self.active_tab != "tab-instigators" or row is None:
            return
        self._toggle(row.definition, not row.running)

    @work(thread=True, group="orchestration-action", exit_on_error=False)
    def _toggle(self, definition: InstigatorDefinition, turn_on: bool) -> None:
        from orch.core.scheduling.ticks import (
            InstigatorStateError,
            start_instigator,
            stop_instigator,
        )

        try:
            if turn_on:
                start_instigator(self.instance, definition.instigator(), time.time())
            else:
                stop_instigator(self.instance, definition.instigator())
        except InstigatorStateError as e:
            self.post_message(Done(str(e), error=True))
            return
        daemon = "" if self.daemon_hosted or not turn_on else \
            " — no daemon runs in this app (orch dev --no-daemon): start orch daemon run"
        self.post_message(Done(f"{definition.kind.capitalize()} {definition.name} "
                               f"{'started' if turn_on else 'stopped'}{daemon}"))

    @on(DataTable.RowSelected, "#instigators")
    def _open_history(self, event: DataTable.RowSelected) -> None:
        self.action_history()

    def action_history(self) -> None:
        row = self._instigator_at_cursor()
        if self.active_tab != "tab-instigators":
            return
        if row is not None:
            self.app.push_screen(TickHistoryScreen(self.instance, row.definition))

    @on(DataTable.RowSelected, "#preview")
    def _launch_selected_request(self, event: DataTable.RowSelected) -> None:
        self._launch_previewed()

    def action_preview(self) -> None:
        row = self._instigator_at_cursor()
        if self.active_tab != "tab-instigators" or row is None:
            return
        self.selected = row.definition
        self.run_preview(row.definition, "p")

    def preview_selected_on_save(self) -> None:
        """The dev loop: a save previews the selected schedule or sensor again."""
        if self.selected is not None:
            self.run_preview(self.selected, "save")

    def run_preview(self, definition: InstigatorDefinition, reason: str) -> None:
        if self.previewer is None:
            self.app.notify("This workbench was opened without a code location, so it "
                            "cannot evaluate schedules or sensors.", severity="warning")
            return
        self.query_one("#preview-title", Label).update(
            f"Evaluating {definition.kind} {definition.name}…")
        self._preview(definition, reason)

    @work(thread=True, exclusive=True, group="orchestration-preview", exit_on_error=False)
    def _preview(self, definition: InstigatorDefinition, reason: str) -> None:
        from orch.tui.services.launcher import LaunchError

        assert self.previewer is not None
        try:
            preview = self.previewer.preview(definition.kind, definition.name)
        except LaunchError as e:
            self.post_message(PreviewReady(definition, None, e.error.format(), reason))
            return
        self.post_message(PreviewReady(definition, preview, None, reason))

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        d = message.definition
        self.preview, self.previewed = message.preview, d
        title = self.query_one("#preview-title", Label)
        table = self.query_one("#preview", DataTable)
        detail = self.query_one("#preview-detail", Static)
        table.clear()
        when = f" (after a save, {time.strftime('%H:%M:%S')})" if message.reason == "save" \
            else ""
        preview = message.preview
        if preview is None or preview.error is not None:
            title.update(f"✗ {d.kind} {d.name}: the evaluation failed{when}")
            detail.update(message.error or (preview.error if preview else "") or "")
            table.display = False
            return
        tick = f" for the tick at {zone_time(preview.when, d.execution_timezone)}" \
            if preview.when else ""
        if not preview.runs:
            title.update(f"{d.kind} {d.name}{tick}: no run requested{when}")
            detail.update(preview.skip_message or "The evaluation requested no run.")
            table.display = False
            return
        valid = sum(r.config_error is None for r in preview.runs)
        title.update(f"{d.kind} {d.name}{tick}: {len(preview.runs)} run request"
                     f"{'s' if len(preview.runs) > 1 else ''}, {valid} with valid config"
                     f"{when} — enter launches the one under the cursor")
        for index, run in enumerate(preview.runs):
            config = Text("✓ valid", style="green") if run.config_error is None else \
                Text("✗ " + _one_line(run.config_error), style="red")
            tags = ", ".join(f"{k}={v}" for k, v in sorted(run.request.tags.items()))
            table.add_row(str(index + 1), run.request.run_key or "—", config, tags,
                          key=str(index))
        table.display = True
        self._show_request_detail(0)
        if message.reason == "p":
            table.focus()

    @on(DataTable.RowHighlighted, "#preview")
    def _request_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show_request_detail(int(str(event.row_key.value)))

    def _show_request_detail(self, index: int) -> None:
        if self.preview is None or index >= len(self.preview.runs):
            return
        run = self.preview.runs[index]
        config = yaml.safe_dump(run.request.run_config, sort_keys=False).rstrip() \
            if run.request.run_config else "{}"
        text = f"run config:\n{config}"
        if run.config_error is not None:
            text += f"\n\nNOT valid:\n{run.config_error}"
        self.query_one("#preview-detail", Static).update(text)

    def _launch_previewed(self) -> None:
        index_key = self._cursor_key("preview")
        if self.preview is None or self.previewed is None or index_key is None:
            return
        run = self.preview.runs[int(index_key)]
        if run.config_error is not None:
            self.app.notify("This request's run config is not valid; fix the code and save.",
                            severity="error")
            return
        self._request_run(self.previewed, run, self.preview.when)

    @work(thread=True, group="orchestration-action", exit_on_error=False)
    def _request_run(self, definition: InstigatorDefinition, run: PreviewedRun,
                     when: datetime.datetime | None) -> None:
        from orch.tui.services.launcher import LaunchError

        assert self.previewer is not None
        try:
            answer = self.previewer.request_run(definition.kind, definition.name, run, when)
        except LaunchError as e:
            self.post_message(Done(e.error.format()[-600:], error=True))
            return
        if answer["errors"]:
            self.post_message(Done("\n".join(answer["errors"])[-600:], error=True))
        elif answer["run_ids"]:
            key = f" for run key {run.request.run_key}" if run.request.run_key else ""
            self.post_message(Done(f"Launched run {answer['run_ids'][0][:8]} of "
                                   f"{definition.pipeline_name}{key}"))
        else:
            self.post_message(Done(f"{definition.name} already launched a run for run key "
                                   f"{run.request.run_key}: not launched again", error=True))

    def action_cancel(self) -> None:
        if self.active_tab == "tab-backfills":
            progress = self._backfill_at_cursor()
            if progress is not None:
                self._set_backfill(progress.backfill.backfill_id, BulkActionStatus.CANCELED)
        elif self.active_tab == "tab-queue":
            run_id = self._cursor_key("queue")
            if run_id is not None:
                self._cancel_queued(run_id)

    def action_resume(self) -> None:
        progress = self._backfill_at_cursor()
        if self.active_tab == "tab-backfills" and progress is not None:
            self._set_backfill(progress.backfill.backfill_id, BulkActionStatus.REQUESTED)

    @work(thread=True, group="orchestration-action", exit_on_error=False)
    def _set_backfill(self, backfill_id: str, status: BulkActionStatus) -> None:
        from orch.core.errors import DagsterError
        from orch.core.scheduling.backfill import set_backfill_status

        try:
            set_backfill_status(self.instance, backfill_id, status)
        except DagsterError as e:
            self.post_message(Done(str(e), error=True))
            return
        if status is BulkActionStatus.CANCELED:
            self.post_message(Done(f"Canceled backfill {backfill_id}: its runs already "
                                   "submitted go on"))
        elif self.daemon_hosted:
            self.post_message(Done(f"Resumed backfill {backfill_id}: the daemon submits the "
                                   "rest"))
        else:
            self.post_message(Done(f"Backfill {backfill_id} is REQUESTED again, but no daemon "
                                   f"runs here: orch backfill resume {backfill_id}"))

    @work(thread=True, group="orchestration-action", exit_on_error=False)
    def _cancel_queued(self, run_id: str) -> None:
        self.instance.cancel_run(run_id)
        self.post_message(Done(f"Canceled queued run {run_id[:8]}"))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.app.notify(message.text, severity="error" if message.error else "information",
                        timeout=8 if message.error else 4)
        self.refresh_state()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure here is shown: none is swallowed."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.app.notify(f"{type(error).__name__}: {error}"[-600:],
                            title="Schedules and sensors", severity="error", timeout=10)
            self.log.error(f"{event.worker.name} failed: {error!r}")
        event.stop()


class TickHistoryScreen(ModalScreen[None]):
    """One instigator's ticks, newest first; ``enter`` shows a tick's whole error or reason."""

    BINDINGS = [Binding("escape,q", "close", "Close")]
    DEFAULT_CSS = """
    TickHistoryScreen { align: center middle; }
    TickHistoryScreen > Vertical { width: 95%; height: 85%; border: round $accent;
                                   background: $panel; }
    TickHistoryScreen #tick-detail { height: auto; max-height: 50%; padding: 0 1; }
    """
    LIMIT = 200

    def __init__(self, instance: Instance, definition: InstigatorDefinition):
        super().__init__()
        self.instance = instance
        self.definition = definition
        self.ticks: list[Tick] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            d = self.definition
            box.border_title = f"Ticks of {d.kind} {d.name} ({d.pipeline_name})"
            box.border_subtitle = "enter or arrows: a tick's details · esc close"
            yield DataTable(id="ticks", cursor_type="row")
            with VerticalScroll(id="tick-detail"):
                yield Static("", id="tick-text", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#ticks", DataTable)
        table.add_columns("time", "status", "runs", "reason or error")
        self.ticks = self.instance.storage.get_ticks(self.definition.selector,
                                                      limit=self.LIMIT)
        zone = self.definition.execution_timezone
        for index, tick in enumerate(self.ticks):
            why = tick.error or tick.skip_reason or ""
            table.add_row(zone_stamp(tick.timestamp, zone),
                          Text(tick.status.value, style=TICK_STYLES.get(tick.status, "")),
                          ", ".join(r[:8] for r in tick.run_ids) or "—",
                          why.strip().splitlines()[0][:120] if why.strip() else "",
                          key=str(index))
        if not self.ticks:
            self.query_one("#tick-text", Static).update(
                "No ticks yet: turn it on (space) and the daemon evaluates it.")
        table.focus()

    @on(DataTable.RowHighlighted, "#ticks")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show(int(str(event.row_key.value)))

    def _show(self, index: int) -> None:
        tick = self.ticks[index]
        parts = [f"{tick.status.value} at "
                 f"{zone_stamp(tick.timestamp, self.definition.execution_timezone)}"]
        if tick.run_ids:
            parts.append("runs: " + ", ".join(tick.run_ids))
        if tick.run_keys:
            parts.append("run keys: " + ", ".join(tick.run_keys))
        if tick.origin_run_ids:
            parts.append("reacted to runs: " + ", ".join(tick.origin_run_ids))
        if tick.cursor:
            parts.append(f"cursor: {tick.cursor}")
        if tick.skip_reason:
            parts.append(f"skipped: {tick.skip_reason}")
        if tick.error:
            parts.append(f"error:\n{tick.error}")
        self.query_one("#tick-text", Static).update("\n".join(parts))

    @on(DataTable.RowSelected, "#ticks")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self._show(event.cursor_row)

    def action_close(self) -> None:
        self.dismiss(None)
