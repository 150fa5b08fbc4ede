"""lambda_solid: no context, one output."""

from orch import InputDefinition, Int, OutputDefinition, execute_pipeline, lambda_solid, pipeline


@lambda_solid
def one():
    return 1


@lambda_solid(input_defs=[InputDefinition("num", Int)], output_def=OutputDefinition(Int))
def add_one(num):
    return num + 1


@lambda_solid
def total(a, b):
    return a + b


@pipeline
def lambda_pipeline():
    x = add_one(one())
    total(x, add_one.alias("add_one_again")(x))


def run_lambda():
    return execute_pipeline(lambda_pipeline)
