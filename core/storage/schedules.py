"""Schedule, sensor and backfill storage: the ``instigators``, ``ticks``,
``instigator_run_keys`` and ``bulk_actions`` tables (schema version 2).

- An *instigator* is a schedule or a sensor. Its state (on/off, when it was turned on, the
  sensor cursor, the last tick time, where its code was last seen) is keyed by a stable
  selector, ``<repository>:<name>``, so moving the file or switching virtualenvs does not
  orphan it.
- A *tick* is one evaluation. A schedule's tick is stamped with its scheduled time and that
  time is unique per schedule, so a restarted evaluator resumes a tick instead of making a
  second one. A sensor's tick is stamped with its evaluation time.
- ``instigator_run_keys`` maps (selector, run key) to the run made for it: the de-duplication
  of runs across ticks and restarts is a primary-key lookup, not a scan of run tags.
- A *bulk action* is a backfill: its partitions, status and checkpoint.

This module has the records and the interface (:class:`ScheduleStorage`, part of every
:class:`~orch.core.storage.base.Storage`); ``sql_schedules.py`` the SQL implementation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..events import EventRecord, EventType

if TYPE_CHECKING:
    from .base import AssetKeyLike

SCHEDULE_TABLES = ("instigators", "ticks", "instigator_run_keys", "bulk_actions")

V2_STATEMENTS = [
    """CREATE TABLE instigators (
        selector_id TEXT PRIMARY KEY,           -- '<repository>:<name>'
        repository_name TEXT NOT NULL,
        name TEXT NOT NULL,
        instigator_type TEXT NOT NULL,          -- 'SCHEDULE' or 'SENSOR'
        status TEXT NOT NULL,                   -- 'RUNNING' or 'STOPPED'
        start_timestamp REAL,                   -- when a schedule was last turned on
        cursor TEXT,                            -- a sensor's cursor
        last_tick_timestamp REAL,               -- a sensor's last evaluation
        last_run_key TEXT,
        origin TEXT,                            -- JSON: where the code was last seen
        update_timestamp REAL NOT NULL
    )""",
    """CREATE TABLE ticks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        selector_id TEXT NOT NULL,
        instigator_type TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,                   -- STARTED, SKIPPED, SUCCESS, FAILURE
        timestamp REAL NOT NULL,                -- scheduled time (schedules), evaluation time
        run_ids TEXT NOT NULL DEFAULT '[]',     -- JSON list
        run_keys TEXT NOT NULL DEFAULT '[]',    -- JSON list
        origin_run_ids TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        skip_reason TEXT,
        cursor TEXT,
        failure_count INTEGER NOT NULL DEFAULT 0,
        end_timestamp REAL
    )""",
    "CREATE INDEX ix_ticks_selector ON ticks (selector_id, timestamp)",
    # One tick per schedule and scheduled time: a restart resumes it, never duplicates it.
    "CREATE UNIQUE INDEX ux_ticks_schedule_time ON ticks (selector_id, timestamp) "
    "WHERE instigator_type = 'SCHEDULE'",
    """CREATE TABLE instigator_run_keys (
        selector_id TEXT NOT NULL,
        run_key TEXT NOT NULL,
        run_id TEXT NOT NULL,
        create_timestamp REAL NOT NULL,
        PRIMARY KEY (selector_id, run_key)
    )""",
    """CREATE TABLE bulk_actions (
        backfill_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,                   -- REQUESTED, COMPLETED, FAILED, CANCELED
        pipeline_name TEXT NOT NULL,
        partition_set_name TEXT NOT NULL,
        partition_names TEXT NOT NULL,          -- JSON list, in launch order
        tags TEXT NOT NULL DEFAULT '{}',
        origin TEXT,                            -- JSON: where the code is
        last_submitted_partition_name TEXT,     -- the checkpoint
        submitted_count INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        create_timestamp REAL NOT NULL,
        update_timestamp REAL NOT NULL
    )""",
    "CREATE INDEX ix_bulk_actions_status ON bulk_actions (status)",
    # The asset and run-status sensors read events by type after a cursor.
    "CREATE INDEX ix_event_logs_event_type ON event_logs (event_type, id)",
]


class InstigatorType(StrEnum):
    SCHEDULE = "SCHEDULE"
    SENSOR = "SENSOR"


class InstigatorStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class TickStatus(StrEnum):
    STARTED = "STARTED"
    SKIPPED = "SKIPPED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class BulkActionStatus(StrEnum):
    REQUESTED = "REQUESTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


def selector_id(repository_name: str, name: str) -> str:
    """The stable key of a schedule or sensor: its repository and its name."""
    return f"{repository_name}:{name}"


@dataclass(frozen=True)
class InstigatorState:
    repository_name: str
    name: str
    instigator_type: InstigatorType
    status: InstigatorStatus = InstigatorStatus.STOPPED
    start_timestamp: float | None = None
    cursor: str | None = None
    last_tick_timestamp: float | None = None
    last_run_key: str | None = None
    origin: dict[str, Any] | None = None
    update_timestamp: float | None = None

    @property
    def selector_id(self) -> str:
        return selector_id(self.repository_name, self.name)

    @property
    def is_running(self) -> bool:
        return self.status is InstigatorStatus.RUNNING


@dataclass(frozen=True)
class Tick:
    selector_id: str
    instigator_type: InstigatorType
    name: str
    status: TickStatus
    timestamp: float
    run_ids: list[str] = field(default_factory=list)
    run_keys: list[str] = field(default_factory=list)
    origin_run_ids: list[str] = field(default_factory=list)
    error: str | None = None
    skip_reason: str | None = None
    cursor: str | None = None
    failure_count: int = 0
    end_timestamp: float | None = None
    tick_id: int | None = None


@dataclass(frozen=True)
class Backfill:
    backfill_id: str
    status: BulkActionStatus
    pipeline_name: str
    partition_set_name: str
    partition_names: list[str]
    tags: dict[str, str] = field(default_factory=dict)
    origin: dict[str, Any] | None = None
    last_submitted_partition_name: str | None = None
    submitted_count: int = 0
    error: str | None = None
    create_timestamp: float | None = None
    update_timestamp: float | None = None


class ScheduleStorage(ABC):
    """What an instance's storage keeps for schedules, sensors and backfills."""

    @abstractmethod
    def get_instigator_state(self, selector: str) -> InstigatorState | None: ...

    @abstractmethod
    def all_instigator_states(self, instigator_type: InstigatorType | None = None,
                              repository_name: str | None = None) -> list[InstigatorState]: ...

    @abstractmethod
    def put_instigator_state(self, state: InstigatorState) -> InstigatorState: ...

    @abstractmethod
    def delete_instigator_states(self, instigator_type: InstigatorType) -> int: ...

    @abstractmethod
    def create_tick(self, tick: Tick) -> Tick: ...

    @abstractmethod
    def update_tick(self, tick: Tick, state: InstigatorState | None = None) -> Tick: ...

    @abstractmethod
    def save_tick(self, tick: Tick, state: InstigatorState | None = None) -> Tick: ...

    @abstractmethod
    def get_schedule_tick(self, selector: str, timestamp: float) -> Tick | None: ...

    @abstractmethod
    def get_ticks(self, selector: str, limit: int | None = None,
                  statuses: Iterable[TickStatus] | None = None,
                  before: float | None = None, after: float | None = None) -> list[Tick]: ...

    @abstractmethod
    def get_latest_tick(self, selector: str) -> Tick | None: ...

    @abstractmethod
    def get_latest_ticks(self, selectors: Sequence[str]) -> dict[str, Tick]: ...

    @abstractmethod
    def purge_ticks(self, selector: str | None, before: float,
                    statuses: Iterable[TickStatus] | None = None,
                    instigator_type: InstigatorType | None = None) -> int: ...

    @abstractmethod
    def get_run_key(self, selector: str, run_key: str) -> str | None: ...

    @abstractmethod
    def claim_run_key(self, selector: str, run_key: str, run_id: str) -> str: ...

    @abstractmethod
    def get_latest_event_id(self) -> int: ...

    @abstractmethod
    def get_events_of_types_after(self, event_types: Sequence[EventType], after_id: int,
                                  limit: int) -> list[EventRecord]: ...

    @abstractmethod
    def get_materializations_after(self, asset_key: AssetKeyLike, after_id: int,
                                   limit: int) -> list[EventRecord]: ...

    @abstractmethod
    def add_backfill(self, backfill: Backfill) -> Backfill: ...

    @abstractmethod
    def update_backfill(self, backfill: Backfill) -> Backfill: ...

    @abstractmethod
    def checkpoint_backfill(self, backfill_id: str, last_submitted_partition_name: str,
                            submitted_count: int) -> Backfill | None:
        """Record how far a backfill's runs were submitted, leaving its status as stored (a
        cancel that came while a chunk was submitted is kept), and return it as stored.
        The count never goes down, so two processes submitting one backfill cannot move it
        back."""

    @abstractmethod
    def get_backfill(self, backfill_id: str) -> Backfill | None: ...

    @abstractmethod
    def get_backfills(self, status: BulkActionStatus | None = None) -> list[Backfill]: ...
