"""``orch dev``: the workbench app.

Workers do the blocking work (loading the repository in a subprocess, launching runs in code
servers, reading SQLite) and only post messages; the ``on_*`` handlers own all state. A
worker that fails anyway reaches one handler (:meth:`OrchApp._worker_state_changed`) that
shows the error and logs it. The app never imports user code.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from orch.core.errors import error_location
from orch.core.events import EventRecord, EventType
from orch.core.runs import PipelineRunStatus, StepStatus
from orch.tui.messages import (
    DefinitionsLoaded,
    EventsBatch,
    LaunchFailed,
    LoadFailed,
    RepoChanged,
    RunLaunched,
    RunsRefreshed,
)
from orch.tui.services import launcher
from orch.tui.services.launcher import LaunchChoice, LaunchChoices, Launched, LaunchRequest
from orch.tui.services.orchestration import InstigatorDefinition, definitions_of
from orch.tui.services.snapshot import PipelineInfo, pipelines_of
from orch.tui.state import (
    RunView,
    banner_text,
    mapped_summaries,
    node_of_step,
    node_statuses,
)
from orch.tui.widgets.dag_view import DagView
from orch.tui.widgets.error_panel import ErrorPanel, failed_steps
from orch.tui.widgets.event_log import EventLog, FilterError, format_log_line, parse_filter
from orch.tui.widgets.log_file_view import LogFileView
from orch.tui.widgets.tables import PlanTable, RunsTable
from orch.tui.widgets.timeline import Timeline
from rich.style import Style
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from orch.core.daemon import Daemon, Note
    from orch.core.instance import Instance
    from orch.core.runs import PipelineRun
    from orch.core.scheduling.preview import Preview, PreviewedRun
    from orch.tui.screens.orchestration import OrchestrationScreen

LOG_LINE_STYLES = {
    logging.DEBUG: Style(color="grey50", italic=True),
    logging.INFO: Style(color="cyan", italic=True),
    logging.WARNING: Style(color="yellow", italic=True),
    logging.ERROR: Style(color="red", bold=True, italic=True),
    logging.CRITICAL: Style(color="red", bold=True, italic=True),
}
RUN_ENDS = frozenset({EventType.PIPELINE_SUCCESS, EventType.PIPELINE_FAILURE,
                      EventType.PIPELINE_CANCELED})
EVENT_BATCH = 5000
EVENT_POLL_SECONDS = 0.05  # while the shown run is live; the timer sleeps otherwise
RUNS_POLL_SECONDS = 1.0


class OrchCommands(Provider):
    """The command palette's one provider, so its order is orch's: the empty query lists the
    app's actions first (:meth:`OrchApp.orch_commands`), then Textual's own (theme, keys,
    screenshot...); a query also finds "go to solid" / "go to step" targets."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: OrchApp = self.app  # type: ignore[assignment]
        textual_own = [(c.title, c.help, c.callback)
                       for c in App.get_system_commands(app, self.screen) if c.discover]
        return app.orch_commands() + sorted(textual_own, key=lambda c: c[0])

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        app: OrchApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        targets = self._commands()
        for node in app.dag.canvas.nodes if app.dag.canvas else ():
            targets.append((f"Go to solid {node}", "DAG", lambda n=node: app.goto(n)))
        for step_key in app.run_view.steps if app.run_view else ():
            targets.append((f"Go to step {step_key}", "plan",
                            lambda k=step_key: app.goto_step(k)))
        for title, help_text, callback in targets:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class RunLauncher(Protocol):
    """What the app needs to start runs (:class:`orch.tui.services.launcher.Launcher`)."""

    def launch(self, request: LaunchRequest) -> Launched: ...

    def running(self) -> list[str]: ...

    def preview(self, kind: str, name: str) -> Preview: ...

    def request_run(self, kind: str, name: str, run: PreviewedRun,
                    when: datetime.datetime | None) -> dict[str, list[str]]: ...

    def close(self) -> None: ...


