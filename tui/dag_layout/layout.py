"""Ranking and ordering with grandalf's Sugiyama layout, per connected component, then our
own left-to-right placement and orthogonal routing (TUI_NOTES.md §5.2)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from .canvas import LABEL_PREFIX, DagCanvas, Grid, NodeBox

MAX_LANES = 8
COMPONENT_GAP = 1


class _View:
    """grandalf wants a size per vertex; left-to-right, every node is one row tall."""

    def __init__(self, width: int):
        self.w = width
        self.h = 1
        self.xy = (0.0, 0.0)


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return list(groups.values())


def _rank_component(nodes: list[str], edges: list[tuple[str, str]], extra: dict[str, int]):
    """Layers of vertex ids (node names, or ("dummy", edge, rank)) and each edge's path."""
    if len(nodes) == 1:
        return [[nodes[0]]], {}
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = {n: Vertex(n) for n in nodes}
    for n, v in vertices.items():
        v.view = _View(len(n) + LABEL_PREFIX + extra.get(n, 0))
    g_edges = {(a, b): Edge(vertices[a], vertices[b]) for a, b in edges}
    graph = Graph(list(vertices.values()), list(g_edges.values()))
    component = graph.C[0]
    layout = SugiyamaLayout(component)
    layout.init_all()
    layout.draw(2)
    ids = {}
    layers: list[list] = []
    for _rank, layer in enumerate(layout.layers):
        row = []
        for v in sorted(layer, key=lambda v: layout.grx[v].pos):
            vid = v.data if hasattr(v, "data") else ("dummy", id(v))
            ids[v] = vid
            row.append(vid)
        layers.append(row)
    paths: dict[tuple[str, str], list] = {}
    for (a, b), e in g_edges.items():
        ctrls = layout.ctrls.get(e) or {}
        if ctrls:
            paths[(a, b)] = [ids[ctrls[r]] for r in sorted(ctrls)]
        else:
            paths[(a, b)] = [a, b]
    return layers, paths


def preload() -> None:
    """Import grandalf (and numpy, which it imports) ahead of the first layout: 0.06-0.15 s
    that would otherwise fall between the definitions arriving and the first DAG."""
    import grandalf.layouts  # noqa: F401


def layout_dag(nodes: Iterable[str], edges: Iterable[tuple[str, str]],
               extra_width: dict[str, int] | None = None) -> DagCanvas:
    """Lay out a DAG left to right; every connected component is drawn, stacked vertically.
    ``extra_width`` reserves columns after a node's name (for a per-key status summary)."""
    node_list = list(dict.fromkeys(nodes))
    edge_list = [(a, b) for a, b in dict.fromkeys(edges) if a != b]
    extra = extra_width or {}
    placed: list[tuple[list[list], dict]] = []
    for comp in _components(node_list, edge_list):
        members = set(comp)
        comp_edges = [(a, b) for a, b in edge_list if a in members]
        placed.append(_rank_component(comp, comp_edges, extra))
    return _draw(placed, edge_list, extra)


def _draw(placed, edge_list, extra: dict[str, int]) -> DagCanvas:
    # Column geometry is shared by all components so layers line up.
    depth = max((len(layers) for layers, _ in placed), default=0)
    layer_width = [0] * depth
    for layers, _ in placed:
        for rank, layer in enumerate(layers):
            for vid in layer:
                if isinstance(vid, str):
                    layer_width[rank] = max(layer_width[rank],
                                            len(vid) + LABEL_PREFIX + extra.get(vid, 0) + 1)
    channel_lanes = [1] * depth
    for _layers, paths in placed:
        for rank in range(depth):
            sources = {path[i] for path in paths.values() for i in range(len(path) - 1)
                       if _rank_of(_layers, path[i]) == rank}
            channel_lanes[rank] = max(channel_lanes[rank], min(len(sources), MAX_LANES))
    layer_x = []
    x = 0
    for rank in range(depth):
        layer_x.append(x)
        x += layer_width[rank] + channel_lanes[rank] + 2
    width = max(x, 1)
    height = sum(max((len(layer) for layer in layers), default=1) for layers, _ in placed)
    height += COMPONENT_GAP * max(len(placed) - 1, 0)
    grid = Grid(width, max(height, 1))
    boxes: dict[str, NodeBox] = {}
    edge_cells: dict[tuple[str, str], list[tuple[int, int]]] = {}
    top = 0
    for layers, paths in placed:
        rows = {vid: top + pos for layer in layers for pos, vid in enumerate(layer)}
        ranks = {vid: rank for rank, layer in enumerate(layers) for vid in layer}
        lanes = _lanes(layers, paths, channel_lanes)
        for edge, path in paths.items():
            grid.trace = edge_cells.setdefault(edge, [])
            _route(grid, path, rows, ranks, layer_x, layer_width, lanes, extra)
            grid.trace = None
        for vid, rank in ranks.items():
            if isinstance(vid, str):
                y, x0 = rows[vid], layer_x[rank]
                label = "○" + " " + " " + vid + " " * extra.get(vid, 0)
                grid.label(y, x0, label)
                boxes[vid] = NodeBox(vid, y, x0, x0 + len(label), rank)
        top += max((len(layer) for layer in layers), default=1) + COMPONENT_GAP
    return DagCanvas(width, grid.height, grid.rows(), boxes, edge_list,
                     edge_cells={e: sorted(set(c)) for e, c in edge_cells.items()})


