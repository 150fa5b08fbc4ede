"""``orch.core.test_utils``: the helpers of the legacy ``dagster.core.test_utils`` that users'
own test suites import, on orch's instance and storage: a temporary instance
(``instance_for_test``), runs made for a test (``create_run_for_test``), polling a run that
executes elsewhere (``poll_for_finished_run``, ``poll_for_step_start``, ``poll_for_event``,
``wait_for_runs_to_finish``), what a step did (``step_succeeded`` & co.), and small fixtures
(``environ``, ``new_cwd``, ``nesting_composite_pipeline``, ``default_mode_def_for_test``)."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .definitions.composite import composite_solid
from .definitions.io_manager import fs_io_manager
from .definitions.mode import ModeDefinition
from .definitions.pipeline import PipelineDefinition, pipeline
from .definitions.solid import solid
from .events import EventRecord
from .instance import Instance
from .legacy_helpers import DagsterInstance
from .runs import FINISHED_STATUSES, PipelineRun, PipelineRunStatus

__all__ = [
    "TEST_PIPELINE_NAME", "create_run_for_test", "default_mode_def_for_test", "environ",
    "instance_for_test", "instance_for_test_tempdir", "nesting_composite_pipeline", "new_cwd",
    "poll_for_event", "poll_for_finished_run", "poll_for_step_start", "remove_none_recursively",
    "step_did_not_run", "step_failed", "step_output_event_filter", "step_succeeded",
    "strip_ansi", "wait_for_runs_to_finish",
]

TEST_PIPELINE_NAME = "_test_pipeline_"

RunTags = dict[str, str | Sequence[str]]  # a tag filter: a value, or any of several

# A mode whose outputs persist, so re-execution tests can reuse them.
default_mode_def_for_test = ModeDefinition(resource_defs={"io_manager": fs_io_manager})


# -- environment --------------------------------------------------------------------------

@contextmanager
def environ(env: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables for the block, then restore them."""
    previous = {key: os.environ.get(key) for key in env}
    try:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def new_cwd(path: str | os.PathLike) -> Iterator[None]:
    """Run the block with ``path`` as the working directory."""
    old = os.getcwd()
    try:
        os.chdir(path)
        yield
    finally:
        os.chdir(old)


# -- instances ----------------------------------------------------------------------------

@contextmanager
def instance_for_test_tempdir(temp_dir: str, overrides: dict[str, Any] | None = None,
                              set_dagster_home: bool = True) -> Iterator[DagsterInstance]:
    """A persistent instance rooted at ``temp_dir`` (``ORCH_HOME`` points there meanwhile,
    unless ``set_dagster_home`` is False); ``overrides`` is written as its ``orch.yaml``."""
    if overrides:
        import yaml

        with open(os.path.join(temp_dir, "orch.yaml"), "w") as f:
            yaml.safe_dump(overrides, f)
    with environ({"ORCH_HOME": temp_dir} if set_dagster_home else {}):
        instance = DagsterInstance.from_home(temp_dir)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def instance_for_test(overrides: dict[str, Any] | None = None, set_dagster_home: bool = True,
                      temp_dir: str | None = None) -> Iterator[DagsterInstance]:
    """A temporary persistent instance for a test, removed afterwards (kept when
    ``temp_dir`` is given)."""
    if temp_dir is not None:
        with instance_for_test_tempdir(temp_dir, overrides, set_dagster_home) as instance:
            yield instance
        return
    with tempfile.TemporaryDirectory(prefix="orch-test-instance-") as tmp, \
            instance_for_test_tempdir(tmp, overrides, set_dagster_home) as instance:
        yield instance


# -- runs ---------------------------------------------------------------------------------

def create_run_for_test(
    instance: Instance,
    pipeline_name: str = TEST_PIPELINE_NAME,
    run_id: str | None = None,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    solids_to_execute: Iterable[str] | None = None,
    step_keys_to_execute: Iterable[str] | None = None,
    status: PipelineRunStatus | None = None,
    tags: dict[str, str] | None = None,
    root_run_id: str | None = None,
    parent_run_id: str | None = None,
    pipeline_snapshot: dict[str, Any] | None = None,
    execution_plan_snapshot: dict[str, Any] | None = None,
    **_ignored: Any,
) -> PipelineRun:
    """Store a run record (nothing executes it) with the given fields."""
    given_id: dict[str, Any] = {"run_id": run_id} if run_id else {}
    run = PipelineRun(
        pipeline_name=pipeline_name,
        run_config=run_config or {},
        mode=mode or "default",
        solids_to_execute=sorted(solids_to_execute) if solids_to_execute else None,
        step_keys_to_execute=list(step_keys_to_execute) if step_keys_to_execute else None,
        status=status or PipelineRunStatus.NOT_STARTED,
        tags=dict(tags or {}),
        root_run_id=root_run_id,
        parent_run_id=parent_run_id,
        **given_id,
    )
    return instance.create_run(run, pipeline_snapshot, execution_plan_snapshot)


