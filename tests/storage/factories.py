"""Event factory shared by the storage tests."""

from __future__ import annotations

import logging

from orch.core.events import EventRecord, EventType
from orch.core.runs import PipelineRun


def event(
    run: PipelineRun | str,
    event_type: EventType | None,
    step_key: str | None = None,
    message: str = "",
    **kwargs: object,
) -> EventRecord:
    """An event of ``run`` (a run or a run id)."""
    run_id = run if isinstance(run, str) else run.run_id
    level = kwargs.pop("level", logging.DEBUG if event_type else logging.INFO)
    return EventRecord(
        run_id, "p", event_type, message or str(event_type), step_key, level, **kwargs
    )
