"""The public execution API: ``execute_pipeline``, ``execute_pipeline_iterator``,
``execute_solid``, and the run-level event sequence every entry point shares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..definitions.pipeline import PipelineDefinition
from ..definitions.reconstructable import ReconstructablePipeline
from ..definitions.snapshot import pipeline_snapshot
from ..errors import (
    DagsterExecutionInterruptedError,
    DagsterInvariantViolationError,
    serializable_error_info,
)
from ..events import EventRecord, EventType
from ..plan.plan import ExecutionPlan, create_execution_plan
from ..runs import SOLID_SELECTION_TAG, PipelineRun
from ..selection import select_solids, split_selection
from ..storage.paths import check_run_id
from .context import RunContext
from .executor import (
    Executor,
    ExecutorDefinition,
    InitExecutorContext,
    execute_plan,
    executor_choice,
    get_executor_def,
    mode_for_executor,
)
from .live import LiveEvents
from .loggers import build_event_loggers
from .results import PipelineExecutionResult
from .run_config import resolve_run_config
from .run_request import apply_preset
from .scheduler import ActiveExecution
from .step import OpenSteps, check_step_timeouts

if TYPE_CHECKING:
    from ..definitions.mode import ModeDefinition
    from ..instance import Instance


@dataclass
class PreparedRun:
    """A run ready to execute: the subset pipeline, its config, mode and plan."""

    pipeline_def: PipelineDefinition
    run: PipelineRun
    run_config: dict[str, Any]
    plan: ExecutionPlan
    mode_def: ModeDefinition
    executor_def: ExecutorDefinition


def _definition_of(pipeline: Any) -> tuple[PipelineDefinition, dict[str, Any] | None]:
    if isinstance(pipeline, ReconstructablePipeline):
        return pipeline.get_definition(), pipeline.origin
    if isinstance(pipeline, PipelineDefinition):
        return pipeline, None
    raise DagsterInvariantViolationError(
        f"Expected a PipelineDefinition or reconstructable(pipeline), got {type(pipeline)}."
    )


def prepare_run(
    pipeline: Any,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: dict[str, Any] | None = None,
    solid_selection: list[str] | str | None = None,
    step_keys_to_execute: list[str] | None = None,
    run_id: str | None = None,
    parent_run_id: str | None = None,
    root_run_id: str | None = None,
    input_values: dict[tuple[str, str], Any] | None = None,
) -> PreparedRun:
    """Validate everything a run needs — preset, mode, selection, config, plan — before a run
    record exists, so bad input never leaves a half-created run behind."""
    if run_id is not None:
        check_run_id(run_id)
    pipeline_def, origin = _definition_of(pipeline)
    args = apply_preset(pipeline_def, preset, run_config=run_config, mode=mode,
                        solid_selection=solid_selection, tags=tags)
    run_config, mode, solid_selection, tags = (args.run_config, args.mode,
                                               args.solid_selection, args.tags)
    mode_def = pipeline_def.get_mode_definition(mode)
    solids_to_execute = None
    if solid_selection:
        parents, children = pipeline_def.graph.adjacency()
        solids_to_execute = select_solids(solid_selection, parents, children)
        tags[SOLID_SELECTION_TAG] = ",".join(split_selection(solid_selection))
    subset_def = pipeline_def.get_pipeline_subset_def(solids_to_execute)
    processed = resolve_run_config(subset_def, mode_def, run_config)
    executor_name, _ = executor_choice(processed)
    executor_def = get_executor_def(executor_name, mode_def.executor_defs)
    mode_def = mode_for_executor(mode_def, executor_def, subset_def)
    plan = create_execution_plan(subset_def, processed, step_keys_to_execute, input_values)
    check_step_timeouts(plan.steps.values())
    run_id_arg: dict[str, Any] = {"run_id": run_id} if run_id else {}
    run = PipelineRun(
        pipeline_name=pipeline_def.name,
        run_config=run_config,
        mode=mode_def.name,
        solid_selection=split_selection(solid_selection) if solid_selection else None,
        solids_to_execute=sorted(solids_to_execute) if solids_to_execute else None,
        step_keys_to_execute=plan.requested_step_keys if step_keys_to_execute else None,
        tags={**{k: str(v) for k, v in pipeline_def.tags.items()},
              **{k: str(v) for k, v in tags.items()}},
        parent_run_id=parent_run_id,
        root_run_id=root_run_id,
        pipeline_origin=origin,
        **run_id_arg,
    )
    return PreparedRun(subset_def, run, processed, plan, mode_def, executor_def)


def _ephemeral_instance() -> Instance:
    from ..instance import Instance

    return Instance.ephemeral()


def execute_run_iterator(
    prepared: PreparedRun,
    instance: Instance,
    raise_on_error: bool = False,
    output_capture: dict | None = None,
    output_run_ids: dict[str, str] | None = None,
    known_mapping_keys: dict[tuple[str, str], list[str]] | None = None,
    interrupted: Any = None,
    console: bool = True,
) -> Iterator[EventRecord]:
    """Execute a prepared run, writing every event to the instance and the loggers
    (``console=False``: not the console logger; see ``build_event_loggers``)."""
    pipeline_def, run, mode_def = prepared.pipeline_def, prepared.run, prepared.mode_def
    _, executor_config = executor_choice(prepared.run_config)
    executor_def = prepared.executor_def
    run_context = RunContext(
        pipeline_def, run, prepared.run_config, mode_def, instance,
        raise_on_error=raise_on_error, output_capture=output_capture,
        plan=prepared.plan, output_run_ids=dict(output_run_ids or {}),
    )
    executor = executor_def.executor_creation_fn(InitExecutorContext(executor_config,
                                                                     run_context))
    run_context.retries_enabled = executor.retries_enabled
    if interrupted is not None:
        run_context.interrupted = interrupted
    active = ActiveExecution(prepared.plan, known_mapping_keys)
    loggers = build_event_loggers(prepared.run_config, mode_def.logger_defs, run.run_id,
                                  console=console)
    writer = instance.event_writer(run.run_id)
    run_context.index_compute_log = writer.write_compute_log
    run_context.index_compute_log_lazily = writer.write_compute_log_lazily

    # Log lines reach storage and the loggers while the step runs (``live.py``). A writer
    # without a timer (the ephemeral instance's: nobody reads it from another process) would
    # commit on the step's thread, so it takes them from the stream as ever; loggers are live.
    timed = writer.flush_interval is not None

    def deliver(event: EventRecord) -> None:
        if timed:
            writer.write_soon(event)  # committed by the writer's timer, not on this thread
        for log in loggers:
            log(event)

    live = run_context.live = LiveEvents(deliver)
    try:
        for event in _run_events(run_context, executor, active):
            if not live.taken(event):
                writer.write(event)
                for log in loggers:
                    log(event)
            elif not timed:
                writer.write(event)
            yield event
    finally:
        # A thread the run's code left behind may still log: not into a closed writer.
        run_context.live = None
        live.close()
        writer.close()
        for log in loggers:
            getattr(log, "close", lambda: None)()


def _run_events(run_context: RunContext, executor: Executor, active: ActiveExecution
                ) -> Iterator[EventRecord]:
    """The run's events; a run that ends while steps are open (canceled, or failed outside
    any step) first gives each of them a STEP_FAILURE saying so, so no step stays running."""
    open_steps = OpenSteps()
    for event in _run_events_closing(run_context, executor, active, open_steps):
        open_steps.note(event)
        yield event


def _run_events_closing(run_context: RunContext, executor: Executor, active: ActiveExecution,
                        open_steps: OpenSteps) -> Iterator[EventRecord]:
    name = run_context.pipeline_name
    pending = run_context.pending_logs
    yield run_context.event(EventType.PIPELINE_START, f'Started execution of pipeline "{name}".')
    try:
        for event in execute_plan(run_context, active, executor):
            if pending:
                yield from run_context.drain_logs()
            yield event
    except (DagsterExecutionInterruptedError, KeyboardInterrupt) as interrupt:
        yield from run_context.drain_logs()
        if not run_context.cancel_reported:
            yield run_context.event(EventType.PIPELINE_CANCELING,
                                    "Sending run termination request.", level=30)
        yield from open_steps.close(run_context, canceled=True, cause="the run was canceled")
        yield run_context.event(EventType.PIPELINE_CANCELED,
                                f'Execution of pipeline "{name}" canceled.', level=40)
        if isinstance(interrupt, KeyboardInterrupt):
            raise
        return
    except GeneratorExit:  # the consumer stopped iterating: nothing more may be yielded
        raise
    except BaseException as exc:
        yield from run_context.drain_logs()
        yield from open_steps.close(run_context, canceled=False,
                                    cause=f"the run failed ({type(exc).__name__}: {exc})")
        yield run_context.event(
            EventType.PIPELINE_FAILURE,
            f'Execution of pipeline "{name}" failed. An exception was thrown during execution.',
            level=40, data={"error": serializable_error_info(exc)},
        )
        # Like the legacy engine, an error outside any step (e.g. a resource that fails to
        # initialise) ends the run as a failure; it is raised only with raise_on_error.
        if run_context.raise_on_error or not isinstance(exc, Exception):
            raise
        return
    yield from run_context.drain_logs()
    failed = active.failed_steps()
    if failed or active.abandoned:
        yield run_context.event(
            EventType.PIPELINE_FAILURE,
            f'Execution of pipeline "{name}" failed. Steps failed: {failed}.',
            level=40, data={"failed_steps": failed, "abandoned_steps": sorted(active.abandoned)},
        )
    else:
        yield run_context.event(EventType.PIPELINE_SUCCESS,
                                f'Finished execution of pipeline "{name}".')


def _create_run(instance: Instance, prepared: PreparedRun) -> None:
    stored = instance.create_run(prepared.run, pipeline_snapshot(prepared.pipeline_def),
                                 prepared.plan.snapshot())
    if stored is not None:
        prepared.run = stored


def execute_in_process(prepared: PreparedRun, instance: Instance, raise_on_error: bool,
                       output_run_ids: dict[str, str] | None = None,
                       known_mapping_keys: dict[tuple[str, str], list[str]] | None = None,
                       ) -> PipelineExecutionResult:
    """Store the prepared run, execute it here, and return its result (output values
    captured in memory, or loaded through their IO managers)."""
    _create_run(instance, prepared)
    capture: dict = {}
    events = list(execute_run_iterator(prepared, instance, raise_on_error, capture,
                                       output_run_ids, known_mapping_keys))
    return PipelineExecutionResult(prepared.pipeline_def, prepared.run.run_id, events, capture,
                                   _output_loader(prepared, instance))


def execute_pipeline(
    pipeline: Any,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: dict[str, Any] | None = None,
    solid_selection: list[str] | None = None,
    instance: Instance | None = None,
    raise_on_error: bool = True,
    run_id: str | None = None,
) -> PipelineExecutionResult:
    """Execute a pipeline in this process and return its result.

    With no ``instance`` an ephemeral in-memory one is used. ``raise_on_error`` re-raises the
    first user exception (after the run's failure is recorded)."""
    prepared = prepare_run(pipeline, run_config, mode, preset, tags, solid_selection,
                           run_id=run_id)
    instance = instance if instance is not None else _ephemeral_instance()
    return execute_in_process(prepared, instance, raise_on_error)


def execute_pipeline_iterator(
    pipeline: Any,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: dict[str, Any] | None = None,
    solid_selection: list[str] | None = None,
    instance: Instance | None = None,
) -> Iterator[EventRecord]:
    """Execute a pipeline, yielding each event as it happens."""
    prepared = prepare_run(pipeline, run_config, mode, preset, tags, solid_selection)
    instance = instance if instance is not None else _ephemeral_instance()
    _create_run(instance, prepared)
    yield from execute_run_iterator(prepared, instance)


def _output_loader(prepared: PreparedRun, instance: Instance):
    """Loads an output through its IO manager when it was not captured in this process."""

    def load(step_key: str, output_name: str, mapping_key: str | None) -> Any:
        from .context import InputContext, OutputContext
        from .resources import ResourceScope

        step = prepared.plan.steps[step_key]
        out_def = step.solid_def.output_dict[output_name]
        run_context = RunContext(prepared.pipeline_def, prepared.run, prepared.run_config,
                                 prepared.mode_def, instance, plan=prepared.plan)
        scope = ResourceScope()
        for _ in scope.initialize(run_context, {out_def.io_manager_key}):
            pass
        try:
            manager = scope.values[out_def.io_manager_key]
            upstream = OutputContext(step_key=step_key, name=output_name,
                                     run_id=prepared.run.run_id, mapping_key=mapping_key,
                                     pipeline_name=prepared.pipeline_def.name)
            return manager.load_input(InputContext(name=output_name, upstream_output=upstream,
                                                   pipeline_name=prepared.pipeline_def.name))
        finally:
            for _ in scope.teardown(run_context):
                pass

    return load


def execute_solid(
    solid_def: Any,
    mode_def: Any = None,
    input_values: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    run_config: dict[str, Any] | None = None,
    raise_on_error: bool = True,
    instance: Instance | None = None,
):
    """Execute one solid (in a one-solid pipeline) with the given input values.

    As in the legacy API, each input value comes from a solid named after the input that
    returns it, so the input counts as connected (no ``solids.<s>.inputs`` config needed)."""
    from ..definitions.dependency import DependencyDefinition
    from ..definitions.mode import ModeDefinition
    from ..definitions.solid import lambda_solid

    def value_solid(input_name: str, value: Any):
        return lambda_solid(name=input_name)(lambda: value)

    solid_defs = [solid_def]
    dependencies: dict[str, dict[str, Any]] = {solid_def.name: {}}
    for input_name, value in (input_values or {}).items():
        solid_defs.append(value_solid(input_name, value))
        dependencies[solid_def.name][input_name] = DependencyDefinition(input_name)
    pipeline_def = PipelineDefinition(
        solid_defs=solid_defs,
        name=f"ephemeral_{solid_def.name}_solid_pipeline",
        dependencies=dependencies,
        mode_defs=[mode_def or ModeDefinition()],
    )
    prepared = prepare_run(pipeline_def, run_config, mode=mode_def.name if mode_def else None,
                           tags=tags)
    instance = instance if instance is not None else _ephemeral_instance()
    result = execute_in_process(prepared, instance, raise_on_error)
    return result.result_for_solid(solid_def.name)


def execute_solids_within_pipeline(
    pipeline_def: PipelineDefinition,
    solid_names: set[str] | frozenset[str],
    inputs: dict[str, dict[str, Any]] | None = None,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: dict[str, Any] | None = None,
    instance: Instance | None = None,
) -> dict[str, Any]:
    """Execute only ``solid_names`` of the pipeline (the legacy test helper): ``inputs`` gives
    input values by solid name (``{"add": {"x": 1}}``) for inputs whose upstream solid is not
    executed; the results are keyed by solid name."""
    subset = pipeline_def.get_pipeline_subset_def(set(solid_names))
    stubbed = _with_input_stubs(subset, inputs or {})
    prepared = prepare_run(stubbed, run_config, mode=mode, preset=preset, tags=tags)
    instance = instance if instance is not None else _ephemeral_instance()
    result = execute_in_process(prepared, instance, raise_on_error=True)
    return {r.solid.name: r for r in result.solid_result_list}


def _with_input_stubs(pipeline_def: PipelineDefinition,
                      inputs: dict[str, dict[str, Any]]) -> PipelineDefinition:
    """The pipeline with each given input fed by a solid ``__stub_<solid>_<input>`` that
    returns the value (as the legacy helper builds it: the input counts as connected)."""
    from ..definitions.dependency import Graph, InputDep, Node, OutputRef
    from ..definitions.solid import lambda_solid

    def stub(name: str, value: Any) -> Any:
        return lambda_solid(name=name)(lambda: value)

    graph = pipeline_def.graph
    nodes = [graph.nodes[n] for n in graph.order]
    deps = {n: dict(d) for n, d in graph.deps.items()}
    for solid_name, values in inputs.items():
        if solid_name not in graph.nodes:
            raise DagsterInvariantViolationError(
                f"You are injecting an input value for solid {solid_name} into pipeline "
                f"{pipeline_def.name} but that solid was not found"
            )
        for input_name, value in values.items():
            stub_def = stub(f"__stub_{solid_name}_{input_name}", value)
            nodes.append(Node(stub_def.name, stub_def))
            deps.setdefault(solid_name, {})[input_name] = InputDep(
                "direct", (OutputRef(stub_def.name),))
    name = f"{pipeline_def.name}_stubbed"
    return PipelineDefinition(name=name, graph=Graph(name, nodes, deps),
                              mode_defs=pipeline_def.mode_definitions,
                              preset_defs=pipeline_def.preset_defs)


def execute_solid_within_pipeline(
    pipeline_def: PipelineDefinition,
    solid_name: str,
    inputs: dict[str, Any] | None = None,
    run_config: dict[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: dict[str, Any] | None = None,
    instance: Instance | None = None,
) -> Any:
    """Execute one solid of the pipeline with ``inputs`` given directly; its result."""
    return execute_solids_within_pipeline(
        pipeline_def, {solid_name}, {solid_name: inputs} if inputs else None, run_config,
        mode, preset, tags, instance)[solid_name]


__all__ = [
    "execute_pipeline",
    "execute_pipeline_iterator",
    "execute_run_iterator",
    "execute_solid",
    "execute_solid_within_pipeline",
    "execute_solids_within_pipeline",
    "prepare_run",
]
