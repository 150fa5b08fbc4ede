"""A composite solid with input and output mappings, inside a pipeline."""

from orch import composite_solid, execute_pipeline, lambda_solid, pipeline, solid


@lambda_solid
def load_numbers():
    return [1, 2, 3]


@solid
def double_all(context, nums):
    return [n * 2 for n in nums]


@solid
def total(context, nums):
    return sum(nums)


@composite_solid
def double_and_total(nums):
    return total(double_all(nums))


@solid
def report(context, value):
    return f"total is {value}"


@pipeline
def composite_pipeline():
    report(double_and_total(load_numbers()))


def run_composite():
    return execute_pipeline(composite_pipeline)


def run_inner_result():
    result = execute_pipeline(composite_pipeline)
    return result.result_for_solid("double_and_total").result_for_solid("double_all").output_value()
