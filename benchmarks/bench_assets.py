"""The asset catalog at size: ``orch assets show KEY`` on an asset with 100,000
materializations (target ≤ 100 ms for the lookup), beside ``orch assets list``.

Setup: 1,000 runs of a two-step pipeline in a fresh SQLite ``ORCH_HOME``, each step
materializing its asset 50 times (100,000 materializations of ``warehouse/orders``, 100,000
of ``reports/daily``), written through the event writer as a run writes them, with a plan
snapshot per run so lineage is read as it is for real runs.

First, as a user gets it: ``orch assets show`` and ``orch assets list`` as subprocesses (the
whole process: interpreter, CLI, instance open, query, print). Then, labelled **engine
only**: ``core.assets.asset_detail`` in this process (history of 50, lineage from the latest
five runs), and the history query alone.

``python -m benchmarks assets`` (``--quick``: 20,000 materializations per asset).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun

from .entry import load, orch_script, scratch, timed_process, timing_env

PLAN = {"steps": [
    {"key": "extract", "inputs": []},
    {"key": "report", "inputs": [{"name": "rows", "upstream": ["extract"]}]},
]}


def _materialization(run_id: str, step: str, key: list[str], rows: int) -> EventRecord:
    return EventRecord(run_id, "orders", EventType.ASSET_MATERIALIZATION,
                       f"Materialized {'/'.join(key)}", step, data={
                           "asset_key": key, "description": None, "partition": None,
                           "metadata": [{"label": "rows", "description": None,
                                         "entry_type": "int", "value": rows}]})


def populate(home: Path, runs: int, per_step: int) -> None:
    with Instance.from_home(home) as instance:
        snapshot_id = instance.storage.add_snapshot("execution_plan", PLAN)
        for r in range(runs):
            run = instance.create_run(PipelineRun(
                "orders", execution_plan_snapshot_id=snapshot_id))
            with instance.event_writer(run.run_id) as writer:
                for i in range(per_step):
                    writer.write(_materialization(run.run_id, "extract",
                                                  ["warehouse", "orders"], r * per_step + i))
                for i in range(per_step):
                    writer.write(_materialization(run.run_id, "report", ["reports", "daily"],
                                                  i))


def _ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.1f} ms, best {min(seconds) * 1000:.1f} ms"


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    per_asset = 20_000 if quick else 100_000
    runs, per_step = per_asset // 50, 50
    with scratch("orch-bench-assets") as tmp:
        home = tmp / "orch_home"
        start = time.perf_counter()
        populate(home, runs, per_step)
        print(f"setup: {runs} runs, {per_asset:,} materializations per asset, "
              f"{time.perf_counter() - start:.1f} s ({load()})")
        env = timing_env(home)
        orch = orch_script()
        for label, args in (("orch assets show warehouse/orders",
                             ["assets", "show", "warehouse/orders"]),
                            ("orch assets list", ["assets", "list"])):
            walls = [timed_process([orch, *args], env, tmp)[0] for _ in range(5)]
            print(f"{label:<36} whole process: {_ms(walls)}")
        from orch.core.assets import asset_detail

        with Instance.from_home(home) as instance:
            detail_s, history_s = [], []
            for _ in range(20):
                t = time.perf_counter()
                detail = asset_detail(instance, ["warehouse", "orders"])
                detail_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                instance.storage.get_asset_materializations(["warehouse", "orders"], limit=50)
                history_s.append(time.perf_counter() - t)
        assert detail.summary.count == per_asset, detail.summary
        assert detail.lineage.downstream == [["reports", "daily"]], detail.lineage
        met = "met" if statistics.median(detail_s) <= 0.1 else "NOT met"
        print(f"{'engine only: asset_detail (50 + lineage)':<36} {_ms(detail_s)} "
              f"(target ≤ 100 ms: {met})")
        print(f"{'engine only: history query (50)':<36} {_ms(history_s)}")
