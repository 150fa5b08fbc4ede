"""The instance: where a project's runs, events, compute logs and stored outputs live.

``Instance.get(code_location)`` opens ``$ORCH_HOME`` or, without it, the ``.orch`` folder of
the project the code belongs to (:func:`locate_home`), creating it on first use.
``ORCH_HOME/orch.yaml`` is optional; it selects each component by module and class::

    storage:                       # runs, events, snapshots, asset keys (one transaction scope)
      module: orch.core.storage.sqlite
      class: SqliteStorage
      config: {path: orch.db}      # relative paths are relative to ORCH_HOME
    # or by registered name (entry point group `orch.storage`: sqlite, postgres), e.g.
    # storage: {postgres: {postgres_url: {env: ORCH_PG_URL}}}   (pip install 'orch[postgres]')
    compute_logs:
      module: orch.core.storage.compute_logs
      class: LocalComputeLogManager
      config: {base_dir: logs}
    run_coordinator:               # when submitted runs start: default (at once) or queued
      name: queued                 # a name registered under `orch.run_coordinators`, or
      config:                      # module + class like the entries above
        max_concurrent_runs: 4
        tag_concurrency_limits: [{key: team, limit: 2}]
    run_launcher:                  # how they start: default (a worker subprocess)
      name: default
    metrics:                       # optional: step durations, run outcomes and queue depth
      name: dogstatsd              # (core/metrics.py; `orch.metrics_reporters` entry points)
      config: {host: 127.0.0.1, port: 8125}
    run_monitoring:                # runs that cannot finish on their own (core/run_monitor.py)
      start_timeout_seconds: 180   # STARTING longer than this: failed
      max_resume_run_attempts: 0   # a run whose worker died: re-executed from failure N times

Config values may be ``{env: VAR}``; they are resolved when the component is built and the file
keeps the reference. A legacy ``dagster.yaml`` that names dagster-postgres's ``run_storage`` /
``event_log_storage`` / ``schedule_storage`` classes is read as ``storage: {postgres: ...}``
(one database, since a run's status commits with its events). Other top-level keys (launcher, coordinator, ...) are kept in
:attr:`Instance.config` for the components that read them.

``Instance.ephemeral()`` is what ``execute_pipeline`` uses without an instance: an in-memory
SQLite storage, no compute-log capture, and nothing on disk until ``storage_dir`` is asked for.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

from . import plugins
from .errors import DagsterError
from .events import RUN_EVENT_TYPES, EventRecord, EventType
from .runs import PipelineRun, PipelineRunStatus
from .secrets import mask_secrets
from .storage.base import AssetKeyLike, OrchStorageConfigError, StepStats, Storage
from .storage.compute_logs import ComputeLogManager, NoOpComputeLogManager
from .storage.event_writer import EventWriter
from .storage.paths import (
    NOFOLLOW,
    check_run_id,
    contained,
    make_private_dir,
    remove_tree,
    resolved_root,
)
from .storage.recovery import recover_crashed_runs
from .storage.sqlite import SqliteStorage
from .storage.tail import DEFAULT_POLL_INTERVAL, EventTail, follow

if TYPE_CHECKING:
    from .launcher import RunLauncher
    from .metrics import RunMetricsReporter
    from .run_coordinator import RunCoordinator
    from .run_monitor import RunMonitoringConfig

_ACTIVE_STATUSES = (PipelineRunStatus.QUEUED, PipelineRunStatus.STARTING,
                    PipelineRunStatus.STARTED, PipelineRunStatus.CANCELING)

ORCH_HOME_ENV = "ORCH_HOME"
DEFAULT_HOME = ".orch"
CONFIG_FILE = "orch.yaml"

_COMPONENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "storage": {"module": "orch.core.storage.sqlite", "class": "SqliteStorage", "config": {}},
    "compute_logs": {
        "module": "orch.core.storage.compute_logs",
        "class": "LocalComputeLogManager",
        "config": {},
    },
}
_SPLIT_STORAGE_KEYS = ("run_storage", "event_log_storage")
_LEGACY_STORAGE_KEYS = ("run_storage", "event_log_storage", "schedule_storage")
_LEGACY_POSTGRES_MODULE = "dagster_postgres"
_BUILTIN_COMPONENTS = {  # also registered as entry points; looked up here first
    ("orch.run_coordinators", "default"): "orch.core.run_coordinator:DefaultRunCoordinator",
    ("orch.run_coordinators", "queued"): "orch.core.run_coordinator:QueuedRunCoordinator",
    ("orch.run_launchers", "default"): "orch.core.launcher:DefaultRunLauncher",
}
# Components chosen by a registered name (entry point group) as well as by module and class.
_NAMED_COMPONENTS: dict[str, tuple[str, str]] = {
    "run_coordinator": ("orch.run_coordinators", "default"),
    "run_launcher": ("orch.run_launchers", "default"),
    "metrics": ("orch.metrics_reporters", ""),  # optional: none unless orch.yaml names one
}


class OrchInstanceError(DagsterError):
    """The instance at ORCH_HOME cannot be opened."""


class OrchActiveRunsError(OrchInstanceError):
    """Runs are still active, so their records cannot be deleted now."""

    def __init__(self, runs: list[PipelineRun], why: str = "active") -> None:
        self.runs = runs
        listed = ", ".join(f"{r.run_id} ({r.pipeline_name}, {r.status.value})" for r in runs)
        super().__init__(f"{len(runs)} run(s) {why}: {listed}. Cancel them first "
                         "(or let them finish).")


class OrchInstanceConfigError(OrchInstanceError):
    """``orch.yaml`` cannot be used."""


# A folder holding one of these is a project's root: its instance is ROOT/.orch.
PROJECT_MARKERS = (DEFAULT_HOME, "pyproject.toml", ".git")


@dataclass(frozen=True)
class HomeLocation:
    """Which instance a command uses, and why (``orch instance info`` shows both)."""

    path: Path
    reason: str


def locate_home(code_location: str | Path | None = None) -> HomeLocation:
    """The instance a command uses: ``$ORCH_HOME`` when set; otherwise the ``.orch`` folder
    of the project the code belongs to — from the code location (a file's directory, or the
    directory itself; the current directory when there is none), the nearest folder up the
    tree holding ``.orch``, ``pyproject.toml`` or ``.git``; with none, the start folder."""
    env = os.environ.get(ORCH_HOME_ENV)
    if env:
        return HomeLocation(Path(env).expanduser().absolute(), f"{ORCH_HOME_ENV} is set")
    start = Path(code_location).expanduser().absolute() if code_location else Path.cwd()
    if not start.is_dir():
        start = start.parent
    what = f"the code in {start}" if code_location else f"the current directory {start}"
    for folder in (start, *start.parents):
        marker = next((m for m in PROJECT_MARKERS if (folder / m).exists()), None)
        if marker is not None:
            return HomeLocation(folder / DEFAULT_HOME,
                                f"{folder} holds {marker}: the nearest project folder of {what}")
    return HomeLocation(start / DEFAULT_HOME,
                        f"no folder from {what} up holds .orch, pyproject.toml or .git")


def default_home(code_location: str | Path | None = None) -> Path:
    """The instance folder :func:`locate_home` chooses."""
    return locate_home(code_location).path


class _DeferredStorage:
    """A storage opened on first use: a step process seldom needs one (it writes no events),
    so it does not pay for opening the database."""

    def __init__(self, open_storage: Callable[[], Storage]):
        self._open = open_storage
        self._storage: Storage | None = None

    def __getattr__(self, name: str) -> Any:
        if self._storage is None:
            self._storage = self._open()
        return getattr(self._storage, name)

    def close(self) -> None:
        if self._storage is not None:
            self._storage.close()


class Instance:
    """Owns the storage and the compute-log manager of one ORCH_HOME (or of none)."""

    def __init__(
        self,
        storage: Storage,
        compute_log_manager: ComputeLogManager,
        *,
        root_dir: Path | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.storage = storage
        self.compute_log_manager = compute_log_manager
        self.root_dir = root_dir
        self.config = config or {}
        self.recovered_on_open: list[str] = []  # runs failed when this instance was opened
        self.home_reason: str | None = None
        self._temp_dir: Path | None = None
        self._storage_dir: Path | None = None
        self._cleanup: weakref.finalize | None = None
        self._run_coordinator: RunCoordinator | None = None
        self._run_launcher: RunLauncher | None = None
        self._metrics: RunMetricsReporter | None = None
        self._metrics_built = False

    # -- construction ------------------------------------------------------------------
    @classmethod
    def get(cls, code_location: str | Path | None = None, *, migrating: bool = False) -> Self:
        """The instance of the project ``code_location`` belongs to (see
        :func:`locate_home`; ``$ORCH_HOME`` wins)."""
        where = locate_home(code_location)
        instance = cls.from_home(where.path, migrating=migrating)
        instance.home_reason = where.reason
        return instance

    @classmethod
    def from_home(cls, path: str | Path, *, migrating: bool = False) -> Self:
        """Open (creating if needed) the instance rooted at ``path``.

        Fails runs left in progress by a worker process that no longer exists. ``migrating``
        (``orch instance migrate``) opens a storage whose schema is older than this orch
        (or absent) so that :meth:`migrate` can bring it up to date, and recovers nothing.
        """
        root = Path(path).expanduser().absolute()
        try:
            make_private_dir(root)
            config = _load_config(root / CONFIG_FILE)
            storage = _build(config, "storage", Storage, root,
                             **({"migrating": True} if migrating else {}))
        except (OSError, sqlite3.DatabaseError) as e:
            raise OrchInstanceError(f"cannot open the instance at {root}: {e}") from e
        try:
            compute_logs = _build(config, "compute_logs", ComputeLogManager, root, storage)
            instance = cls(storage, compute_logs, root_dir=root, config=config)
            if not migrating:
                instance.recovered_on_open = instance.recover_crashed_runs()
        except BaseException:
            storage.close()
            raise
        return instance

    @classmethod
    def ephemeral(cls) -> Instance:
        """An in-memory instance for one process; see the module docstring."""
        return cls(SqliteStorage(), NoOpComputeLogManager())

    def step_process_ref(self) -> tuple[str, str]:
        """What a step process that shares no memory with the run worker (spawned, or on a
        Dask worker) needs to open this instance: ``("home", ORCH_HOME)``, or for the
        ephemeral instance ``("ephemeral", its temporary directory)``."""
        if self.root_dir is not None:
            return ("home", str(self.root_dir))
        return ("ephemeral", str(self._base_dir()))

    @classmethod
    def for_step_process(cls, ref: tuple[str, str]) -> Instance:
        """The instance of :meth:`step_process_ref`, opened in a step process: the same home
        without recovering runs (the run worker that launched the step is alive, maybe on
        another machine), or an ephemeral instance whose outputs go to the run worker's
        temporary directory (which this one never removes)."""
        kind, path = ref
        if kind == "ephemeral":
            instance = cls.ephemeral()
            instance._temp_dir = Path(path)
            return instance
        root = Path(path)
        config = _load_config(root / CONFIG_FILE)
        storage = cast(Storage, _DeferredStorage(lambda: _build(config, "storage", Storage,
                                                                root)))
        compute_logs = _build(config, "compute_logs", ComputeLogManager, root, storage)
        return cls(storage, compute_logs, root_dir=root, config=config)

    # -- starting runs -------------------------------------------------------------------
    @property
    def run_coordinator(self) -> RunCoordinator:
        """When submitted runs start (orch.yaml ``run_coordinator``; default: at once)."""
        if self._run_coordinator is None:
            from .run_coordinator import RunCoordinator

            self._run_coordinator = _named_component(self.config, "run_coordinator",
                                                     RunCoordinator, self._config_root)
        return self._run_coordinator

    @property
    def run_launcher(self) -> RunLauncher:
        """How runs start and stop (orch.yaml ``run_launcher``; default: a worker process)."""
        if self._run_launcher is None:
            from .launcher import RunLauncher

            self._run_launcher = _named_component(self.config, "run_launcher", RunLauncher,
                                                  self._config_root)
        return self._run_launcher

    @property
    def metrics_reporter(self) -> RunMetricsReporter | None:
        """The run metrics reporter orch.yaml ``metrics`` names, or None (core/metrics.py)."""
        if not self._metrics_built:
            self._metrics_built = True
            if self.config.get("metrics"):
                from .metrics import RunMetricsReporter

                self._metrics = _named_component(self.config, "metrics", RunMetricsReporter,
                                                 self._config_root)
        return self._metrics

    def report_queue_depth(self, depth: int | None = None) -> None:
        """Tell the metrics reporter (if any) how many runs are QUEUED (counted if not given)."""
        reporter = self.metrics_reporter
        if reporter is None:
            return
        from .metrics import safely

        if depth is None:
            depth = len(self.get_runs(statuses=[PipelineRunStatus.QUEUED]))
        safely(reporter.queue_depth, depth)

    @property
    def run_monitoring(self) -> RunMonitoringConfig:
        """When in-progress runs are failed or resumed (orch.yaml ``run_monitoring``)."""
        from .run_monitor import RunMonitoringConfig

        return RunMonitoringConfig.from_instance_config(self.config)

    @property
    def _config_root(self) -> Path:
        return self.root_dir if self.root_dir is not None else Path.cwd()

    def submit_run(self, run: PipelineRun, launcher: RunLauncher | None = None) -> PipelineRun:
        """The one way a stored NOT_STARTED run starts: the coordinator launches it now (with
        ``launcher``, when the submitter offers to execute it itself) or queues it. Returns
        the run as stored afterwards (STARTING/STARTED, or QUEUED)."""
        return self.run_coordinator.submit_run(self, run, launcher)

    def cancel_run(self, run_id: str) -> bool:
        """Cancel a queued run (it never starts) or terminate a started one."""
        return self.run_coordinator.cancel_run(self, run_id)

    # -- places ------------------------------------------------------------------------
    @property
    def is_persistent(self) -> bool:
        return self.root_dir is not None

    @property
    def storage_dir(self) -> Path:
        """Where the fs IO manager keeps outputs: ``ORCH_HOME/storage``, or for the ephemeral
        instance a temporary directory created on first access and removed with the instance.
        Made and resolved once per instance: by a run worker before it forks step processes,
        which find it ready."""
        path = self._storage_dir
        if path is None:
            path = self._storage_dir = make_private_dir(self._base_dir() / "storage")
            resolved_root(path)
        return path

    @property
    def logs_dir(self) -> Path:
        """Where compute logs go (``ORCH_HOME/logs`` unless configured otherwise)."""
        base_dir = getattr(self.compute_log_manager, "base_dir", None)
        return Path(base_dir) if base_dir is not None else self._base_dir() / "logs"

    def _base_dir(self) -> Path:
        if self.root_dir is not None:
            return self.root_dir
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="orch-ephemeral-"))
            self._cleanup = weakref.finalize(
                self, shutil.rmtree, str(self._temp_dir), ignore_errors=True
            )
        return self._temp_dir

    # -- runs --------------------------------------------------------------------------
    def create_run(
        self,
        run: PipelineRun,
        pipeline_snapshot: dict[str, Any] | None = None,
        execution_plan_snapshot: dict[str, Any] | None = None,
    ) -> PipelineRun:
        """Store a new run and its snapshots (each stored once under its sha256 content id).

        Returns the run with the snapshot ids and ``create_timestamp`` set. A persistent
        instance records this process as responsible for the run until a launcher or worker
        takes over, so a run whose creator dies before launching it does not stay NOT_STARTED.
        """
        updates: dict[str, Any] = {}
        if self.is_persistent and run.worker_pid is None:
            updates["worker_pid"] = os.getpid()
        if pipeline_snapshot is not None:
            updates["pipeline_snapshot_id"] = self.storage.add_snapshot(
                "pipeline", pipeline_snapshot
            )
        if execution_plan_snapshot is not None:
            updates["execution_plan_snapshot_id"] = self.storage.add_snapshot(
                "execution_plan", execution_plan_snapshot
            )
        return self.storage.add_run(replace(run, **updates) if updates else run)

    def get_run(self, run_id: str) -> PipelineRun | None:
        return self.storage.get_run(run_id)

    def get_runs(
        self,
        statuses: Iterable[PipelineRunStatus] | None = None,
        pipeline_name: str | None = None,
        tags: dict[str, str | Sequence[str]] | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        **filters: Any,
    ) -> list[PipelineRun]:
        """Runs newest first; ``cursor`` is the run id of the previous page's last run.

        ``filters``: ``parent_run_id``, ``root_run_id``, ``run_ids``. A tag filter value may be
        a list (any of). Timestamps are seconds since the epoch (or datetimes).
        """
        return self.storage.get_runs(
            statuses, pipeline_name, tags, created_before, created_after, limit, cursor, **filters
        )

    def get_runs_count(
        self,
        statuses: Iterable[PipelineRunStatus] | None = None,
        pipeline_name: str | None = None,
        tags: dict[str, str | Sequence[str]] | None = None,
    ) -> int:
        return self.storage.get_runs_count(statuses, pipeline_name, tags)

    def get_run_snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        return self.storage.get_snapshot(snapshot_id)

    def update_run(self, run: PipelineRun) -> PipelineRun:
        """Store changed run fields (e.g. ``worker_pid``); status and times follow events."""
        return self.storage.update_run(run)

    def add_run_tags(self, run_id: str, tags: dict[str, str]) -> None:
        self.storage.add_run_tags(run_id, tags)

    def active_runs(self) -> list[PipelineRun]:
        """Runs still queued or in progress (after crash recovery, so their worker lives)."""
        return self.get_runs(statuses=_ACTIVE_STATUSES)

    def delete_run(self, run_id: str) -> bool:
        """Delete a finished run with its events, compute logs and stored outputs; False if
        there was no such run. Refuses (:class:`OrchActiveRunsError`) while it is active: its
        worker would go on writing for a run that no longer exists."""
        run = self.get_run(run_id)
        if run is not None and run.status in _ACTIVE_STATUSES:
            raise OrchActiveRunsError([run])
        deleted = self.storage.delete_run(run_id)
        self.compute_log_manager.delete_logs(run_id)
        self._delete_outputs(run_id)
        return deleted

    def wipe(self, *, cancel_active: bool = False, timeout: float = 30.0) -> None:
        """Delete every run, event, snapshot, compute log and stored output. Refuses while
        runs are active, unless ``cancel_active``: then they are canceled first and their
        workers waited for (up to ``timeout`` seconds)."""
        active = self.active_runs()
        if active and not cancel_active:
            raise OrchActiveRunsError(active)
        if active:
            self._cancel_and_wait(active, timeout)
        self.storage.wipe()
        self.compute_log_manager.delete_logs()
        self._delete_outputs(None)

    def _cancel_and_wait(self, active: list[PipelineRun], timeout: float) -> None:
        from .storage.recovery import is_worker_alive

        for run in active:
            self.request_cancel(run.run_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.recover_crashed_runs()
            left = [r for r in self.get_runs(run_ids=[r.run_id for r in active])
                    if not r.status.is_finished
                    or (r.worker_pid and is_worker_alive(r.worker_pid, None))]
            if not left:
                return
            time.sleep(0.1)
        raise OrchActiveRunsError(left, f"still running {timeout:g} s after the cancel request")

    def _delete_outputs(self, run_id: str | None) -> None:
        if self.root_dir is None:
            return
        base = self.root_dir / "storage"
        if run_id is None:
            remove_tree(base)
            return
        try:
            remove_tree(contained(base, check_run_id(run_id)))
        except DagsterError:  # an id no valid run has: nothing of ours to delete
            pass

    def request_cancel(self, run_id: str) -> bool:
        """Flag the run for cancellation (its worker polls :meth:`is_cancel_requested`)."""
        return self.storage.request_cancel(run_id)

    def is_cancel_requested(self, run_id: str) -> bool:
        return self.storage.is_cancel_requested(run_id)

    def recover_crashed_runs(self) -> list[str]:
        """Fail in-progress runs whose worker process is gone; returns their run ids. With
        orch.yaml ``run_monitoring.max_resume_run_attempts``, whoever failed a run (only one
        process can) also resumes it from failure (:func:`run_monitor.resume_run`)."""
        recovered = recover_crashed_runs(self.storage)
        if recovered and "run_monitoring" in self.config:
            monitoring = self.run_monitoring
            if monitoring.enabled and monitoring.max_resume_run_attempts:
                from .run_monitor import resume_run

                for run_id in recovered:
                    resume_run(self, run_id, monitoring.max_resume_run_attempts)
        return recovered

    # -- events ------------------------------------------------------------------------
    def event_writer(
        self,
        run_id: str,
        *,
        batch_size: int = 1000,
        flush_interval: float | None = 0.05,
    ) -> EventWriter:
        """The single writer of one run's events (batched; see ``storage/event_writer.py``).

        The ephemeral instance has no readers in other processes and nothing to keep across a
        crash: its writer has no timer thread and commits step events in batches of
        ``batch_size`` (run events at once), which saves ~40 µs per step in process.
        """
        if self.is_persistent:
            reporter = self.metrics_reporter
            return EventWriter(
                self.storage, run_id, batch_size=batch_size, flush_interval=flush_interval,
                observer=reporter.handle_event if reporter is not None else None,
            )
        return EventWriter(
            self.storage,
            run_id,
            batch_size=batch_size,
            flush_interval=None,
            flush_on=RUN_EVENT_TYPES,
        )

    def handle_new_event(self, event: EventRecord) -> None:
        """Commit one event now (for writers other than the run's own ``EventWriter``)."""
        self.storage.store_events([event])

    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: EventType | Iterable[EventType] | None = None,
        step_key: str | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """Events with ``storage_id > cursor``, oldest first, ``storage_id`` set."""
        return self.storage.get_logs_for_run(run_id, cursor, of_type, step_key, limit)

    def tail(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: EventType | Iterable[EventType] | None = None,
        step_key: str | None = None,
    ) -> EventTail:
        """A non-blocking tail: ``tail.poll()`` returns events committed since the last poll."""
        return EventTail(self.storage, run_id, cursor, of_type, step_key)

    def watch(
        self,
        run_id: str,
        cursor: int = -1,
        *,
        of_type: EventType | Iterable[EventType] | None = None,
        step_key: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        until_finished: bool = True,
        timeout: float | None = None,
    ) -> Iterator[EventRecord]:
        """Yield the run's events after ``cursor`` as they are committed (from any process),
        until the run is finished (or ``timeout`` seconds pass)."""
        return follow(
            self.storage,
            self.tail(run_id, cursor, of_type, step_key),
            poll_interval=poll_interval,
            until_finished=until_finished,
            timeout=timeout,
        )

    def get_step_stats(self, run_id: str) -> list[StepStats]:
        return self.storage.get_step_stats(run_id)

    def all_asset_keys(self) -> list[list[str]]:
        return self.storage.all_asset_keys()

    def get_latest_materialization(self, asset_key: AssetKeyLike) -> EventRecord | None:
        return self.storage.get_latest_materialization(asset_key)

    # -- maintenance -------------------------------------------------------------------
    def schema_version(self) -> int:
        return self.storage.schema_version()

    def migrate(self) -> tuple[int | None, int]:
        """Apply pending schema migrations; returns (version before, version after)."""
        return self.storage.migrate()

    def info(self) -> dict[str, Any]:
        """What ``orch instance info`` shows."""
        return {
            "root_dir": str(self.root_dir) if self.root_dir else None,
            "chosen_because": self.home_reason,
            "persistent": self.is_persistent,
            "config_file": str(self.root_dir / CONFIG_FILE) if self.root_dir else None,
            "config": mask_secrets(self.config),
            "storage": {"class": type(self.storage).__qualname__, **self.storage.describe()},
            "compute_logs": {
                "class": type(self.compute_log_manager).__qualname__,
                "logs_dir": str(self.logs_dir) if self.is_persistent else None,
            },
        }

    def close(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
        self.compute_log_manager.release()
        self.storage.close()
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Instance:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.root_dir if self.root_dir else "ephemeral"
        return f"<orch Instance {where}>"


DagsterInstance = Instance


# -- orch.yaml -------------------------------------------------------------------------
def _load_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    config = _read_yaml(path) or {}
    if not isinstance(config, dict):
        raise OrchInstanceConfigError(f"{path} must contain a mapping of component names")
    config = _map_legacy_postgres(path, config)
    if "storage" in config:
        config["storage"] = _storage_entry(path, config["storage"])
    for key in _SPLIT_STORAGE_KEYS:
        if key in config:
            raise OrchInstanceConfigError(
                f"{path}: `{key}` is not used by orch; runs and events share one `storage` "
                "entry (module, class, config) so a run's status commits with its events"
            )
    for key in _COMPONENT_DEFAULTS:
        if key in config and key in _REGISTRY_GROUPS and isinstance(config[key], dict) \
                and "name" in config[key]:
            _check_named_component(path, key, config[key])
        elif key in config:
            _check_component(path, key, config[key])
    for key in _NAMED_COMPONENTS:
        if key in config:
            _check_named_component(path, key, config[key])
    metrics = config.get("metrics")
    if isinstance(metrics, dict) and isinstance(metrics.get("name"), str):
        # A typo fails when the instance opens, not at the first run.
        _named_class("metrics", _NAMED_COMPONENTS["metrics"][0], metrics["name"])
    if "run_monitoring" in config:
        from .run_monitor import RunMonitoringConfig, RunMonitoringConfigError

        try:
            RunMonitoringConfig.from_instance_config(config)
        except RunMonitoringConfigError as e:
            raise OrchInstanceConfigError(f"{path}: {str(e).removeprefix('orch.yaml: ')}") \
                from None
    return config


def _read_yaml(path: Path) -> Any:
    """``orch.yaml`` parsed. Importing PyYAML is ~10 ms of every command on an instance that
    has an ``orch.yaml`` (every PostgreSQL one), so the parse is kept beside the file, in
    ``.orch.yaml.json`` with the text it came from and the file's permissions, and used again
    while the file's text is the same (compared whole: no hash to collide). Only a parse that
    JSON gives back exactly is kept (not one with dates or non-string keys); a directory that
    cannot be written keeps none; text that is not valid YAML is an error every time."""
    text = path.read_text()
    kept_at = path.with_name(f".{path.name}.json")
    try:
        kept = json.loads(kept_at.read_text())
        if isinstance(kept, dict) and kept.get("source") == text:
            return kept["parsed"]
    except (OSError, ValueError, KeyError):
        pass
    import yaml

    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise OrchInstanceConfigError(f"{path} is not valid YAML: {e}") from e
    _keep_parse(path, kept_at, text, parsed)
    return parsed


def _keep_parse(path: Path, kept_at: Path, text: str, parsed: Any) -> None:
    try:
        dumped = json.dumps({"source": text, "parsed": parsed})
        if json.loads(dumped)["parsed"] != parsed:
            return
        mode = path.stat().st_mode & 0o777
    except (OSError, TypeError, ValueError):  # dates, sets, bytes
        return
    partial = kept_at.with_name(f"{kept_at.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW, mode)
        try:
            os.fchmod(fd, mode)  # not widened by the umask, nor narrowed: as orch.yaml
            data = memoryview(dumped.encode())
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        os.replace(partial, kept_at)
    except OSError:  # a read-only directory, a full disk: no parse kept, nothing left
        try:
            os.unlink(partial)
        except OSError:
            pass


def _check_named_component(path: Path, key: str, entry: Any) -> None:
    if isinstance(entry, dict) and "name" in entry:
        unknown = set(entry) - {"name", "config"}
        if not isinstance(entry["name"], str) or unknown or \
                not isinstance(entry.get("config", {}), dict):
            raise OrchInstanceConfigError(
                f"{path}: `{key}`: `name` must be a string, `config` a mapping, nothing else"
                + (f" (unexpected {sorted(unknown)})" if unknown else ""))
        return
    _check_component(path, key, entry)


def _named_component(config: dict[str, Any], key: str, base: type[Any], root: Path) -> Any:
    """Build ``run_coordinator`` / ``run_launcher`` from orch.yaml: ``{name, config}`` (an
    entry point) or ``{module, class, config}``."""
    group, default = _NAMED_COMPONENTS[key]
    entry = config.get(key) or {"name": default}
    if "name" in entry:
        cls = _named_class(key, group, entry["name"])
    else:
        cls = getattr(importlib.import_module(entry["module"]), entry["class"])
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise OrchInstanceConfigError(f"{CONFIG_FILE}: `{key}` is not a {base.__name__}")
    component_config = _resolve_env(entry.get("config") or {}, f"{key}.config")
    component: Any = cls  # checked above: a subclass of base, which has from_config
    try:
        return component.from_config(component_config, root)
    except (TypeError, DagsterError) as e:
        raise OrchInstanceConfigError(f"{CONFIG_FILE}: `{key}.config`: {e}") from e


def _named_class(key: str, group: str, name: str) -> Any:
    """The class registered as ``name`` in entry point ``group`` (built-ins without a scan)."""
    if (group, name) in _BUILTIN_COMPONENTS:
        module, _, cls_name = _BUILTIN_COMPONENTS[(group, name)].partition(":")
        return getattr(importlib.import_module(module), cls_name)
    plugin = plugins.find(group, name)
    if plugin is None:
        names = sorted({*plugins.everyones(group),
                        *(n for g, n in _BUILTIN_COMPONENTS if g == group)})
        raise OrchInstanceConfigError(
            f"{CONFIG_FILE}: `{key}` names {name!r}; choose one of: {', '.join(names)}")
    try:
        return plugin.load()
    except ImportError as e:
        raise OrchInstanceConfigError(
            f"{CONFIG_FILE}: `{key}` {name!r} cannot be loaded: {e}"
            + (f" (install it: pip install 'orch[{name}]')" if name == "postgres" else "")
        ) from e


def _storage_entry(path: Path, entry: Any) -> Any:
    """``storage: {NAME: {...config}}`` (a registered storage) as ``{name, config}``; other
    shapes (module/class/config, name/config) are checked as they are."""
    if isinstance(entry, dict) and len(entry) == 1 \
            and not set(entry) & {"module", "class", "config", "name"}:
        ((name, body),) = entry.items()
        if body is not None and not isinstance(body, dict):
            raise OrchInstanceConfigError(
                f"{path}: `storage.{name}` must be a mapping of its settings")
        return {"name": str(name), "config": body or {}}
    if isinstance(entry, dict) and "name" in entry:
        _check_named_component(path, "storage", entry)
    return entry


def _map_legacy_postgres(path: Path, config: dict[str, Any]) -> dict[str, Any]:
    """dagster-postgres's three storage entries (one database) as ``storage: postgres``."""
    legacy = {k: config[k] for k in _LEGACY_STORAGE_KEYS if k in config}
    postgres = {k: v for k, v in legacy.items() if isinstance(v, dict)
                and str(v.get("module", "")).split(".")[0] == _LEGACY_POSTGRES_MODULE}
    if not postgres:
        return config
    where = f"{path}: {', '.join(f'`{k}`' for k in postgres)}"
    if len(postgres) != len(legacy):
        others = sorted(set(legacy) - set(postgres))
        raise OrchInstanceConfigError(
            f"{where} name dagster-postgres but {others} do not: orch keeps runs, events and "
            "schedules in one storage; use `storage: {postgres: {...}}`")
    if "storage" in config:
        raise OrchInstanceConfigError(
            f"{where} and `storage` both say where runs go: keep `storage` only")
    configs = [v.get("config") or {} for v in postgres.values()]
    if any(c != configs[0] for c in configs[1:]):
        raise OrchInstanceConfigError(
            f"{where} point at different databases: orch keeps them in one (a run's status "
            "commits with its events); give them the same `config`")
    mapped = {k: v for k, v in config.items() if k not in postgres}
    mapped["storage"] = {"name": "postgres", "config": configs[0]}
    return mapped


def _check_component(path: Path, key: str, entry: Any) -> None:
    problems = []
    if not isinstance(entry, dict):
        problems.append("must be a mapping with `module`, `class` and optional `config`")
    else:
        for field in ("module", "class"):
            if not isinstance(entry.get(field), str):
                problems.append(f"`{field}` must be a string")
        if not isinstance(entry.get("config", {}), dict):
            problems.append("`config` must be a mapping")
        unknown = set(entry) - {"module", "class", "config"}
        if unknown:
            problems.append(f"unexpected entries {sorted(unknown)}")
    if problems:
        raise OrchInstanceConfigError(f"{path}: `{key}`: " + "; ".join(problems))


def _resolve_env(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"env"}:
            name = value["env"]
            if name not in os.environ:
                raise OrchInstanceConfigError(
                    f"{where} reads the environment variable {name!r}, which is not set"
                )
            return os.environ[name]
        return {k: _resolve_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _build(config: dict[str, Any], key: str, base: type[Any], root: Path, *extra: Any,
           **options: Any) -> Any:
    entry = config.get(key, _COMPONENT_DEFAULTS[key])
    if "name" in entry:
        cls = _registered_class(key, entry["name"])
        entry = {"module": cls.__module__, "class": cls.__qualname__, **entry}
    elif str(entry["module"]).startswith(_LEGACY_PREFIX) and key in _REGISTRY_GROUPS:
        cls = _legacy_registered(key, entry["module"], entry["class"])
    else:
        try:
            cls = getattr(importlib.import_module(entry["module"]), entry["class"])
        except (ImportError, AttributeError) as e:
            raise OrchInstanceConfigError(
                f"{CONFIG_FILE}: `{key}` names {entry['module']}.{entry['class']}, which cannot "
                f"be imported: {e}"
            ) from e
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise OrchInstanceConfigError(
            f"{CONFIG_FILE}: `{key}` class {entry['module']}.{entry['class']} is not a "
            f"{base.__name__}"
        )
    component_config = _resolve_env(entry.get("config") or {}, f"{key}.config")
    component: Any = cls  # checked above: a subclass of base, which has from_config
    try:
        return component.from_config(component_config, root, *extra, **options)
    except TypeError as e:
        raise OrchInstanceConfigError(f"{CONFIG_FILE}: `{key}.config` is not accepted: {e}") from e
    except OrchStorageConfigError as e:
        raise OrchInstanceConfigError(f"{CONFIG_FILE}: `{key}`: {e}") from e


# Components an integration provides, found by name (entry point group) without core
# importing the integration: ``compute_logs: {name: s3, config: {...}}``.
_REGISTRY_GROUPS = {"compute_logs": "orch.compute_logs", "storage": "orch.storage"}
_LEGACY_PREFIX = "dagster_"  # a legacy dagster.yaml names the dagster-aws/gcp/azure classes


def _entry_points(key: str) -> dict[str, plugins.Plugin]:
    return plugins.everyones(_REGISTRY_GROUPS[key])


def _entry_point(key: str, name: str) -> plugins.Plugin | None:
    """The entry point registered as ``name`` for ``key`` (core/plugins.py: orch's own
    first, without importing ``importlib.metadata``)."""
    return plugins.find(_REGISTRY_GROUPS[key], name)


def _load_entry_point(key: str, ep: plugins.Plugin) -> Any:
    try:
        return ep.load()
    except ImportError as e:
        raise OrchInstanceConfigError(
            f"{CONFIG_FILE}: `{key}` {ep.name!r} cannot be loaded: {e}") from e


def _registered_class(key: str, name: str) -> Any:
    """The class registered as ``name`` for ``key`` (an entry point of _REGISTRY_GROUPS)."""
    ep = _entry_point(key, name)
    if ep is None:
        choices = ", ".join(sorted(_entry_points(key)))
        raise OrchInstanceConfigError(
            f"{CONFIG_FILE}: `{key}` names {name!r}; choose one of: {choices}")
    return _load_entry_point(key, ep)


def _legacy_registered(key: str, module: str, cls_name: str) -> Any:
    """The registered class that stands for the legacy ``module.cls_name`` (it lists the
    module in its ``legacy_modules``)."""
    for ep in _entry_points(key).values():
        cls = _load_entry_point(key, ep)
        if getattr(cls, "__name__", None) == cls_name and \
                module in getattr(cls, "legacy_modules", ()):
            return cls
    raise OrchInstanceConfigError(
        f"{CONFIG_FILE}: `{key}` names the legacy {module}.{cls_name}, which no installed "
        f"orch integration provides (registered: {', '.join(sorted(_entry_points(key)))})")
