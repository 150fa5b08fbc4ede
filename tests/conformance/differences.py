"""The deliberate differences from Dagster 0.15.10, each with its reason. This is the only
place they are listed: a conformance case must match its golden except where an entry here
explains the difference, and every entry must still explain at least one case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MISSING = "<missing>"  # how a comparison shows a value one side does not have

# Event types that are not part of the compared contract (both sides drop them).
IGNORED_EVENT_TYPES: dict[str, str] = {
    "ENGINE_EVENT": "executor bookkeeping; its messages and count are implementation detail",
    "LOGS_CAPTURED": "orch captures compute logs per step without an event",
    "RESOURCE_INIT_STARTED": "run-level resource bookkeeping (Dagster also builds resources "
                             "twice in process; orch once)",
    "RESOURCE_INIT_SUCCESS": "as RESOURCE_INIT_STARTED",
    "STEP_WORKER_STARTING": "multiprocess bookkeeping",
    "STEP_WORKER_STARTED": "multiprocess bookkeeping",
}


@dataclass(frozen=True)
class Difference:
    """Orch may differ from the oracle at flattened ``path`` (fnmatch) of cases matching
    ``case``: with ``expect``, only by giving ``expect(oracle_value)``; without, in any way."""

    name: str
    reason: str
    path: str
    case: str = "*"
    expect: Callable[[Any], Any] | None = None


def _without_step_wrapper(chain: Any) -> Any:
    if isinstance(chain, list) and chain[:1] == ["DagsterExecutionStepExecutionError"]:
        return chain[1:] or MISSING
    return chain


DIFFERENCES: list[Difference] = [
    Difference(
        name="user-error-class",
        reason="A step's failure_data.error carries the user's exception class (the cause "
               "chain below it); Dagster wraps it in DagsterExecutionStepExecutionError, whose "
               "message adds nothing the user's traceback does not say.",
        path="*/failure/error",
        expect=_without_step_wrapper,
    ),
    Difference(
        name="user-error-raised-unwrapped",
        reason="execute_pipeline(raise_on_error=True) re-raises the user's exception in both; "
               "Dagster's carries its DagsterExecutionStepExecutionError wrapper as __cause__, "
               "orch's carries only the user's own cause (same reason as user-error-class).",
        path="*/cause",
        expect=_without_step_wrapper,
    ),
]
