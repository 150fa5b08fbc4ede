"""Imported by the multiprocess executor's fork server (it is on the server's preload list):
imports the run's code from the origin named in ``ORCH_FORKSERVER_CODE`` once, so every
step process forked from the server starts with it loaded. A failure here is left for the
step process, which imports the code again and reports the error as the step's."""

from __future__ import annotations

import json
import os

ENV = "ORCH_FORKSERVER_CODE"


def _preload() -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    from orch.core.execution.step_task import preload_definition

    origin, pipeline_name = json.loads(spec)
    try:
        preload_definition(origin, pipeline_name)
    except Exception:
        pass


_preload()
