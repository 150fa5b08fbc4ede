"""The tutorial's first pipeline: a solid that returns a value, another that consumes it."""

from orch import execute_pipeline, pipeline, solid


@solid
def get_name(context):
    context.log.info("getting the name")
    return "dagster"


@solid
def hello(context, name: str):
    context.log.info(f"Hello, {name}!")
    return f"Hello, {name}!"


@pipeline
def hello_pipeline():
    hello(get_name())


def run_hello():
    return execute_pipeline(hello_pipeline)


def run_result_for_solid():
    result = execute_pipeline(hello_pipeline)
    return result.result_for_solid("hello").output_value()
