"""The records that validation and processing return: reasons, errors and results."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PathEntry = str | int


class DagsterEvaluationErrorReason(enum.Enum):
    """Why a config value was rejected (legacy Dagster names)."""

    RUNTIME_TYPE_MISMATCH = "RUNTIME_TYPE_MISMATCH"
    MISSING_REQUIRED_FIELD = "MISSING_REQUIRED_FIELD"
    MISSING_REQUIRED_FIELDS = "MISSING_REQUIRED_FIELDS"
    FIELD_NOT_DEFINED = "FIELD_NOT_DEFINED"
    FIELDS_NOT_DEFINED = "FIELDS_NOT_DEFINED"
    SELECTOR_FIELD_ERROR = "SELECTOR_FIELD_ERROR"
    FAILED_POST_PROCESSING = "FAILED_POST_PROCESSING"


def stack_str(path: Sequence[PathEntry]) -> str:
    """Render a path the legacy way: ``root:solids:s:config[0]`` (``root`` for the top)."""
    parts = ["root"]
    for entry in path:
        if isinstance(entry, int):
            parts.append(f"[{entry}]")
        else:
            parts.append(f":{entry}")
    return "".join(parts)


def path_msg(path: Sequence[PathEntry]) -> str:
    """The phrase used inside messages: ``at the root`` or ``at path root:a:b``."""
    if not path:
        return "at the root"
    return "at path " + stack_str(path)


@dataclass(frozen=True)
class EvaluationError:
    """One problem found in a config value.

    ``path`` lists the field names and list indices from the root to the value at fault;
    ``data`` carries machine-readable details (field names, suggestions) for tools such as
    the TUI's config editor.
    """

    reason: DagsterEvaluationErrorReason
    message: str
    path: list[PathEntry]
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def stack_str(self) -> str:
        """The path rendered as ``root:solids:hello:config``."""
        return stack_str(self.path)


@dataclass(frozen=True)
class EvaluationResult:
    """The outcome of validating or processing a config value.

    On success ``value`` holds the (validated or processed) value and ``errors`` is empty;
    on failure ``value`` is None and ``errors`` lists every problem found.
    """

    success: bool
    value: Any
    errors: list[EvaluationError]

    @staticmethod
    def for_value(value: Any) -> EvaluationResult:
        return EvaluationResult(True, value, [])

    @staticmethod
    def for_errors(errors: list[EvaluationError]) -> EvaluationResult:
        return EvaluationResult(False, None, list(errors))
