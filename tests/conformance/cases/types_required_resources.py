"""A type whose check needs a resource (DagsterType(required_resource_keys=...)): the check
sees it in context.resources, and a pipeline whose mode lacks it is rejected when defined."""

from orch import (
    DagsterType,
    InputDefinition,
    ModeDefinition,
    OutputDefinition,
    ResourceDefinition,
    execute_pipeline,
    pipeline,
    solid,
)


def check_with_resource(context, value):
    context.log.info("checking")
    return value in context.resources.allowed


Allowed = DagsterType(name="Allowed", type_check_fn=check_with_resource,
                      required_resource_keys={"allowed"})


@solid(output_defs=[OutputDefinition(Allowed)])
def produce(context):
    return "a"


@solid(input_defs=[InputDefinition("v", Allowed)])
def consume(context, v):
    return v


@pipeline(mode_defs=[ModeDefinition(resource_defs={
    "allowed": ResourceDefinition.hardcoded_resource({"a", "b"})})])
def tc_pipeline():
    consume(produce())


def run_type_check_uses_resource():
    return execute_pipeline(tc_pipeline)


def run_type_check_missing_resource():
    @pipeline
    def no_resource():
        consume(produce())

    return no_resource


def run_type_check_context_class():
    seen = []

    def check(context, value):
        seen.append(sorted(a for a in ("resources", "log", "run_id") if hasattr(context, a)))
        return True

    T = DagsterType(name="T", type_check_fn=check)

    @solid(output_defs=[OutputDefinition(T)])
    def make(context):
        return 1

    execute_pipeline(pipeline(name="tcc")(lambda: make()))
    return seen
