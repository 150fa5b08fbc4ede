"""A resource whose initialisation raises: the run fails before any step runs."""

from orch import ModeDefinition, execute_pipeline, pipeline, resource, solid


@resource
def broken_connection(init_context):
    raise ConnectionError("database unreachable")


@solid(required_resource_keys={"db"})
def query(context):
    return context.resources.db


@pipeline(mode_defs=[ModeDefinition(resource_defs={"db": broken_connection})])
def broken_resource_pipeline():
    query()


def run_not_raising():
    return execute_pipeline(broken_resource_pipeline, raise_on_error=False)


def run_raising():
    return execute_pipeline(broken_resource_pipeline)
