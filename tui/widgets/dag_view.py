"""The DAG of the selected pipeline, drawn left to right, rendered line by line.

Layout happens only when the graph changes (``set_graph``); a status change restyles just the
rows that hold the affected nodes. Each status has a colour *and* a glyph, so it never depends
on colour alone.
"""

from __future__ import annotations

from orch.core.runs import StepStatus
from orch.tui.dag_layout import DagCanvas, layout_dag, neighbourhood
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

STATUS_STYLES: dict[StepStatus, Style] = {
    StepStatus.PENDING: Style(color="grey62"),
    StepStatus.IN_PROGRESS: Style(color="yellow", bold=True),
    StepStatus.SUCCESS: Style(color="green"),
    StepStatus.FAILURE: Style(color="red", bold=True),
    StepStatus.SKIPPED: Style(color="blue"),
    StepStatus.ABANDONED: Style(color="magenta"),
    StepStatus.UP_FOR_RETRY: Style(color="dark_orange"),
    StepStatus.NOT_EXECUTED: Style(color="grey42"),
    StepStatus.CANCELED: Style(color="magenta", bold=True),
    StepStatus.REUSED: Style(color="green", dim=True),
}
EDGE_STYLE = Style(color="grey42")
LIT_EDGE_STYLE = Style(color="bright_white", bold=True)
MAPPED_WIDTH = 16  # columns reserved after a mapped solid's name, for its per-key summary
CURSOR_STYLE = Style(reverse=True)
SELECTED_MARK = "●"
CHANGED_MARK = "~"


