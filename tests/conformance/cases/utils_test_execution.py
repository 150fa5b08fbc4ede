"""The legacy test-suite helpers for running part of a pipeline (execute_solid_within_pipeline,
execute_solids_within_pipeline, also from dagster.utils.test), run config from YAML
(config_from_files / config_from_yaml_strings), and modes listing default_executors."""

import os

from orch import (
    DagsterInvalidConfigError,
    ModeDefinition,
    PipelineRunStatus,
    config_from_files,
    config_from_yaml_strings,
    default_executors,
    execute_pipeline,
    execute_solid_within_pipeline,
    execute_solids_within_pipeline,
    fs_io_manager,
    in_process_executor,
    multiprocess_executor,
    pipeline,
    reconstructable,
    solid,
)
from orch.utils.test import execute_solid as execute_solid_from_utils


@solid(config_schema={"start": int})
def source(context):
    return context.solid_config["start"]


@solid
def add_one(context, num):
    return num + 1


@solid
def double(context, num):
    return num * 2


@pipeline
def arithmetic():
    double(add_one(source()))


def run_one_solid_with_inputs():
    result = execute_solid_within_pipeline(arithmetic, "add_one", inputs={"num": 4})
    return [result.success, result.output_value()]


def run_several_solids():
    results = execute_solids_within_pipeline(arithmetic, {"add_one", "double"},
                                             inputs={"add_one": {"num": 1}})
    return {name: r.output_value() for name, r in sorted(results.items())}


def run_inputs_for_unknown_solid():
    return execute_solids_within_pipeline(arithmetic, {"add_one"}, inputs={"nope": {"num": 1}})


def run_solid_with_config():
    result = execute_solid_within_pipeline(
        arithmetic, "source", run_config={"solids": {"source": {"config": {"start": 7}}}})
    return result.output_value()


def run_missing_config():
    return execute_solid_within_pipeline(arithmetic, "source")


def run_failing_solid_raises():
    @solid
    def explode(context):
        raise ValueError("bad")

    @pipeline
    def exploding():
        explode()

    return execute_solid_within_pipeline(exploding, "explode")


def run_utils_test_execute_solid():
    return execute_solid_from_utils(add_one, input_values={"num": 1}).output_value()


def run_config_from_yaml_strings():
    return config_from_yaml_strings([
        "solids:\n  source:\n    config:\n      start: 1\n",
        "solids:\n  source:\n    config:\n      start: 2\nexecution:\n  in_process: {}\n",
    ])


def run_config_from_files():
    with open("base.yaml", "w") as f:
        f.write("solids:\n  source:\n    config:\n      start: 3\n")
    with open("override.yaml", "w") as f:
        f.write("solids:\n  source:\n    config:\n      start: 5\n")
    config = config_from_files([os.path.abspath("base.yaml"), os.path.abspath("override.yaml")])
    return [config, execute_pipeline(arithmetic, run_config=config).output_for_solid("double")]


def run_config_from_missing_file():
    return config_from_files(["does_not_exist_*.yaml"])


def run_config_from_bad_yaml():
    return config_from_yaml_strings(["solids: [unclosed"])


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager},
                                    executor_defs=default_executors)])
def with_default_executors():
    double(add_one(source()))


def run_default_executors_names():
    return [[e.name for e in default_executors], in_process_executor.name,
            multiprocess_executor.name]


def run_with_default_executors_in_process():
    return execute_pipeline(with_default_executors, run_config={
        "solids": {"source": {"config": {"start": 1}}},
        "execution": {"in_process": {}}}).output_for_solid("double")


def run_with_default_executors_multiprocess():
    from orch import DagsterInstance

    result = execute_pipeline(
        reconstructable(make_with_default_executors), instance=DagsterInstance.local_temp(),
        run_config={"solids": {"source": {"config": {"start": 2}}},
                    "execution": {"multiprocess": {}}})
    return [result.success, result.output_for_solid("double")]


def make_with_default_executors():
    return with_default_executors


@pipeline(mode_defs=[ModeDefinition(executor_defs=[in_process_executor])])
def in_process_only():
    double(add_one(source()))


def run_executor_not_in_mode():
    return execute_pipeline(in_process_only, run_config={
        "solids": {"source": {"config": {"start": 1}}}, "execution": {"multiprocess": {}}})


def run_status_enum():
    return [PipelineRunStatus.SUCCESS.value, issubclass(DagsterInvalidConfigError, Exception)]
