"""A failing solid: downstream is abandoned, the other branch still runs."""

from orch import execute_pipeline, pipeline, solid


@solid
def start(context):
    return 1


@solid
def explode(context, x):
    raise ValueError(f"bad number {x}")


@solid
def after_explode(context, x):
    return x


@solid
def other_branch(context, x):
    return x * 10


@pipeline
def failing_pipeline():
    n = start()
    after_explode(explode(n))
    other_branch(n)


def run_not_raising():
    return execute_pipeline(failing_pipeline, raise_on_error=False)


def run_raising():
    return execute_pipeline(failing_pipeline)
