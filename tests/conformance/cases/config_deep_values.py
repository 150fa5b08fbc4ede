"""Deep and cyclic values under Any and Permissive config are config errors, not crashes."""

from orch import Any, Field, Permissive, execute_pipeline, pipeline, solid


@solid(config_schema={"blob": Field(Any), "bag": Permissive()})
def take(context):
    return "ran"


@pipeline
def deep_pipeline():
    take()


def _deep(n):
    value = "leaf"
    for _ in range(n):
        value = {"k": value}
    return value


def run_moderately_deep():
    return execute_pipeline(deep_pipeline, run_config={
        "solids": {"take": {"config": {"blob": _deep(50), "bag": {"a": _deep(50)}}}}})


def run_very_deep_any():
    return execute_pipeline(deep_pipeline, run_config={
        "solids": {"take": {"config": {"blob": _deep(3000), "bag": {}}}}})


def run_cyclic_any():
    cyclic = {}
    cyclic["self"] = cyclic
    return execute_pipeline(deep_pipeline, run_config={
        "solids": {"take": {"config": {"blob": cyclic, "bag": {}}}}})
