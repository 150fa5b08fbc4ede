"""A notebook solid in `orch dev`: the kernel's output reaches the compute-logs pane while the
notebook still runs (papermill hands each iopub stream message to the step's stdout as it
arrives), not when the notebook ends. The notebook waits on a file the test creates after it
has seen the first line, so this is not a timing test. Real app, real code server and run
worker, real Jupyter kernel."""

from __future__ import annotations

import importlib.util
import os
import textwrap

import pytest
from conftest import wait_for
from orch.core.instance import Instance
from orch.core.workspace import WorkspaceTarget
from orch.tui import build_app

_MISSING = [m for m in ("papermill", "ipykernel", "nbformat")
            if importlib.util.find_spec(m) is None]
if _MISSING:
    message = f"needs {', '.join(_MISSING)}: pip install 'orch[notebook]'"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

import nbformat  # noqa: E402

SIZE = (140, 42)

REPO = textwrap.dedent('''
    import os

    from orch import pipeline
    from orch.integrations.notebook import define_dagstermill_solid

    slow = define_dagstermill_solid(
        "slow", os.path.join(os.path.dirname(os.path.abspath(__file__)), "slow.ipynb"))


    @pipeline
    def notebook_talk():
        slow()
''')


def _notebook(path, gate) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    parameters = nbformat.v4.new_code_cell("gate = ''")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        parameters,
        nbformat.v4.new_code_cell(textwrap.dedent(f'''
            import os, time
            print("first line from the kernel", flush=True)
            context.log.info("halfway there")
            while not os.path.exists({str(gate)!r}):
                time.sleep(0.05)
            print("second line from the kernel")''')),
        nbformat.v4.new_code_cell('import sys\nprint("a later cell")\n'
                                  'print("a warning of the kernel", file=sys.stderr)'),
    ]
    nbformat.write(nb, str(path))


def _rows(view) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.row_count)]


async def test_the_kernels_output_shows_in_the_logs_pane_while_the_notebook_runs(
        tmp_path, orch_home):
    repo = tmp_path / "repo"
    repo.mkdir()
    gate = tmp_path / "gate"
    (repo / "nb_repo.py").write_text(REPO)
    _notebook(repo / "slow.ipynb", gate)
    with Instance.from_home(orch_home) as instance:
        app = build_app(WorkspaceTarget.from_options(python_file=str(repo / "nb_repo.py")),
                        instance, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.dag.canvas is not None and app.dag.canvas.nodes)
            await pilot.press("r")
            await pilot.press("5")
            logs = app.query_one("#logs")
            # a kernel starts in seconds, more on a loaded machine
            await wait_for(pilot, lambda: "first line from the kernel" in _rows(logs), 120)
            assert not gate.exists() and app.run_view is not None
            assert not app.run_view.finished  # the notebook is waiting for the gate
            # the notebook's context.log line too, live, shown once (a log line of the step,
            # not also the kernel's own print of it)
            await wait_for(pilot, lambda: any("halfway there" in r for r in _rows(logs)))
            rows = _rows(logs)
            [logged] = [r for r in rows if "halfway there" in r]
            assert "INFO" in logged and logged != "INFO - halfway there", rows
            assert rows.index(logged) > rows.index("first line from the kernel")
            assert "second line from the kernel" not in rows and not app.run_view.finished
            gate.touch()
            await wait_for(pilot, lambda: app.run_view.finished, 60)
            await wait_for(pilot, lambda: "a later cell" in _rows(logs))
            rows = _rows(logs)
            first = rows.index("first line from the kernel")
            # each print is one line of the pane, in order, with no blank line after it
            assert "halfway there" in rows[first + 1], rows
            assert rows[first + 2] == "second line from the kernel", rows
            assert rows.index("a later cell") > first + 2
            assert "a warning of the kernel" not in rows
            await pilot.press("o")  # the kernel's stderr is the step's stderr
            await wait_for(pilot, lambda: "a warning of the kernel" in _rows(logs))
            assert "first line from the kernel" not in _rows(logs)
            run = instance.get_run(app.run_view.run_id)
            assert run.status.value == "SUCCESS"
