"""Structured events of the selected run, appended in batches, filterable by level, type,
step and text. Lines go through ``Log.write_lines`` (batched writes keep 10k+ events/s)."""

from __future__ import annotations

import logging
import time

from orch.core.events import EventRecord
from textual.widgets import Log

MAX_LINES = 50_000


def format_event(event: EventRecord) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
    millis = int((event.timestamp % 1) * 1000)
    kind = event.event_type_value or event.level_name
    step = f"{event.step_key} " if event.step_key else ""
    return f"{when}.{millis:03d} {kind:<22} {step}{event.message}"


class EventFilter:
    """Which events to show. Empty fields match everything."""

    def __init__(self, min_level: int = logging.DEBUG, event_type: str = "", step: str = "",
                 text: str = ""):
        self.min_level = min_level
        self.event_type = event_type.upper()
        self.step = step
        self.text = text.lower()

    def matches(self, event: EventRecord) -> bool:
        if event.level < self.min_level:
            return False
        if self.event_type and self.event_type not in (event.event_type_value or "LOG"):
            return False
        if self.step and not (event.step_key or "").startswith(self.step):
            return False
        return not self.text or self.text in event.message.lower()

    def describe(self) -> str:
        parts = []
        if self.min_level > logging.DEBUG:
            parts.append(f"level≥{logging.getLevelName(self.min_level)}")
        if self.event_type:
            parts.append(f"type~{self.event_type}")
        if self.step:
            parts.append(f"step={self.step}")
        if self.text:
            parts.append(f'"{self.text}"')
        return ", ".join(parts) or "all events"


class EventLog(Log):
    """Keeps the run's events (data) and shows the ones that pass the filter (view)."""

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, highlight=False, auto_scroll=True, **kwargs)
        self.events: list[EventRecord] = []
        self.filter = EventFilter()

    def reset(self) -> None:
        self.events = []
        self.clear()

    def add_events(self, events: list[EventRecord]) -> None:
        self.events.extend(events)
        lines = [format_event(e) for e in events if self.filter.matches(e)]
        if lines:
            self.write_lines(lines)

    def set_filter(self, event_filter: EventFilter) -> None:
        self.filter = event_filter
        self.clear()
        self.write_lines([format_event(e) for e in self.events if event_filter.matches(e)])
