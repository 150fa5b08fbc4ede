"""Dynamic outputs: map over each emitted key, then collect the results."""

from orch import DynamicOutput, DynamicOutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[DynamicOutputDefinition(int)])
def emit_files(context):
    for index, name in enumerate(["a", "b", "c"]):
        yield DynamicOutput(value=index + 1, mapping_key=name)


@solid
def square(context, x):
    return x * x


@solid
def total(context, squares):
    return sum(squares)


@pipeline
def dynamic_pipeline():
    total(emit_files().map(square).collect())


def run_dynamic():
    return execute_pipeline(dynamic_pipeline)


def run_mapped_values():
    result = execute_pipeline(dynamic_pipeline)
    return result.result_for_solid("square").output_value()
