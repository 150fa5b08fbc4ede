"""20 PySpark steps in one run, in process and under the multiprocess executor, each through
``orch run --json`` on local Spark (``local[2]``): the wall time of each run, the Spark
session's start cost (the pyspark resource's initialisation, from the run's events) and how
many times it was paid — once per process: once per run in process, once per step process
under multiprocess.

    python -m benchmarks spark [--steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .entry import load

REPO = '''
from orch import ModeDefinition, pipeline, solid
from orch.integrations.pyspark import pyspark_resource

STEPS = int(__import__("os").environ.get("BENCH_SPARK_STEPS", "20"))


def _make(i):
    @solid(name=f"count_{i}", required_resource_keys={"pyspark"})
    def count(context):
        return context.resources.pyspark.spark_session.range(1000 * (i + 1)).count()
    return count


COUNTS = [_make(i) for i in range(STEPS)]


@pipeline(mode_defs=[ModeDefinition(resource_defs={"pyspark": pyspark_resource})])
def spark_steps():
    for c in COUNTS:
        c()
'''


def _run(root: Path, executor: str, steps: int) -> tuple[float, list[float]]:
    env = {**os.environ, "ORCH_HOME": str(root / ".orch"), "SPARK_LOCAL_IP": "127.0.0.1",
           "BENCH_SPARK_STEPS": str(steps)}
    orch = str(Path(sys.executable).parent / "orch")
    started = time.perf_counter()
    proc = subprocess.run([orch, "run", "-f", str(root / "repo.py"), "-c",
                           str(root / "run.yaml"), "--executor", executor, "--json"],
                          capture_output=True, text=True, env=env, cwd=root, timeout=1800)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{executor} run failed: {proc.stderr[-2000:]}")
    inits = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            timing = (event.get("data") or {}).get("init_ms") or {}
            if "pyspark" in timing:
                inits.append(timing["pyspark"] / 1000)
    return wall, inits


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks spark")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="orch-bench-spark-") as tmp:
        root = Path(tmp)
        (root / "repo.py").write_text(REPO)
        (root / "run.yaml").write_text(
            "resources:\n  pyspark:\n    config:\n      spark_conf:\n        spark:\n"
            "          master: local[2]\n          ui: {enabled: 'false', showConsoleProgress: 'false'}\n"
            "          driver: {host: 127.0.0.1, bindAddress: 127.0.0.1}\n"
            f"          local: {{dir: {root / 'spark'}}}\n")
        print(f"{args.steps} PySpark steps in one run   {load()}")
        for executor in ("in_process", "multiprocess"):
            wall, inits = _run(root, executor, args.steps)
            print(f"  {executor:<12} wall {wall:6.1f} s   session starts {len(inits):2d}   "
                  f"start cost median {statistics.median(inits):5.2f} s, total "
                  f"{sum(inits):6.1f} s")
