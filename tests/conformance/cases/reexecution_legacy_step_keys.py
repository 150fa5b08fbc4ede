"""Step keys in the pre-0.10 form ``<solid>.compute`` given to re-execution."""

from orch import (
    DagsterInstance,
    ModeDefinition,
    composite_solid,
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


@solid(name="compute")
def compute_solid(context, x):
    CALLS.append("compute")
    return x * 2


@composite_solid
def wrap(x):
    return compute_solid(x)


FS = [ModeDefinition(resource_defs={"io_manager": fs_io_manager})]


@pipeline(mode_defs=FS)
def legacy_keys_pipeline():
    wrap(cheap(expensive()))


def _rerun(step_selection):
    instance = DagsterInstance.local_temp()
    parent = execute_pipeline(legacy_keys_pipeline, instance=instance)
    CALLS.clear()
    child = reexecute_pipeline(legacy_keys_pipeline, parent_run_id=parent.run_id,
                               step_selection=step_selection, instance=instance)
    return [child.success, sorted(CALLS),
            child.result_for_solid("cheap").output_value() if "cheap" in CALLS else None]


def run_plain_key():
    return _rerun(["cheap"])


def run_compute_suffix():
    return _rerun(["cheap.compute"])


def run_compute_suffix_with_downstream():
    return _rerun(["cheap.compute*"])


def run_inner_solid_named_compute():
    """``wrap.compute`` is a real step key here (the inner solid is named compute)."""
    return _rerun(["wrap.compute"])


def run_unknown_compute_key():
    return _rerun(["nope.compute"])
