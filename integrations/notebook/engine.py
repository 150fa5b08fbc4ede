"""The papermill engine of notebook solids: papermill's nbclient engine, plus a last cell
(tagged ``injected-teardown``, as in dagstermill) that tears down the resources the kernel
built, run even when a cell failed, while the kernel and its child processes are still up."""

from __future__ import annotations

from typing import Any

import nbformat
from nbclient.exceptions import CellExecutionError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

ENGINE_NAME = "orch_notebook"
TEARDOWN_TAG = "injected-teardown"
TEARDOWN_SOURCE = ("import orch.integrations.notebook.manager as __orch_dm\n"
                   "__orch_dm._teardown()")


class _TeardownClient(PapermillNotebookClient):
    def papermill_execute_cells(self) -> None:
        try:
            super().papermill_execute_cells()
        finally:
            self._execute_teardown()

    def _execute_teardown(self) -> None:
        cell = nbformat.v4.new_code_cell(TEARDOWN_SOURCE)
        cell.metadata["tags"] = [TEARDOWN_TAG]
        cell.metadata["papermill"] = {"exception": None, "start_time": None, "end_time": None,
                                      "duration": None, "status": self.nb_man.PENDING}
        index = len(self.nb.cells)
        self.nb.cells.append(cell)
        try:
            self.nb_man.cell_start(cell, index)
            self.execute_cell(cell, index)
        except CellExecutionError as e:  # a teardown failed: the step fails with it
            self.nb_man.cell_exception(cell, cell_index=index, exception=e)
        except Exception as e:  # the kernel is gone (a cell killed it): nothing to tear down
            self.log.warning(f"The notebook's resources were not torn down: {e!r}")
        finally:
            self.nb_man.cell_complete(cell, cell_index=index)


class TeardownEngine(NBClientEngine):
    """papermill's ``nbclient`` engine with :class:`_TeardownClient`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str | None,
                                 log_output: bool = False, stdout_file: Any = None,
                                 stderr_file: Any = None, start_timeout: float = 60,
                                 execution_timeout: float | None = None, **kwargs: Any) -> Any:
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
            startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        return _TeardownClient(nb_man, **final_kwargs).execute()


def register() -> str:
    from papermill.engines import papermill_engines

    papermill_engines.register(ENGINE_NAME, TeardownEngine)
    return ENGINE_NAME
