"""PresetDefinition.from_yaml_strings and with_additional_config."""

from orch import PresetDefinition, execute_pipeline, pipeline, solid


@solid(config_schema={"a": int, "b": int})
def add(context):
    return context.solid_config["a"] + context.solid_config["b"]


base = PresetDefinition.from_yaml_strings("base", yaml_strings=[
    "solids:\n  add:\n    config:\n      a: 1\n",
    "solids:\n  add:\n    config:\n      b: 2\n",
])


@pipeline(preset_defs=[base, base.with_additional_config(
    {"solids": {"add": {"config": {"b": 40}}}})])
def yaml_pipeline():
    add()


def run_base():
    return execute_pipeline(yaml_pipeline, preset="base")


def run_preset_objects():
    return [p.name for p in yaml_pipeline.preset_defs]
