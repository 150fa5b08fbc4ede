"""Run config derived from the pipeline (issue #3): validation before anything runs, resources,
modes, presets, loggers, scaffolding and secrets."""

from __future__ import annotations

import logging
import textwrap

import pytest
import yaml
from orch.core.instance import Instance

from orch import (
    DagsterInvalidConfigError,
    DagsterInvariantViolationError,
    Field,
    ModeDefinition,
    PresetDefinition,
    ResourceDefinition,
    StringSource,
    composite_solid,
    execute_pipeline,
    logger,
    pipeline,
    resource,
    scaffold_run_config,
    solid,
)

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _quiet(config: dict) -> dict:
    return {**config, **QUIET}


@solid(config_schema={"name": str, "times": Field(int, default_value=1)})
def hello(context) -> str:
    return context.solid_config["name"] * context.solid_config["times"]


@solid
def shout(context, s: str) -> str:
    return s.upper()


@pipeline
def greeting():
    shout(hello())


def test_three_mistakes_are_listed_with_paths_and_fixes_before_anything_runs():
    with pytest.raises(DagsterInvalidConfigError) as raised:
        execute_pipeline(greeting, run_config={
            "solids": {"hello": {"config": {"nme": "x", "times": "3"}}},
            "resourcez": {},
        })
    assert str(raised.value) == textwrap.dedent("""\
        Error in config for pipeline greeting
            Error 1: Received unexpected config entry "resourcez" at the root. Expected: "{ execution?: {...} loggers?: {...} resources?: {...} solids: {...} }". Did you mean "resources"?
            Error 2: Received unexpected config entry "nme" at path root:solids:hello:config. Expected: "{ name: String times?: Int }". Did you mean "name"?
            Error 3: Missing required config entry "name" at path root:solids:hello:config. Minimal acceptable config for this path: {'name': '...'}
            Error 4: Invalid scalar at path root:solids:hello:config:times. Value "3" of type "<class 'str'>" is not valid for expected type "Int".""")


def test_config_reaches_the_solid_with_defaults_filled():
    result = execute_pipeline(greeting, run_config=_quiet(
        {"solids": {"hello": {"config": {"name": "ab", "times": 2}}}}))
    assert result.result_for_solid("shout").output_value() == "ABAB"


def test_config_for_unselected_solids_is_accepted_and_ignored():
    result = execute_pipeline(greeting, solid_selection=["hello"], run_config=_quiet(
        {"solids": {"hello": {"config": {"name": "a"}}, "shout": {"config": {"whatever": 1}}}}))
    assert result.success
    assert [s.name for s in result.pipeline_def.solids] == ["hello"]


def test_unconnected_input_comes_from_config_through_the_type():
    result = execute_pipeline(greeting, solid_selection=["shout"], run_config=_quiet(
        {"solids": {"shout": {"inputs": {"s": "from config"}}}}))
    assert result.result_for_solid("shout").output_value() == "FROM CONFIG"
    with pytest.raises(DagsterInvalidConfigError,
                       match=r"Minimal acceptable config.*'shout': \{'inputs': \{'s'"):
        execute_pipeline(greeting, solid_selection=["shout"])


# -- resources, modes and presets: a legacy tutorial-style pipeline -----------------------------

EVENTS: list[str] = []


@resource(config_schema={"url": StringSource, "pool": Field(int, default_value=2)})
def database(init_context):
    EVENTS.append(f"open {init_context.resource_config['url']}")
    yield {"url": init_context.resource_config["url"], "rows": []}
    EVENTS.append("close")


@resource(required_resource_keys={"database"})
def cache(init_context):
    EVENTS.append("cache")
    return {"backed_by": init_context.resources.database["url"]}


@solid(required_resource_keys={"database"}, config_schema={"table": str})
def load(context) -> str:
    context.resources.database["rows"].append(context.solid_config["table"])
    return context.resources.database["url"]


@solid(required_resource_keys={"cache"})
def report(context, url: str) -> str:
    return f"{url} via {context.resources.cache['backed_by']}"


@pipeline(
    mode_defs=[
        ModeDefinition("local", resource_defs={
            "database": database.configured({"url": "sqlite://local"}), "cache": cache}),
        ModeDefinition("prod", resource_defs={"database": database, "cache": cache}),
    ],
    preset_defs=[
        PresetDefinition("local_orders", {"solids": {"load": {"config": {"table": "orders"}}}},
                         mode="local"),
        PresetDefinition.from_yaml_strings("prod_orders", [
            "solids: {load: {config: {table: orders}}}",
            "resources: {database: {config: {url: {env: WAREHOUSE_URL}}}}",
        ], mode="prod"),
    ],
)
def warehouse_report():
    report(load())


@pytest.fixture(autouse=True)
def _clear_events():
    EVENTS.clear()


