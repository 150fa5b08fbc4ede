"""Direct invocation: multi-output returns, DynamicOutput, aliases, contexts and mistakes."""

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    Field,
    Noneable,
    Output,
    OutputDefinition,
    build_solid_context,
    solid,
)


@solid(output_defs=[OutputDefinition(int, "a"), OutputDefinition(int, "b")])
def returns_tuple(context):
    return 1, 2


@solid(output_defs=[DynamicOutputDefinition(int)])
def dynamic(context):
    for i in range(2):
        yield DynamicOutput(i, mapping_key=f"k{i}")


@solid(config_schema={"x": Field(int, default_value=5), "y": Noneable(int)})
def defaults_only(context):
    return context.solid_config["x"]


@solid
def typed(context, n: int) -> int:
    return n * 2


@solid(output_defs=[OutputDefinition(int)])
def wrong_output_type(context):
    return "text"


@solid
def returns_output_object(context):
    return Output(5)


def run_tuple():
    return returns_tuple(build_solid_context())


def run_dynamic():
    return list(dynamic(build_solid_context()))


def run_defaults_without_context():
    return defaults_only()


def run_defaults_with_context():
    return defaults_only(build_solid_context(config={"y": None}))


def run_alias_call():
    return typed.alias("doubled")(build_solid_context(), 4)


def run_wrong_input_type():
    return typed(build_solid_context(), "x")


def run_wrong_output_type():
    return wrong_output_type(build_solid_context())


def run_output_object():
    return returns_output_object(build_solid_context())


def run_too_many_args():
    return typed(build_solid_context(), 1, 2)


def run_unknown_kwarg():
    return typed(build_solid_context(), m=1)


def run_config_needs_context():
    @solid(config_schema={"x": int})
    def needs(context):
        return context.solid_config["x"]

    return needs()
