"""Two modes and presets: the mode chooses the resources, a preset carries run config."""

from orch import (
    ModeDefinition,
    PresetDefinition,
    execute_pipeline,
    pipeline,
    resource,
    solid,
)


@resource
def local_store(_):
    return "local"


@resource(config_schema={"bucket": str})
def cloud_store(init_context):
    return f"s3://{init_context.resource_config['bucket']}"


@solid(required_resource_keys={"store"}, config_schema={"key": str})
def where(context):
    return f"{context.resources.store}/{context.solid_config['key']}"


@pipeline(
    mode_defs=[ModeDefinition("local", resource_defs={"store": local_store}),
               ModeDefinition("cloud", resource_defs={"store": cloud_store})],
    preset_defs=[
        PresetDefinition("local_dev", mode="local",
                         run_config={"solids": {"where": {"config": {"key": "dev"}}}}),
        PresetDefinition("prod", mode="cloud", run_config={
            "solids": {"where": {"config": {"key": "prod"}}},
            "resources": {"store": {"config": {"bucket": "data"}}}}),
    ],
)
def store_pipeline():
    where()


def run_local_mode():
    return execute_pipeline(store_pipeline, mode="local",
                            run_config={"solids": {"where": {"config": {"key": "k"}}}})


def run_no_mode_given():
    return execute_pipeline(store_pipeline,
                            run_config={"solids": {"where": {"config": {"key": "k"}}}})


def run_unknown_mode():
    return execute_pipeline(store_pipeline, mode="staging")


def run_preset_local():
    return execute_pipeline(store_pipeline, preset="local_dev")


def run_preset_prod():
    return execute_pipeline(store_pipeline, preset="prod")


def run_preset_and_mode_conflict():
    return execute_pipeline(store_pipeline, preset="prod", mode="local")


def run_unknown_preset():
    return execute_pipeline(store_pipeline, preset="nope")
