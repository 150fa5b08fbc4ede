"""Launch and cancel runs from the app, and remember how each pipeline was last launched.

The app never imports user code. A launch takes a started-ahead code server
(:class:`orch.core.workspace.CodeServer`: interpreter up, orch imported), loads the repository
there, and asks it over its private pipe to create the run; the answer is typed (run id,
step keys, note) or a :class:`~orch.core.workspace.LoadError` (config errors, an unknown
mode...). The server then executes the run as its worker, so the run outlives the app if
the user chooses to leave it running.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from orch.core.runs import PipelineRunStatus

T = TypeVar("T")

if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable

    from orch.core.scheduling.preview import Preview, PreviewedRun
    from orch.core.watch import CodeServerPool
    from orch.core.workspace import CodeServer, LoadError, WorkspaceTarget

EXECUTORS = ("in_process", "multiprocess", "dask")
CHOICES_FILE = "workbench_launch_choices.json"


class LaunchError(Exception):
    """The launch was refused; ``error`` says why (config errors with their paths...)."""

    def __init__(self, error: LoadError):
        super().__init__(error.format())
        self.error = error


@dataclass
class LaunchChoice:
    """How to launch a pipeline: what the launchpad (or ``orch dev --mode/--preset/-c``)
    chose. ``preset`` is recorded on the run as a tag; ``run_config`` and ``mode`` are what
    runs (a preset only fills them in)."""

    run_config: dict[str, Any] = field(default_factory=dict)
    mode: str | None = None
    preset: str | None = None
    executor: str = "in_process"
    solid_selection: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LaunchChoice:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class LaunchRequest:
    """One run to start: a fresh run from a choice, or a child of ``parent_run_id``
    re-executing ``step_selection``."""

    pipeline: str
    choice: LaunchChoice = field(default_factory=LaunchChoice)
    parent_run_id: str | None = None
    step_selection: list[str] | None = None


@dataclass(frozen=True)
class Launched:
    run_id: str | None
    pipeline: str
    step_keys: list[str] | None
    note: str | None
    pid: int
    status: PipelineRunStatus = PipelineRunStatus.STARTING  # QUEUED when the coordinator queued it


def run_config_with_executor(choice: LaunchChoice) -> dict[str, Any]:
    """The choice's run config, with ``execution:`` set to its executor unless the config
    already names one."""
    config = dict(choice.run_config or {})
    if "execution" not in config and choice.executor != "in_process":
        config["execution"] = {choice.executor: {}}
    return config


class Launcher:
    """Starts runs in code servers taken from ``pool``; keeps the servers executing runs so
    the app can tell which of its runs are still going when it quits."""

    def __init__(self, target: WorkspaceTarget, pool: CodeServerPool, load_timeout: float = 30.0):
        self.target = target
        self.pool = pool
        self.load_timeout = load_timeout
        self._running: dict[str, CodeServer] = {}
        self._lock = threading.Lock()

    def launch(self, request: LaunchRequest) -> Launched:
        """Create and start the run; raise :class:`LaunchError` when it is refused."""
        from orch.core.runs import PRESET_NAME_TAG
        from orch.core.workspace import WorkspaceLoadError

        choice = request.choice
        server = self.pool.take()
        try:
            server.load(self.target, timeout=self.load_timeout)
            if request.parent_run_id:  # the parent's config, mode and executor
                reply = server.launch(request.pipeline, reexecute={
                    "parent_run_id": request.parent_run_id,
                    "step_selection": request.step_selection})
            else:
                reply = server.launch(
                    request.pipeline, run_config=run_config_with_executor(choice),
                    mode=choice.mode, solid_selection=choice.solid_selection,
                    tags={PRESET_NAME_TAG: choice.preset} if choice.preset else None)
        except WorkspaceLoadError as e:
            server.close()
            raise LaunchError(e.error) from None
        run_id = reply.get("run_id")
        status = PipelineRunStatus(reply.get("status") or "STARTING")
        if run_id and status is not PipelineRunStatus.QUEUED:
            with self._lock:
                self._running[run_id] = server
        else:
            server.close()
        return Launched(run_id, request.pipeline, reply.get("step_keys"), reply.get("note"),
                        server.pid, status)

    def preview(self, kind: str, name: str) -> Preview:
        """Evaluate a schedule or sensor once in a fresh code server (the code as saved),
        launching and storing nothing; raise :class:`LaunchError` when the code does not
        load."""
        return self._in_fresh_server(lambda server: server.preview(kind, name))

    def request_run(self, kind: str, name: str, run: PreviewedRun,
                    when: datetime.datetime | None) -> dict[str, list[str]]:
        """Launch one previewed request through the run coordinator (a run worker of its
        own); ``{"run_ids", "skipped_keys", "errors"}``."""
        reply = self._in_fresh_server(
            lambda server: server.request_run(kind, name, run.request, when))
        return {k: list(reply.get(k) or []) for k in ("run_ids", "skipped_keys", "errors")}

    def _in_fresh_server(self, ask: Callable[[CodeServer], T]) -> T:
        from orch.core.workspace import WorkspaceLoadError

        server = self.pool.take()
        try:
            server.load(self.target, timeout=self.load_timeout)
            return ask(server)
        except WorkspaceLoadError as e:
            raise LaunchError(e.error) from None
        finally:
            server.close()

    def running(self) -> list[str]:
        """Runs this app started whose worker is still executing."""
        with self._lock:
            for run_id, server in list(self._running.items()):
                if server.process.poll() is not None:
                    server.close()
                    del self._running[run_id]
            return list(self._running)

    def close(self) -> None:
        """Forget the servers (their runs go on, or were canceled by the caller)."""
        with self._lock:
            for server in self._running.values():
                server.close()
            self._running.clear()


class LaunchChoices:
    """The last launch choice per pipeline, kept in ORCH_HOME across sessions (0600: run
    config may hold values the user typed)."""

    def __init__(self, home: Path | None):
        self.path = home / CHOICES_FILE if home is not None else None
        self._choices: dict[str, LaunchChoice] = {}
        if self.path is not None and self.path.exists():
            try:
                raw = json.loads(self.path.read_text())
                self._choices = {name: LaunchChoice.from_dict(value)
                                 for name, value in raw.items() if isinstance(value, dict)}
            except (OSError, ValueError, TypeError):
                self._choices = {}  # a damaged file only loses the remembered choices

    def get(self, pipeline: str) -> LaunchChoice | None:
        return self._choices.get(pipeline)

    def set(self, pipeline: str, choice: LaunchChoice) -> None:
        self._choices[pipeline] = choice
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({k: v.to_dict() for k, v in self._choices.items()}, indent=1,
                          default=str)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.replace(tmp, self.path)
