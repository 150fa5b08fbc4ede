"""Small modal screens: a one-line prompt (event filter), a text viewer (load errors), the
quit question."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class PromptScreen(ModalScreen[str | None]):
    """One line of input. With ``validate`` (text → problem or None) the problem shows under
    the input as you type, and enter keeps the screen open until the text is valid."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 80; max-width: 95%; height: auto; border: round $accent;
                              background: $panel; padding: 0 1; }
    PromptScreen #prompt-error { color: $error; height: auto; }
    """

    def __init__(self, title: str, value: str = "", placeholder: str = "",
                 validate: Callable[[str], str | None] | None = None):
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.value, placeholder=self.placeholder)
            yield Static("", id="prompt-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False

    def _problem(self, text: str) -> str | None:
        problem = self.validate(text) if self.validate is not None else None
        self.query_one("#prompt-error", Static).update(f"✗ {problem}" if problem else "")
        return problem

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._problem(event.value)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if self._problem(event.value) is None:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close")]
    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    TextScreen > VerticalScroll { width: 90%; height: 80%; border: round $error;
                                  background: $panel; }
    """

    def __init__(self, text: str, title: str = ""):
        super().__init__()
        self.text = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self.title_text
            scroll.border_subtitle = "esc close"
            yield Static(self.text, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class QuitScreen(ModalScreen[str | None]):
    """Quitting with runs in progress: leave them running, cancel them, or stay."""

    BINDINGS = [Binding("l", "answer('leave')", "Leave running"),
                Binding("c", "answer('cancel')", "Cancel runs"),
                Binding("escape,s", "answer('stay')", "Stay")]
    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical { width: 64; height: auto; border: round $warning;
                            background: $panel; padding: 0 1; }
    QuitScreen Horizontal { height: auto; }
    """

    def __init__(self, run_ids: list[str]):
        super().__init__()
        self.run_ids = run_ids

    def compose(self) -> ComposeResult:
        runs = ", ".join(r[:8] for r in self.run_ids)
        count = len(self.run_ids)
        with Vertical():
            yield Label(f"{count} run{'s' if count > 1 else ''} started here "
                        f"{'are' if count > 1 else 'is'} still in progress: {runs}")
            yield Label("l  leave running (they finish and are stored)\n"
                        "c  cancel them, then quit\n"
                        "s  stay (esc)")
            with Horizontal():
                yield Button("Leave running", id="leave", variant="primary")
                yield Button("Cancel runs", id="cancel", variant="error")
                yield Button("Stay", id="stay")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
