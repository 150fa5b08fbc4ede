"""Config validation and processing of a typical run config (target: well under 1 ms).

First, as a user gets it: ``orch run -f sample_repo/sales.py -p sales_report -c FILE`` as a
subprocess (benchmarks/entry.py: persistent ORCH_HOME, bytecode as configured) — validation
and processing are a part of that command's wall time. Then, labelled **engine only**,
``validate_config`` and ``process_config`` of a typical schema and value in a warm process.

    python -m benchmarks config
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .entry import ROOT, OrchHome, load, orch_script, timed_process

SAMPLE = ROOT / "sample_repo" / "sales.py"


def real_entry_point(repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="orch-bench-config-") as tmp:
        home = OrchHome(Path(tmp))
        config = Path(tmp) / "run.yaml"
        config.write_text(
            "solids:\n"
            f"  load_orders:\n    config:\n      path: {ROOT / 'sample_repo' / 'data' / 'orders.csv'}\n"
            f"  write_report:\n    config:\n      out_dir: {Path(tmp) / 'reports'}\n"
            "loggers:\n  console:\n    config:\n      log_level: INFO\n")
        argv = [orch_script(), "run", "-f", str(SAMPLE), "-p", "sales_report", "-c",
                str(config), "-q"]
        timed_process(argv, home.env(), Path(tmp))  # warm up
        walls = [timed_process(argv, home.env(), Path(tmp))[0] for _ in range(repeats)]
        print(f"`orch run -p sales_report -c run.yaml`, {home.label}: median "
              f"{statistics.median(walls):.3f} s of {repeats}   {load()}")


def main(argv: list[str]) -> None:
    if (ROOT / "sample_repo" / "data" / "orders.csv").exists():
        real_entry_point(3)
    sys.path.insert(0, str(ROOT / "tests" / "config"))
    from orch.core.config import process_config, validate_config
    from test_config_validate import _typical_run_config

    schema, value = _typical_run_config()
    os.environ.setdefault("DB_HOST", "localhost")
    print("engine only: a typical schema and value, warm process, median of 200")
    for name, fn in (("validate_config", validate_config), ("process_config", process_config)):
        timings = []
        for _ in range(200):
            start = time.perf_counter()
            fn(schema, value)
            timings.append(time.perf_counter() - start)
        print(f"  {name:<16} median {statistics.median(timings) * 1e6:8.1f} µs")
