"""Loaders and materializers that need resources (dagster_type_loader/materializer with
required_resource_keys): they get them, and a mode that lacks them is rejected."""

from orch import (
    AssetMaterialization,
    DagsterType,
    InputDefinition,
    ModeDefinition,
    OutputDefinition,
    ResourceDefinition,
    dagster_type_loader,
    dagster_type_materializer,
    execute_pipeline,
    pipeline,
    solid,
)


@dagster_type_loader(config_schema=str, required_resource_keys={"prefix"})
def prefixed_loader(context, config_value):
    return context.resources.prefix + config_value


Prefixed = DagsterType(name="Prefixed", type_check_fn=lambda _c, v: isinstance(v, str),
                       loader=prefixed_loader)


@solid(input_defs=[InputDefinition("name", Prefixed)])
def greet(context, name):
    return f"hello {name}"


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "prefix": ResourceDefinition.hardcoded_resource("dr. ")})])
def loader_pipeline():
    greet()


def run_loader_uses_resource():
    return execute_pipeline(loader_pipeline, run_config={
        "solids": {"greet": {"inputs": {"name": "who"}}}})


def run_loader_missing_resource():
    @pipeline
    def no_prefix():
        greet()

    return no_prefix


@dagster_type_materializer(config_schema=str, required_resource_keys={"store"})
def store_materializer(context, config_value, value):
    context.resources.store[config_value] = value
    return AssetMaterialization(config_value)


Stored = DagsterType(name="Stored", type_check_fn=lambda _c, v: True,
                     materializer=store_materializer)


@solid(output_defs=[OutputDefinition(Stored)])
def make_stored(context):
    return 42


STORE = {}


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "store": ResourceDefinition.hardcoded_resource(STORE)})])
def materializer_pipeline():
    make_stored()


def run_materializer_uses_resource():
    STORE.clear()
    result = execute_pipeline(materializer_pipeline, run_config={
        "solids": {"make_stored": {"outputs": [{"result": "answer"}]}}})
    return [result.success, STORE]


def run_materializer_missing_resource():
    @pipeline
    def no_store():
        make_stored()

    return no_store
