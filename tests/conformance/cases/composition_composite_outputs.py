"""A composite with several outputs (returned as a dict) and nested composites."""

from orch import OutputDefinition, composite_solid, execute_pipeline, lambda_solid, pipeline, solid


@lambda_solid
def numbers():
    return [3, 1, 2]


@solid
def smallest(context, nums):
    return min(nums)


@solid
def largest(context, nums):
    return max(nums)


@composite_solid(output_defs=[OutputDefinition(name="low"), OutputDefinition(name="high")])
def bounds(nums):
    return {"low": smallest(nums), "high": largest(nums)}


@solid
def spread(context, low, high):
    return high - low


@composite_solid
def spread_of(nums):
    low, high = bounds(nums)
    return spread(low, high)


@pipeline
def nested_pipeline():
    spread_of(numbers())


def run_nested():
    return execute_pipeline(nested_pipeline)
