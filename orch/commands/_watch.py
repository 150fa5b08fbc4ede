"""``orch run --watch``: run, then on every save reload the code (in a subprocess) and
re-execute the selection as a child of the last run, reusing upstream outputs.

The loop itself lives in ``orch.core.watch`` (the app uses the same pieces); this module only
prints and follows runs.
"""

from __future__ import annotations

import glob
import os
import queue
import sys
from typing import Any

from ._common import EXIT_INTERRUPTED, find_parent_run
from ._request import LaunchRequest, OutputOptions, WatchOptions


def _note(text: str) -> None:
    sys.stderr.write(f"orch: {text}\n")
    sys.stderr.flush()


def watch_loop(instance: Any, request: LaunchRequest, output: OutputOptions,
               options: WatchOptions) -> int:
    from orch.core.definitions.preset import load_yaml_files
    from orch.core.watch import RepositoryWatcher, WatchSession

    from ._follow import TerminateAsInterrupt, follow_run, make_sinks, outcome_lines
    from .run import _report

    pipeline, parent_id = request.pipeline, None
    if request.parent is not None:
        parent_run = find_parent_run(instance, request.parent, request.pipeline)
        parent_id, pipeline = parent_run.run_id, parent_run.pipeline_name
        target = request.target_for(parent_run)
    else:
        target = request.code.target()
    config = list(request.config_files)
    session = WatchSession(
        target, pipeline, orch_home=str(instance.root_dir),
        run_config=lambda: load_yaml_files(config) if config else None,
        extra_config=request.extra_config, mode=request.mode, preset=request.preset,
        tags=dict(request.tags) or None, selection=request.selection,
        changed_only=options.changed, parent_run_id=parent_id,
        load_timeout=options.load_timeout,
    )
    config_paths = [p for pattern in config for p in (glob.glob(pattern) or [pattern])]
    changes: queue.Queue[set[str]] = queue.Queue()
    watcher = RepositoryWatcher(target.root, changes.put, extra_files=config_paths)
    sinks = make_sinks(json_output=output.json_output, verbose=output.verbose,
                       quiet=output.quiet)

    def describe(paths: list[str]) -> str:
        shown = [os.path.relpath(p, target.root) for p in paths[:3]]
        return ", ".join(shown) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")

    try:
        with TerminateAsInterrupt():
            watcher.start()
            _note(f"watching {target.root} for changes (Ctrl-C to stop)")
            cycle = session.cycle()
            while True:
                if cycle.error is not None:
                    _note(cycle.error.format())
                    if cycle.error.output.strip() and cycle.error.kind != "timeout":
                        _note("output while loading:\n" + cycle.error.output.rstrip()[-2000:])
                    _note("waiting for the next save")
                elif cycle.run_id is None:
                    _note_load_errors(cycle.snapshot)
                    _note(cycle.note or "nothing to run")
                else:
                    _note_load_errors(cycle.snapshot)
                    if cycle.note:
                        _note(cycle.note)
                    if cycle.changed is not None:
                        _note(f"changed solids: {', '.join(cycle.changed) or 'none'}")
                    if cycle.status == "QUEUED":
                        _note_queued(instance, cycle.run_id)
                    run = instance.get_run(cycle.run_id)
                    result = follow_run(instance, run, cycle.process, sinks,
                                        worker_output=cycle.server.output,
                                        should_stop=lambda: not changes.empty())
                    cycle.server.close()
                    if output.quiet and not result.interrupted:
                        _note("\n".join(outcome_lines(result.tracker)).removeprefix("orch: "))
                    _report(instance, result, output)
                    if result.interrupted:
                        return EXIT_INTERRUPTED
                    if result.superseded:
                        _note("a newer save arrived: canceled this run")
                paths = _next_change(changes)
                _note(f"change in {describe(sorted(paths))}: reloading")
                cycle = session.cycle(paths)
    except KeyboardInterrupt:
        _note("stopped watching")
        return EXIT_INTERRUPTED
    finally:
        watcher.stop()
        session.close()


def _note_queued(instance: Any, run_id: str) -> None:
    from orch.core.run_coordinator import queue_reasons

    reason = queue_reasons(instance).get(run_id, "waiting for its turn")
    _note(f"run {run_id} is QUEUED: {reason}")


def _note_load_errors(snapshot: Any) -> None:
    """Files of a directory target that did not load (their pipelines are missing)."""
    from ._common import load_error_note

    for error in snapshot.load_errors if snapshot is not None else []:
        _note(f"warning: {load_error_note(error)}")


def _next_change(changes: queue.Queue[set[str]]) -> set[str]:
    """Block until a (debounced) change arrives; merge any already queued after it."""
    while True:
        try:
            paths = set(changes.get(timeout=0.5))
            break
        except queue.Empty:
            continue
    while True:
        try:
            paths |= changes.get_nowait()
        except queue.Empty:
            return paths