def _lanes(layers, paths, channel_lanes: list[int]) -> dict:
    """The lane (column of the channel after its layer) each edge source turns in.

    Policy: a source's edge into a row where another source leaves must turn in a lane to
    the right of that source's lane, or the two would share cells and read as one edge. So
    lanes are ordered by those constraints (Kahn's algorithm; on a cycle the topmost source
    goes first), one lane each, the last one shared once the channel is full — a lane never
    runs into the next layer's column."""
    sources = {path[i] for path in paths.values() for i in range(len(path) - 1)}
    hops = [(path[i], path[i + 1]) for path in paths.values() for i in range(len(path) - 1)]
    lanes = {}
    for rank, layer in enumerate(layers):
        row = {vid: pos for pos, vid in enumerate(layer)}
        ordered = [vid for vid in layer if vid in sources]
        next_row = {vid: pos for pos, vid in enumerate(layers[rank + 1])} \
            if rank + 1 < len(layers) else {}
        by_row = {row[vid]: vid for vid in ordered}
        before: dict = {vid: set() for vid in ordered}  # lanes that must come first
        for a, b in hops:
            if a in before and b in next_row:
                other = by_row.get(next_row[b])
                if other is not None and other != a:
                    before[a].add(other)
        for index, vid in enumerate(_constraint_order(ordered, before)):
            lanes[vid] = min(index, channel_lanes[rank] - 1)
    return lanes


def _constraint_order(items: list, before: dict) -> list:
    """``items`` with every ``before[x]`` ahead of ``x`` where possible, else in order."""
    waiting = {x: set(before[x]) for x in items}
    done: list = []
    while waiting:
        ready = [x for x in items if x in waiting and not waiting[x]]
        chosen = ready[0] if ready else next(x for x in items if x in waiting)
        done.append(chosen)
        del waiting[chosen]
        for rest in waiting.values():
            rest.discard(chosen)
    return done


def _rank_of(layers, vid) -> int:
    for rank, layer in enumerate(layers):
        if vid in layer:
            return rank
    return -1


def _route(grid: Grid, path, rows, ranks, layer_x, layer_width, lanes: dict,
           extra: dict[str, int]) -> None:
    for a, b in itertools.pairwise(path):
        rank = ranks[a]
        ya, yb = rows[a], rows[b]
        if isinstance(a, str):
            start = layer_x[rank] + len(a) + LABEL_PREFIX + extra.get(a, 0)
        else:  # a long edge passes through this layer as a line
            start = layer_x[rank]
        exit_x = layer_x[rank] + layer_width[rank]
        lane = lanes.get(a, 0)
        lane_x = exit_x + 1 + lane
        end = layer_x[rank + 1] - 1
        # From the source's last cell (its label, drawn over) to the lane, down or up the
        # lane, then on to the target's first cell (its glyph, drawn over).
        grid.connect(ya, start - 1, lane_x)
        grid.vline(lane_x, ya, yb)
        grid.connect(yb, lane_x, end + 1)
        if not isinstance(b, str):
            grid.connect(yb, layer_x[rank + 1], layer_x[rank + 1] + layer_width[rank + 1])


def neighbourhood(name: str, edges: Iterable[tuple[str, str]], hops: int) -> set[str]:
    """``name`` and every node within ``hops`` edges upstream or downstream of it."""
    ups: dict[str, set[str]] = {}
    downs: dict[str, set[str]] = {}
    for a, b in edges:
        downs.setdefault(a, set()).add(b)
        ups.setdefault(b, set()).add(a)
    found = {name}
    for adjacency in (ups, downs):
        frontier = {name}
        for _ in range(hops):
            frontier = {n for f in frontier for n in adjacency.get(f, ())} - found
            found |= frontier
    return found
