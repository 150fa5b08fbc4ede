"""dagstermill's errors."""

from __future__ import annotations

from orch.core.errors import DagsterError


class DagstermillError(DagsterError):
    """Misuse of the notebook API (an unknown output name, a bad notebook path)."""


class DagstermillExecutionError(DagstermillError):
    """A cell of the notebook raised: the message carries the cell's traceback."""
