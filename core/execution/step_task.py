"""A step run by a process that shares no memory with the run worker: a step process
started with ``spawn`` or ``forkserver``, or a Dask worker.

The run worker sends a :class:`StepTask`: the run record, which step and attempt, the plan's
dynamic resolutions so far, and where the instance is. A run whose code has an origin (a
file or module the run worker imported it from) sends no code: the process imports it from
there once and keeps it (:func:`open_step_task` caches the definition per origin and the
prepared run per run id), prepares the run exactly as the run worker did (same config,
mode, selection, plan) and replays the resolutions up to the step. A run without an origin
(a pipeline built in a test or a notebook) sends its definition, mode, config and plan
themselves; the ``multiprocess`` package pickles them with dill and Dask with cloudpickle,
which carry closures and lambdas. Either way the step then runs with resources of its own
(:func:`~.executor.execute_step_with_resources`), and its events go back the way its
launcher chooses: the run worker stays their single writer.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..plan.plan import ExecutionPlan, ExecutionStep
from ..plan.sources import StepOutputHandle
from ..runs import PipelineRun
from .context import RunContext

if TYPE_CHECKING:
    from ..definitions.mode import ModeDefinition
    from ..definitions.pipeline import PipelineDefinition
    from ..instance import Instance


@dataclass
class StepCode:
    """A run's code and plan themselves, for a run without an origin to import them from."""

    pipeline_def: PipelineDefinition
    mode_def: ModeDefinition
    run_config: dict[str, Any]
    plan: ExecutionPlan


@dataclass
class StepTask:
    """What a fresh process needs to run one attempt of one step (see the module docstring)."""

    run: PipelineRun
    step_key: str
    attempt: int
    missing: frozenset[StepOutputHandle]
    resolutions: list[tuple[str, str, list[str]]]
    output_run_ids: dict[str, str]
    instance_ref: tuple[str, str]
    retries_enabled: bool
    code: StepCode | None = None


def step_task(rc: RunContext, step: ExecutionStep, attempt: int,
              missing: frozenset[StepOutputHandle]) -> StepTask:
    """The task for one attempt of ``step`` of the run ``rc`` executes."""
    plan = rc.plan
    assert plan is not None, "a run context that executes steps has a plan"
    code = None
    if not rc.run.pipeline_origin:
        code = StepCode(rc.pipeline_def, rc.mode_def, rc.run_config, plan)
    return StepTask(rc.run, step.key, attempt, missing, list(plan.resolutions),
                    dict(rc.output_run_ids), rc.instance.step_process_ref(),
                    rc.retries_enabled, code)


# -- in the step's process ----------------------------------------------------------------
_DEFINITIONS: dict[str, PipelineDefinition] = {}
_PREPARED: OrderedDict[str, Any] = OrderedDict()  # run id -> PreparedRun, a few kept
_INSTANCES: dict[tuple[str, str], Instance] = {}
_KEEP_RUNS = 8


def open_step_task(task: StepTask) -> tuple[RunContext, ExecutionStep]:
    """The run context and the step of ``task``, in this process."""
    if task.code is not None:
        code = task.code
    else:
        prepared = _prepared(task.run)
        plan = prepared.plan
        for resolution in task.resolutions[len(plan.resolutions):]:
            plan.resolve(*resolution)
        code = StepCode(prepared.pipeline_def, prepared.mode_def, prepared.run_config, plan)
    rc = RunContext(code.pipeline_def, task.run, code.run_config, code.mode_def,
                    _instance(task.instance_ref), retries_enabled=task.retries_enabled,
                    plan=code.plan, output_run_ids=dict(task.output_run_ids))
    return rc, code.plan.steps[task.step_key]


def _prepared(run: PipelineRun) -> Any:
    from .api import prepare_run

    prepared = _PREPARED.get(run.run_id)
    if prepared is None:
        prepared = prepare_run(_definition(run), run.run_config, run.mode,
                               solid_selection=run.solid_selection,
                               step_keys_to_execute=run.step_keys_to_execute,
                               run_id=run.run_id)
        _PREPARED[run.run_id] = prepared
        while len(_PREPARED) > _KEEP_RUNS:
            _PREPARED.popitem(last=False)
    return prepared


def _definition(run: PipelineRun) -> PipelineDefinition:
    return preload_definition(run.pipeline_origin or {}, run.pipeline_name)


def preload_definition(origin: dict[str, Any], pipeline_name: str) -> PipelineDefinition:
    """The pipeline ``pipeline_name`` of ``origin``, imported once per process (again when
    its file has changed since). A process that starts step processes from itself (a fork
    server) calls it ahead of the steps."""
    from ..workspace import load_pipeline_from_origin

    python_file = origin.get("python_file")
    mtime = os.stat(python_file).st_mtime_ns if python_file else None
    key = json.dumps([origin, pipeline_name, mtime], sort_keys=True, default=str)
    definition = _DEFINITIONS.get(key)
    if definition is None:
        definition = _DEFINITIONS[key] = load_pipeline_from_origin(origin, pipeline_name)
    return definition


def _instance(ref: tuple[str, str]) -> Instance:
    from ..instance import Instance

    ref = (ref[0], ref[1])
    instance = _INSTANCES.get(ref)
    if instance is None:
        instance = _INSTANCES[ref] = Instance.for_step_process(ref)
    return instance
