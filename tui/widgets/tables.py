"""The plan table (steps of the selected run) and the runs table (history)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from orch.core.run_progress import StepState
from orch.core.runs import StepStatus
from orch.tui.state import RunView
from orch.tui.widgets.dag_view import STATUS_STYLES
from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

if TYPE_CHECKING:
    from orch.core.runs import PipelineRun

RUN_STATUS_STYLES = {
    "SUCCESS": "green", "FAILURE": "red bold", "CANCELED": "magenta", "STARTED": "yellow",
    "STARTING": "yellow", "CANCELING": "magenta", "NOT_STARTED": "grey62", "QUEUED": "grey62",
}


RUN_STATUS_GLYPHS = {
    "SUCCESS": "✓", "FAILURE": "✗", "CANCELED": "■", "STARTED": "◐", "STARTING": "◐",
    "CANCELING": "◐", "NOT_STARTED": "○", "QUEUED": "○",
}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f}ms" if seconds < 10 else f"{seconds:.1f}s"


def plan_order(step_keys: list[str], view: RunView | None) -> list[str]:
    """The plan's steps in plan order, each unresolved ``x[?]`` replaced by the copies the
    run resolved (``x[a]``, ``x[b]``) at its place; other steps the run reports come last."""
    if view is None:
        return list(step_keys)
    resolved: dict[str, list[str]] = {}
    for key in view.steps:
        if "[" in key and not key.endswith("[?]"):
            resolved.setdefault(key.split("[", 1)[0], []).append(key)
    order: list[str] = []
    for key in step_keys:
        base = key.split("[", 1)[0]
        if "[" in key and base in resolved:
            order += [k for k in resolved.pop(base) if k not in order]
        elif key not in order:
            order.append(key)
    for copies in resolved.values():
        order += [k for k in copies if k not in order]
    return order + [k for k in view.steps if k not in order and not k.endswith("[?]")]


class PlanTable(DataTable):
    """Step, state, attempt, duration and mapping key; click a header to sort."""

    COLUMNS = ("step", "state", "attempt", "duration", "key")
    _plan_keys: list[str] = []

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in self.COLUMNS:
            self.add_column(column, key=column)

    def show_plan(self, step_keys: list[str], view: RunView | None) -> None:
        """Rows for the plan's steps (and any dynamic copies the run produced)."""
        self.clear()
        self._plan_keys = list(step_keys)
        for key in plan_order(step_keys, view):
            state = view.steps.get(key) if view else None
            self.add_row(*self._cells(key, state), key=key)

    def update_steps(self, view: RunView, step_keys: set[str]) -> None:
        for key in step_keys:
            state = view.steps.get(key)
            cells = self._cells(key, state)
            if key in self.rows:
                for column, value in zip(self.COLUMNS, cells, strict=True):
                    self.update_cell(key, column, value, update_width=True)
            elif "[" in key:  # a mapped copy resolved: the plan's order places it
                self.show_plan(self._plan_keys, view)
                return
            else:
                self.add_row(*cells, key=key)

    @staticmethod
    def _cells(key: str, state: StepState | None) -> tuple[Any, ...]:
        status = state.status if state else StepStatus.PENDING
        label = Text(f"{status.glyph} {status.label}", style=STATUS_STYLES[status])
        return (key, label, str(state.attempts or "") if state else "",
                _duration(state.duration) if state else "",
                (state.mapping_key or "") if state else "")

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.sort(event.column_key, key=lambda v: str(v))


class RunsTable(DataTable):
    """Run history: status glyph and id, pipeline, status, duration, start, and for a queued
    run why it waits. The pipeline comes second so a narrow sidebar still shows it.

    Status, duration and start are shown only while they fit whole in the table's width (a
    cut "25ms" read "25m"); the glyph before the id says the status in any width. The note
    stays last, always there: a queued run's reason is text, readable when cut, and the
    panel under the list says it whole."""

    # A list of rows: Home and End go to the newest and the oldest run (DataTable's own
    # bindings scroll sideways).
    BINDINGS = [Binding("home", "scroll_top", "Newest", show=False),
                Binding("end", "scroll_bottom", "Oldest", show=False)]

    COLUMNS = ("run", "pipeline", "status", "took", "started", "note")
    OPTIONAL = ("status", "took", "started")  # in the order they give way

    _shown: tuple[Any, ...] | None = None
    _rows: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (run id, every column's cell)
    _columns: tuple[str, ...] = ()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def show_runs(self, runs: list[PipelineRun], waiting: dict[str, str] | None = None) -> None:
        waiting = waiting or {}
        # The list is read every second: when nothing in it changed (and no run's duration
        # is still counting), leave the table alone instead of repainting it.
        shown = tuple((r.run_id, r.status, r.start_time, r.end_time, waiting.get(r.run_id))
                      for r in runs)
        if shown == self._shown and not any(r.start_time and not r.end_time for r in runs):
            return
        self._shown = shown
        self._rows = tuple((run.run_id, self._cells(run, waiting)) for run in runs)
        self._draw()

    @staticmethod
    def _cells(run: PipelineRun, waiting: dict[str, str]) -> tuple[Any, ...]:
        status = run.status.value
        style = RUN_STATUS_STYLES.get(status, "")
        started = time.strftime("%H:%M:%S", time.localtime(run.start_time)) \
            if run.start_time else ""
        took = _duration((run.end_time or time.time()) - run.start_time) \
            if run.start_time else ""
        # A re-execution is marked and indented under the run it reuses (compact lineage).
        label = f"↳{run.run_id[:7]}" if run.parent_run_id else run.run_id[:8]
        glyph = RUN_STATUS_GLYPHS.get(status, " ")
        return (Text(f"{glyph} {label}", style=style), run.pipeline_name,
                Text(status, style=style), took, started,
                Text(waiting.get(run.run_id, ""), style="dim"))

    def _fitting(self) -> tuple[str, ...]:
        """The columns to show: every one whose cells fit whole after the ones before it."""
        pad = 2 * self.cell_padding
        widths = [max([cell_len(name), *(cell_len(str(cells[i])) for _, cells in self._rows)])
                  + pad for i, name in enumerate(self.COLUMNS)]
        room = self.scrollable_content_region.width or self.size.width
        used = widths[0] + widths[1]
        shown = ["run", "pipeline"]
        for name in self.OPTIONAL:
            width = widths[self.COLUMNS.index(name)]
            if used + width > room:
                break
            used += width
            shown.append(name)
        return (*shown, "note")

    def _draw(self) -> None:
        selected = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value \
            if self.row_count else None
        columns = self._fitting()
        if columns != self._columns:
            self.clear(columns=True)
            for column in columns:
                self.add_column(column, key=column)
            self._columns = columns
        else:
            self.clear()
        index = [self.COLUMNS.index(c) for c in columns]
        for run_id, cells in self._rows:
            self.add_row(*(cells[i] for i in index), key=run_id)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))
