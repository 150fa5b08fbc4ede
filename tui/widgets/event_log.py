"""Structured events of the selected run, appended in batches, filterable by level, type,
step and text. Lines go through ``Log.write_lines`` (batched writes keep 10k+ events/s); each
shown line is one event (messages are folded to one line), so a line cursor picks the event
whose full payload ``enter`` opens. Lines longer than the pane end in an ellipsis."""

from __future__ import annotations

import logging
import time

from orch.core.events import EventRecord, EventType
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import Log

MAX_LINES = 50_000
CURSOR_STYLE = Style(reverse=True)
FILTER_KEYS = ("level", "type", "step")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class FilterError(ValueError):
    """A filter text that does not parse; the message says what is wrong and what is valid."""


def format_event(event: EventRecord) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
    millis = int((event.timestamp % 1) * 1000)
    kind = event.event_type_value or event.level_name
    step = f"{event.step_key} " if event.step_key else ""
    first, _, rest = event.message.strip().partition("\n")
    return f"{when}.{millis:03d} {kind:<22} {step}{first}{' …' if rest else ''}"


def format_log_line(event: EventRecord) -> str:
    """A ``context.log`` line as the compute-log pane shows it between the step's output."""
    when = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
    first, _, rest = event.message.strip().partition("\n")
    return f"▏{when} {event.level_name:<7} {first}{' …' if rest else ''}"


class EventFilter:
    """Which events to show. Empty fields match everything. ``text`` is what was typed."""

    def __init__(self, min_level: int = logging.DEBUG, event_type: str = "", step: str = "",
                 text: str = "", source: str = ""):
        self.min_level = min_level
        self.event_type = event_type.upper()
        self.step = step
        self.text = text.lower()
        self.source = source

    def matches(self, event: EventRecord) -> bool:
        if event.level < self.min_level:
            return False
        if self.event_type and self.event_type not in (event.event_type_value or "LOG"):
            return False
        if self.step and not (event.step_key or "").startswith(self.step):
            return False
        return not self.text or self.text in event.message.lower()

    @property
    def active(self) -> bool:
        return bool(self.min_level > logging.DEBUG or self.event_type or self.step or
                    self.text)

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


def parse_filter(text: str) -> EventFilter:
    """``level=INFO type=STEP step=clean some words`` → EventFilter; raises FilterError for
    an unknown key, an unknown level or an event type that matches no event type."""
    fields: dict[str, str] = {}
    words = []
    for token in text.split():
        key, sep, value = token.partition("=")
        if not sep:
            words.append(token)
            continue
        if key not in FILTER_KEYS:
            raise FilterError(f'Unknown filter key "{key}". Use {", ".join(FILTER_KEYS)} '
                              "(key=value), and plain words to match the message.")
        fields[key] = value
    level_name = fields.get("level", "DEBUG").upper()
    if level_name not in LEVELS:
        raise FilterError(f'Unknown level "{fields["level"]}". Choose one of: '
                          f'{", ".join(LEVELS)}.')
    event_type = fields.get("type", "").upper()
    if event_type and event_type != "LOG" and not any(event_type in t.value for t in EventType):
        raise FilterError(f'No event type contains "{fields["type"]}" (e.g. STEP, '
                          "STEP_FAILURE, PIPELINE, OUTPUT, LOG).")
    return EventFilter(logging.getLevelName(level_name), event_type, fields.get("step", ""),
                       " ".join(words), source=text.strip())


class EventLog(Log, can_focus=True):
    """Keeps the run's events (data) and shows the ones that pass the filter (view)."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", show=False),
        Binding("pagedown", "move(20)", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", "Follow", show=False),
        Binding("enter", "details", "Details"),
    ]

    cursor: reactive[int | None] = reactive(None)

    class Chosen(Message):
        """``enter`` on an event: show its full payload."""

        def __init__(self, event: EventRecord):
            super().__init__()
            self.event = event

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, highlight=False, auto_scroll=True, **kwargs)
        self.events: list[EventRecord] = []
        self.shown: list[EventRecord] = []  # one per line, in line order
        self.filter = EventFilter()

    def reset(self) -> None:
        self.events = []
        self.shown = []
        self.cursor = None
        self.clear()

    def add_events(self, events: list[EventRecord]) -> None:
        self.events.extend(events)
        self._show([e for e in events if self.filter.matches(e)])

    def _show(self, events: list[EventRecord]) -> None:
        if not events:
            return
        self.shown.extend(events)
        self.write_lines([format_event(e) for e in events])
        overflow = len(self.shown) - len(self.lines)
        if overflow > 0:  # the log dropped its oldest lines
            del self.shown[:overflow]
            if self.cursor is not None:
                self.cursor = max(0, self.cursor - overflow)

    def set_filter(self, event_filter: EventFilter) -> None:
        self.filter = event_filter
        self.clear()
        self.shown = []
        self.cursor = None
        self._show([e for e in self.events if event_filter.matches(e)])

    # -- cursor ---------------------------------------------------------------------------
    @property
    def chosen(self) -> EventRecord | None:
        if not self.shown:
            return None
        index = len(self.shown) - 1 if self.cursor is None else self.cursor
        return self.shown[min(index, len(self.shown) - 1)]

    def action_move(self, delta: int) -> None:
        if not self.shown:
            return
        here = len(self.shown) - 1 if self.cursor is None else self.cursor
        self.cursor = max(0, min(len(self.shown) - 1, here + delta))
        self.auto_scroll = False
        self.scroll_to(y=max(0, self.cursor - self.size.height // 2), animate=False)

    def action_first(self) -> None:
        self.cursor = 0 if self.shown else None
        self.auto_scroll = False
        self.scroll_home(animate=False)

    def action_last(self) -> None:
        """Back to following the newest event."""
        self.cursor = None
        self.auto_scroll = True
        self.scroll_end(animate=False)

    def action_details(self) -> None:
        event = self.chosen
        if event is not None:
            self.post_message(self.Chosen(event))

    def watch_cursor(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        strip = super().render_line(y)
        width = self.size.width
        if scroll_x == 0 and row < len(self.lines) and len(self.lines[row]) > width > 1:
            strip = strip.crop(0, width - 1).extend_cell_length(width - 1)
            strip = Strip([*strip, Segment("…", self.rich_style)], width)
        if self.has_focus and row == (len(self.shown) - 1 if self.cursor is None
                                      else self.cursor):
            strip = strip.apply_style(CURSOR_STYLE)
        return strip
