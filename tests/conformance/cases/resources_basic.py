"""A resource with config and teardown, used by a solid through required_resource_keys."""

from orch import ModeDefinition, execute_pipeline, pipeline, resource, solid

LOG = []


@resource(config_schema={"prefix": str})
def prefixer(init_context):
    prefix = init_context.resource_config["prefix"]
    LOG.append("setup")
    try:
        yield lambda s: f"{prefix}{s}"
    finally:
        LOG.append("teardown")


@solid(required_resource_keys={"prefixer"})
def label(context):
    return context.resources.prefixer("item")


@pipeline(mode_defs=[ModeDefinition(resource_defs={"prefixer": prefixer})])
def resource_pipeline():
    label()


def run_with_resource():
    return execute_pipeline(resource_pipeline, run_config={
        "resources": {"prefixer": {"config": {"prefix": ">> "}}}})


def run_teardown_ran():
    LOG.clear()
    execute_pipeline(resource_pipeline, run_config={
        "resources": {"prefixer": {"config": {"prefix": ">> "}}}})
    return LOG[-1]


def run_missing_resource_config():
    return execute_pipeline(resource_pipeline)


def run_undeclared_resource():
    @solid
    def sneaky(context):
        return context.resources.prefixer("x")

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"prefixer": prefixer})])
    def sneaky_pipeline():
        sneaky()

    return execute_pipeline(sneaky_pipeline, raise_on_error=False)
