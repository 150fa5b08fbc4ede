"""A code-server zygote (orch dev, the daemon) imports what a run's executor imports
(``ExecutorDefinition.preload_modules``: dask and distributed for the Dask executor), so a
run worker forked from it does not import ``distributed`` itself (0.3-0.8 s a run): after a
Dask run was launched from the pool, or as soon as a load shows a pipeline whose preset or
mode uses the executor. Real processes: a zygote, code servers forked from it."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import dask_helpers as d
import pytest
from orch.core.execution.executor import ExecutorDefinition, executor_preload_modules
from orch.core.instance import Instance
from orch.core.runs import PipelineRunStatus
from orch.core.watch import CodeServerPool
from orch.core.workspace import WorkspaceTarget

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

# The user's module says, as each server imports it, whether distributed was already there.
USER = textwrap.dedent("""\
    import os
    import sys

    from orch import ModeDefinition, PresetDefinition, fs_io_manager, pipeline, solid

    with open(os.environ["IMPORT_LOG"], "a") as f:
        f.write(f"{os.getpid()} {'distributed' in sys.modules}\\n")


    @solid
    def one(_context):
        return 1


    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})]{presets})
    def tiny():
        one()
""")
THREADS = {"execution": {"dask": {"config": {"cluster": {"local": {
    "n_workers": 1, "processes": False, "protocol": "tcp://", "dashboard_address": ":0"}}}}}}


def test_the_executors_modules_come_from_the_run_configs_and_the_modes_definitions():
    assert executor_preload_modules([{"execution": {"dask": {}}}]) == ["dask", "distributed"]
    assert executor_preload_modules([{}, {"execution": {"in_process": {}}},
                                     {"execution": {"nope": {}}}, {"execution": "bad"}]) == []
    custom = ExecutorDefinition("mine", None, lambda _c: None, preload_modules=("lib",))
    assert executor_preload_modules([], [custom, "in_process"]) == ["lib"]


def _setup(tmp_path: Path, presets: str = "") -> tuple[CodeServerPool, WorkspaceTarget, Path,
                                                        Path]:
    d.need_dask()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "tiny.py").write_text(USER.replace("{presets}", presets))
    log, home = tmp_path / "imports.log", tmp_path / "home"
    env = {**os.environ, "IMPORT_LOG": str(log), "ORCH_HOME": str(home),
           "TMPDIR": str(tmp_path)}
    target = WorkspaceTarget.from_options(python_file=str(repo / "tiny.py"),
                                          working_directory=str(repo))
    return CodeServerPool(cwd=str(repo), env=env), target, log, home


def _seen(log: Path, pid: int) -> bool:
    [line] = [line for line in log.read_text().splitlines() if line.startswith(f"{pid} ")]
    return line.endswith("True")


def test_after_a_dask_run_the_zygotes_next_servers_hold_distributed(tmp_path: Path) -> None:
    pool, target, log, home = _setup(tmp_path)
    try:
        first = pool.take()
        first.load(target)
        assert "distributed" not in pool.zygote.preloaded  # nothing in the code says Dask
        reply = first.launch("tiny", run_config=THREADS)
        assert first.process.wait(timeout=60) == 0
        first.close()
        assert not _seen(log, first.pid)
        with Instance.from_home(home) as instance:
            assert instance.get_run(reply["run_id"]).status is PipelineRunStatus.SUCCESS
        assert {"dask", "distributed"} <= pool.zygote.preloaded
        second = pool.take()
        second.load(target)
        second.close()
        assert _seen(log, second.pid)  # forked with distributed already imported
    finally:
        pool.close()


def test_a_preset_on_the_dask_executor_preloads_it_at_the_first_load(tmp_path: Path) -> None:
    preset = (',\n          preset_defs=[PresetDefinition("dask", run_config={"execution": '
              '{"dask": {}}})]')
    pool, target, log, _ = _setup(tmp_path, preset)
    try:
        first = pool.take()
        first.load(target)
        first.close()
        assert not _seen(log, first.pid)
        assert {"dask", "distributed"} <= pool.zygote.preloaded
        second = pool.take()
        second.load(target)
        second.close()
        assert _seen(log, second.pid)
    finally:
        pool.close()