def _poll(check: Any, timeout: float, interval: float, grow: float) -> Any:
    """Call ``check`` until it returns something truthy; ``Exception("Timed out")`` after
    ``timeout`` seconds, as the legacy helpers raise."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise Exception("Timed out")
        time.sleep(interval)
        interval *= grow


def poll_for_finished_run(instance: Instance, run_id: str | None = None, timeout: float = 20,
                          run_tags: RunTags | None = None) -> PipelineRun:
    """The run (or the newest run with ``run_tags``) once it has finished."""
    filters: dict[str, Any] = {"run_ids": [run_id]} if run_id else {}

    def finished() -> PipelineRun | None:
        runs = instance.get_runs(statuses=FINISHED_STATUSES, tags=run_tags, limit=1, **filters)
        return runs[0] if runs else None

    return _poll(finished, timeout, 0.01, 1)


def wait_for_runs_to_finish(instance: Instance, timeout: float = 20,
                            run_tags: RunTags | None = None) -> None:
    """Wait until every run (with ``run_tags``) has finished."""
    _poll(lambda: all(r.status.is_finished for r in instance.get_runs(tags=run_tags)),
          timeout, 0.1, 2)


def poll_for_event(instance: Instance, run_id: str, event_type: str, message: str | None,
                   timeout: float = 30) -> None:
    """Wait for an event of ``event_type`` (whose message contains ``message``) in the run."""
    def seen() -> bool:
        return any(e.event_type_value == event_type
                   and (message is None or message in (e.message or ""))
                   for e in instance.get_logs_for_run(run_id))

    _poll(seen, timeout, 0.01, 2)


def poll_for_step_start(instance: Instance, run_id: str, timeout: float = 30) -> None:
    poll_for_event(instance, run_id, event_type="STEP_START", message=None, timeout=timeout)


def _step_event_types(instance: Instance, run: PipelineRun, step_name: str) -> set[str]:
    return {e.event_type_value for e in instance.get_logs_for_run(run.run_id)
            if e.step_key == step_name and e.event_type_value is not None}


def step_did_not_run(instance: Instance, run: PipelineRun, step_name: str) -> bool:
    return not _step_event_types(instance, run, step_name)


def step_succeeded(instance: Instance, run: PipelineRun, step_name: str) -> bool:
    return "STEP_SUCCESS" in _step_event_types(instance, run, step_name)


def step_failed(instance: Instance, run: PipelineRun, step_name: str) -> bool:
    return "STEP_FAILURE" in _step_event_types(instance, run, step_name)


def step_output_event_filter(pipe_iterator: Iterable[EventRecord]) -> Iterator[EventRecord]:
    """The successful STEP_OUTPUT events of an event stream (``execute_pipeline_iterator``)."""
    for event in pipe_iterator:
        if event.is_successful_output:
            yield event


# -- definitions and values ---------------------------------------------------------------

def nesting_composite_pipeline(depth: int, num_children: int, *args: Any,
                               **kwargs: Any) -> PipelineDefinition:
    """A pipeline of composites nested ``depth`` levels below an ``outer`` one, each with
    ``num_children`` children: ``num_children ** (depth + 1)`` leaf solids."""

    @solid
    def leaf_node(_: Any) -> int:
        return 1

    def create_wrap(inner: Any, name: str) -> Any:
        @composite_solid(name=name)
        def wrap() -> None:
            for i in range(num_children):
                inner.alias(f"{name}_node_{i}")()

        return wrap

    @pipeline(*args, **kwargs)
    def nested_pipeline() -> None:
        comp_solid = create_wrap(leaf_node, f"layer_{depth}")
        for i in range(depth):
            comp_solid = create_wrap(comp_solid, f"layer_{depth - (i + 1)}")
        comp_solid.alias("outer")()

    return nested_pipeline


def remove_none_recursively(obj: Any) -> Any:
    """``obj`` without the None values, keys and items of its dicts, lists, tuples and sets
    (to compare the config given with the config read back)."""
    if isinstance(obj, list | tuple | set):
        return type(obj)(remove_none_recursively(v) for v in obj if v is not None)
    if isinstance(obj, dict):
        return type(obj)((remove_none_recursively(k), remove_none_recursively(v))
                         for k, v in obj.items() if k is not None and v is not None)
    return obj


_ANSI = re.compile(r"(\x9B|\x1B\[)[0-?]*[ -\/]*[@-~]")


def strip_ansi(input_str: str) -> str:
    """The text without its ANSI escape sequences (colours in captured CLI output)."""
    return _ANSI.sub("", input_str)
