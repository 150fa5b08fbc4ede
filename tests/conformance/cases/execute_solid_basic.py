"""execute_solid: run one solid in an ephemeral pipeline, feeding inputs directly."""

from orch import InputDefinition, Int, execute_solid, solid


@solid(input_defs=[InputDefinition("num", Int)], config_schema={"offset": int})
def offset(context, num):
    return num + context.solid_config["offset"]


def run_offset():
    return execute_solid(offset, input_values={"num": 2},
                         run_config={"solids": {"offset": {"config": {"offset": 40}}}})


def run_offset_value():
    result = execute_solid(offset, input_values={"num": 2},
                           run_config={"solids": {"offset": {"config": {"offset": 40}}}})
    return result.output_value()


def run_missing_config():
    return execute_solid(offset, input_values={"num": 2})
