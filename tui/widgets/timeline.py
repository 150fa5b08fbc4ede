"""A Gantt chart of the selected run: one bar per step from its start to its end."""

from __future__ import annotations

import time

from orch.tui.state import RunView
from orch.tui.widgets.dag_view import STATUS_STYLES
from rich.text import Text
from textual.widgets import Static

LABEL_WIDTH = 28


def render_timeline(view: RunView | None, width: int, now: float | None = None) -> Text:
    """The chart as text, ``width`` cells wide (labels included)."""
    if view is None or not view.steps:
        return Text("No run selected.", style="dim")
    steps = [s for s in view.visible_steps() if s.start is not None]
    if not steps:
        return Text("No step has started yet.", style="dim")
    now = now if now is not None else time.time()
    t0 = min(s.start for s in steps)
    t1 = max((s.end if s.end is not None else now) for s in steps)
    span = max(t1 - t0, 1e-3)
    label_width = max(12, min(LABEL_WIDTH, width // 3))
    bar_width = max(8, width - label_width - 11)
    out = Text()
    for step in sorted(steps, key=lambda s: (s.start, s.key)):
        start = int((step.start - t0) / span * bar_width)
        end = max(start + 1, int(((step.end if step.end is not None else now) - t0) / span * bar_width))
        label = step.key if len(step.key) <= label_width - 2 else step.key[:label_width - 3] + "…"
        out.append(f"{step.status.glyph} {label:<{label_width - 2}}",
                   STATUS_STYLES.get(step.status))
        out.append(" " * start)
        out.append("█" * (end - start), STATUS_STYLES.get(step.status))
        out.append(" " * (bar_width - end))
        duration = (step.end if step.end is not None else now) - step.start
        out.append(f" {duration * 1000:7.0f}ms\n" if duration < 10 else f" {duration:7.1f}s \n",
                   "dim")
    out.append(f"{'':<{label_width}}0{'':>{max(bar_width - 7, 1)}}{span:.3f}s", "dim")
    return out


class Timeline(Static):
    """Re-renders from a RunView on demand."""

    def __init__(self, **kwargs):
        super().__init__("No run selected.", **kwargs)
        self.view: RunView | None = None

    def show(self, view: RunView | None) -> None:
        self.view = view
        self.update(render_timeline(view, self.size.width or 80))

    def on_resize(self) -> None:
        self.update(render_timeline(self.view, self.size.width or 80))
