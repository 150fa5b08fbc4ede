"""Several outputs: yielded Outputs, unpacked as a tuple when composing."""

from orch import Output, OutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[OutputDefinition(int, "count"), OutputDefinition(str, "label")])
def describe(context):
    yield Output(3, "count")
    yield Output("three", "label")


@solid
def repeat(context, count: int, label: str):
    return [label] * count


@pipeline
def describe_pipeline():
    count, label = describe()
    repeat(count, label)


def run_describe():
    return execute_pipeline(describe_pipeline)


def run_output_values():
    result = execute_pipeline(describe_pipeline)
    return result.result_for_solid("describe").output_values
