"""An optional inner output mapped out of a composite: downstream is skipped."""

from orch import (
    Output,
    OutputDefinition,
    composite_solid,
    execute_pipeline,
    pipeline,
    solid,
)


@solid(output_defs=[OutputDefinition(name="maybe", is_required=False)])
def maybe_emit(context):
    if False:
        yield Output(1, "maybe")


@composite_solid(output_defs=[OutputDefinition(name="maybe", is_required=False)])
def wraps_optional():
    return {"maybe": maybe_emit()}


@solid
def downstream(context, value):
    return value


@pipeline
def composite_optional_pipeline():
    downstream(wraps_optional())


def run_composite_optional():
    return execute_pipeline(composite_optional_pipeline)
