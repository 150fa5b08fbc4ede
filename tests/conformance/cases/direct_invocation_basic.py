"""Calling solids directly in tests, the 0.12 way."""

from orch import (
    AssetMaterialization,
    ExpectationResult,
    Output,
    OutputDefinition,
    build_solid_context,
    solid,
)


@solid
def add(context, a: int, b: int):
    return a + b


@solid(config_schema={"factor": int})
def scale(context, num: int):
    return num * context.solid_config["factor"]


@solid(output_defs=[OutputDefinition(name="first"), OutputDefinition(name="second")])
def two_outputs(context):
    yield Output(1, "first")
    yield Output(2, "second")


@solid
def no_context(num):
    return num * 2


def run_add():
    return add(build_solid_context(), a=1, b=2)


def run_scale():
    return scale(build_solid_context(config={"factor": 3}), 5)


def run_two_outputs():
    return two_outputs(build_solid_context())


def run_no_context():
    return no_context(21)


def run_missing_input():
    return add(build_solid_context(), a=1)


@solid
def records_events(context):
    context.log_event(AssetMaterialization("table"))
    context.log_event(ExpectationResult(True, label="checked"))
    return 1


def run_logged_events_on_direct_invocation():
    context = build_solid_context()
    value = records_events(context)
    return [value, [type(e).__name__ for e in context.get_events()]]
