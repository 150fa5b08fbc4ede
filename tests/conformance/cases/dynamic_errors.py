"""Dynamic output mistakes: duplicate mapping keys, bad keys, a plain Output."""

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    Output,
    execute_pipeline,
    pipeline,
    solid,
)


@solid
def echo(context, x):
    return x


def _pipeline_for(body):
    emitter = solid(output_defs=[DynamicOutputDefinition()], name="emitter")(body)

    @pipeline(name="dynamic_error_pipeline")
    def p():
        emitter().map(echo)

    return p


def run_duplicate_key():
    def body(context):
        yield DynamicOutput(1, mapping_key="same")
        yield DynamicOutput(2, mapping_key="same")

    return execute_pipeline(_pipeline_for(body), raise_on_error=False)


def run_bad_key():
    def body(context):
        yield DynamicOutput(1, mapping_key="not ok!")

    return execute_pipeline(_pipeline_for(body), raise_on_error=False)


def run_plain_output_for_dynamic():
    def body(context):
        yield Output(1)

    return execute_pipeline(_pipeline_for(body), raise_on_error=False)


def run_empty():
    def body(context):
        return
        yield

    return execute_pipeline(_pipeline_for(body), raise_on_error=False)
