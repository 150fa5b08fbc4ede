"""A custom DagsterType whose check fails: the step fails with DagsterTypeCheckDidNotPass."""

from orch import (
    DagsterType,
    InputDefinition,
    OutputDefinition,
    TypeCheck,
    execute_pipeline,
    pipeline,
    solid,
)

EvenInt = DagsterType(
    name="EvenInt",
    type_check_fn=lambda _context, value: isinstance(value, int) and value % 2 == 0,
)


def _positive(_context, value):
    if value > 0:
        return TypeCheck(success=True)
    return TypeCheck(success=False, description=f"{value} is not positive")


Positive = DagsterType(name="Positive", type_check_fn=_positive)


@solid(output_defs=[OutputDefinition(EvenInt)])
def make_even(context):
    return 4


@solid(output_defs=[OutputDefinition(EvenInt)])
def make_odd(context):
    return 3


@solid(input_defs=[InputDefinition("num", Positive)])
def needs_positive(context, num):
    return num


@solid
def negative(context):
    return -1


@pipeline
def types_pipeline():
    make_even()
    make_odd()
    needs_positive(negative())


def run_types():
    return execute_pipeline(types_pipeline, raise_on_error=False)


def run_types_raising():
    return execute_pipeline(types_pipeline)
