"""The multiprocess executor with a reconstructable pipeline and a persistent instance."""

from orch import (
    DagsterInstance,
    ModeDefinition,
    execute_pipeline,
    fs_io_manager,
    pipeline,
    reconstructable,
    solid,
)


@solid
def left(context):
    return 2


@solid
def right(context):
    return 3


@solid
def multiply(context, a, b):
    return a * b


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def mp_pipeline():
    multiply(left(), right())


def run_multiprocess():
    instance = DagsterInstance.local_temp()
    return execute_pipeline(reconstructable(mp_pipeline), instance=instance, run_config={
        "execution": {"multiprocess": {"config": {"max_concurrent": 2}}}})


def run_not_reconstructable():
    instance = DagsterInstance.local_temp()
    return execute_pipeline(mp_pipeline, instance=instance, run_config={
        "execution": {"multiprocess": {}}})
