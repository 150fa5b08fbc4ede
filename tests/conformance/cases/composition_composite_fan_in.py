"""A list of a composite's inputs fans in to one inner input."""

from orch import composite_solid, execute_pipeline, lambda_solid, pipeline, solid


@lambda_solid
def num():
    return 5


@solid
def total(context, nums):
    return sum(nums)


@composite_solid
def fan_in_composite(a, b):
    return total([a, b])


@pipeline
def composite_fan_in_pipeline():
    fan_in_composite(num(), num.alias("num_2")())


def run_composite_fan_in():
    return execute_pipeline(composite_fan_in_pipeline)


@composite_solid
def mixed_composite(a):
    return total([a, num.alias("inner_num")()])


@pipeline
def mixed_fan_in_pipeline():
    mixed_composite(num())


def run_mixed_fan_in():
    """A composite input and an inner solid's output in one list."""
    return execute_pipeline(mixed_fan_in_pipeline)


@pipeline
def config_fed_pipeline():
    fan_in_composite(num())


def run_composite_input_from_config():
    """The composite input that is not connected comes from its run config."""
    return execute_pipeline(config_fed_pipeline, run_config={
        "solids": {"fan_in_composite": {"inputs": {"b": {"value": 7}}}}})


def run_composite_input_missing():
    return execute_pipeline(config_fed_pipeline)


@composite_solid
def outer_composite(x, y):
    return fan_in_composite(y, x)


@pipeline
def nested_fan_in_pipeline():
    outer_composite(num(), num.alias("num_2")())


def run_nested_composite_fan_in():
    """The fanned-in composite inputs are themselves mapped from an outer composite."""
    return execute_pipeline(nested_fan_in_pipeline)


def run_fan_in_input_mappings():
    """What the composite reports about its fanned-in input mappings."""
    return [(m.definition.name, m.maps_to.solid_name, m.maps_to.input_name,
             m.maps_to.fan_in_index, m.maps_to_fan_in, m.describe())
            for m in fan_in_composite.input_mappings + mixed_composite.input_mappings]
