"""A parameterised notebook solid (orch.integrations.notebook) against papermill alone running
the same notebook with the same parameter (target: orch adds ≤ 10 % per run), interleaved so
both see the same machine load.

First as users run them: ``orch run -f repo.py -p notebook_bench -c run.yaml`` against
``python -m papermill plain.ipynb out.ipynb -p n N``, each a whole process (persistent
ORCH_HOME, compute logs on), with orch's engine time from its run record beside it. Then,
labelled engine only, both in this warm process (``execute_pipeline`` against
``papermill.execute_notebook``), the kernel's start time, and papermill with one kernel kept
across executions (the reuse papermill allows, by passing ``km``; orch does not do it, since a
kept kernel carries one run's variables into the next).

    python -m benchmarks notebook [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .entry import (
    Measured,
    become_subreaper,
    load,
    orch_script,
    timed_process,
    timing_env,
    with_run_record,
)

NOTEBOOK_CELLS = [
    ("import orch.integrations.notebook as dagstermill", None),
    ("context = dagstermill.get_context(solid_config={'factor': 1})\nn = 1", "parameters"),
    ("total = sum(range(n * 1000))\nprint(total)", None),
    ("dagstermill.yield_result(total)", None),
]
PLAIN_CELLS = [("n = 1", "parameters"), ("total = sum(range(n * 1000))\nprint(total)", None)]


def _write(path: Path, cells: list[tuple[str, str | None]]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    for source, tag in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tag:
            cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))


def _pipeline(notebook: Path):
    from orch.integrations.notebook import define_dagstermill_solid

    from orch import InputDefinition, OutputDefinition, pipeline, solid

    crunch = define_dagstermill_solid(
        "crunch", str(notebook), input_defs=[InputDefinition("n", int)],
        output_defs=[OutputDefinition(int)], config_schema={"factor": int})

    @solid(config_schema={"n": int})
    def seed(context) -> int:
        return context.solid_config["n"]

    @pipeline
    def notebook_bench():
        crunch(seed())

    return notebook_bench


REPO = """\
from orch.integrations.notebook import define_dagstermill_solid

from orch import InputDefinition, OutputDefinition, pipeline, solid

crunch = define_dagstermill_solid(
    "crunch", {notebook!r}, input_defs=[InputDefinition("n", int)],
    output_defs=[OutputDefinition(int)], config_schema={{"factor": int}})


@solid(config_schema={{"n": int}})
def seed(context) -> int:
    return context.solid_config["n"]


@pipeline
def notebook_bench():
    crunch(seed())
