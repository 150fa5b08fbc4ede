"""A grid of glyphs: edges merged from N/E/S/W bitmasks, node labels drawn on top."""

from __future__ import annotations

from dataclasses import dataclass, field

N, E, S, W = 1, 2, 4, 8
_GLYPHS = {
    0: " ", E: "─", W: "─", E | W: "─", N: "│", S: "│", N | S: "│",
    E | S: "┌", S | W: "┐", N | E: "└", N | W: "┘",
    N | E | S: "├", N | S | W: "┤", E | S | W: "┬", N | E | W: "┴", N | E | S | W: "┼",
}
# Per node: status glyph, change mark, space, name.
LABEL_PREFIX = 3


@dataclass(frozen=True)
class NodeBox:
    """Where a node's label sits: row ``y``, columns ``x0`` (inclusive) to ``x1`` (exclusive)."""

    name: str
    y: int
    x0: int
    x1: int
    layer: int


@dataclass
class DagCanvas:
    """The drawn graph: ``rows`` of text (node labels with a placeholder glyph) and the boxes."""

    width: int
    height: int
    rows: list[str]
    nodes: dict[str, NodeBox]
    edges: list[tuple[str, str]]
    nodes_by_row: dict[int, list[NodeBox]] = field(default_factory=dict)
    # The cells each edge is drawn on, so the view can light up the edges of one node.
    edge_cells: dict[tuple[str, str], list[tuple[int, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for box in self.nodes.values():
            self.nodes_by_row.setdefault(box.y, []).append(box)
        for boxes in self.nodes_by_row.values():
            boxes.sort(key=lambda b: b.x0)

    def text(self) -> str:
        return "\n".join(row.rstrip() for row in self.rows)


class Grid:
    """Mutable drawing surface used while routing."""

    def __init__(self, width: int, height: int):
        self.width = width
        self.height = height
        self.mask = [[0] * width for _ in range(height)]
        self.text: dict[tuple[int, int], str] = {}
        self.trace: list[tuple[int, int]] | None = None  # cells of the edge being routed

    def hline(self, y: int, x0: int, x1: int) -> None:
        a, b = min(x0, x1), max(x0, x1)
        for x in range(a, b + 1):
            if x < b:
                self.mask[y][x] |= E
            if x > a:
                self.mask[y][x] |= W
        if a == b:
            self.mask[y][a] |= E | W

    def connect(self, y: int, x0: int, x1: int) -> None:
        """A horizontal run from cell ``x0`` to ``x1`` (left to right) with no arm beyond
        either end: where it meets a vertical it turns (┌ ┘ └ ┐) instead of suggesting a
        branch that does not exist (``hline`` of one cell has both arms)."""
        for x in range(x0, x1 + 1):
            if x < x1:
                self.mask[y][x] |= E
            if x > x0:
                self.mask[y][x] |= W
            if self.trace is not None and x0 < x1:
                self.trace.append((y, x))

    def vline(self, x: int, y0: int, y1: int) -> None:
        a, b = min(y0, y1), max(y0, y1)
        for y in range(a, b + 1):
            if y < b:
                self.mask[y][x] |= S
            if y > a:
                self.mask[y][x] |= N
            if self.trace is not None and a < b:
                self.trace.append((y, x))

    def label(self, y: int, x: int, text: str) -> None:
        for i, ch in enumerate(text):
            self.text[(y, x + i)] = ch

    def rows(self) -> list[str]:
        out = []
        for y in range(self.height):
            chars = [_GLYPHS[m] for m in self.mask[y]]
            out.append("".join(chars))
        for (y, x), ch in self.text.items():
            row = out[y]
            out[y] = row[:x] + ch + row[x + 1:]
        return out