def test_each_mode_and_preset_runs(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgres://prod")
    by_preset = {name: execute_pipeline(warehouse_report, preset=name)
                 for name in ("local_orders", "prod_orders")}
    assert by_preset["local_orders"].result_for_solid("report").output_value() == \
        "sqlite://local via sqlite://local"
    assert by_preset["prod_orders"].result_for_solid("report").output_value() == \
        "postgres://prod via postgres://prod"
    assert EVENTS == ["open sqlite://local", "cache", "close",
                      "open postgres://prod", "cache", "close"]
    by_mode = execute_pipeline(warehouse_report, mode="prod", run_config={
        "solids": {"load": {"config": {"table": "t"}}},
        "resources": {"database": {"config": {"url": "mysql://x"}}}, **QUIET})
    assert by_mode.result_for_solid("report").output_value() == "mysql://x via mysql://x"


def test_several_modes_and_none_chosen_lists_them():
    with pytest.raises(DagsterInvariantViolationError,
                       match=r"multiple modes \(Available modes: \['local', 'prod'\]\)"):
        execute_pipeline(warehouse_report)
    with pytest.raises(DagsterInvariantViolationError,
                       match=r'Could not find mode "staging".*Available modes: \[\'local\', '
                             r"'prod'\]"):
        execute_pipeline(warehouse_report, mode="staging")


def test_preset_conflicts_and_unknown_preset():
    with pytest.raises(DagsterInvariantViolationError, match="do not also pass mode"):
        execute_pipeline(warehouse_report, preset="local_orders", mode="prod")
    with pytest.raises(DagsterInvariantViolationError,
                       match=r"Available presets: \['local_orders', 'prod_orders'\]"):
        execute_pipeline(warehouse_report, preset="nope")


def test_missing_env_var_names_the_variable(monkeypatch):
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    with pytest.raises(DagsterInvalidConfigError, match='variable "WAREHOUSE_URL"'):
        execute_pipeline(warehouse_report, preset="prod_orders")
    assert EVENTS == []  # nothing was initialised


def test_secrets_are_stored_as_references(monkeypatch, tmp_path):
    monkeypatch.setenv("WAREHOUSE_URL", "postgres://user:hunter2@db")
    with Instance.from_home(tmp_path / "home") as instance:
        result = execute_pipeline(warehouse_report, preset="prod_orders", instance=instance)
        run = instance.get_run(result.run_id)
        assert run.run_config["resources"]["database"]["config"]["url"] == {
            "env": "WAREHOUSE_URL"}
        stored = " ".join(e.to_json() for e in instance.get_logs_for_run(result.run_id))
        assert "hunter2" not in stored
        assert "hunter2" not in (tmp_path / "home" / "orch.db").read_bytes().decode(
            "latin-1")


def test_only_resources_the_selected_steps_need_are_initialised():
    execute_pipeline(warehouse_report, mode="local", solid_selection=["load"],
                     run_config=_quiet({"solids": {"load": {"config": {"table": "t"}}}}))
    assert EVENTS == ["open sqlite://local", "close"]


def test_presets_from_files_deep_merge_in_order(tmp_path):
    (tmp_path / "a.yaml").write_text("solids: {load: {config: {table: a}}}\n"
                                     "resources: {database: {config: {url: x}}}\n")
    (tmp_path / "b.yaml").write_text("solids: {load: {config: {table: b}}}\n")
    preset = PresetDefinition.from_files("p", [str(tmp_path / "a.yaml"),
                                               str(tmp_path / "b.yaml")], mode="prod")
    assert preset.run_config == {"solids": {"load": {"config": {"table": "b"}}},
                                 "resources": {"database": {"config": {"url": "x"}}}}
    extended = preset.with_additional_config({"resources": {"database": {"config": {
        "pool": 5}}}})
    assert extended.run_config["resources"]["database"]["config"] == {"url": "x", "pool": 5}


def test_resource_helpers_and_configured():
    assert ResourceDefinition.hardcoded_resource(7).resource_fn(None) == 7
    with pytest.raises(DagsterInvalidConfigError, match='Missing required config entry "url"'):
        database.configured({"pool": 3})
    mapped = database.configured(lambda cfg: {"url": f"sqlite://{cfg['name']}"},
                                 config_schema={"name": str})

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"database": mapped, "cache": cache})])
    def small():
        report(load())

    result = execute_pipeline(small, run_config=_quiet({
        "solids": {"load": {"config": {"table": "t"}}},
        "resources": {"database": {"config": {"name": "mem"}}}}))
    assert result.result_for_solid("report").output_value() == "sqlite://mem via sqlite://mem"


def test_configured_solid_and_composite_config_fn():
    fixed = hello.configured({"name": "hi"}, name="hello_fixed")

    @composite_solid(config_schema={"who": str},
                     config_fn=lambda cfg: {"hello": {"config": {"name": cfg["who"],
                                                                 "times": 2}}})
    def greet():
        return shout(hello())

    @pipeline
    def both():
        shout.alias("shout_fixed")(fixed())
        greet()

    result = execute_pipeline(both, run_config=_quiet(
        {"solids": {"greet": {"config": {"who": "yo"}}}}))
    assert result.result_for_solid("shout_fixed").output_value() == "HI"
    assert result.result_for_solid("greet").output_value() == "YOYO"


