"""Notebook solids (orch.integrations.notebook, legacy dagstermill) through ``orch run``, each
notebook executed by papermill on a real Jupyter kernel (ipykernel): the injected-parameters
cell, get_context's config/resources/log, inputs, yield_result and yield_event, the executed
notebook as an asset and (with output_notebook_name) an output stored by
local_output_notebook_io_manager, a failing cell's traceback with the partial notebook kept,
the kernel's output in the step's compute log, the multiprocess executor, and a saved .ipynb
re-executing the notebook solid under ``orch run --watch --changed``."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import ORCH, Project, require

require("notebook", "papermill", "ipykernel", "nbformat", "dill")

import nbformat  # noqa: E402

REPO = '''
from orch import (InputDefinition, ModeDefinition, OutputDefinition, fs_io_manager, pipeline,
                  resource, solid)
import orch.integrations.notebook as dagstermill


class Rates:
    def __init__(self, rate):
        self.rate = rate

    def __getstate__(self):  # a client that cannot be pickled: the kernel builds its own
        raise TypeError("cannot pickle a Rates client")


@resource(config_schema={"rate": int})
def rates(context):
    return Rates(context.resource_config["rate"])


scale = dagstermill.define_dagstermill_solid(
    "scale", "scale.ipynb", input_defs=[InputDefinition("n", int)],
    output_defs=[OutputDefinition(int, "result")], config_schema={"factor": int},
    required_resource_keys={"rates"}, asset_key_prefix=["notebooks"])

report = dagstermill.define_dagstermill_solid(
    "report", "scale.ipynb", input_defs=[InputDefinition("n", int)],
    output_defs=[OutputDefinition(int, "result")], config_schema={"factor": int},
    required_resource_keys={"rates"}, output_notebook_name="notebook")

broken = dagstermill.define_dagstermill_solid("broken", "broken.ipynb")


@solid
def seed() -> int:
    return 7


@solid
def check(context, scaled: int) -> int:
    context.log.info(f"scaled to {scaled}")
    return scaled


@solid
def cells(context, notebook: bytes) -> int:
    import json
    count = len(json.loads(notebook)["cells"])
    context.log.info(f"the executed notebook has {count} cells")
    return count


MODE = ModeDefinition(resource_defs={
    "io_manager": fs_io_manager, "rates": rates,
    "output_notebook_io_manager": dagstermill.local_output_notebook_io_manager})


@pipeline(mode_defs=[MODE])
def notebooks():
    check(scale(seed()))


@pipeline(mode_defs=[MODE])
def kept():
    result, notebook = report(seed())
    cells(notebook)
    check(result)


@pipeline(mode_defs=[MODE])
def failing():
    broken()
'''

CONFIG = '''
resources: {rates: {config: {rate: 3}}}
solids: {%s: {config: {factor: 2}}}
'''


def _code(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _notebook(path: Path, *cells: nbformat.NotebookNode) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))


SCALE_CELLS = (
    _code("import orch.integrations.notebook as dagstermill\n"
          "from orch import AssetMaterialization"),
    _code("context = dagstermill.get_context(solid_config={'factor': 1})\nn = 1", "parameters"),
    _code("scaled = n * context.solid_config['factor'] * context.resources.rates.rate\n"
          "print(f'kernel says {scaled}', flush=True)\n"
          "context.log.info(f'scaling {n} in run {context.run_id}')"),
    _code("dagstermill.yield_event(AssetMaterialization('scaled_numbers', "
          "description=str(scaled)))\n"
          "dagstermill.yield_result(scaled)"),
)


@pytest.fixture
def notebooks(project: Project) -> Project:
    project.write(REPO)
    _notebook(project.root / "scale.ipynb", *SCALE_CELLS)
    _notebook(project.root / "broken.ipynb",
              _code("print('before the error', flush=True)"),
              _code("def explode():\n    return 1 / 0\n\nexplode()"),
              _code("print('never printed')"))
    return project


def _run(project: Project, pipeline: str, solid: str, *args: str):
    config = project.root / "run.yaml"
    config.write_text(CONFIG % solid)
    return project.run(pipeline, "-c", str(config), *args, timeout=300)


def _logs(run, step: str) -> list[str]:
    return [e["message"] for e in run.events if e["event_type"] is None
            and e["step_key"] == step]


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_notebook_solid_runs_on_a_kernel_with_its_context(notebooks, executor):
    run = _run(notebooks, "notebooks", "scale", "--executor", executor)
    assert run.returncode == 0, run.stderr
    assert f"scaling 7 in run {run.run_id}" in _logs(run, "scale")
    assert "scaled to 42" in _logs(run, "check")  # 7 * factor 2 * rate 3, through the IO manager
    assets = [(e["data"]["asset_key"], e["data"].get("description"))
              for e in run.of_type("ASSET_MATERIALIZATION", "scale")]
    assert assets[0][0] == ["notebooks", "scale_output_notebook"]
    assert (["scaled_numbers"], "42") in assets
    [materialized] = run.of_type("ASSET_MATERIALIZATION", "scale")[:1]
    executed = Path(run.metadata(materialized)["path"])
    assert executed.parent.name == run.run_id
    nb = nbformat.read(str(executed), as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[1] == ["parameters"] and tags[2] == ["injected-parameters"]
    assert "n = __orch_dm._load_input('n')" in nb.cells[2].source
    assert any("kernel says 42" in o.get("text", "") for o in nb.cells[3].outputs)
    logs = subprocess.run([ORCH, "runs", "logs", run.run_id, "--step", "scale", "--stdout"],
                          capture_output=True,
                          text=True, env=notebooks.env(), cwd=notebooks.root, timeout=60)
    assert "kernel says 42" in logs.stdout, logs.stdout + logs.stderr


def test_the_output_notebook_is_an_output_and_an_asset(notebooks):
    run = _run(notebooks, "kept", "report")
    assert run.returncode == 0, run.stderr
    [handled] = [e for e in run.of_type("HANDLED_OUTPUT", "report")
                 if e["data"]["output_name"] == "notebook"]
    path = Path(run.metadata(handled)["path"])
    assert path == notebooks.home / "storage" / run.run_id / "report" / "notebook.ipynb"
    cells = json.loads(path.read_text())["cells"]
    assert cells[2]["metadata"]["tags"] == ["injected-parameters"]
    assert cells[-1]["metadata"]["tags"] == ["injected-teardown"]  # as in dagstermill
    [asset] = [e for e in run.of_type("ASSET_MATERIALIZATION", "report")
               if e["data"]["asset_key"] == ["report_output_notebook"]]
    assert run.metadata(asset)["path"] == str(path)
    assert "the executed notebook has 6 cells" in _logs(run, "cells")
    assert "scaled to 42" in _logs(run, "check")


def test_a_failing_cell_fails_the_step_with_its_traceback_and_keeps_the_notebook(notebooks):
    run = notebooks.run("failing", timeout=300)
    assert run.returncode == 1
    [failure] = run.of_type("STEP_FAILURE", "broken")
    error = failure["data"]["error"]
    assert error["cls_name"] == "DagstermillExecutionError"
    message = error["message"]
    assert "Error occurred during the execution of Dagstermill solid broken: " \
           "ZeroDivisionError: division by zero" in message
    assert "return 1 / 0" in message and "explode()" in message  # the cell's traceback
    partial = Path(message.split("The partial notebook is ")[1].split()[0])
    nb = nbformat.read(str(partial), as_version=4)
    code = {c.source.splitlines()[0]: c for c in nb.cells if c.cell_type == "code"}
    assert code["# Injected parameters"].metadata["tags"] == ["injected-parameters"]
    assert code["print('before the error', flush=True)"].outputs[0]["text"] == \
        "before the error\n"
    assert any(o.get("ename") == "ZeroDivisionError"
               for o in code["def explode():"].outputs)
    assert not code["print('never printed')"].get("outputs")
    assert "Notebook broken.ipynb has no cell tagged 'parameters'" in " ".join(
        e["message"] for e in run.events if e["step_key"] == "broken")


def test_saving_the_notebook_reexecutes_the_notebook_solid(notebooks):
    config = notebooks.root / "run.yaml"
    config.write_text(CONFIG % "scale")
    err_path = notebooks.root / "watch.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([ORCH, "run", "--watch", "--changed", "-f",
                                 str(notebooks.root / "repo.py"), "-p", "notebooks", "-c",
                                 str(config)], cwd=notebooks.root, env=notebooks.env(),
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        _wait(lambda: "scaled to 42" in err_path.read_text() or None, 120, err_path)
        cells = list(SCALE_CELLS)
        cells[2] = _code(SCALE_CELLS[2].source.replace("* context.resources.rates.rate",
                                                       "* 10"))
        _notebook(notebooks.root / "scale.ipynb", *cells)
        _wait(lambda: "scaled to 140" in err_path.read_text() or None, 120, err_path)
        text = err_path.read_text()
        assert "changed solids: scale" in text, text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def _wait(predicate, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out; the watch said:\n{log.read_text()}")
