"""Invocation modifiers: .alias and .tag, read back from the context."""

from orch import execute_pipeline, pipeline, solid


@solid
def emit(context):
    return context.solid.name


@solid
def read_tag(context, upstream):
    return f"{upstream}:{context.solid.tags.get('team')}"


@pipeline
def alias_pipeline():
    read_tag.tag({"team": "data"})(emit.alias("first_emit")())
    read_tag.alias("second_read")(emit.alias("second_emit")())


def run_alias():
    return execute_pipeline(alias_pipeline)
