"""The error panel: where a failed step failed — the user's traceback with file:line (frames
in user code first, orch's collapsed), from the step's STEP_FAILURE payload."""

from __future__ import annotations

from orch.core.errors import error_location, format_error
from orch.core.run_progress import RunProgress, StepState
from orch.core.runs import PipelineRunStatus, StepStatus
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static


def failed_steps(view: RunProgress) -> list[StepState]:
    """Steps of the run that failed (or failed an attempt and wait for a retry), in order."""
    return [s for s in view.visible_steps() if s.status in (StepStatus.FAILURE, StepStatus.UP_FOR_RETRY)
            and s.error]


def describe_failure(state: StepState, verbose: bool = True) -> Text:
    """The panel's text for one failed step."""
    where = error_location(state.error)
    attempt = f" (attempt {state.attempts})" if state.attempts > 1 else ""
    what = "failed" if state.status is StepStatus.FAILURE else "failed, up for retry"
    text = Text()
    text.append(f"✗ {state.key} {what}{attempt}", style="bold red")
    if where:
        text.append(f"  at {where}", style="bold")
    text.append("\n")
    text.append(format_error(state.error, verbose=verbose) or state.message)
    return text


class ErrorPanel(VerticalScroll):
    """Shows the failure of the step under the cursor, or of the run's failed steps."""

    DEFAULT_CSS = """
    ErrorPanel > Static { padding: 0 1; }
    """

    def compose(self):
        yield Static("No run displayed.", id="error-text", markup=False)

    def show(self, view: RunProgress | None, step_key: str | None) -> None:
        body = self.query_one("#error-text", Static)
        if view is None:
            body.update("No run displayed.")
            return
        failures = failed_steps(view)
        chosen = [s for s in failures if s.key == step_key]
        if chosen:
            body.update(describe_failure(chosen[0]))
            return
        if not failures:
            body.update(Text(("The run failed: " + (view.run_message or "")) if
                             view.status is PipelineRunStatus.FAILURE else "No step failed in this run."))
            return
        text = Text()
        if step_key and step_key in view.steps:
            text.append(f"{step_key} did not fail. ", style="dim")
        text.append(f"{len(failures)} failed step{'s' if len(failures) > 1 else ''}:\n\n",
                    style="dim")
        for i, state in enumerate(failures):
            if i:
                text.append("\n\n")
            text.append(describe_failure(state))
        body.update(text)
