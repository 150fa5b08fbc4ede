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


def _rank_component(nodes: list[str], edges: list[tuple[str, str]]):
    """Layers of vertex ids (node names, or ("dummy", edge, rank)) and each edge's path."""
    if len(nodes) == 1:
        return [[nodes[0]]], {}
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = {n: Vertex(n) for n in nodes}
    for n, v in vertices.items():
        v.view = _View(len(n) + LABEL_PREFIX)
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


def layout_dag(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> DagCanvas:
    """Lay out a DAG left to right; every connected component is drawn, stacked vertically."""
    node_list = list(dict.fromkeys(nodes))
    edge_list = [(a, b) for a, b in dict.fromkeys(edges) if a != b]
    placed: list[tuple[list[list], dict]] = []
    for comp in _components(node_list, edge_list):
        members = set(comp)
        comp_edges = [(a, b) for a, b in edge_list if a in members]
        placed.append(_rank_component(comp, comp_edges))
    return _draw(placed, edge_list)


def _draw(placed, edge_list) -> DagCanvas:
    # Column geometry is shared by all components so layers line up.
    depth = max((len(layers) for layers, _ in placed), default=0)
    layer_width = [0] * depth
    for layers, _ in placed:
        for rank, layer in enumerate(layers):
            for vid in layer:
                if isinstance(vid, str):
                    layer_width[rank] = max(layer_width[rank], len(vid) + LABEL_PREFIX + 1)
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
    top = 0
    for layers, paths in placed:
        rows = {vid: top + pos for layer in layers for pos, vid in enumerate(layer)}
        ranks = {vid: rank for rank, layer in enumerate(layers) for vid in layer}
        for path in paths.values():
            _route(grid, path, rows, ranks, layer_x, layer_width, layers)
        for vid, rank in ranks.items():
            if isinstance(vid, str):
                y, x0 = rows[vid], layer_x[rank]
                label = "○" + " " + " " + vid
                grid.label(y, x0, label)
                boxes[vid] = NodeBox(vid, y, x0, x0 + len(label), rank)
        top += max((len(layer) for layer in layers), default=1) + COMPONENT_GAP
    return DagCanvas(width, grid.height, grid.rows(), boxes, edge_list)


def _rank_of(layers, vid) -> int:
    for rank, layer in enumerate(layers):
        if vid in layer:
            return rank
    return -1


def _route(grid: Grid, path, rows, ranks, layer_x, layer_width, layers) -> None:
    for a, b in itertools.pairwise(path):
        rank = ranks[a]
        ya, yb = rows[a], rows[b]
        if isinstance(a, str):
            start = layer_x[rank] + len(a) + LABEL_PREFIX
        else:  # a long edge passes through this layer as a line
            start = layer_x[rank]
        exit_x = layer_x[rank] + layer_width[rank]
        lane = _lane(layers[rank], a)
        lane_x = exit_x + 1 + min(lane, MAX_LANES - 1)
        end = layer_x[rank + 1] - 1
        grid.hline(ya, start, lane_x)
        grid.vline(lane_x, ya, yb)
        grid.hline(yb, lane_x, end)
        if not isinstance(b, str):
            grid.hline(yb, layer_x[rank + 1], layer_x[rank + 1] + layer_width[rank + 1])


def _lane(layer, vid) -> int:
    return layer.index(vid)


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
