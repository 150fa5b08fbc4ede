"""The explicit form: PipelineDefinition with a dependency dict and SolidInvocation aliases."""

from orch import (
    DependencyDefinition,
    InputDefinition,
    MultiDependencyDefinition,
    OutputDefinition,
    PipelineDefinition,
    SolidInvocation,
    execute_pipeline,
    lambda_solid,
)


@lambda_solid(output_def=OutputDefinition(int))
def return_one():
    return 1


@lambda_solid(input_defs=[InputDefinition("num", int)], output_def=OutputDefinition(int))
def add_one(num):
    return num + 1


@lambda_solid(input_defs=[InputDefinition("nums")])
def collect(nums):
    return sorted(nums)


explicit_pipeline = PipelineDefinition(
    name="explicit_pipeline",
    solid_defs=[return_one, add_one, collect],
    dependencies={
        "add_one": {"num": DependencyDefinition("return_one")},
        SolidInvocation("add_one", alias="add_two"): {"num": DependencyDefinition("add_one")},
        "collect": {"nums": MultiDependencyDefinition([
            DependencyDefinition("add_one"), DependencyDefinition("add_two", "result")])},
    },
)


def run_explicit():
    return execute_pipeline(explicit_pipeline)


def run_unknown_solid_in_dependencies():
    return PipelineDefinition(
        name="broken", solid_defs=[return_one, add_one],
        dependencies={"add_one": {"num": DependencyDefinition("no_such_solid")}})