def test_user_logger_receives_every_event():
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    @logger(config_schema={"prefix": str})
    def collecting(init_context):
        log = logging.getLogger(f"orch.test.{init_context.logger_config['prefix']}")
        log.handlers = [Collect()]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"collect": collecting})])
    def logged():
        shout(hello())

    execute_pipeline(logged, run_config={
        "solids": {"hello": {"config": {"name": "a"}}},
        "loggers": {"collect": {"config": {"prefix": "x"}}}})
    kinds = [r.orch_event["event_type"] for r in records]
    assert kinds[0] == "PIPELINE_START" and kinds[-1] == "PIPELINE_SUCCESS"
    assert "STEP_SUCCESS" in kinds


def test_built_in_sections_still_resolve_to_their_defaults():
    # Field(T, is_required=False) has no implicit default (Dagster 0.15.10), so the run config
    # schema leaves is_required out where a section must resolve when not given: the loggers
    # section and its console entry, and a mode's only executor. A mode's other loggers are
    # optional with no default, as in Dagster: one that run config does not name is not built.
    from orch.core.execution.run_config import resolve_run_config
    from orch.executors.multiprocess import multiprocess_executor

    @logger(config_schema={"level": Field(str, default_value="INFO")})
    def quiet(_):
        return logging.getLogger("orch.test.quiet")

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"quiet": quiet})])
    def logged():
        shout(hello())

    console = {"console": {"config": {"log_level": "DEBUG", "name": "orch"}}}
    mode = logged.get_mode_definition(None)
    solids = {"solids": {"hello": {"config": {"name": "a"}}}}
    assert resolve_run_config(logged, mode, solids)["loggers"] == console
    named = resolve_run_config(logged, mode, {**solids, "loggers": {"quiet": {}}})
    assert named["loggers"] == {**console, "quiet": {"config": {"level": "INFO"}}}
    assert "execution" not in resolve_run_config(logged, mode, solids)

    @pipeline(mode_defs=[ModeDefinition(executor_defs=[multiprocess_executor])])
    def one_executor():
        shout(hello())

    resolved = resolve_run_config(one_executor, one_executor.get_mode_definition(None), solids)
    assert resolved["execution"] == {
        "multiprocess": {"config": {"max_concurrent": 0, "retries": {"enabled": {}}}}}


def test_a_logger_gets_a_log_line_while_its_step_still_runs():
    """context.log lines are handed on as they are logged (core/execution/live.py), not when
    the step returns; each is still stored once, where it was logged."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.orch_event["message"])  # type: ignore[attr-defined]

    @logger
    def collecting(init_context):
        log = logging.getLogger("orch.test.live")
        log.handlers = [Collect()]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    seen_inside: list[bool] = []

    @solid
    def logs_then_checks(context):
        context.log.info("first line")
        seen_inside.append("first line" in messages)  # still inside the step's code
        return 1

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"collect": collecting})])
    def live_logging():
        logs_then_checks()

    for instance in (None, "persistent"):
        messages.clear()
        seen_inside.clear()
        if instance is None:
            result = execute_pipeline(live_logging, run_config={"loggers": {"collect": {}}})
        else:
            import tempfile

            from orch.core.instance import Instance

            with tempfile.TemporaryDirectory() as tmp, Instance.from_home(tmp) as inst:
                result = execute_pipeline(live_logging, run_config={"loggers": {"collect": {}}},
                                          instance=inst)
                stored = inst.get_logs_for_run(result.run_id)
                texts = [e.message for e in stored]
                assert texts.count("first line") == 1
                assert texts.index("first line") < next(
                    i for i, e in enumerate(stored) if e.event_type_value == "STEP_OUTPUT")
        assert result.success and seen_inside == [True]
        assert messages.count("first line") == 1


def test_a_thread_left_logging_after_the_run_is_harmless(tmp_path):
    """A thread the solid started logs once the run is over (its writer closed): nothing is
    delivered and nothing raises in that thread."""
    import threading

    from orch.core.instance import Instance

    errors: list[BaseException] = []
    release = threading.Event()
    threads: list[threading.Thread] = []

    @solid
    def leaves_a_thread(context):
        def later():
            release.wait(10)
            try:
                context.log.info("after the run")
            except BaseException as e:  # what the bug would raise: a closed writer
                errors.append(e)

        thread = threading.Thread(target=later)
        thread.start()
        threads.append(thread)

    @pipeline
    def leaky():
        leaves_a_thread()

    with Instance.from_home(tmp_path) as inst:
        result = execute_pipeline(leaky, instance=inst)
        release.set()
        threads[0].join(10)
        assert result.success and errors == []
        assert "after the run" not in [e.message for e in inst.get_logs_for_run(result.run_id)]


def test_scaffold_marks_required_entries_and_round_trips():
    text = scaffold_run_config(warehouse_report, "prod", required_only=True)
    assert "# required" in text and "table:" in text and "url:" in text
    assert "pool" not in text
    full = scaffold_run_config(warehouse_report, "prod")
    assert "pool: 2" in full
    filled = yaml.safe_load(text)
    filled["solids"]["load"]["config"]["table"] = "t"
    filled["resources"]["database"]["config"]["url"] = "sqlite://x"
    result = execute_pipeline(warehouse_report, mode="prod", run_config=_quiet(filled))
    assert result.success
