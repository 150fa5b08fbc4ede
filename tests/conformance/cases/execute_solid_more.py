"""execute_solid with resources in a mode, multiple outputs, and a failing solid."""

from orch import (
    ModeDefinition,
    Output,
    OutputDefinition,
    execute_solid,
    resource,
    solid,
)


@resource
def multiplier(_):
    return 3


@solid(required_resource_keys={"multiplier"})
def times(context, x: int):
    return x * context.resources.multiplier


@solid(output_defs=[OutputDefinition(name="lo"), OutputDefinition(name="hi")])
def split(context, x: int):
    yield Output(x - 1, "lo")
    yield Output(x + 1, "hi")


@solid
def fails(context):
    raise KeyError("missing")


def run_with_mode():
    return execute_solid(times, mode_def=ModeDefinition(resource_defs={"multiplier": multiplier}),
                         input_values={"x": 5})


def run_outputs():
    return execute_solid(split, input_values={"x": 5}).output_values


def run_fails_not_raising():
    return execute_solid(fails, raise_on_error=False)


def run_fails_raising():
    return execute_solid(fails)


def run_missing_input():
    return execute_solid(times, mode_def=ModeDefinition(resource_defs={"multiplier": multiplier}))
