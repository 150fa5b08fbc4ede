"""`orch dev`: app start to first DAG drawn (target ≤ 1 s, issue 13 item 7), the dev loop —
save → STEP_START of the re-executed solid with watch on (target ≤ 300 ms, item 6) — both
for a pipeline module that imports pandas, and the DAG view's frame time on a 500-solid
pipeline while a run updates it.

The dev loop is driven through Textual's Pilot against the real app (``orch.tui.build_app``:
real code servers, run workers and SQLite instance): run once with ``r``, select
``transform`` with space, then rewrite the file; the latency is the re-executed step's
STEP_START timestamp minus the moment of the write.

First, as a user gets it: ``orch dev -f sample_repo/sales.py -p hello`` started in a
pseudo-terminal (120 x 40, persistent ORCH_HOME, bytecode as configured); the time from exec
to the moment the DAG's solid name reaches the terminal. Then, labelled **engine only**: the
app object started in this warm process (Textual's test driver, no terminal). ``--quick``
starts ``orch dev`` on the pandas module alone (the target's case), not on the sample repo.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _wide(n: int):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "tui"))
    from conftest import snapshot_of, wide_pipeline

    return snapshot_of(wide_pipeline(n))


def _loader_for_sample():
    """The real loader (a subprocess importing sample_repo), if the workspace offers it."""
    from orch.core.workspace import WorkspaceTarget
    from orch.tui.services.snapshot import subprocess_loader

    root = Path(__file__).resolve().parent.parent
    return subprocess_loader(WorkspaceTarget.from_options(
        python_file=str(root / "sample_repo" / "sales.py"), working_directory=str(root)))


async def _start_to_dag(load, home: str) -> float:
    from orch.core.instance import Instance
    from orch.tui.app import OrchApp

    start = time.perf_counter()
    app = OrchApp(load, Instance.from_home(home), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.dag.canvas is None or not app.dag.canvas.nodes:
            if app.load_error or time.perf_counter() - start > 30:
                raise RuntimeError(f"the app did not draw a DAG: {app.load_error}")
            await pilot.pause(0.005)
        elapsed = time.perf_counter() - start
    return elapsed


async def _frame_times(snapshot, home: str, rounds: int = 60) -> tuple[float, list[float]]:
    from orch.core.instance import Instance
    from orch.tui.app import OrchApp

    app = OrchApp(lambda: snapshot, Instance.from_home(home), watch=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while app.dag.canvas is None or not app.dag.canvas.nodes:
            await pilot.pause(0.01)
        dag = app.dag
        names = list(dag.canvas.nodes)
        layout_start = time.perf_counter()
        from orch.tui.dag_layout import layout_dag

        layout_dag(dag._graph_nodes, dag._graph_edges)
        layout_seconds = time.perf_counter() - layout_start
        from orch.core.runs import StepStatus

        status: dict[str, StepStatus] = {}
        frames = []
        height = dag.scrollable_content_region.height
        for i in range(rounds):
            for name in names[i * 8:(i + 1) * 8]:
                status[name] = StepStatus.IN_PROGRESS
            for name in names[max(0, (i - 1) * 8):i * 8]:
                status[name] = StepStatus.SUCCESS
            start = time.perf_counter()
            dag.set_statuses(dict(status))
            for y in range(height):
                dag.render_line(y)
            frames.append(time.perf_counter() - start)
            await pilot.pause()
    return layout_seconds, frames


async def _event_throughput(snapshot, home: str, seconds: float = 2.0,
                            rate: int = 10_000) -> tuple[int, float, float]:
    """Feed the app `rate` events/s (as the SQLite tail would, in 0.2 s batches) and measure
    how long each batch keeps the UI thread busy."""
    from orch.core.events import EventRecord, EventType
    from orch.core.instance import Instance
    from orch.tui.app import OrchApp
    from orch.tui.messages import EventsBatch
    from orch.tui.state import RunView

    app = OrchApp(lambda: snapshot, Instance.from_home(home), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.dag.canvas is None:
            await pilot.pause(0.01)
        app.run_view = RunView("bench")
        app._tail = app.instance.tail("bench")  # the poller reads a real (empty) tail
        names = list(app.dag.canvas.nodes)
        batch = int(rate * 0.2)
        busy = []
        sid = 0
        for i in range(int(seconds / 0.2)):
            events = []
            for j in range(batch):
                sid += 1
                step = names[(i * batch + j) % len(names)]
                kind = EventType.STEP_START if j % 3 == 0 else (
                    EventType.STEP_OUTPUT if j % 3 == 1 else None)
                events.append(EventRecord("bench", "p", kind, f"event {sid}", step,
                                          20 if kind is None else 10, storage_id=sid))
            start = time.perf_counter()
            app._events_batch(EventsBatch("bench", events))
            await pilot.pause()
            busy.append(time.perf_counter() - start)
    return sid, statistics.median(busy), max(busy)


_ANSI = re.compile(rb"\x1b\[[0-9;?>$]*[A-Za-z~]|\x1b\][^\x07]*\x07")


def _dev_to_first_dag(argv: list[str], env: dict[str, str], needle: str,
                      timeout: float = 30) -> float:
    """Exec ``argv`` in a pseudo-terminal; seconds until ``needle`` is drawn. Quits with q."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: orch dev on the terminal
        os.execve(argv[0], argv, {**env, "TERM": "xterm-256color"})
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen, seen = b"", None
    try:
        while seen is None and time.perf_counter() - start < timeout:
            if select.select([fd], [], [], 0.02)[0]:
                screen += os.read(fd, 1 << 16)
                if needle.encode() in _ANSI.sub(b"", screen):
                    seen = time.perf_counter() - start
    finally:
        os.write(fd, b"q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.waitpid(pid, os.WNOHANG)[0]:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    os.read(fd, 1 << 16)
                except OSError:
                    pass
        else:
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
        os.close(fd)
    if seen is None:
        raise RuntimeError(f"{' '.join(argv)}: no DAG within {timeout:g} s")
    return seen


DEV_LOOP = """\
{imports}
from orch import ModeDefinition, fs_io_manager, pipeline, solid


@solid
def extract(context):
    return 1


@solid
def transform(context, x):
    return x + {n}


@solid
def load(context, y):
    return y


@pipeline(mode_defs=[ModeDefinition(resource_defs={{"io_manager": fs_io_manager}})])
def etl():
    load(transform(extract()))
"""


async def _dev_loop(repo: Path, home: Path, saves: int, imports: str) -> list[float]:
    """Save → STEP_START of the re-executed ``transform``, in seconds, per save."""
    from orch.core.instance import Instance
    from orch.core.workspace import WorkspaceTarget
    from orch.tui import build_app

    async def until(pilot, condition, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not get there in time")
            await pilot.pause(0.005)

    latencies = []
    with Instance.from_home(home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(repo)), instance,
                        watch=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes)
            await pilot.press("r")
            await until(pilot, lambda: app.run_view is not None and app.run_view.finished)
            app.dag.cursor = "transform"
            await pilot.press("space")
            await pilot.pause(0.5)  # the zygote imports what the first load reported
            for n in range(saves):
                last = app.run_view.run_id
                saved = time.time()
                repo.write_text(DEV_LOOP.format(imports=imports, n=n + 2))
                await until(pilot, lambda last=last: app.run_view.run_id != last)
                run_id = app.run_view.run_id
                start = None
                while start is None:
                    start = next((e for e in instance.get_logs_for_run(run_id)
                                  if e.event_type_value == "STEP_START"), None)
                    await pilot.pause(0.005)
                latencies.append(start.timestamp - saved)
                await until(pilot, lambda: app.run_view.finished)
                await pilot.pause(0.3)  # the next save is a separate one
    return latencies


def dev_loop(saves: int) -> None:
    from .bench_cli import has_pandas
    from .entry import load

    for imports in (["import pandas"] if has_pandas() else []) + [""]:
        what = f"a module that does `{imports}`" if imports else "trivial imports"
        with tempfile.TemporaryDirectory(prefix="orch-bench-devloop-") as tmp:
            repo = Path(tmp) / "repo" / "etl.py"
            repo.parent.mkdir()
            repo.write_text(DEV_LOOP.format(imports=imports, n=1))
            times = asyncio.run(_dev_loop(repo, Path(tmp) / "home", saves, imports))
        median = statistics.median(times)
        print(f"`orch dev` dev loop (the app through Pilot, watch on, one solid selected), "
              f"{what}: save → STEP_START median {median * 1000:.0f} ms of {saves} (min "
              f"{min(times) * 1000:.0f}, max {max(times) * 1000:.0f})   {load()}  "
              f"{'ok' if median <= 0.3 else 'NOT MET'} (target ≤ 300 ms)", flush=True)
    if not has_pandas():
        print("  (the pandas case is skipped: pandas is not installed)")


def real_entry_point(repeats: int, sample_repo: bool = True) -> None:
    from .bench_cli import has_pandas
    from .entry import ROOT, OrchHome, load, orch_script

    with tempfile.TemporaryDirectory(prefix="orch-bench-dev-") as tmp:
        home = OrchHome(Path(tmp))
        pandas_repo = Path(tmp) / "repo" / "etl.py"
        pandas_repo.parent.mkdir()
        pandas_repo.write_text(DEV_LOOP.format(imports="import pandas", n=1))
        cases = [(f"orch dev -f {pandas_repo.name} -p etl (a module that imports pandas)",
                  [orch_script(), "dev", "-f", str(pandas_repo), "-p", "etl"], "transform")
                 ] if has_pandas() else []
        if sample_repo:
            cases.append(("orch dev -f sample_repo/sales.py -p hello",
                          [orch_script(), "dev", "-f", str(ROOT / "sample_repo" / "sales.py"),
                           "-p", "hello"], "say_hello"))
        for what, argv, needle in cases:
            _dev_to_first_dag(argv, home.env(), needle)  # warm up: caches, preload list
            runs = [_dev_to_first_dag(argv, home.env(), needle) for _ in range(repeats)]
            median = statistics.median(runs)
            print(f"`{what}` in a terminal, {home.label}: start → first DAG median "
                  f"{median:.3f} s of {repeats} (min {min(runs):.3f})   {load()}  "
                  f"{'ok' if median <= 1.0 else 'NOT MET'} (target ≤ 1 s)", flush=True)
        if not has_pandas():
            print("  (the pandas case is skipped: pandas is not installed)")


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    real_entry_point(3 if quick else 5, sample_repo=not quick)  # quick: the target's case
    dev_loop(5 if quick else 11)
    print("\nengine only (the app object in this warm process, Textual's test driver):")
    home = tempfile.mkdtemp(prefix="orch-bench-tui-")
    canned = _wide(30)
    runs = [asyncio.run(_start_to_dag(lambda: canned, home)) for _ in range(3)]
    print(f"start → first DAG (canned 30-solid snapshot):  median {statistics.median(runs):.3f} s")
    loader = _loader_for_sample()
    if loader is not None:
        runs = [asyncio.run(_start_to_dag(loader, home)) for _ in range(3)]
        print(f"start → first DAG (sample_repo, subprocess loader): median "
              f"{statistics.median(runs):.3f} s  (target < 1 s)")
    count, median_busy, worst = asyncio.run(_event_throughput(_wide(30), home))
    print(f"events pane at 10,000 events/s: {count} events in 0.2 s batches; UI busy per batch "
          f"median {median_busy * 1000:.0f} ms, worst {worst * 1000:.0f} ms (of 200 ms)")
    layout, frames = asyncio.run(_frame_times(_wide(500), home))
    frames_ms = sorted(f * 1000 for f in frames)
    print(f"500-solid DAG: layout {layout:.3f} s; frame (restyle + render visible rows) "
          f"median {statistics.median(frames_ms):.2f} ms, p95 {frames_ms[int(len(frames_ms) * 0.95)]:.2f} ms")
