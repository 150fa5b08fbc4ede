"""Config validation and processing of a typical run config (target: well under 1 ms)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "config"))
    from orch.core.config import process_config, validate_config
    from test_config_validate import _typical_run_config

    schema, value = _typical_run_config()
    import os

    os.environ.setdefault("DB_HOST", "localhost")
    for name, fn in (("validate_config", validate_config), ("process_config", process_config)):
        timings = []
        for _ in range(200):
            start = time.perf_counter()
            fn(schema, value)
            timings.append(time.perf_counter() - start)
        print(f"{name:<16} median {statistics.median(timings) * 1e6:8.1f} µs")
