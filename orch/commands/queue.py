"""``orch queue``: the run queue of an instance whose ``run_coordinator`` is ``queued``.

``orch queue run`` is the dequeuer in the foreground (the daemon runs one too); ``orch queue
list`` shows the queued runs in launch order and why each one waits.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import typer

from ._common import fail, open_instance

if TYPE_CHECKING:
    from orch.core.instance import Instance
    from orch.core.run_coordinator import QueuedRunCoordinator, QueueState

queue_app = typer.Typer(help="The run queue (run_coordinator: queued in orch.yaml).",
                        no_args_is_help=True, add_completion=False)


def register(app: typer.Typer) -> None:
    app.add_typer(queue_app, name="queue")


def _queued_coordinator(instance: Instance) -> QueuedRunCoordinator:
    from orch.core.run_coordinator import QueuedRunCoordinator

    coordinator = instance.run_coordinator
    if not isinstance(coordinator, QueuedRunCoordinator):
        fail(f"The instance at {instance.root_dir} does not queue runs: its run_coordinator is "
             f"{type(coordinator).__name__}. Set `run_coordinator: {{name: queued}}` in "
             "orch.yaml.")
    return coordinator


@queue_app.command("list")
def list_queue() -> None:
    """Queued runs in the order they will launch, with why each one waits."""
    from rich.console import Console
    from rich.table import Table

    with open_instance() as instance:
        coordinator = _queued_coordinator(instance)
        state = coordinator.queue_state(instance)
        console = Console()
        if not state.queue:
            console.print("No queued runs.")
            return
        table = Table(box=None, header_style="bold")
        for column in ("#", "Run", "Pipeline", "Priority", "Waiting because"):
            table.add_column(column, overflow="fold")
        from orch.core.run_coordinator import run_priority

        for position, run in enumerate(state.queue, 1):
            table.add_row(str(position), run.run_id[:8], run.pipeline_name,
                          str(run_priority(run)), state.waiting.get(run.run_id, ""))
        console.print(table)


@queue_app.command("run")
def run_queue(
    interval: float = typer.Option(None, "--interval",
                                   help="Seconds between passes when nothing changes "
                                        "(default: dequeue_interval_seconds)."),
) -> None:
    """Launch queued runs as the limits allow, until Ctrl-C (a pass also runs whenever
    anything is committed to the instance)."""
    from orch.core.run_coordinator import run_dequeuer

    from .runs import start_monitor_thread

    with open_instance() as instance:
        coordinator = _queued_coordinator(instance)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        typer.echo(f"Dequeuing runs of {instance.root_dir} (max_concurrent_runs "
                   f"{coordinator.max_concurrent_runs}); Ctrl-C stops.", err=True)

        def report(state: QueueState) -> None:
            for run_id in state.launched:
                typer.echo(f"launched {run_id}")

        monitor = start_monitor_thread(instance, stop)
        run_dequeuer(instance, stop, interval=interval, on_pass=report)
        if monitor is not None:
            monitor.join(timeout=5)
