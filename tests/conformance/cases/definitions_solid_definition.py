"""SolidDefinition built by hand, with a generator compute_fn(context, inputs)."""

from orch import (
    DependencyDefinition,
    InputDefinition,
    Output,
    OutputDefinition,
    PipelineDefinition,
    SolidDefinition,
    execute_pipeline,
)


def _double_fn(context, inputs):
    yield Output(inputs["num"] * 2)


double = SolidDefinition(
    name="double",
    input_defs=[InputDefinition("num", int)],
    compute_fn=_double_fn,
    output_defs=[OutputDefinition(int)],
    config_schema=None,
)


def _source_fn(context, inputs):
    yield Output(context.solid_config["start"])


source = SolidDefinition(name="source", input_defs=[], compute_fn=_source_fn,
                         output_defs=[OutputDefinition(int)], config_schema={"start": int})

hand_built = PipelineDefinition(
    name="hand_built", solid_defs=[source, double],
    dependencies={"double": {"num": DependencyDefinition("source")}},
)


def run_hand_built():
    return execute_pipeline(hand_built, run_config={"solids": {"source": {"config": {"start": 21}}}})
