"""The help screen: what orch dev shows and every key binding."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """
# orch dev

The workbench watches your repository, draws the selected pipeline, launches runs as separate
worker processes and streams their events and compute logs from the instance (`ORCH_HOME`).

| key | action |
|---|---|
| `r` | run the selected pipeline with the last launch choice (asks for a mode once) |
| `l` | launchpad: mode, preset, executor, run config with validation; `ctrl+l` launches |
| `space` | select / unselect the solid under the cursor (DAG) |
| `x` | re-execute the selected solids and their downstream, reusing upstream outputs |
| `w` | watch on/off: with solids selected, a save re-executes them |
| `f`, `+`, `-` | focus mode: only the solids within k hops of the cursor |
| `arrows` | move between solids in the DAG |
| `o` | compute log: switch stdout / stderr |
| `/` | filter events (`level=INFO type=STEP step=clean text`) |
| `enter` | on an event: its full payload (error stack, metadata, type) |
| `!` | the traceback of the last failed load |
| `ctrl+b` | hide / show the sidebar |
| `c` | cancel the displayed run |
| `p`, `g`, `u`, `e` | focus pipelines, DAG, runs, events (`tab` cycles) |
| `home` / `end` | in the runs list: the newest / the oldest run. While you watch a pipeline's newest run, a run started elsewhere (another terminal, the daemon) is followed; on an older run you stay |
| `1` to `5` | show DAG, plan, timeline, events, compute logs; `E` errors |
| `d` | in the runs list: mark a run, then `d` on another run of the pipeline compares them (config diff, steps side by side with slower/faster marked, metadata that changed, solids whose code changed) |
| `7` | assets: a tree of keys (`~`: its solid changed since), `enter` opens one — lineage, numeric metadata as sparklines, latest metadata by kind, history; `r` re-materializes it from its last run, `R` with its upstream |
| `6` | schedules and sensors (`space` on/off, `enter` tick history, `p` preview, `enter` on a previewed request launches it; a save previews the selected one again), upcoming ticks, the run queue, backfills (`c` cancel, `s` resume); `[` `]` switch tabs, `esc` back |
| `ctrl+r` | reload definitions now |
| `ctrl+p` | command palette (go to a solid, every action) |
| `?` | this help; `q` quits |

Status glyphs: ○ pending, ◐ running, ✓ success, ✗ failed, ⊘ skipped, ⊗ abandoned, ↻ retrying, · not executed, ■ canceled,
↩ reused (a re-execution loaded its outputs from an earlier run). In the runs list, `↳` marks
a re-execution.
A `~` after the glyph marks a solid whose code changed since the displayed run; `●` marks a
selected solid; `*` marks one that is both.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80%; height: 80%; border: round $accent;
                                  background: $panel; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_dismiss(self) -> None:
        self.dismiss(None)
