"""20 PySpark steps in one run, in process and under the multiprocess executor, each through
``orch run --json`` on local Spark (``local[2]``): the wall time of each run, the Spark
session's start cost (the pyspark resource's initialisation, from the run's events) and how
many times it was paid, with the proof that it is paid once per process: the distinct
(process, Spark application) pairs the steps ran in. In process: one session for all the
steps. Under multiprocess: one per step process (each step is a process of its own).

``--quick``: 2 steps, in process only (the session's start cost, paid once); the full run
adds multiprocess, which pays it once per step process.

    python -m benchmarks spark [--steps N] [--max-concurrent N] [--quick]
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
import os

from orch import ModeDefinition, pipeline, solid
from orch.integrations.pyspark import pyspark_resource

STEPS = int(os.environ.get("BENCH_SPARK_STEPS", "20"))


def _make(i):
    @solid(name=f"count_{i}", required_resource_keys={"pyspark"})
    def count(context):
        spark = context.resources.pyspark.spark_session
        context.log.info(f"session {os.getpid()} {spark.sparkContext.applicationId}")
        return spark.range(1000 * (i + 1)).count()
    return count


COUNTS = [_make(i) for i in range(STEPS)]


@pipeline(mode_defs=[ModeDefinition(resource_defs={"pyspark": pyspark_resource})])
def spark_steps():
    for c in COUNTS:
        c()
'''


def _run(root: Path, executor: str, steps: int, max_concurrent: int) -> dict:
    env = {**os.environ, "ORCH_HOME": str(root / ".orch"), "SPARK_LOCAL_IP": "127.0.0.1",
           "BENCH_SPARK_STEPS": str(steps)}
    orch = str(Path(sys.executable).parent / "orch")
    extra = ["--max-concurrent", str(max_concurrent)] if executor == "multiprocess" else []
    started = time.perf_counter()
    proc = subprocess.run([orch, "run", "-f", str(root / "repo.py"), "-c",
                           str(root / "run.yaml"), "--executor", executor, "--json", *extra],
                          capture_output=True, text=True, env=env, cwd=root, timeout=3600)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{executor} run failed: {proc.stderr[-2000:]}")
    inits: list[float] = []
    sessions: set[str] = set()
    steps_run = 0
    step_secs: list[float] = []
    starts: dict[str, float] = {}
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        kind, data = event.get("event_type"), event.get("data") or {}
        timing = data.get("init_ms") or {}
        if "pyspark" in timing:
            inits.append(timing["pyspark"] / 1000)
        if kind is None and event["message"].startswith("session "):
            sessions.add(event["message"].removeprefix("session "))
            steps_run += 1
        if kind == "STEP_START":
            starts[event["step_key"]] = event["timestamp"]
        if kind == "STEP_SUCCESS":
            step_secs.append(event["timestamp"] - starts[event["step_key"]])
    return {"wall": wall, "inits": inits, "sessions": len(sessions), "steps": steps_run,
            "step_median": statistics.median(step_secs)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks spark")
    parser.add_argument("--steps", type=int, default=None, help="PySpark steps (default 20)")
    parser.add_argument("--max-concurrent", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2 steps, in process only")
    args = parser.parse_args(argv)
    if args.steps is None:
        args.steps = 2 if args.quick else 20
    with tempfile.TemporaryDirectory(prefix="orch-bench-spark-") as tmp:
        root = Path(tmp)
        (root / "repo.py").write_text(REPO)
        (root / "run.yaml").write_text(
            "resources:\n  pyspark:\n    config:\n      spark_conf:\n        spark:\n"
            "          master: local[2]\n          ui: {enabled: 'false', showConsoleProgress: 'false'}\n"
            "          driver: {host: 127.0.0.1, bindAddress: 127.0.0.1}\n"
            "          sql: {shuffle: {partitions: 2}}\n"
            f"          local: {{dir: {root / 'spark'}}}\n")
        print(f"{args.steps} PySpark steps in one run, local[2]   {load()} (before)")
        results = {}
        for executor in ("in_process",) if args.quick else ("in_process", "multiprocess"):
            r = results[executor] = _run(root, executor, args.steps, args.max_concurrent)
            print(f"  {executor:<12} wall {r['wall']:6.1f} s   session starts {len(r['inits']):2d}"
                  f" (distinct process+application pairs over {r['steps']} steps: "
                  f"{r['sessions']})   start cost median {statistics.median(r['inits']):5.2f} s,"
                  f" total {sum(r['inits']):6.1f} s   step median (start to success) {r['step_median']:5.2f} s"
                  f"   {load()}")
        if args.quick:
            print("  (multiprocess, a session start per step process: the full run, "
                  "`python -m benchmarks spark`)")
            return
        inp, mp = results["in_process"], results["multiprocess"]
        print(f"  multiprocess pays the session start {len(mp['inits'])}x "
              f"({sum(mp['inits']):.1f} s of session starts, {mp['wall'] / inp['wall']:.1f}x the "
              f"in-process wall); in process it is paid once ({sum(inp['inits']):.1f} s)")
        print(f"  --max-concurrent {args.max_concurrent} under multiprocess")
