"""The DAG layout and the run state fold, without Textual."""

from __future__ import annotations

from orch.core.events import EventRecord, EventType
from orch.core.runs import PipelineRunStatus, StepStatus
from orch.tui.dag_layout import layout_dag, neighbourhood
from orch.tui.state import RunView, downstream_of, node_of_step, node_statuses
from orch.tui.widgets.timeline import render_timeline

SALES = (
    ["load_orders", "clean_orders", "report_rejected", "summarize", "write_report"],
    [("load_orders", "clean_orders"), ("clean_orders", "report_rejected"),
     ("clean_orders", "summarize"), ("summarize", "write_report")],
)


def test_left_to_right_layout_golden():
    canvas = layout_dag(*SALES)
    assert canvas.text() == (
        "○  load_orders────○  clean_orders──┬─○  report_rejected  ┌─○  write_report\n"
        "                                   └─○  summarize────────┘"
    )
    assert canvas.nodes["summarize"].y == 1
    assert canvas.nodes["write_report"].layer == 3


def _dangling_arms(canvas) -> list[tuple[int, int, str]]:
    """Cells whose glyph has an arm that leads nowhere: an arm must meet the opposite arm of
    its neighbour, or a node's label (its glyph on the left, its name's end on the right).
    A dangling arm reads as an edge that does not exist."""
    from orch.tui.dag_layout.canvas import _GLYPHS, E, N, S, W

    arms = {glyph: mask for mask, glyph in _GLYPHS.items() if glyph != " "}
    rows = canvas.rows
    starts = {(b.y, b.x0) for b in canvas.nodes.values()}
    ends = {(b.y, b.x1 - 1) for b in canvas.nodes.values()}
    inside = {(b.y, x) for b in canvas.nodes.values() for x in range(b.x0, b.x1)}

    def mask(y: int, x: int) -> int:
        if (y, x) in inside or not (0 <= y < len(rows) and 0 <= x < len(rows[y])):
            return 0
        return arms.get(rows[y][x], 0)

    bad = []
    for y, row in enumerate(rows):
        for x, ch in enumerate(row):
            m = mask(y, x)
            if m & E and not (mask(y, x + 1) & W or (y, x + 1) in starts):
                bad.append((y, x, ch))
            if m & W and not (mask(y, x - 1) & E or (y, x - 1) in ends):
                bad.append((y, x, ch))
            if m & N and not mask(y - 1, x) & S:
                bad.append((y, x, ch))
            if m & S and not mask(y + 1, x) & N:
                bad.append((y, x, ch))
    return bad


def test_no_junction_suggests_an_edge_that_does_not_exist():
    from conftest import wide_pipeline
    from orch.core.definitions.snapshot import pipeline_snapshot
    from orch.tui.state import pipeline_graph

    from sample_repo import sales

    for graph in (SALES, pipeline_graph(pipeline_snapshot(wide_pipeline(30))),
                  pipeline_graph(pipeline_snapshot(sales.sales_report), {"summarize"}),
                  (["a", "b", "c", "d"], [("a", "c"), ("b", "c"), ("b", "d"), ("a", "d")])):
        canvas = layout_dag(*graph)
        assert _dangling_arms(canvas) == [], canvas.text()


def test_every_connected_component_is_drawn():
    canvas = layout_dag(["a", "b", "c", "lonely"], [("a", "b"), ("b", "c")])
    assert set(canvas.nodes) == {"a", "b", "c", "lonely"}
    assert canvas.nodes["lonely"].y > canvas.nodes["a"].y


def test_long_edges_route_through_intermediate_layers():
    canvas = layout_dag(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    rows = canvas.text().splitlines()
    assert len(rows) == 2
    assert "└" in rows[1] and "┘" in rows[1]  # a→c passes below b
    assert canvas.nodes["c"].layer == 2


def test_neighbourhood_is_k_hops_both_ways():
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("x", "c")]
    assert neighbourhood("c", edges, 1) == {"b", "c", "d", "x"}
    assert neighbourhood("c", edges, 2) == {"a", "b", "c", "d", "x"}
    assert downstream_of({"b"}, edges) == {"b", "c", "d"}


def _event(kind, step=None, ts=0.0, sid=0, **data):
    return EventRecord("r", "p", kind, "", step, timestamp=ts, storage_id=sid, data=data)


def test_run_view_folds_events_into_step_and_node_states():
    view = RunView("r")
    touched = view.apply([
        _event(EventType.PIPELINE_START, ts=1, sid=1),
        _event(EventType.STEP_START, "load", ts=1.0, sid=2),
        _event(EventType.STEP_SUCCESS, "load", ts=1.5, sid=3),
        _event(EventType.STEP_START, "outer.inner", ts=2.0, sid=4),
        _event(EventType.STEP_START, "fan[k1]", ts=2.0, sid=5),
        _event(EventType.STEP_FAILURE, "fan[k1]", ts=2.5, sid=6),
        _event(EventType.STEP_SUCCESS, "fan[k2]", ts=2.6, sid=7),
        _event(None, "after", sid=8, abandoned=True),
    ])
    assert touched == {"load", "outer.inner", "fan[k1]", "fan[k2]", "after"}
    assert view.cursor == 8 and view.status is PipelineRunStatus.STARTED
    assert view.steps["load"].duration == 0.5
    assert view.steps["fan[k1]"].mapping_key == "k1"
    assert node_statuses(view) == {"load": StepStatus.SUCCESS, "outer": StepStatus.IN_PROGRESS,
                                    "fan": StepStatus.FAILURE, "after": StepStatus.ABANDONED}
    assert node_of_step("outer.inner[k]") == "outer"
    view.apply([_event(EventType.PIPELINE_FAILURE, ts=3, sid=9)])
    assert view.finished and view.ended == 3


def test_timeline_fits_its_width():
    view = RunView("r")
    view.apply([_event(EventType.STEP_START, "a_rather_long_step_name_here", ts=0, sid=1),
                _event(EventType.STEP_SUCCESS, "a_rather_long_step_name_here", ts=1, sid=2)])
    text = render_timeline(view, 50, now=1.0).plain
    assert max(len(line) for line in text.splitlines()) <= 50
    assert "1000ms" in text


def test_launchpad_flags_placeholders_left_empty():
    from orch.tui.screens.launchpad import empty_values, validate_yaml

    value, errors = validate_yaml("solids: {x: {config: {table: '', n: 1}}}", None)
    assert errors == [] and empty_values(value) == ["solids.x.config.table"]
    value, errors = validate_yaml("solids: [", None)
    assert value is None and errors[0].startswith("YAML:")
