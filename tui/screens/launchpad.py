"""The launchpad: choose mode, preset and executor, edit run config as YAML with validation
shown inline (from the config system, against the schema in the snapshot: no user code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static, TextArea


@dataclass
class LaunchChoice:
    run_config: dict[str, Any]
    mode: str | None
    preset: str | None
    executor: str


def empty_values(value: Any, path: str = "") -> list[str]:
    """Paths of empty strings: scaffold placeholders ("") the user has not filled in yet."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{path}.{k}" if path
                                                                   else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{path}[{i}]")]
    return [path] if value == "" else []


def validate_yaml(text: str, schema_snapshot: dict[str, Any] | None
                  ) -> tuple[dict[str, Any] | None, list[str]]:
    """Parse and validate run config text: (value, error lines)."""
    import yaml
    from orch.core.config import config_type_from_snapshot, validate_config

    try:
        value = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        return None, [f"YAML: {e}"]
    if not isinstance(value, dict):
        return None, ["Run config must be a mapping at the top."]
    if schema_snapshot is None:
        return value, []
    result = validate_config(config_type_from_snapshot(schema_snapshot), value)
    return value, [e.message for e in result.errors]


class Launchpad(ModalScreen[LaunchChoice | None]):
    """Edit and launch a run of one pipeline."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close"),
                Binding("ctrl+l", "launch", "Launch")]

    DEFAULT_CSS = """
    Launchpad { align: center middle; }
    #launchpad { width: 90%; height: 90%; border: round $accent; background: $panel; }
    #launchpad-options { height: auto; }
    #launchpad-options Select { width: 1fr; }
    #config-editor { height: 1fr; }
    #config-errors { height: auto; max-height: 8; color: $error; }
    #config-errors.ok { color: $success; }
    #config-errors.warn { color: $warning; }
    #launchpad-buttons { height: auto; align-horizontal: right; }
    """

    def __init__(self, pipeline: str, modes: list[str], presets: list[dict[str, Any]],
                 schemas: dict[str, Any], scaffolds: dict[str, str], initial_yaml: str | None):
        super().__init__()
        self.pipeline = pipeline
        self.modes = modes
        self.presets = {p["name"]: p for p in presets}
        self.schemas = schemas
        self.scaffolds = scaffolds
        self.initial_yaml = initial_yaml
        self.value: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        mode = self.modes[0] if self.modes else None
        with Vertical(id="launchpad"):
            yield Label(f"Launchpad — {self.pipeline}   (ctrl+l launch, esc close)")
            with Horizontal(id="launchpad-options"):
                yield Select([(m, m) for m in self.modes], value=mode, allow_blank=False,
                             id="mode", prompt="mode")
                yield Select([(p, p) for p in self.presets], id="preset", prompt="no preset")
                yield Select([("in process", "in_process"), ("multiprocess", "multiprocess")],
                             value="in_process", allow_blank=False, id="executor")
            yield TextArea(self.initial_yaml or self.scaffolds.get(mode or "", ""),
                           language="yaml", id="config-editor", show_line_numbers=True)
            yield Static("", id="config-errors")
            with Horizontal(id="launchpad-buttons"):
                yield Button("Scaffold defaults", id="scaffold")
                yield Button("Launch", variant="primary", id="launch")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).cursor_blink = False
        self._validate()

    @property
    def mode(self) -> str | None:
        value = self.query_one("#mode", Select).value
        return None if value is Select.BLANK else str(value)

    @property
    def preset(self) -> str | None:
        value = self.query_one("#preset", Select).value
        return None if value is Select.BLANK else str(value)

    @on(TextArea.Changed)
    @on(Select.Changed, "#mode")
    def _validate(self) -> None:
        text = self.query_one(TextArea).text
        self.value, errors = validate_yaml(text, self.schemas.get(self.mode or ""))
        box = self.query_one("#config-errors", Static)
        box.set_class(not errors, "ok")
        box.set_class(False, "warn")
        if errors:
            box.update("\n".join(f"✗ {e}" for e in errors))
            return
        empty = empty_values(self.value)
        box.set_class(bool(empty), "warn")
        box.update("✓ config is valid" + (
            f" — but still empty: {', '.join(empty)} (scaffold placeholders?)" if empty else ""))

    @on(Select.Changed, "#preset")
    def _preset_chosen(self) -> None:
        preset = self.presets.get(self.preset or "")
        if preset is None:
            return
        import yaml

        self.query_one(TextArea).text = yaml.safe_dump(preset.get("run_config") or {},
                                                       sort_keys=False)
        if preset.get("mode") in self.modes:
            self.query_one("#mode", Select).value = preset["mode"]

    @on(Button.Pressed, "#scaffold")
    def _scaffold(self) -> None:
        self.query_one(TextArea).text = self.scaffolds.get(self.mode or "", "")

    @on(Button.Pressed, "#launch")
    def action_launch(self) -> None:
        self._validate()
        if self.value is None or "✗" in str(self.query_one("#config-errors", Static).render()):
            self.notify("Fix the config errors first.", severity="error")
            return
        executor = str(self.query_one("#executor", Select).value)
        preset = self.preset
        self.dismiss(LaunchChoice(self.value if not preset else {}, self.mode if not preset
                                  else None, preset, executor))

    @on(Button.Pressed, "#cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
