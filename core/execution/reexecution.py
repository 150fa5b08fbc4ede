"""Re-execution: run a subset of an earlier run's steps, loading every other input from the
run that produced it (LEGACY_API.md §2, step selection for re-execution).

The new run records ``parent_run_id``/``root_run_id`` and the selection tags. Outputs of steps
that are not re-run are looked up along the chain of parents, so a re-execution of a
re-execution still finds outputs computed several runs back.

This module holds every re-execution rule: ``orch run --parent``/``--from-failure``
(:func:`reexecution_args`), the watch loop's and the app's child runs
(:func:`child_run_kwargs`), and :func:`reexecute_pipeline`. A selection is made over the
parent's plan (mapped steps resolved to the parent's keys); a mapped step whose producer is
re-executed is resolved again from the keys the producer yields (:func:`mapped_from_new_keys`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import DagsterInvariantViolationError, DagsterRunNotFoundError
from ..events import EventRecord, EventType
from ..plan.plan import ExecutionPlan
from ..runs import (
    IS_RESUME_RETRY_TAG,
    PARENT_RUN_ID_TAG,
    ROOT_RUN_ID_TAG,
    STEP_SELECTION_TAG,
    PipelineRun,
    PipelineRunStatus,
)
from ..selection import downstream_closure, select_steps, split_selection

_OUTCOMES = {EventType.STEP_SUCCESS, EventType.STEP_FAILURE, EventType.STEP_SKIPPED}


def _run_chain(instance: Any, run: PipelineRun) -> list[PipelineRun]:
    """The run's ancestors, nearest first."""
    chain: list[PipelineRun] = []
    parent_id = run.parent_run_id
    while parent_id:
        parent = instance.get_run(parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_run_id
    return chain


def _outputs_by_step(instance: Any, run_id: str) -> dict[str, list[tuple[str, str | None]]]:
    produced: dict[str, list[tuple[str, str | None]]] = {}
    for event in instance.get_logs_for_run(run_id, of_type=EventType.STEP_OUTPUT):
        produced.setdefault(event.step_key, []).append(
            (event.data["output_name"], event.data.get("mapping_key"))
        )
    return produced


def parent_outputs(instance: Any, run: PipelineRun, plan: ExecutionPlan
                   ) -> tuple[dict[str, str], dict[tuple[str, str], list[str]]]:
    """For a re-execution: which earlier run produced each step output it will load, and the
    mapping keys of dynamic outputs it will not recompute. ``({}, {})`` for a fresh run."""
    if not run.parent_run_id:
        return {}, {}
    output_run_ids: dict[str, str] = {}
    mapping_keys: dict[tuple[str, str], list[str]] = {}
    for ancestor in _run_chain(instance, run):
        for step_key, outputs in _outputs_by_step(instance, ancestor.run_id).items():
            if step_key in output_run_ids:
                continue
            output_run_ids[step_key] = ancestor.run_id
            for output_name, mapping_key in outputs:
                if mapping_key is not None:
                    mapping_keys.setdefault((step_key, output_name), []).append(mapping_key)
    executing = set(run.step_keys_to_execute or ())
    return (
        {k: v for k, v in output_run_ids.items() if k not in executing},
        {k: v for k, v in mapping_keys.items() if k[0] not in executing},
    )


LATEST = "latest"


def resolve_parent_run(instance: Any, ref: str, pipeline_name: str | None = None
                       ) -> PipelineRun:
    """The run ``ref`` names: a run id, the start of exactly one run id, or ``latest`` (the
    newest run, of ``pipeline_name`` when given). Raises DagsterRunNotFoundError saying which
    instance was searched (and why that one), or DagsterInvariantViolationError listing the
    runs an ambiguous prefix matches."""
    where = f"the instance {instance.root_dir}" + (
        f" ({instance.home_reason})" if getattr(instance, "home_reason", None) else "")
    if ref == LATEST:
        newest = instance.get_runs(pipeline_name=pipeline_name, limit=1)
        if not newest:
            of = f' of pipeline "{pipeline_name}"' if pipeline_name else ""
            raise DagsterRunNotFoundError(f"No runs{of} in {where}.")
        return newest[0]
    run = instance.get_run(ref) if ref else None
    if run is not None:
        return run
    matches = [r for r in instance.get_runs() if ref and r.run_id.startswith(ref)]
    if len(matches) > 1:
        raise DagsterInvariantViolationError(
            f'The run id prefix "{ref}" is ambiguous: {", ".join(r.run_id for r in matches)}.')
    if not matches:
        raise DagsterRunNotFoundError(f'No run "{ref}" in {where}.')
    return matches[0]


def _was_selected(run: PipelineRun, step_key: str) -> bool:
    keys = run.step_keys_to_execute
    if keys is None:
        return True
    return step_key in keys or f"{step_key.split('[', 1)[0]}[?]" in keys


def steps_from_failure(instance: Any, parent: PipelineRun, plan: ExecutionPlan) -> list[str]:
    """Failed, interrupted and never-run steps of ``parent``, and everything downstream."""
    outcomes: dict[str, EventType] = {}
    for event in instance.get_logs_for_run(parent.run_id, of_type=_OUTCOMES):
        outcomes[event.step_key] = event.event_type
    _, children = plan.step_graph()
    # Failed, interrupted (started, no outcome) and never-run steps; skipped ones only when
    # downstream of those (the closure below adds them).
    # Only steps the parent was asked to execute: the rest of a partial re-execution's plan
    # has no outcome there because its outputs came from further up the chain.
    roots = [k for k in plan.order
             if (outcomes.get(k) is EventType.STEP_FAILURE or k not in outcomes)
             and _was_selected(parent, k)]
    if not roots:
        raise DagsterInvariantViolationError(
            f"Run {parent.run_id} has no failed or unfinished steps to re-execute from failure."
        )
    selected = downstream_closure(roots, children)
    return [k for k in plan.order if k in selected]


def _parent_plan(instance: Any, pipeline: Any, parent: PipelineRun, run_config: dict | None,
                 mode: str) -> tuple[Any, dict[str, tuple[str, str]]]:
    """The pipeline's plan with each dynamic output the parent produced resolved to the
    parent's mapping keys, and its mapped steps: handle -> (``x[?]`` key, producer key)."""
    from .api import prepare_run

    full = prepare_run(pipeline, run_config=run_config, mode=mode,
                       solid_selection=parent.solid_selection)
    mapped = {s.handle: (s.key, s.dynamic_source[0]) for s in full.plan.steps.values()
              if s.kind == "UNRESOLVED_MAPPED" and s.dynamic_source}
    _, keys = parent_outputs(instance, PipelineRun(pipeline_name=parent.pipeline_name,
                                                   parent_run_id=parent.run_id), full.plan)
    for (producer, output), mapping in keys.items():
        full.plan.resolve(producer, output, mapping)
    return full, mapped


def mapped_from_new_keys(plan: ExecutionPlan, mapped: dict[str, tuple[str, str]],
                         selected: set[str]) -> set[str]:
    """A producer that is re-executed yields its mapping keys anew. Where the selection holds
    every copy of a mapped step (``x[k]`` for the parent's keys) and that step's producer, it
    holds the mapped step itself (``x[?]``) instead: the run resolves the copies from the
    keys the producer yields now, so a new key gets its copy and a key that is gone is not
    run (nor collected)."""
    out = set(selected)
    for handle, (placeholder, producer) in mapped.items():
        if producer not in selected:
            continue  # the producer's keys come from the parent: its copies stay as chosen
        copies = {k for k in plan.order if plan.steps[k].handle == handle and
                  (plan.steps[k].mapping_key is not None or k == placeholder)}
        if copies and copies <= selected:
            out = (out - copies) | {placeholder}
    return out


def reexecution_args(instance: Any, pipeline: Any, parent_run_id: str,
                     step_selection: list[str] | str | None = None,
                     from_failure: bool = False, run_config: dict | None = None,
                     mode: str | None = None, tags: dict | None = None,
                     extra_config: dict | None = None) -> dict[str, Any]:
    """Keyword arguments for ``prepare_run`` that make a child run of ``parent_run_id``:
    the parent's run config unless ``run_config`` is given, with ``extra_config`` (the
    executor flags) merged in."""
    parent = resolve_parent_run(instance, parent_run_id)
    if not instance.is_persistent:
        raise DagsterInvariantViolationError(
            "Re-execution needs a persistent instance (ORCH_HOME): an ephemeral one keeps no "
            "outputs to reuse."
        )
    base: dict[str, Any] = dict(run_config=_child_config(parent, run_config, extra_config),
                                mode=mode or parent.mode, solid_selection=parent.solid_selection)
    full, mapped = _parent_plan(instance, pipeline, parent, base["run_config"], base["mode"])
    _check_persistent_io(full)
    if from_failure:
        step_keys: list[str] | None = steps_from_failure(instance, parent, full.plan)
        selection_tag = {IS_RESUME_RETRY_TAG: "true"}
    elif step_selection:
        parents, children = full.plan.step_graph()
        step_keys = list(select_steps(step_selection, parents, children))
        selection_tag = {STEP_SELECTION_TAG: ",".join(split_selection(step_selection))}
    else:
        step_keys, selection_tag = None, {}
    if step_keys is not None:
        step_keys = sorted(mapped_from_new_keys(full.plan, mapped, set(step_keys)))
    root = parent.root_run_id or parent.run_id
    return dict(
        base,
        step_keys_to_execute=step_keys,
        parent_run_id=parent.run_id,
        root_run_id=root,
        tags={**(tags or {}), PARENT_RUN_ID_TAG: parent.run_id, ROOT_RUN_ID_TAG: root,
              **selection_tag},
    )


def _child_config(parent: PipelineRun, run_config: dict | None, extra_config: dict | None
                  ) -> dict[str, Any]:
    """A child run's config: ``run_config``, else the parent's; ``extra_config`` merged in."""
    from ..definitions.preset import deep_merge

    config = dict(parent.run_config or {}) if run_config is None else dict(run_config)
    return deep_merge(config, extra_config) if extra_config else config


def _memory_io_manager(prepared: Any) -> str | None:
    """The key of an IO manager of the run's mode that keeps outputs only in memory (so a
    later run cannot load them), or None."""
    mode = prepared.mode_def
    for step in prepared.plan.steps.values():
        for out in step.solid_def.output_defs:
            definition = mode.resource_defs.get(out.io_manager_key)
            if definition is not None and \
                    not getattr(definition, "persists_across_processes", True):
                return out.io_manager_key
    return None


def child_run_kwargs(instance: Any, pipeline: Any, parent_run_id: str, *,
                     step_selection: list[str] | str | None = None,
                     changed_solids: list[str] | None = None, include_failed: bool = True,
                     run_config: dict[str, Any] | None = None, mode: str | None = None,
                     tags: dict[str, Any] | None = None,
                     extra_config: dict[str, Any] | None = None
                     ) -> tuple[dict[str, Any] | None, str | None]:
    """``create_run`` kwargs for the next run of a watch loop, a child of ``parent_run_id``.

    Steps: the ``step_selection`` over the parent's (resolved) plan, default all; with
    ``changed_solids`` only those solids' steps and everything downstream of them (within
    the selection); with ``include_failed`` also the steps of a parent that did not succeed
    which failed or never finished, and their downstream (so a failure upstream of the
    selection is retried rather than leaving nothing to load). ``(None, note)`` when nothing
    is to run. When every step is selected and outputs live only in memory the run is a
    fresh one (nothing could be reused anyway)."""
    parent = resolve_parent_run(instance, parent_run_id)
    run_config = _child_config(parent, run_config, extra_config)
    mode = mode or parent.mode
    full, _ = _parent_plan(instance, pipeline, parent, run_config, mode)
    order = list(full.plan.order)
    parents, children = full.plan.step_graph()
    clauses = split_selection(step_selection) if step_selection else []
    selected = set(select_steps(clauses, parents, children)) if clauses else set(order)
    described = ",".join(clauses) if clauses else "*"
    if changed_solids is not None:
        changed = set(changed_solids)
        roots = [k for k in order if full.plan.steps[k].handle in changed]
        selected &= downstream_closure(roots, children)
        described = f"changed:{','.join(sorted(changed)) or '-'}" + \
            (f" within {','.join(clauses)}" if clauses else "")
    if include_failed and parent.status is not PipelineRunStatus.SUCCESS:
        try:
            retry = set(steps_from_failure(instance, parent, full.plan))
        except DagsterInvariantViolationError:
            retry = set()
        if retry - selected:
            described += f" + unfinished:{','.join(k for k in order if k in retry - selected)}"
        selected |= retry
    if not selected:
        return None, ("No solid's code changed; nothing to re-execute."
                      if changed_solids is not None else "Nothing selected to re-execute.")
    everything = selected >= set(order)
    if everything and _memory_io_manager(full) is not None:
        return (dict(run_config=run_config, mode=mode, tags=tags,
                     solid_selection=parent.solid_selection),
                "Outputs are kept in memory, so nothing can be reused: running the whole "
                "pipeline as a new run.")
    step_keys = None if everything else [k for k in order if k in selected]
    args = reexecution_args(instance, pipeline, parent.run_id, step_selection=step_keys,
                            run_config=run_config, mode=mode, tags=tags)
    if step_keys is not None:
        args["tags"][STEP_SELECTION_TAG] = described
    return args, None


def _check_persistent_io(prepared: Any) -> None:
    key = _memory_io_manager(prepared)
    if key is not None:
        raise DagsterInvariantViolationError(
            f'Cannot re-execute pipeline "{prepared.pipeline_def.name}": IO manager "{key}" '
            f'of mode "{prepared.mode_def.name}" kept the outputs of the earlier run in '
            "memory, so there is nothing to reuse. Use a persistent IO manager: "
            f'ModeDefinition(resource_defs={{"{key}": fs_io_manager}}), then run the '
            "pipeline again."
        )


def reexecute_pipeline(pipeline: Any, parent_run_id: str, run_config: dict | None = None,
                       step_selection: list[str] | None = None, mode: str | None = None,
                       preset: str | None = None, tags: dict | None = None,
                       instance: Any = None, raise_on_error: bool = True,
                       from_failure: bool = False):
    """Re-execute ``step_selection`` (or the failed part, ``from_failure``) of an earlier run,
    in this process, reusing the outputs of every step not selected."""
    from .api import execute_in_process

    prepared, output_run_ids, keys = _prepared_reexecution(
        pipeline, parent_run_id, run_config, step_selection, mode, preset, tags, instance,
        from_failure)
    return execute_in_process(prepared, instance, raise_on_error, output_run_ids, keys)


def reexecute_pipeline_iterator(pipeline: Any, parent_run_id: str,
                                run_config: dict | None = None,
                                step_selection: list[str] | None = None, mode: str | None = None,
                                preset: str | None = None, tags: dict | None = None,
                                instance: Any = None) -> Iterator[EventRecord]:
    """As ``reexecute_pipeline``, yielding each event as it happens."""
    from .api import _create_run, execute_run_iterator

    prepared, output_run_ids, keys = _prepared_reexecution(
        pipeline, parent_run_id, run_config, step_selection, mode, preset, tags, instance, False)
    _create_run(instance, prepared)
    yield from execute_run_iterator(prepared, instance, False, None, output_run_ids, keys)


def _prepared_reexecution(pipeline: Any, parent_run_id: str, run_config: dict | None,
                          step_selection: list[str] | None, mode: str | None,
                          preset: str | None, tags: dict | None, instance: Any,
                          from_failure: bool
                          ) -> tuple[Any, dict[str, str], dict[tuple[str, str], list[str]]]:
    """The child run of ``parent_run_id``, prepared, with where its unselected steps' outputs
    are (the parent chain's runs) and the dynamic keys they resolved to."""
    from .api import prepare_run

    if instance is None:
        raise DagsterInvariantViolationError("reexecute_pipeline needs the instance the parent "
                                             "run was recorded in.")
    if preset is not None:  # its config and mode (the selection is the parent's)
        from .api import _definition_of
        from .run_request import apply_preset

        preset_args = apply_preset(_definition_of(pipeline)[0], preset,
                                   run_config=run_config, mode=mode, tags=tags)
        run_config, mode, tags = preset_args.run_config, preset_args.mode, preset_args.tags
    args = reexecution_args(instance, pipeline, parent_run_id, step_selection, from_failure,
                            run_config, mode, tags)
    prepared = prepare_run(pipeline, **args)
    output_run_ids, keys = parent_outputs(instance, prepared.run, prepared.plan)
    return prepared, output_run_ids, keys
