"""Shared helpers for the engine tests: event sequences and log lines of a result."""

from __future__ import annotations

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
