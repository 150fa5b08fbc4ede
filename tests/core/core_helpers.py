"""Shared helpers for the engine tests: event sequences and log lines of a result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orch import execute_pipeline

# Run-level events that are not about one step and not interesting for sequences.
_NOISE = {"ENGINE_EVENT"}


def run(pipeline: Any, **kwargs: Any):
    """execute_pipeline with raise_on_error=False unless given."""
    kwargs.setdefault("raise_on_error", False)
    return execute_pipeline(pipeline, **kwargs)


def types(result: Any, include_engine: bool = False) -> list[str]:
    """The structured event types of a run, in order."""
    return [
        e.event_type_value for e in result.event_list
        if include_engine or e.event_type_value not in _NOISE
    ]


def step_types(result: Any, step_key: str) -> list[str]:
    """The structured event types of one step, in order."""
    return [e.event_type_value for e in result.event_list if e.step_key == step_key]


def step_sequence(result: Any) -> list[tuple[str | None, str]]:
    """(step_key, event_type) for every structured event that has a step key."""
    return [(e.step_key, e.event_type_value) for e in result.event_list if e.step_key]


def log_lines(result: Any, step_key: str | None = None) -> list[str]:
    """Messages of user/engine log lines (events without an event type)."""
    return [
        e.message for e in result.all_events
        if e.event_type is None and (step_key is None or e.step_key == step_key)
    ]


def events_of(result: Any, event_type: str, step_key: str | None = None) -> list[Any]:
    return [
        e for e in result.event_list
        if e.event_type_value == event_type and (step_key is None or e.step_key == step_key)
    ]


def executed_steps(result: Any) -> list[str]:
    """Step keys in the order they started."""
    return [e.step_key for e in result.event_list if e.event_type_value == "STEP_START"]


SUCCESS_NO_INPUT = ["STEP_START", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS"]
SUCCESS_ONE_INPUT = [
    "STEP_START", "LOADED_INPUT", "STEP_INPUT", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS",
]


_SERIAL_EXECUTOR = """\
import os
with open(os.environ["IMPORT_LOG"], "a") as f:
    f.write(f"serial_exec {os.getpid()}\\n")
from orch.core.execution.executor import ExecutorDefinition
from orch.executors.in_process import in_process_executor

serial = ExecutorDefinition("serial", {"label": str}, in_process_executor.executor_creation_fn)
"""
_SCAN_LOG = """\
import importlib.metadata, os
_entry_points = importlib.metadata.entry_points
def _logged(*args, **kwargs):
    if kwargs.get("group") == "orch.executors":
        with open(os.environ["IMPORT_LOG"], "a") as f:
            f.write(f"scan {os.getpid()}\\n")
    return _entry_points(*args, **kwargs)
importlib.metadata.entry_points = _logged
"""


def install_serial_executor(site: Path) -> None:
    """A third party's executor, ``serial`` (the in-process one under another name, config
    ``{label: str}``), as an installed distribution in ``site`` (a PYTHONPATH entry), and a
    ``sitecustomize`` there: every process on that path appends ``scan <pid>`` to the file
    ``$IMPORT_LOG`` when it reads every distribution's ``orch.executors`` entry points, and
    ``serial_exec <pid>`` when it imports the executor's module."""
    info = site / "serial_exec-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: serial-exec\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[orch.executors]\nserial = serial_exec:serial\n")
    (site / "serial_exec.py").write_text(_SERIAL_EXECUTOR)
    (site / "sitecustomize.py").write_text(_SCAN_LOG)
