"""Messages that flow from workers and services to the app's handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orch.core.events import EventRecord
from textual.message import Message

if TYPE_CHECKING:
    from orch.core.runs import PipelineRun
    from orch.tui.services.launcher import Launched


class DefinitionsLoaded(Message):
    """A fresh snapshot of the repository loaded in a subprocess."""

    def __init__(self, snapshot: dict[str, Any], generation: int, reason: str):
        super().__init__()
        self.snapshot = snapshot
        self.generation = generation
        self.reason = reason


class LoadFailed(Message):
    """Loading the repository failed; ``error`` carries the user's traceback."""

    def __init__(self, error: str, generation: int):
        super().__init__()
        self.error = error
        self.generation = generation


class RepoChanged(Message):
    """Files changed on disk (already debounced)."""

    def __init__(self, paths: list[str]):
        super().__init__()
        self.paths = paths


class EventsBatch(Message):
    """New events of the displayed run, in storage order."""

    def __init__(self, run_id: str, events: list[EventRecord]):
        super().__init__()
        self.run_id = run_id
        self.events = events


class RunsRefreshed(Message):
    """The run history, and why each queued run waits (``{run id: reason}``)."""

    def __init__(self, runs: list[PipelineRun], waiting: dict[str, str] | None = None):
        super().__init__()
        self.runs = runs
        self.waiting = waiting or {}


class RunLaunched(Message):
    """A launch was answered: the run is stored and executing (or there was nothing to run,
    ``launched.run_id`` is None, and ``launched.note`` says why)."""

    def __init__(self, launched: Launched):
        super().__init__()
        self.launched = launched


class LaunchFailed(Message):
    def __init__(self, error: str):
        super().__init__()
        self.error = error
