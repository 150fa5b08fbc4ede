"""Fan-in over optional outputs: the step runs with the values that exist; all missing skips."""

from orch import Output, OutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[OutputDefinition(name="value", is_required=False)])
def maybe(context):
    if context.solid.name != "absent":
        yield Output(context.solid.name, "value")


@solid
def gather(context, values):
    return sorted(values)


@pipeline
def partial_fan_in():
    gather([maybe.alias("here")(), maybe.alias("absent")(), maybe.alias("there")()])


@pipeline
def empty_fan_in():
    gather([maybe.alias("absent")()])


def run_partial():
    return execute_pipeline(partial_fan_in)


def run_all_missing():
    return execute_pipeline(empty_fan_in)
