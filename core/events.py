"""The closed set of event types and the one record every consumer reads.

Every structured thing a run reports — run lifecycle, step outcomes, user log lines, asset
materializations — is an :class:`EventRecord`. The engine emits them, storage persists them
(``storage_id`` becomes the cursor), and the CLI, the app and result objects all read the same
records. ``event_type`` is ``None`` for plain log lines written through ``context.log``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class EventType(str, Enum):
    """Event types, named as the legacy API stores them (LEGACY_API.md §4)."""

    PIPELINE_ENQUEUED = "PIPELINE_ENQUEUED"
    PIPELINE_DEQUEUED = "PIPELINE_DEQUEUED"
    PIPELINE_STARTING = "PIPELINE_STARTING"
    PIPELINE_START = "PIPELINE_START"
    PIPELINE_SUCCESS = "PIPELINE_SUCCESS"
    PIPELINE_FAILURE = "PIPELINE_FAILURE"
    PIPELINE_INIT_FAILURE = "PIPELINE_INIT_FAILURE"
    PIPELINE_CANCELING = "PIPELINE_CANCELING"
    PIPELINE_CANCELED = "PIPELINE_CANCELED"

    STEP_START = "STEP_START"
    STEP_RESTARTED = "STEP_RESTARTED"
    STEP_INPUT = "STEP_INPUT"
    STEP_OUTPUT = "STEP_OUTPUT"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_UP_FOR_RETRY = "STEP_UP_FOR_RETRY"
    STEP_MATERIALIZATION = "ASSET_MATERIALIZATION"
    STEP_EXPECTATION_RESULT = "STEP_EXPECTATION_RESULT"
    STEP_WORKER_STARTING = "STEP_WORKER_STARTING"
    STEP_WORKER_STARTED = "STEP_WORKER_STARTED"

    LOADED_INPUT = "LOADED_INPUT"
    HANDLED_OUTPUT = "HANDLED_OUTPUT"
    ENGINE_EVENT = "ENGINE_EVENT"
    RESOURCE_INIT_STARTED = "RESOURCE_INIT_STARTED"
    RESOURCE_INIT_SUCCESS = "RESOURCE_INIT_SUCCESS"
    RESOURCE_INIT_FAILURE = "RESOURCE_INIT_FAILURE"
    LOGS_CAPTURED = "LOGS_CAPTURED"

    HOOK_COMPLETED = "HOOK_COMPLETED"
    HOOK_ERRORED = "HOOK_ERRORED"
    HOOK_SKIPPED = "HOOK_SKIPPED"

    # Legacy alias kept so `DagsterEventType.ASSET_MATERIALIZATION` reads naturally too.
    ASSET_MATERIALIZATION = "ASSET_MATERIALIZATION"


RUN_EVENT_TYPES: frozenset[EventType] = frozenset(
    t for t in EventType if t.value.startswith("PIPELINE_")
)
STEP_OUTCOME_TYPES: frozenset[EventType] = frozenset(
    {EventType.STEP_SUCCESS, EventType.STEP_FAILURE, EventType.STEP_SKIPPED}
)

_LEVEL_NAMES = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


@dataclass(slots=True)
class EventRecord:
    """One event of one run. JSON-serialisable through :meth:`to_dict`/:meth:`from_dict`.

    ``data`` holds the event-specific payload (plain JSON values only), for example
    ``{"output_name": "result", "mapping_key": None}`` for STEP_OUTPUT or
    ``{"error": {"cls_name": ..., "message": ..., "stack": [...]}}`` for STEP_FAILURE.
    """

    run_id: str
    pipeline_name: str
    event_type: EventType | None
    message: str = ""
    step_key: str | None = None
    level: int = logging.DEBUG
    timestamp: float = field(default_factory=time.time)
    pid: int = field(default_factory=os.getpid)
    data: dict[str, Any] = field(default_factory=dict)
    storage_id: int | None = None

    # -- legacy-style accessors used by result objects and tests -------------------------
    @property
    def event_type_value(self) -> str | None:
        return self.event_type.value if self.event_type is not None else None

    @property
    def is_dagster_event(self) -> bool:
        return self.event_type is not None

    @property
    def solid_handle(self) -> str | None:
        """The solid handle of the step (the step key without a mapping key)."""
        if self.step_key is None:
            return None
        return self.step_key.split("[", 1)[0]

    @property
    def level_name(self) -> str:
        return _LEVEL_NAMES.get(self.level, str(self.level))

    @property
    def is_step_event(self) -> bool:
        return self.step_key is not None

    @property
    def is_step_success(self) -> bool:
        return self.event_type is EventType.STEP_SUCCESS

    @property
    def is_step_failure(self) -> bool:
        return self.event_type is EventType.STEP_FAILURE

    @property
    def is_step_skipped(self) -> bool:
        return self.event_type is EventType.STEP_SKIPPED

    @property
    def is_successful_output(self) -> bool:
        return self.event_type is EventType.STEP_OUTPUT

    @property
    def is_pipeline_success(self) -> bool:
        return self.event_type is EventType.PIPELINE_SUCCESS

    @property
    def is_pipeline_failure(self) -> bool:
        return self.event_type is EventType.PIPELINE_FAILURE

    @property
    def is_step_start(self) -> bool:
        return self.event_type is EventType.STEP_START

    @property
    def is_step_restarted(self) -> bool:
        return self.event_type is EventType.STEP_RESTARTED

    @property
    def is_step_up_for_retry(self) -> bool:
        return self.event_type is EventType.STEP_UP_FOR_RETRY

    @property
    def is_handled_output(self) -> bool:
        return self.event_type is EventType.HANDLED_OUTPUT

    @property
    def is_loaded_input(self) -> bool:
        return self.event_type is EventType.LOADED_INPUT

    @property
    def is_step_materialization(self) -> bool:
        return self.event_type is EventType.STEP_MATERIALIZATION

    @property
    def is_asset_materialization(self) -> bool:
        return self.event_type is EventType.STEP_MATERIALIZATION

    @property
    def is_expectation_result(self) -> bool:
        return self.event_type is EventType.STEP_EXPECTATION_RESULT

    @property
    def is_engine_event(self) -> bool:
        return self.event_type is EventType.ENGINE_EVENT

    @property
    def is_pipeline_start(self) -> bool:
        return self.event_type is EventType.PIPELINE_START

    @property
    def is_resource_init_failure(self) -> bool:
        return self.event_type is EventType.RESOURCE_INIT_FAILURE

    @property
    def is_pipeline_event(self) -> bool:
        return self.event_type in RUN_EVENT_TYPES

    @property
    def is_run_success(self) -> bool:
        return self.is_pipeline_success

    @property
    def is_run_failure(self) -> bool:
        return self.is_pipeline_failure

    @property
    def is_hook_event(self) -> bool:
        return self.event_type in (EventType.HOOK_COMPLETED, EventType.HOOK_ERRORED,
                                   EventType.HOOK_SKIPPED)

    @property
    def is_failure(self) -> bool:
        return self.event_type in (EventType.STEP_FAILURE, EventType.PIPELINE_FAILURE)

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pipeline_name": self.pipeline_name,
            "event_type": self.event_type_value,
            "message": self.message,
            "step_key": self.step_key,
            "level": self.level,
            "timestamp": self.timestamp,
            "pid": self.pid,
            "data": self.data,
            "storage_id": self.storage_id,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EventRecord:
        et = d.get("event_type")
        return cls(
            run_id=d["run_id"],
            pipeline_name=d.get("pipeline_name", ""),
            event_type=EventType(et) if et else None,
            message=d.get("message", ""),
            step_key=d.get("step_key"),
            level=int(d.get("level", logging.DEBUG)),
            timestamp=float(d.get("timestamp", 0.0)),
            pid=int(d.get("pid", 0)),
            data=d.get("data") or {},
            storage_id=d.get("storage_id"),
        )

    @classmethod
    def from_json(cls, s: str) -> EventRecord:
        return cls.from_dict(json.loads(s))

    def __reduce__(self) -> tuple[Callable[..., EventRecord], tuple[Any, ...]]:
        """Pickled as its fields, the type by its value: a step process sends every event
        to its run worker this way, and this takes half the time of the dataclass's own
        state (no field objects or enum lookups walked, in a process that touches each
        such page for the first time)."""
        event_type = self.event_type
        return (_event_record, (self.run_id, self.pipeline_name,
                                None if event_type is None else event_type.value, self.message,
                                self.step_key, self.level, self.timestamp, self.pid, self.data,
                                self.storage_id))

    def console_line(self) -> str:
        """The one-line console form of LEGACY_API.md §4."""
        when = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(self.timestamp))
        step = f"{self.step_key} - " if self.step_key else ""
        kind = f"{self.event_type_value} - " if self.event_type else ""
        return (
            f"{when} - orch - {self.level_name} - {self.pipeline_name} - {self.run_id} - "
            f"{self.pid} - {step}{kind}{self.message}"
        )


_EVENT_TYPES_BY_VALUE: dict[str, EventType] = {t.value: t for t in EventType}


def _event_record(run_id: str, pipeline_name: str, event_type: str | None, message: str,
                  step_key: str | None, level: int, timestamp: float, pid: int,
                  data: dict[str, Any], storage_id: int | None) -> EventRecord:
    """An unpickled :class:`EventRecord` (see its ``__reduce__``)."""
    return EventRecord(run_id, pipeline_name,
                       None if event_type is None else _EVENT_TYPES_BY_VALUE[event_type],
                       message, step_key, level, timestamp, pid, data, storage_id)


def closing_step_failure(run_id: str, pipeline_name: str, step_key: str, what: str, *,
                         canceled: bool, pid: int | None = None) -> EventRecord:
    """The STEP_FAILURE that ends a step its run left open: ``what`` says how
    ("was canceled: the run was canceled"); recovery uses it for a dead worker's steps."""
    message = f'Execution of step "{step_key}" {what}.'
    data: dict[str, Any] = {"error": {"cls_name": "StepCanceled" if canceled else "StepInterrupted",
                      "message": message, "stack": []},
            "error_source": "INTERRUPTED" if canceled else "RUN_ENDED", "canceled": canceled}
    event = EventRecord(run_id, pipeline_name, EventType.STEP_FAILURE, message, step_key, 40,
                        data=data)
    if pid is not None:
        event.pid = pid
    return event


# Legacy names: `DagsterEvent` and `EventLogEntry` are both this record in orch.
DagsterEvent = EventRecord
EventLogEntry = EventRecord
DagsterEventType = EventType
