"""Notebooks for orch (legacy ``dagstermill``): ``import dagstermill`` becomes
``import orch.integrations.notebook as dagstermill`` (``from dagstermill import X`` becomes
``from orch.integrations.notebook import X``).

Install with ``pip install 'orch[notebook]'`` (papermill, ipykernel, nbformat, dill; imported
when a notebook runs). ``define_dagstermill_solid`` turns a notebook into a solid
(:mod:`.solids`); inside the notebook ``get_context``, ``yield_result`` and ``yield_event``
(:mod:`.manager`) talk to the step. Beyond the legacy API: ``kernel_name``.
"""

from typing import TYPE_CHECKING

from orch.core.lazy_exports import lazy_getattr

from .errors import DagstermillError, DagstermillExecutionError
from .manager import get_context, yield_event, yield_result

if TYPE_CHECKING:
    from .io_managers import (
        LocalOutputNotebookIOManager,
        OutputNotebookIOManager,
        local_output_notebook_io_manager,
    )
    from .solids import define_dagstermill_op, define_dagstermill_solid

# The kernel imports this package (the injected cell, `import ... as dagstermill`): the solid
# side, which loads orch's definitions, is imported only when asked for.
_LAZY = {"LocalOutputNotebookIOManager": "io_managers", "OutputNotebookIOManager": "io_managers",
         "local_output_notebook_io_manager": "io_managers",
         "define_dagstermill_op": "solids", "define_dagstermill_solid": "solids"}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "DagstermillError",
    "DagstermillExecutionError",
    "LocalOutputNotebookIOManager",
    "OutputNotebookIOManager",
    "define_dagstermill_op",
    "define_dagstermill_solid",
    "get_context",
    "local_output_notebook_io_manager",
    "yield_event",
    "yield_result",
]
