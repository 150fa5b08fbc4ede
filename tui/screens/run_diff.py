"""``d`` twice in the runs list: two runs of a pipeline side by side (``core/run_diff.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orch.core.run_diff import RunDiff
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

if TYPE_CHECKING:
    from orch.core.runs import StepStatus

CHANGE_STYLES = {"slower": "red bold", "faster": "green bold", "status": "yellow bold",
                 "only in A": "magenta", "only in B": "magenta"}


def _cell(status: StepStatus | None, seconds: float | None) -> Text:
    if status is None:
        return Text("—", style="dim")
    took = f" {seconds:.2f}s" if seconds is not None else ""
    return Text(f"{status.glyph} {status.label}{took}")


class RunDiffScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,d", "close", "Close")]
    DEFAULT_CSS = """
    RunDiffScreen { align: center middle; }
    RunDiffScreen > VerticalScroll { width: 95%; height: 90%; border: round $accent;
                                     background: $panel; padding: 0 1; }
    RunDiffScreen .section { text-style: bold; margin-top: 1; }
    RunDiffScreen #diff-steps { height: auto; }
    """

    def __init__(self, diff: RunDiff):
        super().__init__()
        self.diff = diff

    def compose(self) -> ComposeResult:
        d = self.diff
        a, b = d.run_a, d.run_b
        with VerticalScroll() as box:
            box.border_title = (f"{a.pipeline_name}: A = {a.run_id[:8]} ({a.status.value}) · "
                                f"B = {b.run_id[:8]} ({b.status.value})")
            box.border_subtitle = "esc close"
            yield Label("Code changed in: " + (", ".join(d.changed_solids) or "no solid"),
                        id="diff-code", classes="section")
            yield Label("Config: " + ("the same" if d.same_config else "changed"),
                        classes="section")
            config = Text()
            for line in d.config_diff[2:]:
                style = "green" if line.startswith("+") else "red" if line.startswith("-") \
                    else "dim" if line.startswith("@@") else ""
                config.append(line + "\n", style=style)
            yield Static(config, id="diff-config")
            yield Label("Steps", classes="section")
            yield DataTable(id="diff-steps", cursor_type="row")
            yield Label("Metadata that changed" if d.metadata else "Metadata: the same",
                        classes="section")
            yield Static("\n".join(f"{m.step_key}: {m.label}: {m.value_a!r} → {m.value_b!r}"
                                   for m in d.metadata), id="diff-metadata", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#diff-steps", DataTable)
        table.add_columns("step", "A", "B", "change")
        for c in self.diff.steps:
            table.add_row(c.step_key, _cell(c.status_a, c.seconds_a),
                          _cell(c.status_b, c.seconds_b),
                          Text(c.change, style=CHANGE_STYLES.get(c.change, "dim")),
                          key=c.step_key)

    def action_close(self) -> None:
        self.dismiss(None)
