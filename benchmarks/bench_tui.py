"""`orch dev`: app start to first DAG drawn (target < 1 s), and the DAG view's frame time on
a 500-solid pipeline while a run updates it (statuses change, visible rows re-render)."""

from __future__ import annotations

import asyncio
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
    try:
        from orch.tui.services.snapshot import subprocess_loader
    except ImportError:
        return None
    root = Path(__file__).resolve().parent.parent
    return subprocess_loader(["-f", str(root / "sample_repo" / "sales.py")], str(root))


async def _start_to_dag(load, home: str) -> float:
    from orch.core.instance import Instance
    from orch.tui.app import OrchApp

    start = time.perf_counter()
    app = OrchApp(load, Instance.from_home(home), [], watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.dag.canvas is None or not app.dag.canvas.nodes:
            await pilot.pause(0.005)
        elapsed = time.perf_counter() - start
    return elapsed


async def _frame_times(snapshot, home: str, rounds: int = 60) -> tuple[float, list[float]]:
    from orch.core.instance import Instance
    from orch.tui.app import OrchApp

    app = OrchApp(lambda: snapshot, Instance.from_home(home), [], watch=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while app.dag.canvas is None or not app.dag.canvas.nodes:
            await pilot.pause(0.01)
        dag = app.dag
        names = list(dag.canvas.nodes)
        layout_start = time.perf_counter()
        from orch.tui.dag_layout import layout_dag

        layout_dag(dag._graph_nodes, dag._graph_edges)
        layout_seconds = time.perf_counter() - layout_start
        status: dict[str, str] = {}
        frames = []
        height = dag.scrollable_content_region.height
        for i in range(rounds):
            for name in names[i * 8:(i + 1) * 8]:
                status[name] = "running"
            for name in names[max(0, (i - 1) * 8):i * 8]:
                status[name] = "success"
            start = time.perf_counter()
            dag.set_statuses(dict(status))
            for y in range(height):
                dag.render_line(y)
            frames.append(time.perf_counter() - start)
            await pilot.pause()
    return layout_seconds, frames


def main(argv: list[str]) -> None:
    home = tempfile.mkdtemp(prefix="orch-bench-tui-")
    canned = _wide(30)
    runs = [asyncio.run(_start_to_dag(lambda: canned, home)) for _ in range(3)]
    print(f"start → first DAG (canned 30-solid snapshot):  median {statistics.median(runs):.3f} s")
    loader = _loader_for_sample()
    if loader is not None:
        runs = [asyncio.run(_start_to_dag(loader, home)) for _ in range(3)]
        print(f"start → first DAG (sample_repo, subprocess loader): median "
              f"{statistics.median(runs):.3f} s  (target < 1 s)")
    layout, frames = asyncio.run(_frame_times(_wide(500), home))
    frames_ms = sorted(f * 1000 for f in frames)
    print(f"500-solid DAG: layout {layout:.3f} s; frame (restyle + render visible rows) "
          f"median {statistics.median(frames_ms):.2f} ms, p95 {frames_ms[int(len(frames_ms) * 0.95)]:.2f} ms")
