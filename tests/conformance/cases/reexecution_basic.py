"""reexecute_pipeline: a subset of the parent's steps, reusing the parent's stored outputs."""

from orch import (
    DagsterInstance,
    ModeDefinition,
    execute_pipeline,
    fs_io_manager,
    pipeline,
    reexecute_pipeline,
    solid,
)

CALLS = []


@solid
def expensive(context):
    CALLS.append("expensive")
    return 10


@solid
def cheap(context, x):
    CALLS.append("cheap")
    return x + 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def rerun_pipeline():
    cheap(expensive())


def run_reexecute_step():
    instance = DagsterInstance.local_temp()
    parent = execute_pipeline(rerun_pipeline, instance=instance)
    CALLS.clear()
    child = reexecute_pipeline(rerun_pipeline, parent_run_id=parent.run_id,
                               step_selection=["cheap"], instance=instance)
    return [child.success, CALLS, child.result_for_solid("cheap").output_value()]


def run_reexecute_result():
    instance = DagsterInstance.local_temp()
    parent = execute_pipeline(rerun_pipeline, instance=instance)
    return reexecute_pipeline(rerun_pipeline, parent_run_id=parent.run_id,
                              step_selection=["cheap"], instance=instance)


def run_reexecute_unknown_step():
    instance = DagsterInstance.local_temp()
    parent = execute_pipeline(rerun_pipeline, instance=instance)
    return reexecute_pipeline(rerun_pipeline, parent_run_id=parent.run_id,
                              step_selection=["nope"], instance=instance)


def run_parent_tags():
    instance = DagsterInstance.local_temp()
    parent = execute_pipeline(rerun_pipeline, instance=instance)
    child = reexecute_pipeline(rerun_pipeline, parent_run_id=parent.run_id,
                               step_selection=["cheap"], instance=instance)
    run = instance.get_run_by_id(child.run_id)
    return [run.parent_run_id == parent.run_id, run.root_run_id == parent.run_id,
            sorted(run.tags)]


def run_reexecute_iterator():
    from orch import reexecute_pipeline_iterator

    instance = DagsterInstance.local_temp()
    parent = execute_pipeline(rerun_pipeline, instance=instance)
    CALLS.clear()
    events = list(reexecute_pipeline_iterator(rerun_pipeline, parent_run_id=parent.run_id,
                                              step_selection=["cheap"], instance=instance))
    return [CALLS, [(e.step_key, e.event_type_value) for e in events
                    if e.event_type_value in ("STEP_START", "STEP_SUCCESS", "LOADED_INPUT")],
            [e.event_type_value for e in events if e.step_key is None][-1]]
