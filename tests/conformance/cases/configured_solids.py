"""configured: a solid with its config baked in, and a config-mapping function."""

from orch import configured, execute_pipeline, pipeline, solid


@solid(config_schema={"greeting": str, "name": str})
def greet(context):
    return f"{context.solid_config['greeting']}, {context.solid_config['name']}"


hello_world = configured(greet, name="hello_world")({"greeting": "Hello", "name": "world"})


@configured(greet, config_schema={"name": str})
def hi(config):
    return {"greeting": "Hi", "name": config["name"]}


@pipeline
def configured_pipeline():
    hello_world()
    hi()


def run_configured():
    return execute_pipeline(configured_pipeline, run_config={
        "solids": {"hi": {"config": {"name": "Ann"}}}})


def run_method_form():
    bob = greet.configured({"greeting": "Yo", "name": "Bob"}, name="bob")

    @pipeline
    def method_pipeline():
        bob()

    return execute_pipeline(method_pipeline)
