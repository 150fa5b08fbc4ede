"""Imported by the multiprocess executor's fork server (it is on the server's preload list),
so every step process forked from the server starts with what it would otherwise redo each
time (40-50 ms a step):

- the run's code, imported from the origin named in ``ORCH_FORKSERVER_CODE``;
- the launching program's main script (``ORCH_FORKSERVER_MAIN``, e.g. the ``orch`` console
  script), run once as ``__mp_main__`` as each step process would run it otherwise: the
  ``multiprocess`` package re-runs the parent's main script in every child whose
  ``__main__`` is not that file, and its own ``__main__`` preload never gets the path
  (``forkserver.ensure_running`` asks for ``main_path``, the preparation data has
  ``init_main_from_path``) — for ``orch run`` that was importing the CLI, typer and rich in
  every step process;
- the executor registry's entry points (a scan of every installed distribution's metadata,
  which ``prepare_run`` needs for the run config's schema).

A failure here is left for the step process, which does the same again and reports the
error as the step's."""

from __future__ import annotations

import json
import os

ENV = "ORCH_FORKSERVER_CODE"
MAIN_ENV = "ORCH_FORKSERVER_MAIN"


def _preload() -> None:
    main_path = os.environ.get(MAIN_ENV)
    if main_path:
        try:
            _import_main(main_path)
        except Exception:
            pass
    from orch.core.execution.executor import registered_executor_names

    try:
        registered_executor_names()
    except Exception:
        pass
    spec = os.environ.get(ENV)
    if not spec:
        return
    from orch.core.execution.step_task import preload_definition

    origin, pipeline_name = json.loads(spec)
    try:
        preload_definition(origin, pipeline_name)
    except Exception:
        pass


def _import_main(main_path: str) -> None:
    """What ``multiprocess.forkserver.main`` does for a ``__main__`` preload given the path."""
    from multiprocess import process, spawn

    process.current_process()._inheriting = True  # type: ignore[attr-defined]
    try:
        spawn.import_main_path(main_path)
    finally:
        del process.current_process()._inheriting  # type: ignore[attr-defined]


_preload()
