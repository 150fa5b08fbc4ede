"""Mistakes when composing, each rejected at definition time."""

from orch import (
    InputDefinition,
    Output,
    OutputDefinition,
    composite_solid,
    lambda_solid,
    pipeline,
    solid,
)


@lambda_solid
def one():
    return 1


@solid
def add(context, a, b):
    return a + b


@solid(output_defs=[OutputDefinition(name="x"), OutputDefinition(name="y")])
def pair(context):
    yield Output(1, "x")
    yield Output(2, "y")


def run_unused_composite_input():
    @composite_solid(input_defs=[InputDefinition("unused")])
    def ignores_input():
        return one()

    return ignores_input


def run_composite_outputs_mismatch():
    @composite_solid(output_defs=[OutputDefinition(name="a")])
    def wrong_outputs():
        return {"b": one()}

    return wrong_outputs


def run_unpack_single_output():
    @pipeline
    def unpacks():
        a, b = one()
        add(a, b)

    return unpacks


def run_alias_on_invoked():
    @pipeline
    def aliased():
        one().alias("x")

    return aliased


def run_multi_output_passed_whole():
    @pipeline
    def whole():
        add(pair(), one())

    return whole


def run_unknown_kwarg_input():
    @pipeline
    def wrong_kwarg():
        add(a=one(), c=one())

    return wrong_kwarg


def run_invocation_outside_composition():
    return add(one, one)
