"""A step process does not walk the run worker's heap with its garbage collector.

The run worker holds the plan, the scheduler's state and the user's code; for a 10,000-step
pipeline that is hundreds of thousands of objects. A forked step process that ran a full
collection over them would touch (and copy on write) every page of that heap: 0.4 s a step
at 5,000 steps. What the step process inherited is frozen, so its collector only ever sees
objects the step itself made.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from orch.core.instance import Instance

from orch import ModeDefinition, execute_pipeline, fs_io_manager, pipeline, solid

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

# Held by the run worker (this process) while the steps run, like a large plan would be.
_BIG_HEAP: list[list[int]] = []


@solid
def count_tracked(context) -> int:
    gc.collect()
    return len(gc.get_objects())


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def one_step():
    count_tracked()


def test_step_process_collector_sees_only_its_own_objects(tmp_path: Path) -> None:
    _BIG_HEAP[:] = [[i] for i in range(300_000)]
    try:
        worker_objects = len(gc.get_objects())
        assert worker_objects > 300_000
        with Instance.from_home(tmp_path / "home") as instance:
            result = execute_pipeline(
                one_step, instance=instance,
                run_config={"execution": {"multiprocess": {"config": {"max_concurrent": 1}}},
                            "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
            assert result.success
            step_objects = result.output_for_solid("count_tracked")
    finally:
        _BIG_HEAP.clear()
    # The step's own objects (imports done in the step, its context, its events) only.
    assert step_objects < 100_000, (step_objects, worker_objects)
