"""orch beside Dagster 1.x, CLI against CLI (benchmarks/dagster.py says how each is run).

``orch run -f F -p P`` and ``dagster job execute -f F -j J``, each with one persistent SQLite
home warmed by one untimed single-op run, filesystem IO manager and compute logs (both
defaults), default console output, interleaved back to back (orch, Dagster, orch, ...).
Reported: medians of the wall times and their ratio, peak RSS of the largest process.

* in process: chain_1, chain_50, fanout_100, wide_200 (``--repeats=N``, default 3);
* multiprocess, max_concurrent 2: orch's forked steps against Dagster's ``spawn`` (its
  default) and ``forkserver`` start methods. Dagster takes minutes per run here, so by default
  only chain_50, once (``--mp-all`` for every workload, ``--mp-repeats=N``).

``--quick`` (``python -m benchmarks --quick`` with Dagster installed): in process only, once
each, chain_1 and fanout_100 (Dagster's multiprocess chain_50 alone takes ~2.5 min, its
wide_200 in process ~15 s).

Skipped (with the command to run it) unless ``ORCH_BENCH_DAGSTER_PYTHON`` names a Python with
Dagster installed, e.g. ``python3 -m venv /work/peers/dagster &&
/work/peers/dagster/bin/pip install dagster==1.13.29``.

    ORCH_BENCH_DAGSTER_PYTHON=/work/peers/dagster/bin/python python -m benchmarks dagster
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .dagster import DagsterHome, dagster_version
from .entry import Measured, OrchHome, interleave, load, med

IN_PROCESS = ("chain_1", "chain_50", "fanout_100", "wide_200")
QUICK_IN_PROCESS = ("chain_1", "fanout_100")
MULTIPROCESS = ("chain_50", "fanout_100", "wide_200")
MAX_CONCURRENT = 2


def _flag(argv: list[str], name: str, default: int) -> int:
    for arg in argv:
        if arg.startswith(f"{name}="):
            return int(arg.split("=", 1)[1])
    return default


def _print_row(label: str, orch_runs: list[Measured], dagster_runs: list[Measured]) -> None:
    orch_wall, dagster_wall = med([r.wall for r in orch_runs]), med([r.wall for r in dagster_runs])
    orch_rss = max(r.max_rss_mb for r in orch_runs)
    dagster_rss = max(r.max_rss_mb for r in dagster_runs)
    print(f"  {label:<34} {orch_wall:>8.2f} {dagster_wall:>9.2f} "
          f"{dagster_wall / orch_wall:>6.1f}x {orch_rss:>6.0f}MB {dagster_rss:>6.0f}MB   "
          f"n={len(orch_runs)}  {load()}", flush=True)


def main(argv: list[str]) -> None:
    python = os.environ.get("ORCH_BENCH_DAGSTER_PYTHON")
    if not python:
        print("skipped: set ORCH_BENCH_DAGSTER_PYTHON=/path/to/venv/bin/python (Dagster 1.x "
              "installed there, outside the repository) — see benchmarks/bench_dagster.py")
        return
    version = dagster_version(python)
    if version is None:
        print(f"skipped: cannot import dagster with {python}")
        return
    quick = "--quick" in argv
    repeats = _flag(argv, "--repeats", 1 if quick else 3)
    mp_repeats = _flag(argv, "--mp-repeats", 1)
    mp_names = MULTIPROCESS if "--mp-all" in argv else () if quick else ("chain_50",)
    with tempfile.TemporaryDirectory(prefix="orch-bench-dagster-") as tmp:
        scratch = Path(tmp)
        orch = OrchHome(scratch / "orch")
        dagster = DagsterHome(python, scratch / "dagster", MAX_CONCURRENT)
        print(f"orch (`orch run`, {orch.label}) vs Dagster {version} (`dagster job execute`), "
              "persistent SQLite homes, fs IO managers, compute logs, default console output; "
              "interleaved; medians")
        print(f"  {'workload':<34} {'orch s':>8} {'Dagster s':>9} {'ratio':>7} "
              f"{'orch RSS':>8} {'Dagster RSS':>8}")
        for name in QUICK_IN_PROCESS if quick else IN_PROCESS:
            runs = interleave({
                "orch": lambda name=name: orch.orch_run(name, quiet=False, warm="home"),
                "dagster": lambda name=name: dagster.job_execute(name, "in_process"),
            }, repeats)
            _print_row(f"{name}, in process", runs["orch"], runs["dagster"])
        for name in mp_names:
            for method in ("spawn", "forkserver"):
                runs = interleave({
                    "orch": lambda name=name: orch.orch_run(name, "multiprocess",
                                                            MAX_CONCURRENT, quiet=False,
                                                            warm="home"),
                    "dagster": lambda name=name, method=method: dagster.job_execute(
                        name, method),
                }, mp_repeats)
                _print_row(f"{name}, multiprocess (Dagster {method})", runs["orch"],
                           runs["dagster"])


if __name__ == "__main__":
    main(sys.argv[1:])
