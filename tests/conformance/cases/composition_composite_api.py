"""The composite definition API: mapping_to/mapping_from and CompositeSolidDefinition."""

from orch import (
    CompositeSolidDefinition,
    DependencyDefinition,
    InputDefinition,
    OutputDefinition,
    execute_pipeline,
    lambda_solid,
    pipeline,
)


@lambda_solid(input_defs=[InputDefinition("num", int)], output_def=OutputDefinition(int))
def add_one(num):
    return num + 1


@lambda_solid(input_defs=[InputDefinition("num", int)], output_def=OutputDefinition(int))
def double(num):
    return num * 2


add_then_double = CompositeSolidDefinition(
    name="add_then_double",
    solid_defs=[add_one, double],
    input_mappings=[InputDefinition("start", int).mapping_to("add_one", "num")],
    output_mappings=[OutputDefinition(int, "out").mapping_from("double")],
    dependencies={"double": {"num": DependencyDefinition("add_one")}},
)


@lambda_solid
def three():
    return 3


@pipeline
def composite_api_pipeline():
    add_then_double(three())


def run_composite_api():
    return execute_pipeline(composite_api_pipeline)


def run_introspection():
    return [
        [m.definition.name for m in add_then_double.input_mappings],
        sorted(s.name for s in add_then_double.solids),
        add_then_double.solid_named("add_one").name,
        add_then_double.input_has_default("start"),
    ]


@lambda_solid(input_defs=[InputDefinition("num", int)])
def untyped_double(num):
    return num * 2


def run_output_mapping_type_mismatch():
    return CompositeSolidDefinition(
        name="mismatched_out", solid_defs=[untyped_double],
        input_mappings=[InputDefinition("start", int).mapping_to("untyped_double", "num")],
        output_mappings=[OutputDefinition(int, "out").mapping_from("untyped_double")],
    )


def run_input_mapping_type_mismatch():
    return CompositeSolidDefinition(
        name="mismatched_in", solid_defs=[add_one],
        input_mappings=[InputDefinition("start", str).mapping_to("add_one", "num")],
        output_mappings=[OutputDefinition(int, "out").mapping_from("add_one")],
    )


def run_mapping_to_unknown_solid():
    return CompositeSolidDefinition(
        name="unknown_target", solid_defs=[add_one],
        input_mappings=[InputDefinition("start", int).mapping_to("nope", "num")],
        output_mappings=[OutputDefinition(int, "out").mapping_from("add_one")],
    )
