"""Run records and the run status state machine (LEGACY_API.md §4).

A run's status is never set directly by the engine: it follows from the run-level events the
engine emits (:func:`status_after_event`), so storage, the CLI and the app agree on it.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from enum import Enum, StrEnum
from typing import Any

from .events import EventType


class PipelineRunStatus(str, Enum):
    NOT_STARTED = "NOT_STARTED"
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    MANAGED = "MANAGED"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STATUSES

    @property
    def is_in_progress(self) -> bool:
        return self in IN_PROGRESS_STATUSES


FINISHED_STATUSES = frozenset(
    {PipelineRunStatus.SUCCESS, PipelineRunStatus.FAILURE, PipelineRunStatus.CANCELED}
)
IN_PROGRESS_STATUSES = frozenset(
    {PipelineRunStatus.STARTING, PipelineRunStatus.STARTED, PipelineRunStatus.CANCELING}
)

# A run only moves forward through these ranks; a terminal status is never left. Storage
# enforces it (an event whose status would go back is stored, but changes no status), so a
# late PIPELINE_STARTING can never turn a finished run back into a running one.
_STATUS_RANK: dict[PipelineRunStatus, int] = {
    PipelineRunStatus.NOT_STARTED: 0,
    PipelineRunStatus.MANAGED: 0,
    PipelineRunStatus.QUEUED: 1,
    PipelineRunStatus.STARTING: 2,
    PipelineRunStatus.STARTED: 3,
    PipelineRunStatus.CANCELING: 4,
    PipelineRunStatus.SUCCESS: 5,
    PipelineRunStatus.FAILURE: 5,
    PipelineRunStatus.CANCELED: 5,
}


def statuses_before(status: PipelineRunStatus) -> tuple[PipelineRunStatus, ...]:
    """The statuses a run may move to ``status`` from (every status ranked below it)."""
    rank = _STATUS_RANK[status]
    return tuple(s for s, r in _STATUS_RANK.items() if r < rank)


def is_forward(current: PipelineRunStatus | None, new: PipelineRunStatus) -> bool:
    """True if a run in ``current`` may move to ``new`` (always, from no status)."""
    return current is None or _STATUS_RANK[current] < _STATUS_RANK[new]


_STATUS_BY_EVENT: dict[EventType, PipelineRunStatus] = {
    EventType.PIPELINE_ENQUEUED: PipelineRunStatus.QUEUED,
    # Taking a run from the queue claims it: it leaves QUEUED in the same transaction, so no
    # second dequeuer can take it (Dagster's DEQUEUED left it QUEUED until the launch).
    EventType.PIPELINE_DEQUEUED: PipelineRunStatus.STARTING,
    EventType.PIPELINE_STARTING: PipelineRunStatus.STARTING,
    EventType.PIPELINE_START: PipelineRunStatus.STARTED,
    EventType.PIPELINE_SUCCESS: PipelineRunStatus.SUCCESS,
    EventType.PIPELINE_FAILURE: PipelineRunStatus.FAILURE,
    EventType.PIPELINE_INIT_FAILURE: PipelineRunStatus.FAILURE,
    EventType.PIPELINE_CANCELING: PipelineRunStatus.CANCELING,
    EventType.PIPELINE_CANCELED: PipelineRunStatus.CANCELED,
}


def status_after_event(event_type: EventType | None) -> PipelineRunStatus | None:
    """The run status a run-level event moves the run to, or None if it changes nothing."""
    if event_type is None:
        return None
    return _STATUS_BY_EVENT.get(event_type)


class StepStatus(StrEnum):
    """One step's state in one run: the one vocabulary of storage's step stats, the run fold
    that ``orch run``, its reports and the app read, and ``orch runs``.

    The first five are Dagster's step event statuses and are what events alone say; the rest
    are known only to a run's reader: a step with no event yet (PENDING), a step its run's
    cancel ended (CANCELED: stored as a STEP_FAILURE marked ``canceled``, as legacy readers
    expect a failure), a step its finished run never started (NOT_EXECUTED), one downstream of
    a failure (ABANDONED) and one a re-execution loads from its parent run (REUSED).
    """

    IN_PROGRESS = "IN_PROGRESS"
    UP_FOR_RETRY = "UP_FOR_RETRY"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"
    PENDING = "PENDING"
    CANCELED = "CANCELED"
    NOT_EXECUTED = "NOT_EXECUTED"
    ABANDONED = "ABANDONED"
    REUSED = "REUSED"

    @property
    def label(self) -> str:
        """The word people read: ``running``, ``failed``, ``not executed`` …"""
        return _STEP_LABELS[self]

    @property
    def glyph(self) -> str:
        """One character for the status, the same in ``orch run``, ``orch runs`` and the app."""
        return _STEP_GLYPHS[self]

    @property
    def is_open(self) -> bool:
        """Started and not ended (running, or waiting to retry)."""
        return self in (StepStatus.IN_PROGRESS, StepStatus.UP_FOR_RETRY)

    @property
    def did_not_run(self) -> bool:
        """The run ended without this step producing an outcome of its own."""
        return self in (StepStatus.SKIPPED, StepStatus.NOT_EXECUTED, StepStatus.PENDING,
                        StepStatus.CANCELED, StepStatus.ABANDONED)


_STEP_LABELS: dict[StepStatus, str] = {
    StepStatus.IN_PROGRESS: "running", StepStatus.UP_FOR_RETRY: "retrying",
    StepStatus.SUCCESS: "success", StepStatus.FAILURE: "failed", StepStatus.SKIPPED: "skipped",
    StepStatus.PENDING: "pending", StepStatus.CANCELED: "canceled",
    StepStatus.NOT_EXECUTED: "not executed", StepStatus.ABANDONED: "abandoned",
    StepStatus.REUSED: "reused",
}
_STEP_GLYPHS: dict[StepStatus, str] = {
    StepStatus.IN_PROGRESS: "◐", StepStatus.UP_FOR_RETRY: "↻", StepStatus.SUCCESS: "✓",
    StepStatus.FAILURE: "✗", StepStatus.SKIPPED: "⊘", StepStatus.PENDING: "○",
    StepStatus.CANCELED: "■", StepStatus.NOT_EXECUTED: "·", StepStatus.ABANDONED: "⊗",
    StepStatus.REUSED: "↩",
}
_STEP_STATUS_BY_EVENT: dict[str, StepStatus] = {
    EventType.STEP_START.value: StepStatus.IN_PROGRESS,
    EventType.STEP_RESTARTED.value: StepStatus.IN_PROGRESS,
    EventType.STEP_UP_FOR_RETRY.value: StepStatus.UP_FOR_RETRY,
    EventType.STEP_SUCCESS.value: StepStatus.SUCCESS,
    EventType.STEP_FAILURE.value: StepStatus.FAILURE,
    EventType.STEP_SKIPPED.value: StepStatus.SKIPPED,
}
STEP_STATUS_EVENT_TYPES: tuple[str, ...] = tuple(_STEP_STATUS_BY_EVENT)


def step_status_after_event(event_type: str, canceled: bool = False) -> StepStatus | None:
    """The status a step event moves its step to (None if it changes none); ``canceled`` is
    the event's ``data.canceled`` flag, which turns a failure into CANCELED."""
    status = _STEP_STATUS_BY_EVENT.get(event_type)
    if status is StepStatus.FAILURE and canceled:
        return StepStatus.CANCELED
    return status


