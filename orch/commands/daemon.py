"""``orch daemon``: the instance's long-running loops (the run queue, run monitoring) in one
process, for a server or a container; ``orch dev`` hosts the same daemon.

``orch daemon run`` prints one line per thing a loop did (``--json``: one JSON object), and
exits 0 on SIGTERM/SIGINT, 1 when a loop stops heartbeating, 2 when another daemon runs for
the instance. ``orch daemon liveness-check`` exits 0 when every loop's heartbeat is fresh.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import TYPE_CHECKING

import typer

from ._common import (
    EXIT_INVALID,
    Attribute,
    ModuleName,
    PythonFile,
    WorkingDirectory,
    fail,
    make_target,
    open_instance,
    target_code_location,
)

if TYPE_CHECKING:
    from orch.core.daemon import Note
    from orch.core.instance import Instance

daemon_app = typer.Typer(help="The daemon: schedules, sensors, the run queue and run "
                              "monitoring, in one process.",
                         no_args_is_help=True, add_completion=False)


def register(app: typer.Typer) -> None:
    app.add_typer(daemon_app, name="daemon")


@daemon_app.command("run")
def run_daemon(
    python_file: PythonFile = None, module_name: ModuleName = None,
    attribute: Attribute = None, working_directory: WorkingDirectory = None,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Run the daemon's loops until SIGTERM or Ctrl-C: the run queue, run monitoring and,
    given the code (-f/-m), its schedules and sensors."""
    from orch.core.daemon import Daemon, DaemonAlreadyRunning, standard_loops
    from orch.core.errors import DagsterError

    target = make_target(python_file, module_name, attribute, working_directory) \
        if (python_file or module_name) else None
    with open_instance(target_code_location(python_file, module_name, attribute,
                                            working_directory)) as instance:
        try:
            loops = standard_loops(instance, target)
        except DagsterError as e:
            fail(str(e))
        home = instance.root_dir

    def report(loop: str, note: Note) -> None:
        if as_json:
            print(json.dumps({"timestamp": time.time(), "daemon_type": loop,
                              "message": note.text, "error": note.error}), flush=True)
        else:
            print(f"{time.strftime('%H:%M:%S')} {loop}: {note.text}", flush=True)

    daemon = Daemon(home, loops, report)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: daemon.stop.set())
    names = ", ".join(loop.daemon_type for loop in loops) or "none (nothing to do)"
    typer.echo(f"orch daemon for {home}: loops {names}; Ctrl-C stops.", err=True)
    try:
        code = daemon.run()
    except DaemonAlreadyRunning as e:
        fail(str(e), EXIT_INVALID)
    raise typer.Exit(code)


@daemon_app.command("liveness-check")
def liveness_check() -> None:
    """Exit 0 if a daemon is running for the instance and every loop has beaten lately."""
    from orch.core.daemon import liveness, lock_holder

    with open_instance() as instance:
        live = liveness(instance)
        holder = lock_holder(instance.root_dir)
    if holder is None or not live or not all(live.values()):
        typer.echo("Daemon not running" if holder is None else
                   f"Daemon not live: {sorted(t for t, ok in live.items() if not ok)}")
        raise typer.Exit(1)
    typer.echo("Daemon live")


@daemon_app.command("status")
def status() -> None:
    """Which process runs the daemon, and each loop's last heartbeat and recent errors."""
    from orch.core.daemon import liveness, lock_holder

    with open_instance() as instance:
        _print_status(instance, lock_holder(instance.root_dir), liveness(instance))


def _print_status(instance: Instance, holder: int | None, live: dict[str, bool]) -> None:
    heartbeats = instance.storage.get_daemon_heartbeats()
    print(f"daemon: {'running, pid ' + str(holder) if holder else 'not running'} "
          f"({instance.root_dir})")
    for loop, hb in sorted(heartbeats.items()):
        age = time.time() - hb.timestamp
        state = "live" if live.get(loop) and holder else "not live"
        print(f"  {loop}: {state}, last heartbeat {age:.0f} s ago (pid {hb.pid})")
        for error in hb.errors:
            print(f"    error: {error}")
    if not heartbeats:
        print("  no heartbeats yet", file=sys.stdout)
