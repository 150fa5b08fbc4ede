"""Top-level helpers legacy files import: they behave as the legacy API's did."""

from __future__ import annotations

import os

import pytest
from orch.core.definitions.io_manager import PickledObjectFilesystemIOManager

from orch import (
    DagsterInvalidConfigError,
    Field,
    Int,
    ModeDefinition,
    build_input_context,
    build_output_context,
    check_dagster_type,
    configured,
    execute_pipeline,
    file_relative_path,
    fs_io_manager,
    pipeline,
    resource,
    solid,
    validate_run_config,
)


def test_file_relative_path():
    assert file_relative_path("/a/b/pipe.py", "data/x.csv") == os.path.join("/a/b", "data/x.csv")


def test_io_manager_round_trip_with_built_contexts(tmp_path):
    manager = PickledObjectFilesystemIOManager(tmp_path)
    out = build_output_context(step_key="clean", name="rows", run_id="r1")
    manager.handle_output(out, [1, 2])
    assert (tmp_path / "r1" / "clean" / "rows").exists()
    assert manager.load_input(build_input_context(upstream_output=out)) == [1, 2]


@solid(config_schema={"n": Field(int, default_value=2)})
def emit(context) -> int:
    return context.solid_config["n"]


@pipeline
def small():
    emit()


def test_validate_run_config_processes_or_lists_errors():
    processed = validate_run_config(small, {})
    assert processed["solids"]["emit"]["config"] == {"n": 2}
    with pytest.raises(DagsterInvalidConfigError, match='at path root:solids:emit:config:n'):
        validate_run_config(small, {"solids": {"emit": {"config": {"n": "x"}}}})


def test_check_dagster_type():
    assert check_dagster_type(Int, 3).success
    assert not check_dagster_type(Int, "3").success
    assert check_dagster_type(list, [1]).success


def test_configured_decorator_for_resources_and_solids():
    @resource(config_schema={"url": str})
    def db(init_context):
        return init_context.resource_config["url"]

    @configured(db, {"host": str})
    def local_db(config):
        return {"url": f"sqlite://{config['host']}"}

    @configured(emit)
    def emit_seven(_config):
        return {"n": 7}

    @solid(required_resource_keys={"db"})
    def use(context, n: int) -> str:
        return f"{context.resources.db}/{n}"

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"db": local_db,
                                                       "io_manager": fs_io_manager})])
    def p():
        use(emit_seven())

    result = execute_pipeline(p, run_config={
        "resources": {"db": {"config": {"host": "mem"}}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    assert emit_seven.name == "emit_seven"
    assert result.result_for_solid("use").output_value() == "sqlite://mem/7"
