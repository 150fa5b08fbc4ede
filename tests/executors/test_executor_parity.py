"""One sample_repo pipeline, every executor, the same events per step: in process,
multiprocess with each start method, and Dask (a LocalCluster of worker processes), each
run as a user runs it (``orch run -c``). Only how steps are launched differs, so apart from
the executors' own ENGINE_EVENTs every step's event types come in the same order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dask_helpers as d
import pytest
from orch.core.events import EventType
from orch.core.instance import Instance

SAMPLE = d.ROOT / "sample_repo" / "sales.py"
EXECUTION = {
    "in_process": "in_process: {}",
    "multiprocess-fork": "multiprocess: {config: {max_concurrent: 2, start_method: fork}}",
    "multiprocess-forkserver": "multiprocess: {config: {max_concurrent: 2, "
                               "start_method: forkserver}}",
    "multiprocess-spawn": "multiprocess: {config: {max_concurrent: 2, start_method: spawn}}",
    "dask": "dask: {config: {cluster: {local: {n_workers: 2, processes: true}}}}",
}


def _per_step(tmp: Path, executor: str) -> dict[str, list[str]]:
    if executor == "dask":
        d.need_dask()
    config = tmp / f"{executor}.yaml"
    config.write_text(f"execution:\n  {EXECUTION[executor]}\n")
    done = subprocess.run([str(Path(sys.executable).parent / "orch"), "run", "-f", str(SAMPLE),
                           "-p", "regional_revenue", "-c", str(config), "-q"], cwd=tmp,
                          env=d.orch_env(tmp), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    with Instance.from_home(tmp / "home") as instance:
        run = instance.get_runs(limit=1)[0]
        events = instance.get_logs_for_run(run.run_id)
    per_step: dict[str, list[str]] = {}
    for e in events:
        if e.step_key and e.event_type is not None and e.event_type is not EventType.ENGINE_EVENT:
            per_step.setdefault(e.step_key, []).append(e.event_type_value)
    return per_step


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> dict[str, list[str]]:
    return _per_step(tmp_path_factory.mktemp("in-process"), "in_process")


@pytest.mark.parametrize("executor", [e for e in EXECUTION if e != "in_process"])
def test_every_executor_gives_each_step_the_same_events(tmp_path, in_process, executor):
    assert sorted(in_process) == ["load_orders", "region_revenue[amer]",
                                  "region_revenue[apac]", "region_revenue[emea]",
                                  "revenue_summary", "split_by_region"]
    assert in_process["load_orders"] == ["LOGS_CAPTURED", "STEP_START", "STEP_OUTPUT",
                                         "HANDLED_OUTPUT", "STEP_SUCCESS"]
    assert _per_step(tmp_path, executor) == in_process
