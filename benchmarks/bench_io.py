"""A 1M-row DataFrame through each IO manager: pickle to files (``fs_io_manager``), parquet
(``parquet_io_manager``) and DuckDB (``duckdb_io_manager``).

First, as a user gets it: ``orch run`` of a two-solid pipeline (make the frame, sum a column
of it) whose one output goes through the IO manager under test, as a subprocess with a
persistent ORCH_HOME; the wall time includes making the frame, which is the same for all.
Then, labelled **engine only**: ``handle_output`` and ``load_input`` of each manager on the
same frame in a warm process (write, read, bytes on disk), median of the repeats, and each
manager's write+read against pickle's.

    python -m benchmarks io [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .entry import OrchHome, load, orch_script, timed_process

PIPELINE = '''
import numpy as np
import pandas as pd
from orch import ModeDefinition, OutputDefinition, fs_io_manager, pipeline, solid
from orch.integrations.duckdb import duckdb_io_manager
from orch.integrations.parquet import parquet_io_manager
{frame}

MANAGERS = {"pickle": fs_io_manager, "parquet": parquet_io_manager, "duckdb": duckdb_io_manager}


def make_pipeline(name):
    @solid(name=f"make_{name}", output_defs=[OutputDefinition(io_manager_key="table")])
    def make(context):
        return frame(ROWS)

    @solid(name=f"total_{name}")
    def total(context, df) -> float:
        return float(df["amount"].sum())

    @pipeline(name=f"io_{name}", mode_defs=[ModeDefinition(resource_defs={
        "io_manager": fs_io_manager, "table": MANAGERS[name]})])
    def p():
        total(make())
    return p


ROWS = {rows}
io_pickle, io_parquet, io_duckdb = (make_pipeline(n) for n in MANAGERS)
'''

FRAME = '''
import numpy as np
import pandas as pd


def frame(rows):
    """Ids, floats, a low-cardinality string column, a unique-ish string column, timestamps."""
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "id": np.arange(rows, dtype="int64"),
        "amount": rng.random(rows) * 100,
        "region": pd.Series(np.array(["emea", "amer", "apac", "anz"])[rng.integers(0, 4, rows)]),
        "customer": pd.Series([f"c{i % 50_000:05d}" for i in range(rows)]),
        "ts": pd.date_range("2024-01-01", periods=rows, freq="s"),
    })
'''


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def user_level(rows: int, repeats: int) -> None:
    print(f"as a user runs it: `orch run -p io_<manager>` (make {rows:,} rows, store them, load "
          f"and sum), persistent ORCH_HOME, median of {repeats}")
    with tempfile.TemporaryDirectory(prefix="orch-bench-io-") as tmp:
        root = Path(tmp)
        (root / "io_pipelines.py").write_text(
            PIPELINE.replace("{rows}", str(rows)).replace("{frame}", FRAME))
        for name in ("pickle", "parquet", "duckdb"):
            home = OrchHome(root / f"home-{name}")
            argv = [orch_script(), "run", "-f", str(root / "io_pipelines.py"), "-p",
                    f"io_{name}", "-q"]
            timed_process(argv, home.env(), root)  # warm-up; it also stores one output
            stored = _dir_bytes(home.home / "storage")
            walls = [timed_process(argv, home.env(), root)[0] for _ in range(repeats)]
            print(f"  {name:<8} {statistics.median(walls):6.2f} s   {stored / 1e6:7.1f} MB "
                  f"stored by a run   {load()}")


class _Output:
    def __init__(self, run_id: str):
        self.run_id, self.step_key, self.name = run_id, "make", "result"
        self.mapping_key = self.partition_key = None
        self.pipeline_name, self.metadata, self.log = "io", {}, None
        self.added: dict[str, Any] = {}

    def get_run_scoped_output_identifier(self) -> list[str]:
        return [self.run_id, self.step_key, self.name]

    def add_output_metadata(self, metadata: dict[str, Any]) -> None:
        self.added.update(metadata)


class _Input:
    def __init__(self, upstream: _Output):
        self.upstream_output, self.metadata, self.dagster_type = upstream, {}, None


def engine_only(rows: int, repeats: int) -> None:
    namespace: dict[str, Any] = {}
    exec(FRAME, namespace)
    df = namespace["frame"](rows)
    print(f"engine only: handle_output + load_input of {rows:,} rows, warm process, median of "
          f"{repeats}   {load()}")
    object_strings = df.astype({"region": object, "customer": object})
    for label, frame in (("strings as pandas 3 makes them (str, Arrow-backed)", df),
                         ("strings as Python objects (pandas 2's default)", object_strings)):
        print(f"  {label}: {frame.memory_usage(deep=True).sum() / 1e6:.0f} MB in memory")
        _engine_round_trips(frame, rows, repeats)


def _engine_round_trips(df: Any, rows: int, repeats: int) -> None:
    from orch.core.definitions.io_manager import PickledObjectFilesystemIOManager
    from orch.integrations.duckdb import DuckDBIOManager
    from orch.integrations.parquet import ParquetIOManager

    with tempfile.TemporaryDirectory(prefix="orch-bench-io-engine-") as tmp:
        root = Path(tmp)
        managers = {"pickle": (PickledObjectFilesystemIOManager(root / "pickle"), root / "pickle"),
                    "parquet": (ParquetIOManager(root / "parquet"), root / "parquet"),
                    "duckdb": (DuckDBIOManager(root / "db" / "io.duckdb"), root / "db")}
        results = {}
        for name, (manager, where) in managers.items():
            writes, reads = [], []
            for i in range(repeats):
                out = _Output(f"run{i}")
                start = time.perf_counter()
                manager.handle_output(out, df)
                writes.append(time.perf_counter() - start)
                start = time.perf_counter()
                back = manager.load_input(_Input(out))
                reads.append(time.perf_counter() - start)
                assert len(back) == rows
            size = _dir_bytes(where) / (repeats if name != "duckdb" else 1)
            results[name] = (statistics.median(writes), statistics.median(reads), size)
        base = sum(results["pickle"][:2])
        for name, (write, read, size) in results.items():
            print(f"    {name:<8} write {write:6.3f} s  read {read:6.3f} s  write+read "
                  f"{write + read:6.3f} s ({base / (write + read):4.1f}x pickle's speed)  "
                  f"{size / 1e6:7.1f} MB on disk")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks io")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    user_level(args.rows, repeats)
    engine_only(args.rows, 1 if args.quick else max(repeats, 3))
