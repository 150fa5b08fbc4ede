"""The storage interface an instance talks to, and the small records it returns.

One :class:`Storage` keeps runs, run tags, snapshots, the event log, asset keys and the
compute-log index. They live behind one object because a run-level event and the run status it
implies must commit together. ``SqliteStorage`` is the embedded implementation; a PostgreSQL
storage implements the same methods and is selected in ``orch.yaml``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DagsterError
from ..events import EventRecord, EventType
from ..runs import PipelineRun, PipelineRunStatus, StepStatus
from .schedules import ScheduleStorage

AssetKeyLike = str | Sequence[str]


class OrchStorageConfigError(DagsterError):
    """A storage's ``orch.yaml`` block cannot be used (the message says what to change)."""


def normalize_asset_key(key: AssetKeyLike) -> list[str]:
    """``"a"`` → ``["a"]``; a list or tuple of strings → a list of strings."""
    if isinstance(key, str):
        return [key]
    return [str(part) for part in key]


@dataclass(frozen=True, slots=True)
class RunLimit:
    """At most ``limit`` runs in progress: all of them (no ``tag_key``), those with the tag
    ``tag_key`` (any value when ``tag_value`` is None), or with ``tag_key=tag_value``."""

    limit: int
    tag_key: str | None = None
    tag_value: str | None = None


@dataclass(frozen=True, slots=True)
class DaemonHeartbeat:
    """One daemon loop's last sign of life: who wrote it, when, and its recent errors."""

    daemon_type: str
    daemon_id: str
    pid: int
    timestamp: float
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AssetSummary:
    """An asset key with how many materializations it has and its latest one."""

    asset_key: list[str]
    count: int
    last_event_id: int
    last_run_id: str
    last_timestamp: float


@dataclass(frozen=True, slots=True)
class StepStats:
    """Per-step summary of a run: status, first start, end, and attempts (starts + restarts)."""

    run_id: str
    step_key: str
    status: StepStatus
    start_time: float | None
    end_time: float | None
    attempts: int

    @property
    def duration(self) -> float | None:
        if self.start_time is None or self.end_time is None:
            return None
        return self.end_time - self.start_time


@dataclass(frozen=True, slots=True)
class ComputeLogInfo:
    """One captured step's stdout/stderr files (a row of the compute-log index)."""

    run_id: str
    step_key: str
    stdout_path: str | None
    stderr_path: str | None
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    complete: bool = False
    start_time: float | None = None
    end_time: float | None = None


@dataclass(frozen=True, slots=True)
class RunWorker:
    """An in-progress run and the process that executes it (for crash recovery)."""

    run_id: str
    pipeline_name: str
    status: PipelineRunStatus
    pid: int
    start_token: float | None


