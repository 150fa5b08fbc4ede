"""Key ``7``: the assets the runs materialized.

A tree of asset keys (each leaf with its materialization count and age, and ``~`` when the
solid that produced it changed since: a stale asset); the one under the cursor is shown: its lineage, the
numeric metadata of its history drawn as sparklines, the latest metadata entries by kind, and
its history. ``r`` re-materializes it (re-executes the producing solid from the run that last
materialized it, loading its inputs from that run), ``R`` with its upstream (a new run of the
solid and everything upstream, with the pipeline's last launch choice). Reads are thread workers posting typed messages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orch.core.assets import AssetDetail, AssetNotFound, Materialization, key_text
from orch.tui.services.orchestration import age
from rich.markdown import Markdown
from rich.pretty import Pretty
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Sparkline, Static, Tree

if TYPE_CHECKING:
    from orch.core.instance import Instance
    from orch.core.storage.base import AssetSummary

REFRESH_SECONDS = 2.0
Hashes = Callable[[str], dict[str, str]]  # pipeline → the loaded code's hash per solid


class AssetsRead(Message):
    def __init__(self, summaries: list[AssetSummary], stale: set[str]):
        super().__init__()
        self.summaries = summaries
        self.stale = stale


class DetailRead(Message):
    def __init__(self, detail: AssetDetail | None, error: str | None = None):
        super().__init__()
        self.detail = detail
        self.error = error


def producing_solid(step_key: str | None) -> str | None:
    """The solid handle of a step key (``report``, ``report.compute``, ``fan[a]``)."""
    if not step_key:
        return None
    return step_key.split("[")[0].removesuffix(".compute")


def metadata_renderable(entry: dict[str, Any]) -> Any:
    """A metadata entry drawn by its kind: markdown, JSON as a tree, a table, or text."""
    kind = entry.get("entry_type")
    value = entry.get("value")
    if kind == "md" and isinstance(value, str):
        return Markdown(value)
    if kind == "json":
        return Pretty(value)
    if kind == "table" and isinstance(value, dict):
        records = value.get("records") or []
        table = Table(show_edge=False)
        columns = list(records[0]) if records and isinstance(records[0], dict) else []
        for column in columns:
            table.add_column(str(column))
        for record in records[:50]:
            table.add_row(*(str(record.get(c, "")) for c in columns))
        return table
    if kind in ("path", "url"):
        text = str(value)
        return Text(text, style=f"underline link {text}" if kind == "url" else "underline")
    return Text(json.dumps(value) if isinstance(value, dict | list) else str(value))


_UNKNOWN = ("", "", None)  # a materialization whose run or solid is not known


class AssetsScreen(Screen[None]):
    HIDES_MAIN_SCREEN_KEYS = True  # a full screen: the main screen's r, l, … do not apply

    BINDINGS = [
        Binding("escape,7", "close", "Back"),
        Binding("r", "rematerialize(False)", "Re-materialize"),
        Binding("R", "rematerialize(True)", "…with upstream"),
    ]
    DEFAULT_CSS = """
    AssetsScreen #asset-tree { width: 40%; min-width: 28; border-right: vkey $panel-lighten-2; }
    AssetsScreen #asset-detail { padding: 0 1; }
    AssetsScreen #asset-title { text-style: bold; }
    AssetsScreen .spark-label { color: $text-muted; }
    AssetsScreen #asset-plots { height: auto; }
    AssetsScreen #asset-lineage { margin-bottom: 1; }
    AssetsScreen #asset-metadata { margin: 1 0; }
    AssetsScreen Sparkline { height: 2; margin-bottom: 1; }
    AssetsScreen #asset-history { height: auto; max-height: 14; }
    """

    def __init__(self, instance: Instance, code_hashes: Hashes,
                 rematerialize: Callable[[str, str, str, bool], None]):
        super().__init__()
        self.instance = instance
        self.code_hashes = code_hashes
        self.on_rematerialize = rematerialize
        self.summaries: list[AssetSummary] = []
        self.stale: set[str] = set()
        # (asset key, run id) -> what produced it: see _stale
        self._produced: dict[tuple[str, str | None], tuple[str, str, str | None]] = {}
        self.detail: AssetDetail | None = None
        self.shown: list[str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield Tree("assets", id="asset-tree")
            with VerticalScroll(id="asset-detail"):
                yield Label("Move to an asset in the tree.", id="asset-title")
                yield Static("", id="asset-lineage")
                yield Vertical(id="asset-plots")
                yield Static("", id="asset-metadata")
                yield DataTable(id="asset-history", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.show_root = False
        self.query_one("#asset-history", DataTable).add_columns(
            "when", "run", "step", "partition", "numbers")
        self.refresh_assets()
        self.set_interval(REFRESH_SECONDS, self.refresh_assets)
        tree.focus()

    # -- the tree -----------------------------------------------------------------------
    def refresh_assets(self) -> None:
        self._read_assets()

    @work(thread=True, exclusive=True, group="assets-read", exit_on_error=False)
    def _read_assets(self) -> None:
        summaries = self.instance.storage.get_asset_summaries()
        self.post_message(AssetsRead(summaries, self._stale(summaries)))

    def _stale(self, summaries: list[AssetSummary]) -> set[str]:
        """Assets whose producing solid's code changed since their last materialization.

        What produced an asset's latest materialization (pipeline, solid, the solid's code
        hash then) is read once per (asset, run) and kept: the tree's reads every 2 s query
        only assets materialized since, and compare against the current hashes."""
        stale = set()
        for s in summaries:
            made = self._produced.get((key_text(s.asset_key), s.last_run_id))
            if made is None:
                made = self._producer(s)
                self._produced[(key_text(s.asset_key), s.last_run_id)] = made
            if made == _UNKNOWN:
                continue
            pipeline, solid, then = made
            now = self.code_hashes(pipeline).get(solid)
            if now is not None and then not in (None, now):
                stale.add(key_text(s.asset_key))
        return stale

    def _producer(self, s: AssetSummary) -> tuple[str, str, str | None]:
        [latest] = self.instance.storage.get_asset_materializations(s.asset_key, limit=1) \
            or [None]
        run = self.instance.get_run(s.last_run_id)
        solid = producing_solid(latest.step_key if latest else None)
        if run is None or solid is None or not run.pipeline_snapshot_id:
            return _UNKNOWN
        then = (self.instance.get_run_snapshot(run.pipeline_snapshot_id) or {}).get(
            "code_hashes") or {}
        return run.pipeline_name, solid, then.get(solid)

    @on(AssetsRead)
    def _assets_read(self, message: AssetsRead) -> None:
        changed = [(key_text(s.asset_key), s.count, s.last_timestamp) for s in message.summaries] \
            != [(key_text(s.asset_key), s.count, s.last_timestamp) for s in self.summaries] \
            or message.stale != self.stale
        self.summaries, self.stale = message.summaries, message.stale
        if changed:
            self._draw_tree()
        if self.shown is not None:
            self._read_detail(self.shown)

    def _draw_tree(self) -> None:
        tree = self.query_one(Tree)
        tree.clear()
        nodes: dict[tuple[str, ...], Any] = {(): tree.root}
        now = time.time()
        cursor = None
        for s in self.summaries:
            path = s.asset_key
            for depth in range(1, len(path)):
                prefix = tuple(path[:depth])
                if prefix not in nodes:
                    nodes[prefix] = nodes[prefix[:-1]].add(prefix[-1], expand=True)
            mark = " ~" if key_text(path) in self.stale else ""
            label = Text.assemble(path[-1], (f"{mark}", "yellow bold"),
                                  (f"  {s.count} · {age(s.last_timestamp, now)}", "dim"))
            leaf = nodes[tuple(path[:-1])].add_leaf(label, data=list(path))
            if cursor is None or list(path) == self.shown:
                cursor = leaf
        tree.root.expand()
        if self.summaries:
            self.call_after_refresh(tree.move_cursor, cursor)
        if not self.summaries:
            self.query_one("#asset-title", Label).update(
                "No assets yet: a solid that yields AssetMaterialization adds one.")

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        """The asset under the cursor is the one shown (as the DAG's cursor does)."""
        if event.node.data is not None and event.node.data != self.shown:
            self.shown = list(event.node.data)
            self._read_detail(self.shown)

    # -- one asset ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="asset-detail", exit_on_error=False)
    def _read_detail(self, path: list[str]) -> None:
        from orch.core.assets import asset_detail

        try:
            self.post_message(DetailRead(asset_detail(self.instance, path)))
        except AssetNotFound as e:
            self.post_message(DetailRead(None, str(e)))

    @on(DetailRead)
    def _detail_read(self, message: DetailRead) -> None:
        title = self.query_one("#asset-title", Label)
        if message.detail is None:
            self.detail = None
            title.update(message.error or "")
            return
        same = self.detail is not None and self.detail.history == message.detail.history
        self.detail = d = message.detail
        if same:
            return
        key = key_text(d.key)
        stale = "  ~ its solid changed since (r re-materializes)" if key in self.stale else ""
        noun = "materialization" if d.summary.count == 1 else "materializations"
        title.update(f"{key} · {d.summary.count} {noun}{stale}")
        lineage = d.lineage
        producers = ", ".join(f"{solid} ({pipeline})" for pipeline, solid in lineage.producers)
        up = ", ".join(key_text(k) for k in lineage.upstream) or "(nothing upstream)"
        down = ", ".join(key_text(k) for k in lineage.downstream) or "(nothing downstream)"
        self.query_one("#asset-lineage", Static).update(
            f"{up} → [b]{key}[/b] → {down}\nproduced by {producers or '?'}")
        self._draw_plots(d)
        self._draw_metadata(d.history[0] if d.history else None)
        self._draw_history(d)

    def _draw_plots(self, d: AssetDetail) -> None:
        plots = self.query_one("#asset-plots", Vertical)
        plots.remove_children()
        widgets: list[Any] = []
        for label, values in d.series().items():
            low, high = min(values), max(values)
            widgets.append(Label(f"{label}: {values[-1]:g} (min {low:g}, max {high:g}, "
                                 f"{len(values)} runs)", classes="spark-label"))
            widgets.append(Sparkline(values, summary_function=max))
        if widgets:
            plots.mount_all(widgets)

    def _draw_metadata(self, latest: Materialization | None) -> None:
        box = self.query_one("#asset-metadata", Static)
        if latest is None or not latest.metadata:
            box.update("")
            return
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold")
        table.add_column()
        for entry in latest.metadata:
            table.add_row(str(entry.get("label")), metadata_renderable(entry))
        box.update(table)

    def _draw_history(self, d: AssetDetail) -> None:
        table = self.query_one("#asset-history", DataTable)
        table.clear()
        now = time.time()
        for m in d.history:
            numbers = ", ".join(f"{k}={v:g}" for k, v in m.numbers().items())
            table.add_row(age(m.timestamp, now), m.run_id[:8], m.step_key or "—",
                          m.partition or "", numbers, key=str(m.event_id))

    # -- actions ------------------------------------------------------------------------
    def action_rematerialize(self, with_upstream: bool) -> None:
        d = self.detail
        latest = d.history[0] if d is not None and d.history else None
        solid = producing_solid(latest.step_key if latest else None)
        if latest is None or solid is None or latest.pipeline_name is None:
            self.app.notify("Open an asset first (enter on it in the tree).", severity="warning")
            return
        self.on_rematerialize(latest.pipeline_name, solid, latest.run_id, with_upstream)

    def action_close(self) -> None:
        self.dismiss(None)