"""


def real_entry_point(root: Path, notebook: Path, plain: Path, runs: int) -> None:
    """``orch run`` of the notebook pipeline against ``python -m papermill``, whole processes,
    interleaved (one untimed run of each first)."""
    become_subreaper()
    home = root / "cli_home"
    env = timing_env(home)
    repo = root / "repo.py"
    repo.write_text(REPO.format(notebook=str(notebook)))

    def orch_cli(i: int) -> Measured:
        config = root / f"run_{i}.yaml"
        config.write_text(f"solids:\n  seed:\n    config:\n      n: {i}\n"
                          "  crunch:\n    config:\n      factor: 2\n")
        wall, rss, _ = timed_process([orch_script(), "run", "-f", str(repo), "-p",
                                      "notebook_bench", "-c", str(config), "-q"], env, root)
        measured = with_run_record(home, Measured(wall, max_rss_mb=rss))
        assert measured.status == "SUCCESS", measured.status
        return measured

    def papermill_cli(i: int) -> Measured:
        wall, rss, _ = timed_process([sys.executable, "-m", "papermill", "--no-progress-bar",
                                      str(plain), str(root / "cli_out.ipynb"), "-p", "n",
                                      str(i)], env, root)
        return Measured(wall, max_rss_mb=rss)

    orch_cli(1), papermill_cli(1)  # warm: the instance, the OS caches
    orch_runs, pm_runs = [], []
    for i in range(runs):
        pm_runs.append(papermill_cli(i + 2))
        orch_runs.append(orch_cli(i + 2))
    orch_wall = statistics.median(m.wall for m in orch_runs)
    pm_wall = statistics.median(m.wall for m in pm_runs)
    engine = statistics.median(m.engine or 0.0 for m in orch_runs)
    print(f"as users run them, whole process, median of {runs}, interleaved   {load()}")
    print(f"  python -m papermill plain.ipynb     median {pm_wall * 1000:8.1f} ms")
    print(f"  orch run -p notebook_bench          median {orch_wall * 1000:8.1f} ms   overhead "
          f"{(orch_wall - pm_wall) * 1000:+.1f} ms ({(orch_wall - pm_wall) / pm_wall * 100:+.1f} "
          f"%; target ≤ 10 %); engine (run record) {engine * 1000:.1f} ms")


def _kernel_start() -> float:
    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3")
    elapsed = time.perf_counter() - started
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return elapsed


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks notebook")
    parser.add_argument("--runs", type=int, default=None, help="runs of each (default 10)")
    parser.add_argument("--quick", action="store_true",
                        help="the whole-process comparison alone, 1 run of each after an "
                             "untimed one (each starts a kernel from cold: ~3 s here)")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.quick else 10
    import papermill
    from jupyter_client.manager import start_new_kernel
    from orch.core.instance import Instance

    from orch import execute_pipeline

    with tempfile.TemporaryDirectory(prefix="orch-bench-notebook-") as tmp:
        root = Path(tmp)
        notebook, plain = root / "crunch.ipynb", root / "plain.ipynb"
        _write(notebook, NOTEBOOK_CELLS)
        _write(plain, PLAIN_CELLS)
        real_entry_point(root, notebook, plain, args.runs)
        if args.quick:
            print("engine only: the full run (`python -m benchmarks notebook`)")
            return
        print("engine only: both in this warm process (execute_pipeline, "
              "papermill.execute_notebook)")
        pipe = _pipeline(notebook)
        instance = Instance.from_home(root / "home")

        def orch_run(i: int) -> float:
            started = time.perf_counter()
            result = execute_pipeline(pipe, run_config={"solids": {
                "seed": {"config": {"n": i}}, "crunch": {"config": {"factor": 2}}},
                # the events are stored either way; the suite's table is its output
                "loggers": {"console": {"config": {"log_level": "ERROR"}}}},
                instance=instance)
            elapsed = time.perf_counter() - started
            assert result.success and result.result_for_solid("crunch").output_value() == \
                sum(range(i * 1000))
            return elapsed

        def papermill_run(i: int, **kwargs: object) -> float:
            started = time.perf_counter()
            papermill.execute_notebook(str(plain), str(root / "out.ipynb"),
                                       parameters={"n": i}, progress_bar=False, **kwargs)
            return time.perf_counter() - started

        orch_run(1), papermill_run(1)  # warm imports
        orch_times, pm_times, starts = [], [], []
        for i in range(args.runs):
            pm_times.append(papermill_run(i + 1))
            orch_times.append(orch_run(i + 1))
            starts.append(_kernel_start())
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            kept = [papermill_run(i + 1, km=km) for i in range(args.runs)]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        instance.close()
    pm, orch_med, start, kept_med = (statistics.median(x) for x in
                                     (pm_times, orch_times, starts, kept))
    print(f"{args.runs} runs each, interleaved   {load()}")
    print(f"  papermill alone (new kernel)   median {pm * 1000:8.1f} ms")
    print(f"  orch notebook solid run        median {orch_med * 1000:8.1f} ms   overhead "
          f"{(orch_med - pm) * 1000:+.1f} ms ({(orch_med - pm) / pm * 100:+.1f} %; target ≤ 10 %)")
    print(f"  kernel start (start_new_kernel) median {start * 1000:7.1f} ms "
          f"({start / pm * 100:.0f} % of a papermill run)")
    print(f"  papermill, one kernel kept     median {kept_med * 1000:8.1f} ms   (saves "
          f"{(pm - kept_med) * 1000:.1f} ms a run; state carries over, so orch starts a "
          "kernel per run)")
