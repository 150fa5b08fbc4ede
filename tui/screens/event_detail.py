"""One event in full: what happened, where (the error with the user's file:line), its
metadata entries, input/output type and type check, and the raw payload."""

from __future__ import annotations

import json
import time
from typing import Any

from orch.core.errors import error_location, format_error
from orch.core.events import EventRecord
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

_SHOWN_APART = ("error", "metadata", "type_check", "dagster_type")


def event_details(event: EventRecord) -> Text:
    """The detail view's text."""
    data = event.data or {}
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.timestamp))
    text = Text()
    text.append(event.event_type_value or "LOG", style="bold")
    for part in (event.step_key, f"{when}.{int((event.timestamp % 1) * 1000):03d}",
                 event.level_name, f"pid {event.pid}"):
        if part:
            text.append(f" · {part}")
    text.append(f"\nrun {event.run_id} · pipeline {event.pipeline_name}\n\n", style="dim")
    text.append(event.message.rstrip() + "\n")
    error = data.get("error")
    if isinstance(error, dict):
        where = error_location(error)
        text.append("\nError" + (f" at {where}" if where else "") + "\n", style="bold red")
        text.append(format_error(error, verbose=True) + "\n")
    if data.get("dagster_type"):
        text.append("\nType: ", style="bold")
        text.append(str(data["dagster_type"]))
        check = data.get("type_check") or {}
        if check:
            text.append(f"  (type check {'passed' if check.get('success') else 'failed'})")
        text.append("\n")
    entries = list(data.get("metadata") or [])
    if isinstance(error, dict):
        entries += list(error.get("metadata") or [])
    entries += list((data.get("type_check") or {}).get("metadata_entries") or [])
    if entries:
        text.append("\nMetadata\n", style="bold")
        for entry in entries:
            text.append(f"  {_entry_line(entry)}\n")
    rest = {k: v for k, v in data.items() if k not in _SHOWN_APART}
    if rest:
        text.append("\nPayload\n", style="bold")
        text.append(json.dumps(rest, indent=2, default=str) + "\n")
    return text


def _entry_line(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    value = entry.get("value")
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    kind = f" ({entry['entry_type']})" if entry.get("entry_type") else ""
    description = f" — {entry['description']}" if entry.get("description") else ""
    return f"{entry.get('label', '?')}{kind}: {shown}{description}"


class EventDetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "close", "Close")]
    DEFAULT_CSS = """
    EventDetailScreen { align: center middle; }
    EventDetailScreen > VerticalScroll { width: 95%; height: 90%; border: round $accent;
                                         background: $panel; padding: 0 1; }
    """

    def __init__(self, event: EventRecord):
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Event details"
            scroll.border_subtitle = "esc close"
            yield Static(event_details(self.event), id="event-details", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
