"""Output mistakes: a required output never produced, yielded twice, or unknown."""

from orch import Output, OutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[OutputDefinition(name="a"), OutputDefinition(name="b")])
def forgets_b(context):
    yield Output(1, "a")


@solid
def twice(context):
    yield Output(1)
    yield Output(2)


@solid
def unknown_name(context):
    yield Output(1, "nope")


@solid
def returns_none(context):
    return None


@pipeline
def output_errors_pipeline():
    forgets_b()
    twice()
    unknown_name()
    returns_none()


def run_output_errors():
    return execute_pipeline(output_errors_pipeline, raise_on_error=False)
