"""Solid config: scalars, defaults, optional fields, nested shapes and lists."""

from orch import Field, execute_pipeline, pipeline, solid


@solid(config_schema={
    "name": str,
    "retries": Field(int, default_value=3),
    "verbose": Field(bool, is_required=False),
    "tags": [str],
    "db": {"host": str, "port": Field(int, default_value=5432)},
})
def configured_solid(context):
    return dict(context.solid_config)


@pipeline
def config_pipeline():
    configured_solid()


def run_full_config():
    return execute_pipeline(config_pipeline, run_config={"solids": {"configured_solid": {
        "config": {"name": "x", "tags": ["a", "b"], "db": {"host": "localhost"}}}}})


def run_several_mistakes():
    return execute_pipeline(config_pipeline, run_config={"solids": {"configured_solid": {
        "config": {"nme": "x", "tags": "a", "db": {"host": 1, "port": "p"}}}}})


def run_no_config():
    return execute_pipeline(config_pipeline)