class Storage(ScheduleStorage, ABC):
    """Runs, snapshots, events, asset keys and the compute-log index of one instance, and
    (:class:`ScheduleStorage`) schedule and sensor state, ticks and backfills."""

    # Errors that say the storage cannot be written *now* (locked, full, read-only), as
    # opposed to a write whose content is at fault: writers keep what they could not commit
    # only for these.
    transient_errors: tuple[type[BaseException], ...] = ()

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any], root_dir: Path | None, *,
                    migrating: bool = False) -> Storage:
        """Build from the ``config`` block of ``orch.yaml`` (paths relative to ``root_dir``).
        ``migrating``: opened by ``orch instance migrate``, so an older (or missing) schema
        is no reason to refuse; :meth:`migrate` follows."""

    # -- lifecycle ---------------------------------------------------------------------
    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def migrate(self) -> tuple[int | None, int]:
        """Apply pending migrations; returns (version before, version after). A storage that
        migrates when it opens reports the version it found then as "before"."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Facts for ``orch instance info`` (location, schema version, row counts)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def wipe(self) -> None:
        """Delete every run, event, snapshot, asset key and compute-log row."""

    # -- runs --------------------------------------------------------------------------
    @abstractmethod
    def add_run(self, run: PipelineRun) -> PipelineRun:
        """Insert a new run; returns it with ``create_timestamp`` set."""

    @abstractmethod
    def get_run(self, run_id: str) -> PipelineRun | None: ...

    @abstractmethod
    def get_runs(
        self,
        statuses: Iterable[PipelineRunStatus] | None = None,
        pipeline_name: str | None = None,
        tags: dict[str, str | Sequence[str]] | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        *,
        parent_run_id: str | None = None,
        root_run_id: str | None = None,
        run_ids: Iterable[str] | None = None,
    ) -> list[PipelineRun]: ...

    @abstractmethod
    def get_runs_count(
        self,
        statuses: Iterable[PipelineRunStatus] | None = None,
        pipeline_name: str | None = None,
        tags: dict[str, str | Sequence[str]] | None = None,
    ) -> int: ...

    @abstractmethod
    def update_run(self, run: PipelineRun) -> PipelineRun:
        """Store the run's fields except status and start/end times, which follow events."""

    @abstractmethod
    def add_run_tags(self, run_id: str, tags: dict[str, str]) -> None: ...

    @abstractmethod
    def delete_run(self, run_id: str) -> bool:
        """Delete the run, its tags, events and compute-log rows; False if there was none."""

    @abstractmethod
    def add_snapshot(self, snapshot_type: str, body: dict[str, Any]) -> str:
        """Store a snapshot once under its content id; returns the id."""

    @abstractmethod
    def get_snapshot(self, snapshot_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def request_cancel(self, run_id: str) -> bool:
        """Set the run's cancel flag; False if the run is unknown or already finished."""

    @abstractmethod
    def is_cancel_requested(self, run_id: str) -> bool: ...

    @abstractmethod
    def set_run_worker(self, run_id: str, pid: int) -> bool:
        """Record the process now responsible for a run not yet finished; False if finished."""

    @abstractmethod
    def in_progress_run_workers(self) -> list[RunWorker]:
        """Runs in NOT_STARTED/STARTING/STARTED/CANCELING that have a recorded worker pid (the
        process that created, launched or executes them)."""

    @abstractmethod
    def store_events_if_status(self, run_id: str, statuses: Iterable[PipelineRunStatus],
                               events: Sequence[EventRecord],
                               limits: Sequence[RunLimit] = ()) -> bool:
        """Store ``events`` only if the run's status is one of ``statuses`` and, for each of
        ``limits``, fewer in-progress runs than its limit fall in its bucket — in one
        transaction (a compare-and-set: two dequeuers never both claim a queued run, nor
        together go over a limit)."""

    @abstractmethod
    def fail_run_if_unchanged(self, worker: RunWorker, events: Sequence[EventRecord]) -> bool:
        """Store ``events`` only if the run is still in progress under ``worker.pid``."""

    # -- events ------------------------------------------------------------------------
    @abstractmethod
    def store_events(self, events: Sequence[EventRecord]) -> None:
        """Commit events in one transaction, with the run-status and asset-key updates they
        imply; sets ``storage_id`` on each record."""

    @abstractmethod
    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: EventType | Iterable[EventType] | None = None,
        step_key: str | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]: ...

    @abstractmethod
    def get_step_stats(self, run_id: str) -> list[StepStats]: ...

    @abstractmethod
    def all_asset_keys(self) -> list[list[str]]: ...

    @abstractmethod
    def get_latest_materialization(self, asset_key: AssetKeyLike) -> EventRecord | None: ...

    @abstractmethod
    def get_asset_summaries(self, prefix: Sequence[str] = ()) -> list[AssetSummary]: ...

    @abstractmethod
    def get_asset_materializations(self, asset_key: AssetKeyLike, limit: int | None = None,
                                   before_id: int | None = None) -> list[EventRecord]: ...

    @abstractmethod
    def get_run_assets(self, run_id: str) -> dict[str, list[list[str]]]: ...

    @abstractmethod
    def wipe_asset(self, asset_key: AssetKeyLike) -> int: ...

    # -- daemon heartbeats ----------------------------------------------------------------
    @abstractmethod
    def add_daemon_heartbeat(self, heartbeat: DaemonHeartbeat) -> None:
        """Replace the heartbeat of ``heartbeat.daemon_type``."""

    @abstractmethod
    def get_daemon_heartbeats(self) -> dict[str, DaemonHeartbeat]: ...

    @abstractmethod
    def wipe_daemon_heartbeats(self) -> None: ...

    @abstractmethod
    def change_token(self) -> object:
        """A cheap value that changes whenever anything is committed (for tails)."""

    def wait_for_change(self, token: object, timeout: float) -> None:
        """Return once :meth:`change_token` may differ from ``token``, or after ``timeout``
        seconds. A storage that is told of commits (PostgreSQL's NOTIFY) wakes at once; this
        default just sleeps (polling)."""
        time.sleep(timeout)

    # -- compute-log index -------------------------------------------------------------
    @abstractmethod
    def upsert_compute_log(self, info: ComputeLogInfo) -> None: ...

    def store_batch(self, events: Sequence[EventRecord],
                    compute_logs: Sequence[ComputeLogInfo]) -> None:
        """``store_events(events)`` and then ``upsert_compute_log`` for each row, in that
        order: what the event writer commits together (see ``event_writer.py``). A storage
        that can do it in one transaction overrides this (SQLite does)."""
        self.store_events(events)
        for info in compute_logs:
            self.upsert_compute_log(info)

    @abstractmethod
    def get_compute_log(self, run_id: str, step_key: str) -> ComputeLogInfo | None: ...

    @abstractmethod
    def get_compute_logs(self, run_id: str) -> list[ComputeLogInfo]: ...