def status_event_types(status: PipelineRunStatus | str) -> list[EventType]:
    """The run-level event types that move a run to ``status`` (what a run-status sensor
    watches)."""
    wanted = PipelineRunStatus(status)
    return [t for t, s in _STATUS_BY_EVENT.items() if s is wanted]


# System tags (LEGACY_API.md §4). orch writes them under its own prefix and accepts the
# legacy `dagster/` spelling when reading user input.
SYSTEM_TAG_PREFIX = "orch/"
LEGACY_SYSTEM_TAG_PREFIX = "dagster/"
PARENT_RUN_ID_TAG = "orch/parent_run_id"
ROOT_RUN_ID_TAG = "orch/root_run_id"
STEP_SELECTION_TAG = "orch/step_selection"
SOLID_SELECTION_TAG = "orch/solid_selection"
IS_RESUME_RETRY_TAG = "orch/is_resume_retry"
RESUME_ATTEMPT_TAG = "orch/resume_attempt"  # the run monitor's resumes of one root run
RESUME_FROM_FAILURE_TAG = "orch/resume_from_failure"  # its worker picks the steps to re-run
PRESET_NAME_TAG = "orch/preset_name"
PRIORITY_TAG = "orch/priority"
LEGACY_PRIORITY_TAG = "dagster/priority"


def system_tag_key(key: str) -> str:
    """A tag key as orch stores it: the legacy spelling of a system tag (``dagster/partition``)
    reads as orch's (``orch/partition``); ``dagster/priority``, which users set, stays."""
    if key.startswith(LEGACY_SYSTEM_TAG_PREFIX) and key != LEGACY_PRIORITY_TAG:
        return SYSTEM_TAG_PREFIX + key[len(LEGACY_SYSTEM_TAG_PREFIX):]
    return key


def make_run_id() -> str:
    return str(uuid.uuid4())


@dataclass(slots=True)
class PipelineRun:
    """What storage keeps about one run (the legacy `PipelineRun`)."""

    pipeline_name: str
    run_id: str = field(default_factory=make_run_id)
    run_config: dict[str, Any] = field(default_factory=dict)
    mode: str = "default"
    solid_selection: list[str] | None = None
    solids_to_execute: list[str] | None = None
    step_keys_to_execute: list[str] | None = None
    status: PipelineRunStatus = PipelineRunStatus.NOT_STARTED
    tags: dict[str, str] = field(default_factory=dict)
    parent_run_id: str | None = None
    root_run_id: str | None = None
    pipeline_snapshot_id: str | None = None
    execution_plan_snapshot_id: str | None = None
    # Where the run's code comes from, so a fresh worker process can load it again:
    # {"python_file": ..., "module_name": ..., "attribute": ..., "working_directory": ...}
    pipeline_origin: dict[str, Any] | None = None
    create_timestamp: float | None = None
    start_time: float | None = None
    end_time: float | None = None
    worker_pid: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PipelineRun:
        d = dict(d)
        d["status"] = PipelineRunStatus(d.get("status", "NOT_STARTED"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


DagsterRunStatus = PipelineRunStatus
DagsterRun = PipelineRun  # the 0.15 name
