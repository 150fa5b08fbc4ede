"""The launchpad: choose mode, preset and executor, edit run config as YAML with validation
shown inline (from the config system, against the schema in the snapshot: no user code)."""

from __future__ import annotations

from typing import Any

from orch.tui.services.launcher import EXECUTORS, LaunchChoice
from orch.tui.services.snapshot import PipelineInfo
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static, TextArea


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

    def __init__(self, info: PipelineInfo, previous: LaunchChoice | None = None):
        super().__init__()
        self.info = info
        self.presets = {p["name"]: p for p in info.presets}
        self.scaffolds = info.scaffolds()
        self.previous = previous
        self.value: dict[str, Any] | None = None
        self._errors: list[str] = []

    def compose(self) -> ComposeResult:
        previous = self.previous
        modes = self.info.modes
        mode = previous.mode if previous is not None and previous.mode in modes else \
            (modes[0] if modes else None)
        preset = previous.preset if previous is not None and \
            previous.preset in self.presets else None
        executor = previous.executor if previous is not None and \
            previous.executor in EXECUTORS else "in_process"
        text = self._yaml(previous.run_config) if previous is not None and \
            previous.run_config else self.scaffolds.get(mode or "", "")
        with Vertical(id="launchpad"):
            yield Label(f"Launchpad — {self.info.name}   (ctrl+l launch, esc close)")
            with Horizontal(id="launchpad-options"):
                yield Select([(m, m) for m in modes], value=mode, allow_blank=False,
                             id="mode", prompt="mode")
                yield Select([(p, p) for p in self.presets], value=preset or Select.NULL,
                             id="preset", prompt="no preset")
                yield Select([("in process", "in_process"), ("multiprocess", "multiprocess"),
                              ("dask (local cluster)", "dask")],
                             value=executor, allow_blank=False, id="executor")
            yield TextArea(text, language="yaml", id="config-editor", show_line_numbers=True)
            yield Static("", id="config-errors")
            with Horizontal(id="launchpad-buttons"):
                yield Button("Scaffold defaults", id="scaffold")
                yield Button("Launch", variant="primary", id="launch")
                yield Button("Cancel", id="cancel")

    @staticmethod
    def _yaml(value: dict[str, Any]) -> str:
        import yaml

        return yaml.safe_dump(value, sort_keys=False)

    def on_mount(self) -> None:
        self.query_one(TextArea).cursor_blink = False
        self._validate()

    @staticmethod
    def _selected(select: Select) -> str | None:
        value = select.value
        return value if isinstance(value, str) else None  # Select.NULL: nothing chosen

    @property
    def mode(self) -> str | None:
        return self._selected(self.query_one("#mode", Select))

    @property
    def preset(self) -> str | None:
        return self._selected(self.query_one("#preset", Select))

    @on(TextArea.Changed)
    def _validate(self) -> None:
        text = self.query_one(TextArea).text
        self.value, self._errors = validate_yaml(text, self.info.config_schemas.get(
            self.mode or ""))
        box = self.query_one("#config-errors", Static)
        box.set_class(not self._errors, "ok")
        box.set_class(False, "warn")
        if self._errors:
            box.update("\n".join(f"✗ {e}" for e in self._errors))
            return
        empty = empty_values(self.value)
        box.set_class(bool(empty), "warn")
        box.update("✓ config is valid" + (
            f" — but still empty: {', '.join(empty)} (scaffold placeholders?)" if empty else ""))

    @on(Select.Changed, "#mode")
    def _mode_chosen(self, event: Select.Changed) -> None:
        # An untouched scaffold follows the mode (modes have different resources).
        editor = self.query_one(TextArea)
        if editor.text in self.scaffolds.values() and self.mode in self.scaffolds:
            editor.text = self.scaffolds[self.mode]
        self._validate()

    @on(Select.Changed, "#preset")
    def _preset_chosen(self) -> None:
        """A preset fills in the editor and the mode; what the user then edits is what runs."""
        preset = self.presets.get(self.preset or "")
        if preset is None:
            return
        self.query_one(TextArea).text = self._yaml(preset.get("run_config") or {})
        if preset.get("mode") in self.info.modes:
            self.query_one("#mode", Select).value = preset["mode"]
        self._validate()

    @on(Button.Pressed, "#scaffold")
    def _scaffold(self) -> None:
        self.query_one(TextArea).text = self.scaffolds.get(self.mode or "", "")

    @on(Button.Pressed, "#launch")
    def action_launch(self) -> None:
        self._validate()
        if self.value is None or self._errors:
            self.notify("Fix the config errors first.", severity="error")
            return
        executor = self._selected(self.query_one("#executor", Select)) or "in_process"
        preset = self.presets.get(self.preset or "")
        self.dismiss(LaunchChoice(
            run_config=self.value, mode=self.mode, preset=preset["name"] if preset else None,
            executor=executor, solid_selection=preset.get("solid_selection") if preset
            else None))

    @on(Button.Pressed, "#cancel")
    def action_dismiss_none(self) -> None:
        self.dismiss(None)
