"""A type check function that itself raises, and a TypeCheck with metadata."""

from orch import (
    DagsterType,
    EventMetadataEntry,
    InputDefinition,
    OutputDefinition,
    TypeCheck,
    execute_pipeline,
    pipeline,
    solid,
)


def _exploding_check(_context, value):
    raise ZeroDivisionError("check blew up")


Exploding = DagsterType(name="Exploding", type_check_fn=_exploding_check)

WithMetadata = DagsterType(
    name="WithMetadata",
    type_check_fn=lambda _, v: TypeCheck(success=len(v) < 3, description="too long",
                                         metadata_entries=[EventMetadataEntry.int(len(v), "len")]),
)


@solid(output_defs=[OutputDefinition(Exploding)])
def explode_output(context):
    return 1


@solid
def make_list(context):
    return [1, 2, 3]


@solid(input_defs=[InputDefinition("items", WithMetadata)])
def short_list(context, items):
    return items


@pipeline
def check_raises_pipeline():
    explode_output()
    short_list(make_list())


def run_checks():
    return execute_pipeline(check_raises_pipeline, raise_on_error=False)


def run_checks_raising():
    return execute_pipeline(check_raises_pipeline)
