"""Fan-in: a list of outputs arrives as a Python list."""

from orch import InputDefinition, List, execute_pipeline, lambda_solid, pipeline, solid


@lambda_solid
def one():
    return 1


@lambda_solid
def two():
    return 2


@solid(input_defs=[InputDefinition("nums", List[int])])
def add_all(context, nums):
    return sum(nums)


@pipeline
def fan_in_pipeline():
    add_all([one(), two(), one.alias("another_one")()])


def run_fan_in():
    return execute_pipeline(fan_in_pipeline)
