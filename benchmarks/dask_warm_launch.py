"""Launch -> first STEP_START of a Dask run started as orch dev starts one: from a warm
:class:`~orch.core.watch.CodeServerPool` (a zygote; each launch forks a code server from it,
which loads the code and then executes the run as its worker), against an existing cluster
(``dask scheduler`` + 1 worker, started here), so the figure is the run worker's start and
not a LocalCluster's.

``--before`` drops the executor's ``preload_modules`` (dask, distributed) from what the pool
tells its zygote, as before they were reported: every run worker imports ``distributed``.

    python -m benchmarks.dask_warm_launch [--before] [--runs N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from .bench_dask import Cluster
from .entry import load, med

PIPELINE = '''from orch import ModeDefinition, fs_io_manager, pipeline, solid


@solid
def one(_context):
    return 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def tiny():
    one()
'''
EXECUTOR_MODULES = {"dask", "distributed"}


def _first_step_start(home: Path, run_id: str, timeout: float = 60.0) -> float:
    from orch.core.events import EventType
    from orch.core.instance import Instance

    deadline = time.monotonic() + timeout
    with Instance.from_home(home) as instance:
        while time.monotonic() < deadline:
            for e in instance.get_logs_for_run(run_id):
                if e.event_type is EventType.STEP_START:
                    return e.timestamp
            time.sleep(0.005)
    raise TimeoutError(f"run {run_id}: no STEP_START within {timeout:g}s")


def main(argv: list[str]) -> None:
    import os

    from orch.core.watch import CodeServerPool
    from orch.core.workspace import WorkspaceTarget

    before = "--before" in argv
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    scratch = Path(tempfile.mkdtemp(prefix="dask-warm-launch-"))
    (scratch / "tiny.py").write_text(PIPELINE)
    home = scratch / "home"
    env = {**os.environ, "ORCH_HOME": str(home), "TMPDIR": str(scratch)}
    cluster = Cluster(Path(sys.executable).parent, scratch / "cluster", n_workers=1)
    pool = CodeServerPool(cwd=str(scratch), env=env)
    if before:
        preload = pool.preload
        pool.preload = lambda modules: preload(  # type: ignore[method-assign]
            [m for m in modules if m not in EXECUTOR_MODULES])
    target = WorkspaceTarget.from_options(python_file=str(scratch / "tiny.py"),
                                          working_directory=str(scratch))
    config = {"execution": {"dask": {"config": {"cluster": {"existing": {
        "address": cluster.address}}}}}}
    figures: list[float] = []
    try:
        for i in range(runs + 1):  # the first (untimed) warms the home and the zygote
            server = pool.take()
            server.load(target)
            time.sleep(1.5)  # orch dev: the user picks the executor after the load
            started = time.time()
            reply = server.launch("tiny", run_config=config)
            first = _first_step_start(home, reply["run_id"])
            server.process.wait(timeout=60)
            server.close()
            if i:
                figures.append((first - started) * 1000)
        preloaded = sorted(EXECUTOR_MODULES & set(pool.zygote.preloaded)) \
            if pool.zygote is not None else []
    finally:
        pool.close()
        cluster.stop()
    print(f"{'before' if before else 'after'}: launch -> first STEP_START, ms: "
          f"{', '.join(f'{f:.0f}' for f in figures)} (median {med(figures):.0f}); zygote "
          f"preloaded {preloaded}; {load()}")


if __name__ == "__main__":
    main(sys.argv[1:])