class OrchApp(App[int]):
    """The workbench: pipelines and runs on the left, graph and output on the right."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "orch dev"
    COMMANDS = {OrchCommands}
    # Footer order is priority order: at 80 columns the first ones must still show.
    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("l", "launchpad", "Launch"),
        Binding("c", "cancel_run", "Cancel"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("x", "reexecute", "Re-exec"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("o", "toggle_stream", "out/err"),
        Binding("slash", "filter_events", "Filter"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", show=False),
        Binding("1", "tab('graph-tabs', 'tab-dag')", "DAG", show=False),
        Binding("2", "tab('graph-tabs', 'tab-plan')", "Plan", show=False),
        Binding("3", "tab('graph-tabs', 'tab-timeline')", "Timeline", show=False),
        Binding("4", "tab('output-tabs', 'tab-events')", "Events", show=False),
        Binding("5", "tab('output-tabs', 'tab-logs')", "Logs", show=False),
        Binding("E", "tab('output-tabs', 'tab-errors')", "Errors", show=False),
        Binding("6", "orchestration", "Schedules", show=False),
        Binding("7", "assets", "Assets", show=False),
        Binding("d", "compare_runs", "Compare", show=False),
        Binding("p", "focus('pipelines')", "Pipelines", show=False),
        Binding("g", "focus('dag')", "DAG", show=False),
        Binding("u", "focus('runs')", "Runs", show=False),
        Binding("e", "focus('events')", "Events", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("exclamation_mark", "show_load_error", "Load error", show=False),
    ]

    def __init__(self, load_snapshot: Callable[[], dict[str, Any]], instance: Instance, *,
                 launcher: RunLauncher | None = None, watch_root: str | None = None,
                 watch: bool = True, pipeline: str | None = None,
                 initial_choice: LaunchChoice | None = None, host_daemon: bool = True):
        super().__init__()
        self.load_snapshot = load_snapshot
        self.instance = instance
        self.launcher = launcher
        self.watch_root = watch_root
        self.watch_enabled = watch
        self.pipelines: dict[str, PipelineInfo] = {}
        self.current: str | None = pipeline
        self.generation = 0
        self.loading = False
        self.reload_pending: str | None = None
        self.load_error: str | None = None
        self.run_view: RunView | None = None
        self.run_pipeline: str | None = None
        self.run_hashes: dict[str, str] = {}
        self.launch_choices = LaunchChoices(instance.root_dir)
        self.expanded: dict[str, set[str]] = {}  # pipeline → composites drawn opened
        self._initial_choice = initial_choice
        self.log_stream = "stdout"
        self.log_step: str | None = None
        self._observer: Any = None
        self._tail: Any = None
        self._more_events = True  # the last batch was full: read again without waiting
        self._tail_lock = threading.Lock()
        self._event_timer: Timer | None = None  # poll_events' timer, set on mount
        self._newest: dict[str, str] | None = None  # pipeline -> its newest run id, last read
        self._daemon: Daemon | None = None
        self._failing_instigators: set[str] = set()
        self.host_daemon = host_daemon
        self.instigators: list[InstigatorDefinition] = []
        self._compare_first: str | None = None  # run A of a comparison (d pressed once)

    def orch_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """Every action of the app, for the command palette, in the order it lists them."""
        dag = self.dag
        return [
            ("Run pipeline", "r: with the last launch choice", self.action_run),
            ("Open launchpad", "l: mode, preset, executor, run config", self.action_launchpad),
            ("Re-execute selected solids", "x: and their downstream, reusing the rest",
             self.action_reexecute),
            ("Cancel run", "c: stop the displayed run", self.action_cancel_run),
            ("Toggle watch", "w: re-execute the selection on save", self.action_toggle_watch),
            ("Select solid under cursor", "space (DAG)", dag.action_toggle_selected),
            ("Toggle focus mode", "f: only the solids near the cursor", dag.action_toggle_focus),
            ("Expand or collapse composite", "enter (DAG): its inner solids",
             dag.action_expand),
            ("Filter events", "/: level, type, step, text", self.action_filter_events),
            ("Clear event filter", "show every event", self.action_clear_filter),
            ("Event details", "enter on an event: full payload, error, metadata",
             self.action_event_details),
            ("Switch stdout / stderr", "o: compute log stream", self.action_toggle_stream),
            ("Show DAG", "1", lambda: self.action_tab("graph-tabs", "tab-dag")),
            ("Show plan", "2", lambda: self.action_tab("graph-tabs", "tab-plan")),
            ("Show timeline", "3", lambda: self.action_tab("graph-tabs", "tab-timeline")),
            ("Show events", "4", lambda: self.action_tab("output-tabs", "tab-events")),
            ("Show compute logs", "5", lambda: self.action_tab("output-tabs", "tab-logs")),
            ("Show errors", "E: where the failed steps failed (file:line)",
             lambda: self.action_tab("output-tabs", "tab-errors")),
            ("Schedules, sensors, queue and backfills", "6: on/off, ticks, preview, progress",
             self.action_orchestration),
            ("Assets", "7: history, metadata plots, lineage, re-materialize",
             self.action_assets),
            ("Compare two runs", "d on a run, then d on another: config, steps, metadata, code",
             self.action_compare_runs),
            ("Focus pipelines", "p", lambda: self.action_focus("pipelines")),
            ("Focus runs", "u", lambda: self.action_focus("runs")),
            ("Toggle sidebar", "ctrl+b: pipelines and runs", self.action_toggle_sidebar),
            ("Show load error", "!: the traceback of the last failed load",
             self.action_show_load_error),
            ("Reload definitions", "ctrl+r: load the repository again", self.action_reload),
            ("Help", "?: keys and glyphs", self.action_help),
        ]

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Label("Pipelines", classes="pane-title")
                yield OptionList(id="pipelines")
                yield Label("Runs", classes="pane-title", id="runs-title")
                yield RunsTable(id="runs")
                yield Label("", id="run-note")  # why the displayed run waits in the queue
            with Vertical(id="main"):
                with TabbedContent(id="graph-tabs"):
                    with TabPane("DAG", id="tab-dag"):
                        yield DagView(id="dag")
                        yield Label("", id="dag-edges")
                    with TabPane("Plan", id="tab-plan"):
                        yield PlanTable(id="plan")
                    with TabPane("Timeline", id="tab-timeline"), VerticalScroll():
                        yield Timeline(id="timeline")
                with TabbedContent(id="output-tabs"):
                    with TabPane("Events", id="tab-events"):
                        yield EventLog(id="events")
                    with TabPane("Logs", id="tab-logs"):
                        yield Label("", id="log-title")
                        yield LogFileView(id="logs")
                    with TabPane("Errors", id="tab-errors"):
                        yield ErrorPanel(id="errors")
        yield Footer()

    @property
    def dag(self) -> DagView:
        return self.query_one(DagView)

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.set_focus(self.dag)
        self.reload("startup")
        self._preload_layout()
        self.set_interval(RUNS_POLL_SECONDS, self.refresh_runs)
        self._event_timer = self.set_interval(EVENT_POLL_SECONDS, self.poll_events)
        self.refresh_runs()
        if self.watch_enabled and self.watch_root:
            self._start_watcher()
        if self.instance.root_dir is not None and self.launcher is not None \
                and self.host_daemon:
            self._start_daemon()
        self._update_subtitle()

    NARROW = 100  # columns below which the sidebar narrows and the footer compacts
    WIDE = 130  # columns from which the sidebar widens: the runs' status fits beside the id

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < self.NARROW
        self.screen.set_class(narrow, "-narrow")
        self.screen.set_class(event.size.width >= self.WIDE, "-wide")
        for footer in self.query(Footer):
            footer.compact = narrow

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        sidebar.display = not sidebar.display

    def _start_daemon(self) -> None:
        """Host the instance's daemon (the run queue, run monitoring, this code's schedules
        and sensors), as ``orch daemon run -f ...`` would; when another process already runs
        it, say so and use that one."""
        from orch.core.daemon import Daemon, DaemonAlreadyRunning, standard_loops
        from orch.core.errors import DagsterError

        try:
            # The launcher's pool: the daemon's code servers fork from the app's zygote
            # (one process holds the project's libraries, not two).
            loops = standard_loops(self.instance, getattr(self.launcher, "target", None),
                                   pool=getattr(self.launcher, "pool", None))
        except DagsterError as e:
            self.notify(f"{e} The daemon is not started.", severity="error", timeout=10)
            return
        if not loops:
            return
        daemon = Daemon(self.instance.root_dir, loops, report=self._daemon_report)
        try:
            daemon.start()
        except DaemonAlreadyRunning as e:
            self.notify(f"{e}: this app uses it.", severity="information")
            return
        self._daemon = daemon

    def _daemon_report(self, loop: str, note: Note) -> None:
        """A daemon loop did something (its thread): failures are shown."""
        def show() -> None:
            # A schedule or sensor is announced when it starts failing, not at every tick;
            # a load error is the banner's already.
            first = note.error and note.instigator is not None \
                and note.instigator not in self._failing_instigators
            if note.instigator is not None:
                (self._failing_instigators.add if note.error
                 else self._failing_instigators.discard)(note.instigator)
            loop_error = note.error and note.instigator is None and not note.load_error
            if loop == "MONITORING" or loop_error or first:
                self.notify(note.text, title=loop.replace("_", " ").lower(), severity="error",
                            timeout=10)
            # The runs list catches up at its next read (every second): a note per tick,
            # skipped ones included, must not each cost a read and a repaint.

        try:
            self.call_from_thread(show)
        except RuntimeError:  # the app is shutting down
            pass

    def on_unmount(self) -> None:
        if self._daemon is not None:
            self._daemon.close()
        if self._observer is not None:
            self._observer.stop()
        if self.launcher is not None:
            self.launcher.close()
        close_loader = getattr(self.load_snapshot, "close", None)
        if close_loader is not None:
            close_loader()

    def _update_subtitle(self) -> None:
        watch = "watch on" if self.watch_enabled else "watch off"
        selected = len(self.dag.selected)
        self.sub_title = f"{self.current or '—'} · {watch} · {selected} selected"

    # -- loading definitions --------------------------------------------------------------
    def reload(self, reason: str) -> None:
        """Load the repository again; at most one load runs and one waits."""
        if self.loading:
            self.reload_pending = reason
            return
        self.loading = True
        self.generation += 1
        self._load(self.generation, reason)

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload_layout(self) -> None:
        """While the code server loads the code: what the first layout imports."""
        from orch.tui.dag_layout import preload

        preload()

    @work(thread=True, exclusive=True, group="loader", exit_on_error=False)
    def _load(self, generation: int, reason: str) -> None:
        try:
            snapshot = self.load_snapshot()
        except Exception as e:  # the loader reports user errors itself; this is a bug guard
            self.post_message(LoadFailed(f"{type(e).__name__}: {e}", generation))
            return
        if snapshot.get("error"):
            self.post_message(LoadFailed(snapshot["error"], generation))
        else:
            self.post_message(DefinitionsLoaded(snapshot, generation, reason))

    def _load_finished(self) -> None:
        self.loading = False
        if self.reload_pending:
            reason, self.reload_pending = self.reload_pending, None
            self.reload(reason)

    @on(DefinitionsLoaded)
    def _definitions_loaded(self, message: DefinitionsLoaded) -> None:
        self._load_finished()
        if message.generation != self.generation or not self.is_running:
            return
        self.load_error = None
        self.query_one("#banner").display = False
        self._show_partial_load(message.snapshot.get("load_errors") or [])
        self.pipelines = pipelines_of(message.snapshot)
        self.instigators = definitions_of(message.snapshot)
        for screen in self._orchestration_screens():
            screen.set_definitions(self.instigators)
            if message.reason == "save" and self.watch_enabled:
                screen.preview_selected_on_save()
        options = self.query_one("#pipelines", OptionList)
        options.clear_options()
        options.add_options([Option(name, id=name) for name in self.pipelines])
        if self.current not in self.pipelines:
            self.current = next(iter(self.pipelines), None)
        if self.current:
            options.highlighted = list(self.pipelines).index(self.current)
        self._show_pipeline()
        if message.reason == "startup":
            self._apply_initial_choice()
        if message.reason == "startup" and self.run_view is None and self.current:
            latest = self.instance.get_runs(pipeline_name=self.current, limit=1)
            if latest:  # pick up where the last session left off
                self.show_run(latest[0].run_id)
        if message.reason == "save" and self.watch_enabled and self.dag.selected:
            self.action_reexecute()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self._load_finished()
        if message.generation != self.generation or not self.is_running:
            return
        self.load_error = message.error
        banner = self.query_one("#banner", Static)
        banner.update(banner_text(message.error, has_definitions=bool(self.pipelines)))
        banner.display = True
        summary = message.error.strip().splitlines()[0] if message.error.strip() else "error"
        self.notify(summary[:300], title="Load failed", severity="error", timeout=6)

    def _show_partial_load(self, errors: list[dict[str, Any]]) -> None:
        """A directory whose files did not all load: name them; the others are shown."""
        if not errors:
            return
        from orch.core.workspace import LoadError

        loaded = [LoadError.from_dict(e) for e in errors]
        self.load_error = "\n\n".join(e.format() for e in loaded)
        where = ", ".join(e.location or os.path.basename(e.file or "?") for e in loaded)
        banner = self.query_one("#banner", Static)
        banner.update(f"⚠ {len(loaded)} file{'s' if len(loaded) > 1 else ''} did not load: "
                      f"{where}\n  {loaded[0].message.splitlines()[0]}\n  the pipelines of "
                      "the other files are shown — press ! for the traceback")
        banner.display = True

    def _show_pipeline(self) -> None:
        info = self.pipelines.get(self.current or "")
        if info is None:
            self.dag.set_graph([], [])
            return
        self.dag.set_graph(*info.graph(self.expanded.get(info.name, set())))
        self._mark_changed()
        if self.run_view is not None and self.run_pipeline == info.name:
            self._show_statuses(self.run_view)
        if self.run_view is None or self.run_pipeline != info.name:
            self.query_one(PlanTable).show_plan(info.leaf_solids, None)
        self._update_subtitle()

    def _mark_changed(self) -> None:
        info = self.pipelines.get(self.current or "")
        if info is None or not self.run_hashes or self.run_pipeline != info.name:
            self.dag.set_changed(set())
            return
        shown = set(self.dag.graph_nodes)
        changed = {node_of_step(h, shown) for h, digest in info.code_hashes.items()
                   if self.run_hashes.get(h) not in (None, digest)}
        self.dag.set_changed(changed)

    @on(OptionList.OptionHighlighted, "#pipelines")
    def _pipeline_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        if name and name != self.current:
            self.current = name
            self._show_pipeline()

    # -- watching files -------------------------------------------------------------------
    def _start_watcher(self) -> None:
        from orch.core.watch import RepositoryWatcher

        self._observer = RepositoryWatcher(
            self.watch_root, lambda paths: self.post_message(RepoChanged(sorted(paths)))
        ).start()

    @on(RepoChanged)
    def _repo_changed(self, message: RepoChanged) -> None:
        self.reload("save")

    # -- runs -----------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        self._read_runs()

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def _read_runs(self) -> None:
        runs = self.instance.get_runs(limit=200)
        waiting: dict[str, str] = {}
        if any(r.status is PipelineRunStatus.QUEUED for r in runs):
            from orch.core.run_coordinator import queue_reasons

            waiting = queue_reasons(self.instance)
        self.post_message(RunsRefreshed(runs, waiting))

    @on(RunsRefreshed)
    def _runs_refreshed(self, message: RunsRefreshed) -> None:
        if not self.is_running:  # a read that ends while the app shuts down
            return
        for table in self.query(RunsTable):
            table.show_runs(message.runs, message.waiting)
        queued = len(message.waiting)
        self._show_label("#runs-title", f"Runs · {queued} queued" if queued else "Runs")
        self._follow_newest(message.runs)
        shown = self.run_view.run_id if self.run_view else None
        why = message.waiting.get(shown, "") if shown else ""
        self._show_label("#run-note", f"{shown[:8]} is queued: {why}" if shown and why else "")
        for note in self.query("#run-note").results(Label):
            note.set_class(bool(why), "-shown")

    def _show_label(self, selector: str, text: str) -> None:
        """Set a label read every second only when its text changes: ``Label.update``
        lays the screen out again even for the same text (~0.4 % of a core idle)."""
        for label in self.query(selector).results(Label):
            if label.content != text:
                label.update(text)

    def _follow_newest(self, runs: list[PipelineRun]) -> None:
        """A run started elsewhere (another terminal, the daemon) takes the place of the
        shown run when that was the newest of its pipeline and is over: whoever watches the
        latest run keeps watching the latest; whoever went back to an older one stays there."""
        newest = {r.pipeline_name: r for r in reversed(runs)}  # runs come newest first
        before, self._newest = self._newest, {name: r.run_id for name, r in newest.items()}
        view = self.run_view
        pipeline = self.run_pipeline if view is not None else self.current
        latest = newest.get(pipeline or "")
        if before is None or latest is None or latest.run_id == before.get(latest.pipeline_name):
            return
        if view is None or (view.finished and view.run_id == before.get(latest.pipeline_name)):
            self.show_run(latest.run_id)
            self.notify(f"Following run {latest.run_id[:8]} of {latest.pipeline_name}, "
                        "started outside this app", severity="information", timeout=4)

    @on(RunsTable.RowSelected, "#runs")
    def _run_selected(self, event: RunsTable.RowSelected) -> None:
        self.show_run(str(event.row_key.value))

    def show_run(self, run_id: str) -> None:
        """Display a run: its events stream in from the start, in batches."""
        run = self.instance.get_run(run_id)
        if run is None:
            return
        info = self.pipelines.get(run.pipeline_name)
        plan_keys = self._plan_keys(run) or (info.leaf_solids if info else [])
        # The plan's steps from the start, so a run that ends before a step starts (canceled
        # while queued, failed upstream) shows it "not executed", not pending.
        self.run_view = RunView(run_id, plan_keys, run=run)
        self._tail = self.instance.tail(run_id)
        self.run_pipeline = run.pipeline_name
        self.run_hashes = self._hashes_of_run(run)
        self.query_one(EventLog).reset()
        if run.pipeline_name in self.pipelines and run.pipeline_name != self.current:
            self.current = run.pipeline_name
            self._show_pipeline()
        if run.step_keys_to_execute:
            executed = set(run.step_keys_to_execute)
            self.run_view.mark_reused([k for k in plan_keys if k not in executed])
        self.query_one(PlanTable).show_plan(plan_keys, self.run_view)
        self._show_statuses(self.run_view)
        self._mark_changed()
        self.query_one(Timeline).show(self.run_view)
        self._show_step_logs(self.log_step)
        if self._event_timer is not None:
            self._event_timer.resume()
        self.poll_events()

    def _plan_keys(self, run: Any) -> list[str]:
        snapshot = self.instance.get_run_snapshot(run.execution_plan_snapshot_id) \
            if run.execution_plan_snapshot_id else None
        return [s["key"] for s in snapshot["steps"]] if snapshot else []

    def _hashes_of_run(self, run: Any) -> dict[str, str]:
        snapshot = self.instance.get_run_snapshot(run.pipeline_snapshot_id) \
            if run.pipeline_snapshot_id else None
        return dict((snapshot or {}).get("code_hashes") or {})

    def poll_events(self) -> None:
        """Read the shown run's new events (a change-token check when there are none). The
        timer polls every 50 ms while the run is live, so an event is on screen within about
        that of its commit, and pauses once it is over (:meth:`show_run` wakes it)."""
        view = self.run_view
        if view is None or (view.finished and view.cursor >= 0 and not self._more_events):
            if self._event_timer is not None:
                self._event_timer.pause()
            return
        self._read_events(view.run_id, self._tail)

    @work(thread=True, exclusive=True, group="events", exit_on_error=False)
    def _read_events(self, run_id: str, tail: Any) -> None:
        # The tail skips the query when nothing was committed since the last poll. Polls are
        # serialised (an exclusive worker cannot stop a thread already reading), and each
        # batch is posted before the next poll starts, so batches arrive in order.
        with self._tail_lock:
            self.post_message(EventsBatch(run_id, tail.poll(limit=EVENT_BATCH)))

    @on(EventsBatch)
    def _events_batch(self, message: EventsBatch) -> None:
        view = self.run_view
        if view is None or message.run_id != view.run_id or not self.is_running:
            return
        self._more_events = len(message.events) >= EVENT_BATCH
        if not message.events:
            return
        touched = view.apply(message.events)
        self.query_one(EventLog).add_events(message.events)
        if touched:
            self._show_statuses(view)
            self.query_one(PlanTable).update_steps(view, touched)
            self.query_one(Timeline).show(view)
        if any(e.event_type is EventType.LOGS_CAPTURED for e in message.events):
            self._show_step_logs(self.log_step)
        elif any(e.event_type is None and e.step_key == self.log_step for e in message.events):
            self._show_step_log_lines()
        if any(e.event_type in (EventType.STEP_FAILURE, EventType.STEP_UP_FOR_RETRY)
               for e in message.events):
            self.query_one(ErrorPanel).show(view, self.log_step)
        ends = [e for e in message.events if e.event_type in RUN_ENDS]
        if view.finished and ends:
            # A run that ended before we opened it is shown, not announced.
            self._run_ended(view, announce=ends[-1].timestamp >= view.followed_since - 1.0)
        if self._more_events:
            self.poll_events()

    def _run_ended(self, view: RunView, announce: bool) -> None:
        # The run's end settles steps that never finished (canceled, failed): every view.
        self._show_statuses(view)
        self.query_one(PlanTable).update_steps(view, set(view.steps))
        self.query_one(Timeline).show(view)
        self.refresh_runs()
        failures = failed_steps(view)
        if not announce:
            if failures:
                self.query_one(ErrorPanel).show(view, self.log_step)
            return
        ended = view.status.value.lower() if view.status else "ended"
        if view.status is PipelineRunStatus.SUCCESS or not failures:
            self.notify(f"Run {view.run_id[:8]} {ended}", severity="information"
                        if view.status is PipelineRunStatus.SUCCESS else "warning")
            return
        first = failures[0]
        where = error_location(first.error)
        self.notify(f"{first.key}: {(first.error or {}).get('message') or first.message}"
                    + (f"\nat {where}" if where else "") + "\n(6 shows the traceback)",
                    title=f"Run {view.run_id[:8]} {ended}", severity="error",
                    timeout=10)
        self.query_one(ErrorPanel).show(view, self.log_step)
        self.query_one("#output-tabs", TabbedContent).active = "tab-errors"

    # -- launching ------------------------------------------------------------------------
    def _choice_for(self, info: PipelineInfo) -> LaunchChoice | None:
        """The last launch choice for a pipeline; None when one must be made (several modes
        and nothing chosen yet)."""
        choice = self.launch_choices.get(info.name)
        if choice is not None:
            return choice
        if len(info.modes) > 1:
            return None
        return LaunchChoice(mode=info.modes[0] if info.modes else None)

    def _apply_initial_choice(self) -> None:
        """``orch dev --mode/--preset/-c``: checked against the pipeline once it is loaded."""
        choice, self._initial_choice = self._initial_choice, None
        info = self.pipelines.get(self.current or "")
        if choice is None or info is None:
            return
        if choice.mode is not None and choice.mode not in info.modes:
            self.notify(f'Unknown mode "{choice.mode}" for pipeline {info.name}. Choose one '
                        f'of: {", ".join(info.modes)}.', title="orch dev --mode",
                        severity="error", timeout=10)
            return
        if choice.preset is not None:
            preset = next((p for p in info.presets if p["name"] == choice.preset), None)
            if preset is None:
                names = ", ".join(p["name"] for p in info.presets) or "(none defined)"
                self.notify(f'Unknown preset "{choice.preset}" for pipeline {info.name}. '
                            f"Choose one of: {names}.", title="orch dev --preset",
                            severity="error", timeout=10)
                return
            # The preset is the launchpad's starting text (orch dev refuses --preset with
            # --mode or -c, so there is nothing to merge: core's apply_preset has the rules).
            choice.run_config = dict(preset.get("run_config") or {})
            choice.mode = preset.get("mode") or choice.mode
            choice.solid_selection = preset.get("solid_selection")
        if choice.mode is None and len(info.modes) == 1:
            choice.mode = info.modes[0]
        self.launch_choices.set(info.name, choice)

    def action_run(self) -> None:
        info = self.pipelines.get(self.current or "")
        if info is None:
            self.notify("No pipeline loaded.", severity="warning")
            return
        choice = self._choice_for(info)
        if choice is None:
            self.notify(f"{info.name} has modes {', '.join(info.modes)}: choose one in the "
                        "launchpad (it is remembered for r).", severity="warning")
            self.action_launchpad()
            return
        self._launch_worker(LaunchRequest(info.name, choice))

    def action_reexecute(self) -> None:
        """Re-execute the selected solids and their downstream as a child of the shown run."""
        info = self.pipelines.get(self.current or "")
        if info is None or not self.dag.selected:
            self.notify("Select solids in the DAG first (space).", severity="warning")
            return
        parent = self._parent_run(info.name)
        if parent is None:
            self.notify("Run the pipeline once first: re-execution reuses its outputs.",
                        severity="warning")
            return
        # Solids, not step keys: the run resolves mapped copies from the keys it produces.
        selection = [f"{name}*" for name in sorted(self.dag.selected)]
        self._launch_worker(LaunchRequest(info.name, parent_run_id=parent,
                                          step_selection=selection))

    def _parent_run(self, pipeline: str) -> str | None:
        if self.run_view is not None and self.run_pipeline == pipeline:
            return self.run_view.run_id
        runs = self.instance.get_runs(pipeline_name=pipeline, limit=1)
        return runs[0].run_id if runs else None

    @work(thread=True, group="launch", exit_on_error=False)
    def _launch_worker(self, request: LaunchRequest) -> None:
        if self.launcher is None:
            self.post_message(LaunchFailed("This workbench was opened without a code "
                                           "location, so it cannot start runs."))
            return
        try:
            launched = self.launcher.launch(request)
        except launcher.LaunchError as e:
            self.post_message(LaunchFailed(e.error.format()))
            return
        self.post_message(RunLaunched(launched))

    @on(RunLaunched)
    def _run_launched(self, message: RunLaunched) -> None:
        launched = message.launched
        if not self.is_running:  # launched as the app quits: the run goes on, nothing to show
            return
        if launched.run_id is None:
            self.notify(launched.note or "Nothing to run.", severity="warning")
            return
        note = f" — {launched.note}" if launched.note else ""
        if launched.status is PipelineRunStatus.QUEUED:
            from orch.core.run_coordinator import queue_reasons

            why = queue_reasons(self.instance).get(launched.run_id, "")
            note += f" — queued{': ' + why if why else ''}"
        self.notify(f"Launched run {launched.run_id[:8]} of {launched.pipeline}{note}")
        self.show_run(launched.run_id)
        self.refresh_runs()

    @on(LaunchFailed)
    def _launch_failed(self, message: LaunchFailed) -> None:
        self.notify(message.error[-600:], title="Launch refused", severity="error", timeout=10)

    def action_launchpad(self) -> None:
        from orch.tui.screens.launchpad import Launchpad

        info = self.pipelines.get(self.current or "")
        if info is None:
            self.notify("No pipeline loaded.", severity="warning")
            return

        def launched(choice: LaunchChoice | None) -> None:
            if choice is not None:
                self.launch_choices.set(info.name, choice)
                self._launch_worker(LaunchRequest(info.name, choice))

        self.push_screen(Launchpad(info, self.launch_choices.get(info.name)), launched)

    def action_cancel_run(self) -> None:
        if self.run_view is None or self.run_view.finished:
            self.notify("No running run is displayed.", severity="warning")
            return
        self.instance.cancel_run(self.run_view.run_id)  # queued or running: core decides
        self.notify(f"Canceling run {self.run_view.run_id[:8]}…")

    async def action_quit(self) -> None:
        """Quit; with runs this app started still going, ask whether to leave or cancel them."""
        from orch.tui.screens.prompt import QuitScreen

        running = self.launcher.running() if self.launcher is not None else []
        if not running:
            self.exit(0)
            return

        def chosen(answer: str | None) -> None:
            if answer == "cancel":
                for run_id in running:
                    self.instance.cancel_run(run_id)
            if answer in ("cancel", "leave"):
                self.exit(0)

        self.push_screen(QuitScreen(running), chosen)

    # -- worker errors --------------------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure is shown and logged: none is swallowed."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        what = {"loader": "Loading the repository", "launch": "Launching a run",
                "events": "Reading the run's events", "runs": "Reading the runs list"
                }.get(event.worker.group, f"Background task {event.worker.name}")
        text = f"{type(error).__name__}: {error}"
        self.log.error(f"{what} failed: {text}")
        if not self.is_running:  # the app is shutting down: nothing left to show it in
            return
        self.notify(text[-600:], title=f"{what} failed", severity="error", timeout=10)
        if event.worker.group == "loader":
            self._load_finished()
        elif event.worker.group == "events" and self.run_view is not None:
            self.query_one(EventLog).border_subtitle = f"⚠ {what} failed: {text}"[:200]

    # -- steps and logs -------------------------------------------------------------------
    @on(DagView.NodeHighlighted)
    def _node_highlighted(self, message: DagView.NodeHighlighted) -> None:
        if not self.is_running:  # a highlight still queued while the app shuts down
            return
        shown = set(self.dag.graph_nodes)
        steps = self.run_view.steps if self.run_view else {}
        keys = [k for k in steps if node_of_step(k, shown) == message.name]
        self._show_node_edges(message.name)
        failed = [k for k in keys if steps[k].error is not None]
        self._show_step_logs((failed or keys or [message.name])[0])

    def _show_statuses(self, view: RunView) -> None:
        shown = set(self.dag.graph_nodes)
        self.dag.set_statuses(node_statuses(view, shown))
        self.dag.set_mapped(mapped_summaries(view, shown))

    def _show_node_edges(self, name: str) -> None:
        """Under the DAG, the cursor node's edges in words: each one is exact."""
        upstream, downstream = self.dag.edges_of(name)
        info = self.pipelines.get(self.current or "")
        hint = " · enter expands" if info and name in info.composites else \
            " · enter collapses" if "." in name else ""
        self.query_one("#dag-edges", Label).update(
            f"{', '.join(upstream) or '(no inputs from solids)'} → {name} → "
            f"{', '.join(downstream) or '(nothing downstream)'}{hint}")

    @on(DagView.ExpandRequested)
    def _expand(self, message: DagView.ExpandRequested) -> None:
        """Open a composite into its inner solids, or close the one a node belongs to."""
        info = self.pipelines.get(self.current or "")
        if info is None:
            return
        opened = self.expanded.setdefault(info.name, set())
        name = message.name
        if name in info.composites:
            opened.add(name)
            cursor = next((n for n in info.graph(opened)[0] if n.startswith(name + ".")), name)
        else:
            parents = [p for p in opened if name.startswith(p + ".")]
            if not parents:
                self.notify(f"{name} is not a composite solid.", severity="warning")
                return
            closing = max(parents, key=len)
            opened -= {p for p in opened if p == closing or p.startswith(closing + ".")}
            cursor = closing
        self._show_pipeline()
        self.dag.cursor = cursor

    @on(DagView.SelectionChanged)
    def _selection_changed(self, _message: DagView.SelectionChanged) -> None:
        self._update_subtitle()

    @on(PlanTable.RowHighlighted, "#plan")
    def _plan_row(self, event: PlanTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self._show_step_logs(str(event.row_key.value))

    def _show_step_logs(self, step_key: str | None) -> None:
        self.log_step = step_key
        if not self.is_running:  # the app is shutting down
            return
        self.query_one(ErrorPanel).show(self.run_view, step_key)
        view = self.query_one(LogFileView)
        title = self.query_one("#log-title", Label)
        manager = getattr(self.instance, "compute_log_manager", None)
        if step_key is None or self.run_view is None or manager is None:
            title.update("compute logs: select a run and a step")
            view.show_log(None, "No step selected.")
            return
        run_id, stream, key = self.run_view.run_id, self.log_stream, step_key
        title.update(f"{step_key} · {self.log_stream} · run {self.run_view.run_id[:8]} (o)")
        state = self.run_view.steps.get(step_key)
        placeholder = f"No {self.log_stream} captured for {step_key} yet."
        if state is not None and state.status is StepStatus.REUSED:
            parent = self.run_view.run.parent_run_id if self.run_view.run else None
            placeholder = f"{step_key} did not run in this re-execution: its outputs were " \
                          f"loaded from an earlier run" + (f" ({parent[:8]})." if parent else ".")
        elif state is not None and state.end is not None:
            placeholder = f"{step_key} finished ({state.status.label}) without writing to " \
                          f"{self.log_stream}."
        view.show_log(lambda offset, size: manager.read(run_id, key, stream, offset, size)[0],
                      placeholder, is_stderr=stream == "stderr")
        self._show_step_log_lines()

    def _show_step_log_lines(self) -> None:
        """The step's ``context.log`` lines, between its prints where they were written."""
        if self.log_step is None or not self.query(LogFileView):
            return
        lines = []
        for e in self.query_one(EventLog).events:
            offsets = e.data.get("log_offsets") if e.event_type is None else None
            if offsets and e.step_key == self.log_step and self.log_stream in offsets:
                lines.append((offsets[self.log_stream], format_log_line(e),
                              LOG_LINE_STYLES.get(e.level, LOG_LINE_STYLES[logging.INFO])))
        self.query_one(LogFileView).set_inserts(lines)

    def action_toggle_stream(self) -> None:
        self.log_stream = "stderr" if self.log_stream == "stdout" else "stdout"
        self._show_step_logs(self.log_step)

    def goto(self, node: str) -> None:
        self.query_one("#graph-tabs", TabbedContent).active = "tab-dag"
        self.dag.cursor = node
        self.dag.focus()

    def goto_step(self, step_key: str) -> None:
        self.query_one("#graph-tabs", TabbedContent).active = "tab-plan"
        table = self.query_one(PlanTable)
        if step_key in table.rows:
            table.move_cursor(row=table.get_row_index(step_key))
            table.focus()

    # -- misc actions ---------------------------------------------------------------------
    def action_toggle_watch(self) -> None:
        self.watch_enabled = not self.watch_enabled
        if self.watch_enabled and self._observer is None and self.watch_root:
            self._start_watcher()
        self.notify(f"Watch {'on' if self.watch_enabled else 'off'}")
        self._update_subtitle()

    def action_tab(self, tabs_id: str, pane_id: str) -> None:
        self.query_one(f"#{tabs_id}", TabbedContent).active = pane_id
        if pane_id == "tab-timeline" and self.run_view is not None:
            self.query_one(Timeline).show(self.run_view)

    def action_focus(self, widget_id: str) -> None:
        widget = self.query_one(f"#{widget_id}")
        for tabs_id, pane in (("#graph-tabs", "tab-dag"), ("#output-tabs", "tab-events")):
            if widget_id in ("dag", "events") and pane.endswith(widget_id):
                self.query_one(tabs_id, TabbedContent).active = pane
        widget.focus()

    def action_reload(self) -> None:
        self.reload("manual")

    def action_filter_events(self) -> None:
        from orch.tui.screens.prompt import PromptScreen

        def apply(text: str | None) -> None:
            if text is not None:
                self._set_filter(text)

        current = self.query_one(EventLog).filter.source
        self.push_screen(PromptScreen("Filter events: level=INFO type=STEP step=clean text",
                                      value=current, placeholder="empty shows everything",
                                      validate=_filter_problem), apply)

    def _set_filter(self, text: str) -> None:
        events = self.query_one(EventLog)
        events.set_filter(parse_filter(text))
        tabs = self.query_one("#output-tabs", TabbedContent)
        tabs.active = "tab-events"
        label = "Events" if not events.filter.active else \
            f"Events [{events.filter.describe()}]"
        tabs.get_tab("tab-events").label = label

    def action_clear_filter(self) -> None:
        self._set_filter("")

    def action_event_details(self) -> None:
        event = self.query_one(EventLog).chosen
        if event is None:
            self.notify("No event to show.", severity="warning")
            return
        self._show_event(event)

    @on(EventLog.Chosen)
    def _event_chosen(self, message: EventLog.Chosen) -> None:
        self._show_event(message.event)

    def _show_event(self, event: EventRecord) -> None:
        from orch.tui.screens.event_detail import EventDetailScreen

        self.push_screen(EventDetailScreen(event))

    def action_show_load_error(self) -> None:
        from orch.tui.screens.prompt import TextScreen

        if self.load_error:
            self.push_screen(TextScreen(self.load_error, title="Loading the repository failed"))
        else:
            self.notify("The repository loaded without errors.")

    # The main screen's keys act on the pipeline and run shown there: not from panes 6 and 7.
    MAIN_SCREEN_ACTIONS = frozenset({
        "run", "launchpad", "cancel_run", "reexecute", "toggle_watch", "toggle_stream",
        "filter_events", "toggle_sidebar", "tab", "focus", "show_load_error"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Asked about every binding at every footer composition, the first while the app
        # starts: it imports nothing (importing those screens here, rich's markdown,
        # pygments and yaml with them, cost `orch dev`'s first DAG 0.13 s).
        if action in self.MAIN_SCREEN_ACTIONS and self.screen_stack and \
                getattr(self.screen, "HIDES_MAIN_SCREEN_KEYS", False):
            return False
        return True

    def _orchestration_screens(self) -> list[OrchestrationScreen]:
        full = [s for s in self.screen_stack if getattr(s, "HIDES_MAIN_SCREEN_KEYS", False)]
        if not full:  # the usual case, and every load's: import nothing
            return []
        from orch.tui.screens.orchestration import OrchestrationScreen

        return [s for s in full if isinstance(s, OrchestrationScreen)]

    def action_orchestration(self) -> None:
        """Key 6: schedules and sensors, upcoming ticks, the queue, backfills."""
        from orch.tui.screens.orchestration import OrchestrationScreen

        if self._orchestration_screens():
            return
        self.push_screen(OrchestrationScreen(self.instance, self.instigators, self.launcher,
                                             daemon_hosted=self._daemon is not None))

    def action_assets(self) -> None:
        """Key 7: the assets the runs materialized."""
        from orch.tui.screens.assets import AssetsScreen

        if any(isinstance(s, AssetsScreen) for s in self.screen_stack):
            return

        def hashes(pipeline: str) -> dict[str, str]:
            info = self.pipelines.get(pipeline)
            return dict(info.code_hashes) if info else {}

        self.push_screen(AssetsScreen(self.instance, hashes, self._rematerialize))

    def _rematerialize(self, pipeline: str, solid: str, run_id: str, upstream: bool) -> None:
        """``r`` on an asset: re-execute its solid from the run that last materialized it;
        ``R``: a new run of the solid and its upstream, with the pipeline's launch choice."""
        from dataclasses import replace

        info = self.pipelines.get(pipeline)
        if info is None:
            self.notify(f"Pipeline {pipeline} is not in the loaded code.", severity="warning")
            return
        if not upstream:
            self._launch_worker(LaunchRequest(pipeline, parent_run_id=run_id,
                                              step_selection=[solid]))
            return
        choice = self._choice_for(info)
        if choice is None:
            self.notify(f"{pipeline} has modes {', '.join(info.modes)}: choose one in the "
                        "launchpad first (l).", severity="warning")
            return
        self._launch_worker(LaunchRequest(pipeline, replace(choice,
                                                            solid_selection=[f"*{solid}"])))

    def action_compare_runs(self) -> None:
        """``d`` on a run marks it A; ``d`` on another run of the pipeline compares them."""
        table = self.query_one(RunsTable)
        if not table.row_count:
            self.notify("No runs to compare yet.", severity="warning")
            return
        run_id = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        first = self._compare_first
        if first is None or first == run_id:
            self._compare_first = run_id
            self.notify(f"Run {run_id[:8]} is A: move to another run (u, arrows) and press d.")
            return
        self._compare_first = None
        self._compare(first, run_id)

    @work(thread=True, group="compare", exit_on_error=False)
    def _compare(self, run_a: str, run_b: str) -> None:
        from orch.core.run_diff import diff_runs

        a, b = self.instance.get_run(run_a), self.instance.get_run(run_b)
        if a is None or b is None:
            self.call_from_thread(self.notify, "That run is gone.", severity="warning")
            return
        if a.pipeline_name != b.pipeline_name:
            self.call_from_thread(self.notify, f"{run_a[:8]} is a run of {a.pipeline_name} "
                                  f"and {run_b[:8]} of {b.pipeline_name}: compare two runs of "
                                  "one pipeline.", severity="warning")
            return
        diff = diff_runs(self.instance, a, b)

        def show() -> None:
            from orch.tui.screens.run_diff import RunDiffScreen

            self.push_screen(RunDiffScreen(diff))

        self.call_from_thread(show)

    def action_help(self) -> None:
        from orch.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())


def _filter_problem(text: str) -> str | None:
    try:
        parse_filter(text)
    except FilterError as e:
        return str(e)
    return None
