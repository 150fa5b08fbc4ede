"""Solid-writing forms from the legacy how-to guides: an explicit SolidDefinition with a plain
compute function, yielding outputs with type hints, a bare yielded value, multiple outputs, a
solid factory with a Nothing start input, conditional branches through optional outputs, and a
Failure raised from the user's own exception."""

from orch import (
    Failure,
    InputDefinition,
    Int,
    Nothing,
    Output,
    OutputDefinition,
    SolidDefinition,
    execute_pipeline,
    execute_solid,
    pipeline,
    solid,
)


def _compute_one(context, inputs):
    yield Output(1)


def _return_one(context, inputs):
    return 1


explicit_def = SolidDefinition(name="explicit_def", input_defs=[],
                               output_defs=[OutputDefinition(Int)], compute_fn=_compute_one)
returning_def = SolidDefinition(name="returning_def", input_defs=[],
                                output_defs=[OutputDefinition(Int)], compute_fn=_return_one)


@solid
def hinted_sum(context, a: int, b: int) -> int:
    yield Output(a + b)


@solid
def bare_yield(context):
    yield 1


@solid(output_defs=[OutputDefinition(name="output_1"), OutputDefinition(name="output_2")])
def two_outputs(context):
    yield Output(1, output_name="output_1")
    yield Output(2, output_name="output_2")


def make_step(name, **kwargs):
    @solid(name=name, input_defs=[InputDefinition("start", Nothing)], **kwargs)
    def _step(context):
        context.log.info(f"{name} ran")
        return name

    return _step


first_step = make_step("first_step")
second_step = make_step("second_step", description="runs after the first")


@pipeline
def factory_pipeline():
    second_step(first_step())


BRANCH = {"take": "a"}


@solid(output_defs=[OutputDefinition(int, "a", is_required=False),
                    OutputDefinition(int, "b", is_required=False)])
def branching(context):
    if BRANCH["take"] == "a":
        yield Output(1, "a")
    else:
        yield Output(2, "b")


@solid(input_defs=[InputDefinition("inp", int)])
def path_a(context, inp):
    return inp * 10


@solid(input_defs=[InputDefinition("inp", int)])
def path_b(context, inp):
    return inp * 100


@pipeline
def branching_pipeline():
    a, b = branching()
    path_a(a)
    path_b(b)


class DangerError(Exception):
    pass


@solid
def guarded(context):
    try:
        raise DangerError("disk full")
    except DangerError as exc:
        raise Failure("could not write the report") from exc


@pipeline
def guarded_pipeline():
    guarded()


def run_explicit_definition():
    return execute_solid(explicit_def)


def run_explicit_definition_returning():
    return execute_solid(returning_def, raise_on_error=False)


def run_hinted_yield():
    return execute_solid(hinted_sum, input_values={"a": 2, "b": 3})


def run_hinted_yield_wrong_type():
    return execute_solid(hinted_sum, input_values={"a": "2", "b": 3}, raise_on_error=False)


def run_bare_yield():
    return execute_solid(bare_yield, raise_on_error=False)


def run_bare_yield_raises():
    return execute_solid(bare_yield)


def run_two_outputs():
    return execute_solid(two_outputs)


def run_factory():
    return execute_pipeline(factory_pipeline)


def run_factory_definitions():
    return [first_step.name, second_step.description,
            [d.name for d in second_step.input_defs]]


def run_branch_a():
    BRANCH["take"] = "a"
    return execute_pipeline(branching_pipeline)


def run_branch_b():
    BRANCH["take"] = "b"
    return execute_pipeline(branching_pipeline)


def run_failure_from_user_error():
    return execute_pipeline(guarded_pipeline, raise_on_error=False)


def run_failure_raised():
    return execute_pipeline(guarded_pipeline)
