"""Input default values, and Nothing inputs that only order execution."""

from orch import InputDefinition, Nothing, execute_pipeline, pipeline, solid


@solid(input_defs=[InputDefinition("greeting", str, default_value="hi")])
def greet(context, greeting):
    return f"{greeting} there"


@solid
def create_table(context):
    context.log.info("created")


@solid(input_defs=[InputDefinition("start", Nothing)])
def fill_table(context):
    return "filled"


@pipeline
def defaults_pipeline():
    greet()
    fill_table(create_table())


def run_defaults():
    return execute_pipeline(defaults_pipeline)


def run_default_overridden_by_config():
    return execute_pipeline(defaults_pipeline, run_config={
        "solids": {"greet": {"inputs": {"greeting": "hello"}}}})
