"""Exceptions raised by the config system."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orch.core.config.evaluation import EvaluationError, PathEntry, stack_str
from orch.core.errors import DagsterError, DagsterInvalidDefinitionError


class DagsterInvalidConfigError(DagsterError):
    """A config value failed validation.

    ``str()`` is the preamble followed by one ``\\n    Error {i}: {message}`` line per error,
    e.g. ``Error in config for pipeline my_pipeline``.
    """

    def __init__(self, preamble: str, errors: Sequence[EvaluationError], config_value: Any):
        self.preamble = preamble
        self.errors = list(errors)
        self.config_value = config_value
        lines = [preamble]
        for i, error in enumerate(self.errors, start=1):
            lines.append(f"\n    Error {i}: {error.message}")
        super().__init__("".join(lines))


class DagsterInvalidConfigDefinitionError(DagsterInvalidDefinitionError):
    """A config *schema* is malformed (bad type, bad default, bad Field arguments).

    ``path`` locates the bad piece inside the schema that was being resolved (empty when the
    problem is the value itself); ``original_root`` is that schema as passed in.
    """

    def __init__(
        self,
        message: str,
        path: Sequence[PathEntry] = (),
        original_root: Any = None,
    ):
        self.path = list(path)
        self.original_root = original_root
        super().__init__(message)

    @property
    def stack_str(self) -> str:
        return stack_str(self.path)


class PostProcessingError(Exception):
    """Raised by a config type's post-processing step (e.g. an unset environment variable).

    Never escapes ``process_config``: it becomes a FAILED_POST_PROCESSING evaluation error.
    """