class DagView(ScrollView, can_focus=True):
    """A scrollable left-to-right drawing of the solid graph with a node cursor."""

    BINDINGS = [
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("space", "toggle_selected", "Select"),
        Binding("f", "toggle_focus", "Focus"),
        Binding("plus,equals_sign", "hops(1)", "More hops", show=False),
        Binding("minus", "hops(-1)", "Fewer hops", show=False),
        Binding("enter", "expand", "Expand", show=False),
    ]

    DEFAULT_CSS = """
    DagView { background: $surface; }
    """

    cursor: reactive[str | None] = reactive(None, always_update=True)
    focus_hops: reactive[int] = reactive(0)

    class NodeHighlighted(Message):
        """The node cursor moved to ``name``."""

        def __init__(self, name: str):
            super().__init__()
            self.name = name

    class ExpandRequested(Message):
        """``enter`` on a node: expand or collapse it if it is a composite."""

        def __init__(self, name: str):
            super().__init__()
            self.name = name

    class SelectionChanged(Message):
        """The set of selected solids changed."""

        def __init__(self, selected: frozenset[str]):
            super().__init__()
            self.selected = selected

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._graph_nodes: list[str] = []
        self._graph_edges: list[tuple[str, str]] = []
        self._canvas: DagCanvas | None = None
        self._status: dict[str, StepStatus] = {}
        self.selected: set[str] = set()
        self.changed: set[str] = set()
        self._strip_cache: dict[int, Strip] = {}
        self._layout_cache: dict[tuple, DagCanvas] = {}
        self._mapped: dict[str, str] = {}  # node → its per-key status summary
        self._lit: dict[int, set[int]] = {}
        self._lit_for: tuple[int, str] | None = None

    # -- data in --------------------------------------------------------------------------
    def set_graph(self, nodes: list[str], edges: list[tuple[str, str]]) -> None:
        """A new graph (snapshot reloaded): keep the cursor and selection on surviving nodes."""
        if nodes == self._graph_nodes and edges == self._graph_edges:
            return
        self._graph_nodes, self._graph_edges = list(nodes), list(edges)
        self._layout_cache.clear()
        self.selected &= set(nodes)
        self.changed &= set(nodes)
        if self.cursor not in nodes:
            self.cursor = nodes[0] if nodes else None
        self._relayout()

    def set_statuses(self, status: dict[str, StepStatus]) -> None:
        """Restyle only the rows whose nodes changed status."""
        changed = {n for n in set(status) | set(self._status)
                   if status.get(n) != self._status.get(n)}
        self._status = dict(status)
        self._refresh_nodes(changed)

    def set_mapped(self, summaries: dict[str, str]) -> None:
        """Per-key status of mapped solids; the first summary of a node widens its box."""
        widen = set(summaries) - set(self._mapped)
        self._mapped = dict(summaries)
        if widen:
            self._layout_cache.clear()
            self._relayout()
        else:
            self._refresh_nodes(set(summaries))

    def edges_of(self, name: str) -> tuple[list[str], list[str]]:
        """(upstream, downstream) neighbours of a node, in graph order."""
        return ([a for a, b in self._graph_edges if b == name],
                [b for a, b in self._graph_edges if a == name])

    def set_changed(self, names: set[str]) -> None:
        before = set(self.changed)
        self.changed = set(names) & set(self._graph_nodes)
        self._refresh_nodes(before ^ self.changed)

    @property
    def graph_nodes(self) -> list[str]:
        """The nodes of the graph drawn (composites expanded), before any focus filter."""
        return self._graph_nodes

    @property
    def canvas(self) -> DagCanvas | None:
        return self._canvas

    def _visible_nodes(self) -> tuple[list[str], list[tuple[str, str]]]:
        if self.focus_hops and self.cursor:
            keep = neighbourhood(self.cursor, self._graph_edges, self.focus_hops)
            return ([n for n in self._graph_nodes if n in keep],
                    [(a, b) for a, b in self._graph_edges if a in keep and b in keep])
        return self._graph_nodes, self._graph_edges

    def _relayout(self) -> None:
        nodes, edges = self._visible_nodes()
        key = (tuple(nodes), tuple(edges), tuple(sorted(self._mapped)))
        if key not in self._layout_cache:
            self._layout_cache[key] = layout_dag(
                nodes, edges, {n: MAPPED_WIDTH for n in self._mapped if n in nodes})
        self._canvas = self._layout_cache[key]
        self._strip_cache.clear()
        self.virtual_size = Size(self._canvas.width + 1, self._canvas.height)
        self.refresh()

    def _refresh_nodes(self, names: set[str]) -> None:
        if self._canvas is None:
            return
        rows = {self._canvas.nodes[n].y for n in names if n in self._canvas.nodes}
        for y in rows:
            self._strip_cache.pop(y, None)
            self.refresh_line(y - int(self.scroll_offset.y))

    # -- rendering ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = y + scroll_y
        width = self.scrollable_content_region.width
        if self._canvas is None or row >= self._canvas.height:
            return Strip.blank(width)
        strip = self._strip_cache.get(row)
        if strip is None:
            strip = self._build_strip(row)
            self._strip_cache[row] = strip
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width)

    def _lit_cells(self, row: int) -> set[int]:
        """Columns of ``row`` on the edges into and out of the cursor's node (worked out
        once per cursor move and layout, not per rendered row)."""
        canvas = self._canvas
        if canvas is None or self.cursor is None:
            return set()
        if self._lit_for != (id(canvas), self.cursor):
            self._lit = {}
            for edge, cells in canvas.edge_cells.items():
                if self.cursor in edge:
                    for y, x in cells:
                        self._lit.setdefault(y, set()).add(x)
            self._lit_for = (id(canvas), self.cursor)
        return self._lit.get(row, set())

    def _edge_segments(self, text: str, x0: int, x1: int, lit: set[int]) -> list[Segment]:
        segments: list[Segment] = []
        x = x0
        while x < x1:
            on = x in lit
            end = x
            while end < x1 and (end in lit) == on:
                end += 1
            segments.append(Segment(text[x:end], LIT_EDGE_STYLE if on else EDGE_STYLE))
            x = end
        return segments

    def _build_strip(self, row: int) -> Strip:
        canvas = self._canvas
        assert canvas is not None
        text = canvas.rows[row]
        lit = self._lit_cells(row)
        segments: list[Segment] = []
        x = 0
        for box in canvas.nodes_by_row.get(row, []):
            if box.x0 > x:
                segments += self._edge_segments(text, x, box.x0, lit)
            status = self._status.get(box.name, StepStatus.PENDING)
            mark = CHANGED_MARK if box.name in self.changed else " "
            if box.name in self.selected:
                mark = SELECTED_MARK if mark == " " else "*"
            label = f"{status.glyph}{mark} {box.name}"
            style = STATUS_STYLES[status]
            if box.name == self.cursor:
                style = style + CURSOR_STYLE
            if box.name in self.selected:
                style = style + Style(underline=True)
            segments.append(Segment(label, style))
            summary = self._mapped.get(box.name)
            if summary:
                tail = f" {summary}"[:box.x1 - box.x0 - len(label)]
                segments.append(Segment(tail, STATUS_STYLES[status]))
                segments.append(Segment(" " * (box.x1 - box.x0 - len(label) - len(tail))))
            elif box.x1 - box.x0 > len(label):
                segments.append(Segment(" " * (box.x1 - box.x0 - len(label))))
            x = box.x1
        if x < len(text):
            segments += self._edge_segments(text, x, len(text), lit)
        return Strip(segments)

    def _refresh_edges_of(self, name: str | None) -> None:
        if self._canvas is None or name is None:
            return
        rows = {y for edge, cells in self._canvas.edge_cells.items() if name in edge
                for y, _ in cells}
        for y in rows:
            self._strip_cache.pop(y, None)
            self.refresh_line(y - int(self.scroll_offset.y))

    # -- navigation -----------------------------------------------------------------------
    def watch_cursor(self, old: str | None, new: str | None) -> None:
        self._refresh_nodes({n for n in (old, new) if n})
        self._refresh_edges_of(old)
        self._refresh_edges_of(new)
        if new is not None:
            self.scroll_to_node(new)
            self.post_message(self.NodeHighlighted(new))
        if self.focus_hops and self._canvas is not None:
            self._relayout()

    def watch_focus_hops(self) -> None:
        if self._graph_nodes:
            self._relayout()

    def scroll_to_node(self, name: str) -> None:
        if self._canvas is None or name not in self._canvas.nodes:
            return
        box = self._canvas.nodes[name]
        self.scroll_to_region(
            region=_region(box.x0, box.y, box.x1 - box.x0, 1), animate=False, force=True
        )

    def action_move(self, dx: int, dy: int) -> None:
        canvas = self._canvas
        if canvas is None or not canvas.nodes:
            return
        if self.cursor not in canvas.nodes:
            self.cursor = next(iter(canvas.nodes))
            return
        here = canvas.nodes[self.cursor]
        candidates = [b for b in canvas.nodes.values() if b.name != here.name]
        if dx:
            same_dir = [b for b in candidates if (b.layer - here.layer) * dx > 0]
            best = min(same_dir, key=lambda b: (abs(b.layer - here.layer), abs(b.y - here.y)),
                       default=None)
        else:
            same_dir = [b for b in candidates if (b.y - here.y) * dy > 0]
            best = min(same_dir, key=lambda b: (abs(b.y - here.y), abs(b.layer - here.layer)),
                       default=None)
        if best is not None:
            self.cursor = best.name

    def action_toggle_selected(self) -> None:
        if self.cursor is None:
            return
        self.selected ^= {self.cursor}
        self._refresh_nodes({self.cursor})
        self.post_message(self.SelectionChanged(frozenset(self.selected)))

    def action_expand(self) -> None:
        if self.cursor is not None:
            self.post_message(self.ExpandRequested(self.cursor))

    def action_toggle_focus(self) -> None:
        self.focus_hops = 0 if self.focus_hops else 2

    def action_hops(self, delta: int) -> None:
        self.focus_hops = max(0, min(9, self.focus_hops + delta))

    def on_click(self, event: events.Click) -> None:
        if self._canvas is None:
            return
        x = event.x + int(self.scroll_offset.x)
        y = event.y + int(self.scroll_offset.y)
        for box in self._canvas.nodes_by_row.get(y, []):
            if box.x0 <= x < box.x1:
                self.cursor = box.name
                if event.chain == 2:
                    self.action_toggle_selected()
                return


def _region(x: int, y: int, w: int, h: int):
    from textual.geometry import Region

    return Region(x, y, w, h)
