"""Python annotations become Dagster types: a wrong value fails the type check."""

from orch import execute_pipeline, pipeline, solid


@solid
def produce_text(context) -> str:
    return "not a number"


@solid
def needs_int(context, num: int) -> int:
    return num + 1


@solid
def returns_wrong(context) -> int:
    return "oops"


@pipeline
def annotated_pipeline():
    needs_int(produce_text())
    returns_wrong()


def run_annotated():
    return execute_pipeline(annotated_pipeline, raise_on_error=False)
