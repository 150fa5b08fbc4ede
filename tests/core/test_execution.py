"""Execution behaviour (LEGACY_API.md §3-§4): event sequences, skips, failures, retries, hooks,
types, dynamic outputs, composites, resources, IO managers and the public entry points."""

from __future__ import annotations

import gc
import logging
import pickle
import sys
import threading
import time

import pytest
from core_helpers import (
    SUCCESS_NO_INPUT,
    SUCCESS_ONE_INPUT,
    events_of,
    executed_steps,
    log_lines,
    run,
    step_sequence,
    step_types,
    types,
)
from orch.core.instance import Instance

from orch import (
    AssetMaterialization,
    Backoff,
    DagsterInvalidInvocationError,
    DagsterInvariantViolationError,
    DagsterResourceFunctionError,
    DagsterTypeCheckDidNotPass,
    DagsterUnknownResourceError,
    DynamicOutput,
    DynamicOutputDefinition,
    EventMetadata,
    EventMetadataEntry,
    ExpectationResult,
    Failure,
    InputDefinition,
    Int,
    Jitter,
    List,
    ModeDefinition,
    Output,
    OutputDefinition,
    PipelineRunStatus,
    ResourceDefinition,
    RetryPolicy,
    RetryRequested,
    build_solid_context,
    composite_solid,
    execute_pipeline,
    execute_pipeline_iterator,
    execute_solid,
    failure_hook,
    fs_io_manager,
    pipeline,
    resource,
    solid,
    success_hook,
)

# -- the basic event sequence ---------------------------------------------------------------


@solid
def emit_one(context) -> int:
    context.log.info("emitting one")
    return 1


@solid
def add_two(context, x: int) -> int:
    context.log.debug(f"adding two to {x}")
    context.log.warning("careful")
    return x + 2


@pipeline
def linear():
    add_two(emit_one())


def test_full_event_sequence_of_a_successful_run():
    result = execute_pipeline(linear)
    assert result.success
    assert types(result, include_engine=True) == [
        "PIPELINE_START",
        "ENGINE_EVENT", "ENGINE_EVENT",  # resource initialisation started / finished
        *SUCCESS_NO_INPUT,
        *SUCCESS_ONE_INPUT,
        "PIPELINE_SUCCESS",
    ]
    assert step_types(result, "emit_one") == SUCCESS_NO_INPUT
    assert step_types(result, "add_two") == SUCCESS_ONE_INPUT
    start, init, done = result.event_list[:3]
    assert start.message == 'Started execution of pipeline "linear".'
    assert init.message == "Starting initialization of resources [io_manager]."
    assert done.message == "Finished initialization of resources [io_manager]."
    assert result.event_list[-1].message == 'Finished execution of pipeline "linear".'
    assert result.result_for_solid("add_two").output_value() == 3
    assert result.output_for_solid("emit_one") == 1


def test_step_event_messages():
    result = execute_pipeline(linear)
    messages = {e.event_type_value: e.message for e in result.event_list if e.step_key == "add_two"}
    assert messages["STEP_START"] == 'Started execution of step "add_two".'
    assert messages["LOADED_INPUT"] == ('Loaded input "x" using input manager "io_manager", '
                                        'from output "result" of step "emit_one"')
    assert messages["STEP_INPUT"] == 'Got input "x" of type "Int". (Type check passed).'
    assert messages["STEP_OUTPUT"] == 'Yielded output "result" of type "Int". (Type check passed).'
    assert messages["HANDLED_OUTPUT"] == 'Handled output "result" using IO manager "io_manager"'
    assert messages["STEP_SUCCESS"].startswith('Finished execution of step "add_two" in ')


def test_log_lines_are_events_in_order_within_the_step():
    result = execute_pipeline(linear)
    sequence = [(e.step_key, e.event_type_value or f"LOG:{e.message}")
                for e in result.all_events if e.step_key == "add_two"]
    assert sequence == [
        ("add_two", "STEP_START"), ("add_two", "LOADED_INPUT"), ("add_two", "STEP_INPUT"),
        ("add_two", "LOG:adding two to 1"), ("add_two", "LOG:careful"),
        ("add_two", "STEP_OUTPUT"), ("add_two", "HANDLED_OUTPUT"), ("add_two", "STEP_SUCCESS"),
    ]
    levels = {e.message: e.level for e in result.all_events if e.event_type is None}
    assert levels == {"emitting one": logging.INFO, "adding two to 1": logging.DEBUG,
                      "careful": logging.WARNING}
    # event_list (like the legacy result) holds structured events only.
    assert all(e.event_type is not None for e in result.event_list)
    assert all(e.run_id == result.run_id for e in result.all_events)


def test_user_events_come_between_inputs_and_outputs():
    @solid
    def reports(context):
        yield AssetMaterialization("table", description="written",
                                   metadata_entries=[EventMetadataEntry.int(3, "rows")])
        yield ExpectationResult(success=True, label="non_empty")
        yield Output(5)

    result = execute_pipeline(pipeline(name="p")(lambda: reports()))
    assert step_types(result, "reports") == [
        "STEP_START", "ASSET_MATERIALIZATION", "STEP_EXPECTATION_RESULT", "STEP_OUTPUT",
        "HANDLED_OUTPUT", "STEP_SUCCESS",
    ]
    solid_result = result.result_for_solid("reports")
    assert solid_result.materializations_during_compute[0].asset_key.path == ["table"]
    [rows] = solid_result.materializations_during_compute[0].metadata_entries
    # As in Dagster 0.15: the entry's value is the typed metadata value.
    assert rows.label == "rows" and rows.value == rows.entry_data
    assert type(rows.value).__name__ == "IntMetadataValue" and rows.value.value == 3
    assert solid_result.expectation_results_during_compute[0].label == "non_empty"


def test_run_status_recorded_in_the_instance():
    instance = Instance.ephemeral()
    ok = execute_pipeline(linear, instance=instance)
    assert instance.get_run(ok.run_id).status == PipelineRunStatus.SUCCESS

    @solid
    def fails(context):
        raise ValueError("x")

    bad = execute_pipeline(pipeline(name="bad")(lambda: fails()), instance=instance,
                           raise_on_error=False)
    assert instance.get_run(bad.run_id).status == PipelineRunStatus.FAILURE


# -- optional outputs and the skip cascade ------------------------------------------------------


@solid(output_defs=[OutputDefinition(Int, "yes", is_required=False),
                    OutputDefinition(Int, "no", is_required=False)])
def branch(context):
    yield Output(1, "yes")


@solid
def passthrough(context, x):
    return x


@solid(input_defs=[InputDefinition("xs", List[Int])])
def gather(context, xs):
    return xs


@pipeline
def skipping():
    yes, no = branch()
    passthrough.alias("after_yes")(yes)
    passthrough.alias("after_no")(no)
    passthrough.alias("after_after_no")(passthrough.alias("mid")(no))
    gather([passthrough.alias("g1")(yes), passthrough.alias("g2")(no)])


def test_skip_cascade_for_missing_optional_outputs():
    result = execute_pipeline(skipping)
    assert result.success
    assert step_types(result, "branch") == SUCCESS_NO_INPUT
    for key in ("after_no", "mid", "after_after_no", "g2"):
        assert step_types(result, key) == ["STEP_SKIPPED"], key
        assert result.result_for_solid(key).skipped
        assert not result.result_for_solid(key).success
        assert result.result_for_solid(key).output_value() is None
    skipped = {e.step_key: e.message for e in events_of(result, "STEP_SKIPPED")}
    assert skipped["after_no"] == "Skipping step after_no due to skipped dependencies: ['branch.no']."
    assert skipped["after_after_no"] == ("Skipping step after_after_no due to skipped "
                                         "dependencies: ['mid.result'].")
    assert result.result_for_solid("after_yes").output_value() == 1


def test_fan_in_runs_with_the_sources_present():
    result = execute_pipeline(skipping)
    assert step_types(result, "gather") == SUCCESS_ONE_INPUT
    assert result.result_for_solid("gather").output_value() == [1]


def test_single_optional_output_returning_none_still_yields():
    # Legacy behaviour: a returned None is an output value; only not yielding skips.
    @solid(output_defs=[OutputDefinition(is_required=False)])
    def maybe(context):
        return None

    @pipeline
    def p():
        passthrough(maybe())

    result = execute_pipeline(p)
    assert step_types(result, "passthrough") == SUCCESS_ONE_INPUT
    assert result.result_for_solid("passthrough").output_value() is None


# -- failures -------------------------------------------------------------------------------------


class BoomError(Exception):
    pass


@solid
def start(context) -> int:
    return 1


@solid
def explode(context, x):
    raise BoomError("kaboom")


@solid
def after(context, x):
    return x


@solid
def independent(context) -> str:
    return "done"


@pipeline
def failing():
    value = start()
    after.alias("abandoned_2")(after.alias("abandoned_1")(explode(value)))
    after.alias("sibling")(value)
    independent()


def test_failure_abandons_downstream_while_other_branches_finish():
    result = run(failing)
    assert not result.success
    assert step_types(result, "explode") == ["STEP_START", "LOADED_INPUT", "STEP_INPUT",
                                             "STEP_FAILURE"]
    for key in ("sibling", "independent", "start"):
        assert result.result_for_solid(key).success, key
    # Abandoned steps have no step events at all, only an ERROR log line each.
    assert step_types(result, "abandoned_1") == []
    assert step_types(result, "abandoned_2") == []
    abandoned_logs = [(e.step_key, e.level, e.message) for e in result.all_events
                      if e.event_type is None and "Not executing" in e.message]
    assert abandoned_logs == [
        ("abandoned_1", logging.ERROR,
         "Dependencies for step abandoned_1 failed: ['explode']. Not executing."),
        ("abandoned_2", logging.ERROR,
         "Dependencies for step abandoned_2 failed: ['abandoned_1']. Not executing."),
    ]
    # Like the legacy result: a solid with no step events is not successful, "skipped"
    # (vacuously: every one of its step events is a skip) and has no output values.
    abandoned = result.result_for_solid("abandoned_1")
    assert not abandoned.success
    assert abandoned.skipped
    assert abandoned.output_value() is None
    assert abandoned.failure_data is None
    last = result.event_list[-1]
    assert last.event_type_value == "PIPELINE_FAILURE"
    assert last.message == 'Execution of pipeline "failing" failed. Steps failed: [\'explode\'].'
    assert last.data["abandoned_steps"] == ["abandoned_1", "abandoned_2"]


def test_failure_data():
    result = run(failing)
    failure = result.result_for_solid("explode").failure_data
    assert failure.error.cls_name == "BoomError"
    assert failure.error.message == "BoomError: kaboom"
    assert any("raise BoomError" in line for line in failure.error.stack)
    assert failure.user_failure_data is None
    assert failure["error"]["cls_name"] == "BoomError"  # the raw payload stays readable
    assert result.result_for_solid("start").failure_data is None


def test_structured_failure():
    @solid
    def fails(context):
        raise Failure(description="bad data", metadata_entries=[
            EventMetadataEntry.text("row 3", "where")])

    result = run(pipeline(name="p")(lambda: fails()))
    failure = result.result_for_solid("fails").failure_data
    assert failure.error.cls_name == "Failure"
    assert failure.user_failure_data.description == "bad data"
    assert failure.user_failure_data.metadata_entries[0].value.text == "row 3"


def test_raise_on_error_reraises_the_users_exception():
    instance = Instance.ephemeral()
    with pytest.raises(BoomError, match="kaboom"):
        execute_pipeline(failing, instance=instance)
    stored = instance.get_runs()[0]
    assert stored.status == PipelineRunStatus.FAILURE


def test_resource_init_failure_ends_the_run_as_a_failure():
    @resource
    def broken(_):
        raise ValueError("no db")

    @solid(required_resource_keys={"db"})
    def uses(context):
        return 1

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"db": broken})])
    def p():
        uses()

    result = run(p)
    assert not result.success
    assert types(result) == ["PIPELINE_START", "RESOURCE_INIT_FAILURE", "PIPELINE_FAILURE"]
    failure = next(e for e in result.event_list if e.event_type_value == "RESOURCE_INIT_FAILURE")
    assert failure.message == 'Initialization of resource "db" failed: no db'
    assert failure.data["error"]["cls_name"] == "ValueError"
    assert result.event_list[-1].data["error"]["cls_name"] == "DagsterResourceFunctionError"
    with pytest.raises(DagsterResourceFunctionError, match='ResourceDefinition "db"'):
        execute_pipeline(p)


def test_output_errors():
    @solid(output_defs=[OutputDefinition(name="needed")])
    def forgets(context):
        yield from ()

    @solid
    def twice(context):
        yield Output(1)
        yield Output(2)

    @solid
    def unknown(context):
        yield Output(1, "nope")

    @solid
    def raw(context):
        yield 5

    @pipeline
    def p():
        forgets()
        twice()
        unknown()
        raw()

    result = run(p)
    messages = {k: result.result_for_solid(k).failure_data.error.message
                for k in ("forgets", "twice", "unknown", "raw")}
    assert messages["forgets"] == (
        'DagsterStepOutputNotFoundError: Core compute for solid "forgets" did not return an '
        'output for non-optional output "needed"')
    assert 'returned an output "result" multiple times' in messages["twice"]
    assert ('returned an output "nope" that does not exist. The available outputs are '
            "['result']") in messages["unknown"]
    assert "yielded a value of type <class 'int'>" in messages["raw"]


# -- type checks ------------------------------------------------------------------------------


def test_type_check_failures_on_inputs_and_outputs():
    @solid
    def gives_str(context) -> str:
        return "s"

    @solid
    def wants_int(context, x: int) -> int:
        return x

    @solid
    def bad_out(context) -> int:
        return "nope"

    @pipeline
    def p():
        after(wants_int(gives_str()))
        bad_out()

    result = run(p)
    assert step_types(result, "wants_int") == ["STEP_START", "LOADED_INPUT", "STEP_INPUT",
                                               "STEP_FAILURE"]
    assert step_types(result, "bad_out") == ["STEP_START", "STEP_OUTPUT", "STEP_FAILURE"]
    step_input = events_of(result, "STEP_INPUT", "wants_int")[0]
    assert step_input.message == 'Got input "x" of type "Int". (Type check failed).'
    assert step_input.data["type_check"]["success"] is False
    in_error = result.result_for_solid("wants_int").failure_data.error
    assert in_error.cls_name == "DagsterTypeCheckDidNotPass"
    assert in_error.message.startswith(
        'DagsterTypeCheckDidNotPass: Type check failed for step input "x" - expected type "Int".')
    out_error = result.result_for_solid("bad_out").failure_data.error
    assert 'Type check failed for step output "result" - expected type "Int"' in out_error.message
    # Nothing was handed to the IO manager for the failed output, and downstream is abandoned.
    assert "HANDLED_OUTPUT" not in step_types(result, "bad_out")
    assert step_types(result, "after") == []


# -- retries ------------------------------------------------------------------------------------


def test_retry_policy_retries_then_succeeds():
    attempts = []

    @solid(retry_policy=RetryPolicy(max_retries=2))
    def flaky(context):
        attempts.append(context.retry_number)
        context.log.info(f"attempt {context.retry_number}")
        if context.retry_number == 0:
            raise BoomError("first time")
        return context.retry_number

    result = execute_pipeline(pipeline(name="p")(lambda: flaky()))
    assert result.success
    assert attempts == [0, 1]
    assert step_types(result, "flaky") == [
        "STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_OUTPUT", "HANDLED_OUTPUT",
        "STEP_SUCCESS",
    ]
    retry = events_of(result, "STEP_UP_FOR_RETRY")[0]
    assert retry.message == 'Execution of step "flaky" failed and has requested a retry.'
    assert retry.data["error"]["cls_name"] == "BoomError"
    assert events_of(result, "STEP_RESTARTED")[0].message == (
        'Started re-execution (attempt # 2) of step "flaky".')
    assert log_lines(result, "flaky") == ["attempt 0", "attempt 1"]
    assert result.result_for_solid("flaky").output_value() == 1


def test_retry_requested_and_exhaustion():
    @solid
    def asks(context):
        if context.retry_number < 2:
            raise RetryRequested(max_retries=2)
        return "third time"

    @solid
    def never(context):
        raise RetryRequested(max_retries=1) from BoomError("underlying")

    @pipeline
    def p():
        asks()
        never()

    result = run(p)
    assert step_types(result, "asks") == [
        "STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_UP_FOR_RETRY",
        "STEP_RESTARTED", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS",
    ]
    assert step_types(result, "never") == [
        "STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_FAILURE",
    ]
    # The retry event reports the cause the user chained.
    assert events_of(result, "STEP_UP_FOR_RETRY", "never")[0].data["error"]["cls_name"] == \
        "BoomError"
    failure = result.result_for_solid("never").failure_data
    assert failure.error_source == "RETRIES_EXHAUSTED"
    assert result.result_for_solid("asks").output_value() == "third time"


def test_retry_policy_exhausted_fails_with_retry_requested_caused_by_the_users_error():
    # As Dagster 0.15.10 reports it (tests/conformance/cases/retries_policy.py): the failure is
    # a RetryRequested whose cause is the last attempt's error, and the run does not raise.
    @solid(retry_policy=RetryPolicy(max_retries=1))
    def always(context):
        raise BoomError(f"attempt {context.retry_number}")

    result = run(pipeline(name="p")(lambda: always()))
    assert step_types(result, "always") == ["STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED",
                                            "STEP_FAILURE"]
    error = result.result_for_solid("always").failure_data.error
    assert error.cls_name == "RetryRequested"
    assert error.cause.message == "BoomError: attempt 1"


def test_retry_delay_is_honoured_and_does_not_block_other_steps():
    @solid(retry_policy=RetryPolicy(max_retries=1, delay=0.3))
    def slow_retry(context):
        if context.retry_number == 0:
            raise BoomError("again")
        return 1

    @pipeline
    def p():
        slow_retry()
        independent()

    began = time.monotonic()
    result = execute_pipeline(p)
    elapsed = time.monotonic() - began
    up = events_of(result, "STEP_UP_FOR_RETRY")[0]
    restarted = events_of(result, "STEP_RESTARTED")[0]
    assert up.data["seconds_to_wait"] == 0.3
    assert up.message == ('Execution of step "slow_retry" failed and has requested a retry in '
                          "0.3 seconds.")
    assert restarted.timestamp - up.timestamp >= 0.29
    assert elapsed >= 0.29
    # The independent step ran while slow_retry waited.
    order = [(e.step_key, e.event_type_value) for e in result.event_list if e.step_key]
    assert order.index(("independent", "STEP_SUCCESS")) < order.index(
        ("slow_retry", "STEP_RESTARTED"))


def test_retry_policy_precedence_and_failure_retries():
    calls = {"n": 0}

    @solid
    def flaky(context):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Failure("structured failures are retried too")
        return calls["n"]

    @pipeline(solid_retry_policy=RetryPolicy(max_retries=1))
    def p():
        flaky()

    result = execute_pipeline(p)
    assert "STEP_UP_FOR_RETRY" in step_types(result, "flaky")
    assert result.result_for_solid("flaky").output_value() == 2


def test_retries_disabled_by_executor_config():
    @solid(retry_policy=RetryPolicy(max_retries=3))
    def flaky(context):
        raise BoomError("no retries")

    result = run(pipeline(name="p")(lambda: flaky()),
                 run_config={"execution": {"in_process": {"config": {
                     "retries": {"disabled": {}}}}}})
    assert step_types(result, "flaky") == ["STEP_START", "STEP_FAILURE"]


def test_retry_policy_delays():
    assert RetryPolicy(max_retries=3).calculate_delay(1) == 0
    linear = RetryPolicy(max_retries=3, delay=0.1, backoff=Backoff.LINEAR)
    assert [round(linear.calculate_delay(n), 6) for n in (1, 2, 3)] == [0.1, 0.2, 0.3]
    expo = RetryPolicy(max_retries=3, delay=0.1, backoff=Backoff.EXPONENTIAL)
    assert [round(expo.calculate_delay(n), 6) for n in (1, 2, 3)] == [0.1, 0.3, 0.7]  # delay * (2^n - 1), as Dagster
    full = RetryPolicy(max_retries=3, delay=1.0, jitter=Jitter.FULL)
    assert all(0 <= full.calculate_delay(1) <= 1.0 for _ in range(50))
    plus_minus = RetryPolicy(max_retries=3, delay=1.0, jitter=Jitter.PLUS_MINUS)
    assert all(0 <= plus_minus.calculate_delay(1) <= 2.0 for _ in range(50))


# -- hooks ----------------------------------------------------------------------------------------

HOOK_CALLS: list[tuple] = []


@success_hook
def on_ok(context):
    HOOK_CALLS.append(("ok", context.step_key, dict(context.solid_output_values)))
    context.log.info(f"ok hook for {context.solid.name}")


@failure_hook
def on_bad(context):
    HOOK_CALLS.append(("bad", context.step_key, type(context.solid_exception).__name__))


@success_hook
def raising_hook(context):
    raise RuntimeError("hook broke")


def test_success_and_failure_hooks():
    HOOK_CALLS.clear()

    @pipeline(hook_defs={on_ok, on_bad})
    def p():
        explode(start())

    result = run(p)
    assert step_types(result, "start") == [*SUCCESS_NO_INPUT, "HOOK_SKIPPED", "HOOK_COMPLETED"]
    assert step_types(result, "explode") == ["STEP_START", "LOADED_INPUT", "STEP_INPUT",
                                             "STEP_FAILURE", "HOOK_COMPLETED", "HOOK_SKIPPED"]
    assert HOOK_CALLS == [("ok", "start", {"result": 1}), ("bad", "explode", "BoomError")]
    completed = events_of(result, "HOOK_COMPLETED", "start")[0]
    assert completed.message == 'Finished the execution of hook "on_ok" triggered for "start".'
    skipped = events_of(result, "HOOK_SKIPPED", "start")[0]
    assert skipped.message == ('Skipped the execution of hook "on_bad". It did not meet its '
                               'triggering condition during the execution of "start".')
    # The hook's log line sits between the step's success and the hook's event.
    start_events = [e.event_type_value or e.message for e in result.all_events
                    if e.step_key == "start"]
    assert start_events[-2:] == ["ok hook for start", "HOOK_COMPLETED"]


def test_raising_hook_does_not_fail_the_run():
    @pipeline
    def p():
        start.with_hooks({raising_hook})()

    result = execute_pipeline(p)
    assert result.success
    assert step_types(result, "start") == [*SUCCESS_NO_INPUT, "HOOK_ERRORED"]
    errored = events_of(result, "HOOK_ERRORED")[0]
    assert errored.message == 'Error in hook "raising_hook": RuntimeError: hook broke'
    assert errored.data["error"]["cls_name"] == "RuntimeError"


def test_pipeline_with_hooks_and_hook_as_decorator():
    HOOK_CALLS.clear()

    @pipeline
    def plain():
        start()

    hooked = plain.with_hooks({on_ok})
    assert plain.hook_defs == frozenset()
    execute_pipeline(hooked)
    assert HOOK_CALLS == [("ok", "start", {"result": 1})]

    HOOK_CALLS.clear()

    @on_ok
    @pipeline
    def decorated():
        start()

    result = execute_pipeline(decorated)
    assert "HOOK_COMPLETED" in step_types(result, "start")
    assert HOOK_CALLS == [("ok", "start", {"result": 1})]


def test_hook_with_resources():
    seen = []

    @success_hook(required_resource_keys={"notifier"})
    def notify(context):
        seen.append(context.resources.notifier)

    @pipeline(mode_defs=[ModeDefinition(resource_defs={
        "notifier": ResourceDefinition.hardcoded_resource("slack")})])
    def p():
        start.with_hooks({notify})()

    execute_pipeline(p)
    assert seen == ["slack"]


# -- dynamic outputs ------------------------------------------------------------------------------


@solid(output_defs=[DynamicOutputDefinition(Int)])
def fan_out(context, n: int):
    for i in range(n):
        yield DynamicOutput(i * 10, mapping_key=f"k{i}")


@solid
def times_two(context, x: int) -> int:
    return x * 2


@solid
def plus_key(context, x: int) -> str:
    return f"{context.get_mapping_key()}={x}"


@solid
def sum_all(context, xs) -> int:
    context.log.info(f"collected {xs}")
    return sum(xs)


@solid
def count(context, n: int) -> int:
    return n


def _dynamic_pipeline(name):
    @pipeline(name=name)
    def p():
        mapped = fan_out(count()).map(times_two)
        mapped.map(plus_key)
        sum_all(mapped.collect())

    return p


def test_dynamic_map_and_collect():
    result = execute_pipeline(_dynamic_pipeline("dyn"),
                              run_config={"solids": {"count": {"inputs": {"n": 3}}}})
    assert result.success
    assert [e.data["mapping_key"] for e in events_of(result, "STEP_OUTPUT", "fan_out")] == [
        "k0", "k1", "k2"]
    assert executed_steps(result) == [
        "count", "fan_out", "times_two[k0]", "times_two[k1]", "times_two[k2]",
        "plus_key[k0]", "plus_key[k1]", "plus_key[k2]", "sum_all",
    ]
    assert result.result_for_solid("fan_out").output_value() == {"k0": 0, "k1": 10, "k2": 20}
    assert list(result.result_for_solid("times_two").output_value()) == ["k0", "k1", "k2"]
    assert result.result_for_solid("times_two").output_value() == {"k0": 0, "k1": 20, "k2": 40}
    assert result.result_for_solid("plus_key").output_value() == {
        "k0": "k0=0", "k1": "k1=20", "k2": "k2=40"}
    assert result.result_for_solid("sum_all").output_value() == 60
    assert log_lines(result, "sum_all") == ["collected [0, 20, 40]"]
    loaded = events_of(result, "LOADED_INPUT", "times_two[k1]")[0]
    assert loaded.data["mapping_key"] == "k1"
    assert step_types(result, "times_two[k1]") == SUCCESS_ONE_INPUT
    # sum_all loads one value per mapped copy, then type-checks the list once.
    assert step_types(result, "sum_all") == ["STEP_START", "LOADED_INPUT", "LOADED_INPUT",
                                             "LOADED_INPUT", "STEP_INPUT", *SUCCESS_NO_INPUT[1:]]


def test_zero_dynamic_outputs_collect_an_empty_list():
    result = execute_pipeline(_dynamic_pipeline("dyn0"),
                              run_config={"solids": {"count": {"inputs": {"n": 0}}}})
    assert result.success
    assert step_types(result, "fan_out") == ["STEP_START", "LOADED_INPUT", "STEP_INPUT",
                                             "STEP_SUCCESS"]
    assert executed_steps(result) == ["count", "fan_out", "sum_all"]
    assert result.result_for_solid("sum_all").output_value() == 0
    assert log_lines(result, "sum_all") == ["collected []"]
    assert result.result_for_solid("times_two").step_events == []


def test_skipped_dynamic_producer_skips_mapped_and_collect():
    @solid(output_defs=[OutputDefinition(name="n", is_required=False)])
    def nothing(context):
        yield from ()

    @pipeline
    def p():
        sum_all(fan_out(nothing()).map(times_two).collect())

    result = execute_pipeline(p)
    assert result.success
    assert step_sequence(result) == [
        ("nothing", "STEP_START"), ("nothing", "STEP_SUCCESS"),
        ("fan_out", "STEP_SKIPPED"), ("sum_all", "STEP_SKIPPED"),
    ]


def test_failed_dynamic_producer_abandons_everything_downstream():
    @solid(output_defs=[DynamicOutputDefinition()])
    def half(context):
        yield DynamicOutput(1, mapping_key="a")
        raise BoomError("midway")

    @pipeline
    def p():
        after(sum_all(half().map(times_two).collect()))
        independent()

    result = run(p)
    assert not result.success
    assert executed_steps(result) == ["half", "independent"]
    assert result.result_for_solid("independent").success
    abandoned = [e.message for e in result.all_events
                 if e.event_type is None and "Not executing" in e.message]
    assert abandoned == [
        "Dependencies for step times_two[?] failed: ['half']. Not executing.",
        "Dependencies for step sum_all failed: ['half']. Not executing.",
        "Dependencies for step after failed: ['sum_all']. Not executing.",
    ]
    assert result.event_list[-1].message == \
        'Execution of pipeline "p" failed. Steps failed: [\'half\'].'


def test_one_mapped_copy_failing_abandons_the_collect():
    @solid
    def picky(context, x: int) -> int:
        if x == 10:
            raise BoomError("no tens")
        return x

    @pipeline
    def p():
        sum_all(fan_out(count()).map(picky).collect())

    result = run(p, run_config={"solids": {"count": {"inputs": {"n": 3}}}})
    assert [result.result_for_handle("picky").step_events[i].step_key for i in (0,)] == [
        "picky[k0]"]
    assert step_types(result, "picky[k1]")[-1] == "STEP_FAILURE"
    assert step_types(result, "picky[k2]")[-1] == "STEP_SUCCESS"
    assert step_types(result, "sum_all") == []
    assert "Dependencies for step sum_all failed: ['picky[k1]']. Not executing." in \
        log_lines(result, "sum_all")


def test_duplicate_mapping_key_fails_the_step():
    @solid(output_defs=[DynamicOutputDefinition()])
    def dup(context):
        yield DynamicOutput(1, mapping_key="same")
        yield DynamicOutput(2, mapping_key="same")

    result = run(pipeline(name="p")(lambda: dup()))
    assert 'mapping_key "same" more than once' in \
        result.result_for_solid("dup").failure_data.error.message


# -- fan-in, aliases, tags, priority ------------------------------------------------------------


def test_fan_in_list_input_preserves_order():
    @solid
    def val(context) -> int:
        return int(context.solid.name.split("_")[1])

    @pipeline
    def p():
        gather([val.alias(f"v_{i}")() for i in (3, 1, 2)])

    result = execute_pipeline(p)
    assert result.result_for_solid("gather").output_value() == [3, 1, 2]
    assert [e.data["upstream_step_key"] for e in events_of(result, "LOADED_INPUT", "gather")] == [
        "v_3", "v_1", "v_2"]


def test_aliases_and_tags_in_the_context():
    seen = {}

    @solid(tags={"team": "data", "tier": "1"})
    def who(context):
        seen[context.solid.name] = (str(context.solid_handle), context.solid_def.name,
                                    dict(context.solid.tags), context.step_key)

    @composite_solid
    def comp():
        who.alias("inner")()

    @pipeline
    def p():
        who.alias("renamed").tag({"tier": "2", "extra": "x"})()
        who()
        comp()

    execute_pipeline(p)
    assert seen["renamed"] == ("renamed", "who",
                               {"team": "data", "tier": "2", "extra": "x"}, "renamed")
    assert seen["who"] == ("who", "who", {"team": "data", "tier": "1"}, "who")
    assert seen["inner"] == ("comp.inner", "who", {"team": "data", "tier": "1"}, "comp.inner")


def test_priority_tag_orders_ready_steps():
    @pipeline
    def p():
        independent.alias("low").tag({"dagster/priority": "-1"})()
        independent.alias("plain")()
        independent.alias("high").tag({"dagster/priority": "10"})()
        independent.alias("mid").tag({"dagster/priority": "5"})()
        # A high-priority step still waits for its dependencies.
        after.alias("late_high").tag({"dagster/priority": "100"})(
            independent.alias("plain_2")())

    result = execute_pipeline(p)
    assert executed_steps(result) == ["high", "mid", "plain", "plain_2", "late_high", "low"]


# -- composites -------------------------------------------------------------------------------


@composite_solid(output_defs=[OutputDefinition(Int, "doubled"), OutputDefinition(Int, "plus")])
def twice_and_more(x: int):
    return {"doubled": times_two(x), "plus": add_two.alias("more")(x)}


@composite_solid
def outer(x: int):
    doubled, _plus = twice_and_more(x)
    return times_two.alias("again")(doubled)


def test_composite_results():
    @pipeline
    def p():
        after(outer(start()))

    result = execute_pipeline(p)
    assert executed_steps(result) == ["start", "outer.twice_and_more.times_two",
                                      "outer.twice_and_more.more", "outer.again", "after"]
    comp = result.result_for_solid("outer")
    assert comp.success
    assert comp.output_value() == 4
    inner = comp.result_for_solid("twice_and_more")
    assert inner.output_values == {"doubled": 2, "plus": 3}
    assert inner.result_for_solid("more").output_value() == 3
    assert comp.result_for_solid("again").output_value() == 4
    assert result.result_for_handle("outer.twice_and_more.times_two").output_value() == 2
    assert result.result_for_solid("after").output_value() == 4


def test_failed_inner_solid_fails_the_composite_result():
    @composite_solid
    def comp(x):
        return after(explode(x))

    result = run(pipeline(name="p")(lambda: comp(start())))
    comp_result = result.result_for_solid("comp")
    assert not comp_result.success
    assert comp_result.result_for_solid("explode").failure_data.error.cls_name == "BoomError"
    assert "Dependencies for step comp.after failed: ['comp.explode']. Not executing." in \
        log_lines(result)


# -- entry points ---------------------------------------------------------------------------------


def test_execute_pipeline_iterator_yields_progressively():
    ran = []

    @solid
    def records(context):
        ran.append("ran")
        return 1

    events = execute_pipeline_iterator(pipeline(name="p")(lambda: records()))
    first = next(events)
    assert first.event_type_value == "PIPELINE_START"
    assert ran == []
    rest = [e.event_type_value for e in events if e.event_type is not None]
    assert ran == ["ran"]
    assert rest[-1] == "PIPELINE_SUCCESS"


def test_execute_pipeline_iterator_can_be_abandoned_midway(monkeypatch):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    events = execute_pipeline_iterator(linear)
    for event in events:
        if event.event_type_value == "STEP_START":
            break
    events.close()
    del events
    gc.collect()
    # Closing must not make the engine's generators yield after GeneratorExit.
    assert [str(u.exc_value) for u in unraisable] == []


def test_execute_solid_with_input_values_and_config():
    @solid(config_schema={"factor": int})
    def scale(context, x: int) -> int:
        context.log.info("scaling")
        return x * context.solid_config["factor"]

    result = execute_solid(scale, input_values={"x": 4},
                           run_config={"solids": {"scale": {"config": {"factor": 3}}}})
    assert result.success
    assert result.output_value() == 12
    assert [e.event_type_value for e in result.step_events] == SUCCESS_ONE_INPUT


def test_execute_solid_with_resources_and_failure():
    @solid(required_resource_keys={"store"})
    def save(context, x):
        context.resources.store.append(x)
        return len(context.resources.store)

    store: list = []
    mode = ModeDefinition(resource_defs={"store": ResourceDefinition.hardcoded_resource(store)})
    assert execute_solid(save, mode_def=mode, input_values={"x": "a"}).output_value() == 1
    assert store == ["a"]

    failed = execute_solid(explode, input_values={"x": 1}, raise_on_error=False)
    assert not failed.success
    assert failed.failure_data.error.cls_name == "BoomError"


def test_direct_invocation_with_build_solid_context():
    @resource
    def prefix_resource(init_context):
        return init_context.resource_config or ">"

    @solid(config_schema={"times": int}, required_resource_keys={"prefix"})
    def repeat(context, word: str) -> str:
        context.log.info("repeating")
        return context.resources.prefix + word * context.solid_config["times"]

    context = build_solid_context(config={"times": 2}, resources={"prefix": "#"})
    assert repeat(context, word="ab") == "#abab"
    assert repeat(build_solid_context(config={"times": 1},
                                      resources={"prefix": prefix_resource}), "x") == ">x"
    assert context.logged_events[-1].message == "repeating"

    with pytest.raises(DagsterInvariantViolationError, match=r"requires resource\(s\) \['prefix'\]"):
        repeat(build_solid_context(config={"times": 1}), word="x")
    with pytest.raises(DagsterInvalidInvocationError, match='required input "word"'):
        repeat(build_solid_context(config={"times": 1}, resources={"prefix": ""}))
    with pytest.raises(DagsterTypeCheckDidNotPass,
                       match='Type check failed for the input "word" of solid "repeat"'):
        repeat(build_solid_context(config={"times": 1}, resources={"prefix": ""}), word=3)


def test_direct_invocation_without_context_and_generators():
    @solid
    def plain(x: int) -> int:
        return x + 1

    @solid(output_defs=[OutputDefinition(name="a"), OutputDefinition(name="b")])
    def two(context):
        yield Output(1, "a")
        yield Output(2, "b")

    @solid
    def mapped(context, x):
        return f"{context.get_mapping_key()}:{x}"

    assert plain(1) == 2
    assert plain(x=2) == 3
    assert [o.value for o in two(build_solid_context())] == [1, 2]
    assert mapped(build_solid_context(mapping_key="k1"), 5) == "k1:5"


def test_undeclared_resource_access_fails_the_step():
    @solid(required_resource_keys={"a"})
    def sneaky(context):
        return context.resources.b

    mode = ModeDefinition(resource_defs={"a": ResourceDefinition.hardcoded_resource(1),
                                         "b": ResourceDefinition.hardcoded_resource(2)})
    result = run(pipeline(name="p", mode_defs=[mode])(lambda: sneaky()))
    error = result.result_for_solid("sneaky").failure_data.error
    assert error.cls_name == "DagsterUnknownResourceError"
    assert "Unknown resource `b`" in error.message
    assert issubclass(DagsterUnknownResourceError, AttributeError)


# -- resources ------------------------------------------------------------------------------------


def test_resource_teardown_in_reverse_init_order_even_when_a_step_fails():
    order: list[str] = []

    def tracked(name, deps=()):
        @resource(required_resource_keys=set(deps))
        def _res(init_context):
            for dep in deps:
                assert getattr(init_context.resources, dep) == dep
            order.append(f"init {name}")
            yield name
            order.append(f"teardown {name}")

        return _res

    mode = ModeDefinition(resource_defs={
        "a": tracked("a"), "b": tracked("b", ["a"]), "c": tracked("c"),
        "unused": tracked("unused"),
    })

    @solid(required_resource_keys={"b", "c"})
    def uses(context):
        raise BoomError("step fails")

    @pipeline(mode_defs=[mode])
    def p():
        uses()

    result = run(p)
    assert not result.success
    assert order == ["init a", "init b", "init c", "teardown c", "teardown b", "teardown a"]

    order.clear()
    with pytest.raises(BoomError):
        execute_pipeline(p)
    assert order == ["init a", "init b", "init c", "teardown c", "teardown b", "teardown a"]


def test_a_resource_whose_function_is_replaced_is_built_the_new_way():
    """Whether a resource's function yields is looked up when it is defined; a function set
    on the definition afterwards is looked at again (its teardown runs, or there is none)."""
    events: list[str] = []

    @resource
    def plain(_):
        return "plain"

    def yielding(_):
        events.append("init")
        yield "yielded"
        events.append("teardown")

    plain.resource_fn = yielding

    @solid(required_resource_keys={"thing"})
    def uses(context):
        events.append(context.resources.thing)

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"thing": plain})])
    def p():
        uses()

    assert run(p).success
    assert events == ["init", "yielded", "teardown"]


def test_resources_built_once_per_run_in_process():
    inits = []

    @resource
    def counter(_):
        inits.append(1)
        return len(inits)

    @solid(required_resource_keys={"counter"})
    def reads(context):
        return context.resources.counter

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"counter": counter})])
    def p():
        reads.alias("r1")()
        reads.alias("r2")()

    result = execute_pipeline(p)
    assert inits == [1]
    assert result.result_for_solid("r2").output_value() == 1


def test_fs_io_manager_writes_pickles_under_the_instance_storage_dir():
    instance = Instance.ephemeral()

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
    def p():
        mapped = fan_out(count()).map(times_two)
        sum_all(mapped.collect())
        add_two(emit_one())

    result = execute_pipeline(p, instance=instance,
                              run_config={"solids": {"count": {"inputs": {"n": 2}}}})
    assert result.success
    base = instance.storage_dir / result.run_id
    with open(base / "add_two" / "result", "rb") as f:
        assert pickle.load(f) == 3
    with open(base / "fan_out" / "result" / "k1", "rb") as f:
        assert pickle.load(f) == 10
    with open(base / "times_two[k1]" / "result", "rb") as f:
        assert pickle.load(f) == 20
    assert sorted(p.name for p in base.iterdir()) == sorted(
        ["count", "fan_out", "times_two[k0]", "times_two[k1]", "sum_all", "emit_one",
         "add_two"])
    # The steps' directories were made ahead by a thread of the run's; it ends with the run.
    assert not [t for t in threading.enumerate() if t.name == "orch-dirs-ahead"]



def test_fs_io_manager_round_trips_outputs_small_and_larger_than_one_read(tmp_path):
    """Outputs up to READ_WHOLE_BYTES are read in one call, larger ones through a buffered
    file; a large bytes value is written by the pickler without a buffer between. Both
    arrive whole downstream and on disk."""
    from orch.core.definitions.io_manager import READ_WHOLE_BYTES

    blob = bytes(range(256)) * (3 * READ_WHOLE_BYTES // 256 + 7)  # 3 MB, not a frame size
    many = list(range(300_000))  # ~1.5 MB of pickle in 64 KB frames

    @solid
    def make_blob(_):
        return blob

    @solid
    def make_many(_):
        return many

    @solid
    def small(_):
        return {"k": 1}

    @solid
    def check(_, b, m, s):
        return (len(b), b == blob, m == many, s)

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
    def p():
        check(make_blob(), make_many(), small())

    instance = Instance.from_home(tmp_path)
    result = execute_pipeline(p, instance=instance)
    assert result.success
    assert result.result_for_solid("check").output_value() == (len(blob), True, True,
                                                               {"k": 1})
    base = instance.storage_dir / result.run_id
    assert (base / "make_blob" / "result").stat().st_size > READ_WHOLE_BYTES
    assert (base / "make_many" / "result").stat().st_size > READ_WHOLE_BYTES
    with open(base / "make_blob" / "result", "rb") as f:
        assert pickle.load(f) == blob
    assert not list(base.rglob("*.tmp"))

# -- retries and dynamic/optional outputs -------------------------------------------------------


def test_retried_dynamic_producer_maps_each_key_once():
    attempts = []

    @solid(output_defs=[DynamicOutputDefinition()], retry_policy=RetryPolicy(max_retries=1))
    def flaky_fan_out(context):
        attempts.append(context.retry_number)
        yield DynamicOutput(1, mapping_key="k0")
        yield DynamicOutput(2, mapping_key="k1")
        if context.retry_number == 0:
            raise BoomError("after yielding")

    @pipeline
    def p():
        sum_all(flaky_fan_out().map(times_two).collect())

    result = execute_pipeline(p)
    assert attempts == [0, 1]
    assert executed_steps(result) == ["flaky_fan_out", "times_two[k0]", "times_two[k1]",
                                      "sum_all"]
    assert log_lines(result, "sum_all") == ["collected [2, 4]"]
    assert result.result_for_solid("sum_all").output_value() == 6


def test_output_of_a_failed_attempt_does_not_count():
    @solid(output_defs=[OutputDefinition(name="maybe", is_required=False)],
           retry_policy=RetryPolicy(max_retries=1))
    def changes_its_mind(context):
        if context.retry_number == 0:
            yield Output(1, "maybe")
            raise BoomError("first attempt")

    @pipeline
    def p():
        passthrough(changes_its_mind())

    result = execute_pipeline(p)
    assert step_types(result, "passthrough") == ["STEP_SKIPPED"]


# -- more composition shapes --------------------------------------------------------------------


def test_map_over_a_composite():
    @composite_solid
    def double_then_add(x):
        return add_two(times_two(x))

    @pipeline
    def p():
        sum_all(fan_out(count()).map(double_then_add).collect())

    result = execute_pipeline(p, run_config={"solids": {"count": {"inputs": {"n": 2}}}})
    assert executed_steps(result) == [
        "count", "fan_out", "double_then_add.times_two[k0]", "double_then_add.times_two[k1]",
        "double_then_add.add_two[k0]", "double_then_add.add_two[k1]", "sum_all"]
    assert result.result_for_solid("double_then_add").output_value() == {"k0": 2, "k1": 22}
    assert result.result_for_solid("sum_all").output_value() == 24


def test_async_solids():
    import asyncio

    @solid
    async def fetch(context) -> int:
        await asyncio.sleep(0)
        return 5

    @solid(output_defs=[OutputDefinition(Int, "out0"), OutputDefinition(Int, "out1")])
    async def stream(context, x: int):
        for i in range(2):
            await asyncio.sleep(0)
            yield Output(x + i, f"out{i}")

    @pipeline
    def p():
        stream(fetch())

    result = execute_pipeline(p)
    assert result.result_for_solid("fetch").output_value() == 5
    assert result.result_for_solid("stream").output_values == {"out0": 5, "out1": 6}


def test_root_input_manager():
    from orch import root_input_manager

    @root_input_manager
    def table_loader(context):
        return f"rows of {context.name}"

    @solid(input_defs=[InputDefinition("orders", root_manager_key="loader")])
    def read(context, orders):
        return orders

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"loader": table_loader})])
    def p():
        read()

    result = execute_pipeline(p)
    assert result.result_for_solid("read").output_value() == "rows of orders"
    assert step_types(result, "read") == SUCCESS_ONE_INPUT
    assert events_of(result, "LOADED_INPUT", "read")[0].message == (
        'Loaded input "orders" using input manager "loader"')


def test_custom_io_manager_and_its_errors():
    from orch import IOManager, io_manager

    stored = {}

    class DictIOManager(IOManager):
        def handle_output(self, context, obj):
            if obj == "unstorable":
                raise OSError("disk full")
            stored[(context.step_key, context.name)] = obj

        def load_input(self, context):
            up = context.upstream_output
            return stored[(up.step_key, up.name)]

    @io_manager
    def dict_io(_):
        return DictIOManager()

    @solid(output_defs=[OutputDefinition(io_manager_key="dict_io")])
    def produce(context):
        return "value"

    @solid(output_defs=[OutputDefinition(io_manager_key="dict_io")])
    def cannot_store(context):
        return "unstorable"

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"dict_io": dict_io})])
    def p():
        passthrough(produce())
        passthrough.alias("never")(cannot_store())

    result = run(p)
    assert stored[("produce", "result")] == "value"
    assert result.result_for_solid("passthrough").output_value() == "value"
    assert events_of(result, "HANDLED_OUTPUT", "produce")[0].message == (
        'Handled output "result" using IO manager "dict_io"')
    assert events_of(result, "LOADED_INPUT", "passthrough")[0].data["manager_key"] == "dict_io"
    assert step_types(result, "cannot_store") == ["STEP_START", "STEP_OUTPUT", "STEP_FAILURE"]
    assert result.result_for_solid("cannot_store").failure_data.error.message == \
        "OSError: disk full"
    assert step_types(result, "never") == []


def test_mode_selection():
    @solid(required_resource_keys={"name"})
    def who(context):
        return context.resources.name

    @pipeline(mode_defs=[
        ModeDefinition("prod", resource_defs={"name": ResourceDefinition.hardcoded_resource("p")}),
        ModeDefinition("test", resource_defs={"name": ResourceDefinition.hardcoded_resource("t")}),
    ])
    def p():
        who()

    assert execute_pipeline(p, mode="test").result_for_solid("who").output_value() == "t"
    with pytest.raises(DagsterInvariantViolationError) as err:
        execute_pipeline(p)
    assert str(err.value).startswith(
        "Pipeline \"p\" has multiple modes (Available modes: ['prod', 'test']) and you have "
        "attempted to execute it without specifying a mode.")
    with pytest.raises(DagsterInvariantViolationError,
                       match=r"Could not find mode \"nope\".*Available modes: \['prod', 'test'\]"):
        execute_pipeline(p, mode="nope")


def test_reconstructable_pipeline_executes():
    from orch import reconstructable

    result = execute_pipeline(reconstructable(_module_level_pipeline))
    assert result.success
    assert result.result_for_solid("add_two").output_value() == 3


@pipeline
def _module_level_pipeline():
    add_two(emit_one())


@solid(output_defs=[DynamicOutputDefinition()])
def letters(context):
    for k in ("x", "y"):
        yield DynamicOutput(k, mapping_key=k)


@solid(output_defs=[DynamicOutputDefinition()])
def more_letters(context):
    for k in ("p", "q", "r"):
        yield DynamicOutput(k, mapping_key=k)


@solid
def upper(context, s: str) -> str:
    return s.upper()


@solid
def combine(context, xs, ys):
    return xs, ys


@pytest.mark.parametrize("first", ["letters", "more_letters"])
def test_one_step_collecting_from_two_dynamic_producers(first):
    @pipeline
    def p():
        combine(letters.tag({"dagster/priority": "1" if first == "letters" else "0"})()
                .map(upper).collect(),
                more_letters.tag({"dagster/priority": "1" if first != "letters" else "0"})()
                .collect())

    result = execute_pipeline(p)
    assert executed_steps(result)[0] == first
    assert result.result_for_solid("combine").output_value() == (["X", "Y"], ["p", "q", "r"])


def test_collect_from_two_producers_one_failing():
    @solid(output_defs=[DynamicOutputDefinition()])
    def broken_letters(context):
        raise BoomError("no letters")

    @pipeline
    def p():
        combine(letters().map(upper).collect(), broken_letters().collect())

    result = run(p)
    assert step_types(result, "combine") == []
    assert log_lines(result, "combine") == [
        "Dependencies for step combine failed: ['broken_letters']. Not executing."]
    assert result.result_for_solid("upper").output_value() == {"x": "X", "y": "Y"}


def test_returned_values_that_do_not_fit_the_outputs():
    @solid(output_defs=[])
    def no_outputs(context):
        return 5

    @solid(output_defs=[OutputDefinition(name="a"), OutputDefinition(name="b")])
    def wrong_arity(context):
        return 1, 2, 3

    @solid(output_defs=[DynamicOutputDefinition()])
    def plain_value_for_dynamic(context):
        return [1, 2]

    @solid(output_defs=[])
    def returns_none(context):
        return None

    @pipeline
    def p():
        no_outputs()
        wrong_arity()
        plain_value_for_dynamic()
        returns_none()

    result = run(p)
    errors = {k: result.result_for_solid(k).failure_data.error
              for k in ("no_outputs", "wrong_arity", "plain_value_for_dynamic")}
    # Runtime misuse is an invariant violation (as in the legacy engine), not a definition error.
    assert {e.cls_name for e in errors.values()} == {"DagsterInvariantViolationError"}
    assert 'Solid "no_outputs" has no outputs but its compute function returned int' in \
        errors["no_outputs"].message
    assert "return a tuple with one value per output" in errors["wrong_arity"].message
    assert "yield DynamicOutput values" in errors["plain_value_for_dynamic"].message
    assert step_types(result, "returns_none") == ["STEP_START", "STEP_SUCCESS"]


def test_build_solid_context_as_a_context_manager_tears_resources_down():
    log = []

    def tracked(name):
        @resource
        def _res(_):
            log.append(f"init {name}")
            yield name
            log.append(f"teardown {name}")

        return _res

    @solid(required_resource_keys={"a", "b"})
    def uses(context):
        return context.resources.a + context.resources.b

    with build_solid_context(resources={"a": tracked("a"), "b": tracked("b")}) as context:
        assert uses(context) == "ab"
        assert log == ["init a", "init b"]
    assert log == ["init a", "init b", "teardown b", "teardown a"]


def test_run_and_pipeline_tags_in_the_context():
    @solid
    def tags(context):
        return (context.get_tag("team"), context.has_tag("team"), context.has_tag("nope"),
                context.pipeline_run.tags.get("ptag"), context.run_id == context.run.run_id)

    @pipeline(tags={"ptag": "p"})
    def p():
        tags()

    result = execute_pipeline(p, tags={"team": "data"})
    assert result.result_for_solid("tags").output_value() == ("data", True, False, "p", True)


def test_explicit_dependencies_with_dynamic_map_and_collect():
    from orch import DependencyDefinition, DynamicCollectDependencyDefinition, PipelineDefinition

    p = PipelineDefinition(
        [count, fan_out, times_two, sum_all], name="explicit_dyn",
        dependencies={
            "fan_out": {"n": DependencyDefinition("count")},
            "times_two": {"x": DependencyDefinition("fan_out")},  # a dynamic output: mapped
            "sum_all": {"xs": DynamicCollectDependencyDefinition("times_two")},
        },
    )
    result = execute_pipeline(p, run_config={"solids": {"count": {"inputs": {"n": 2}}}})
    assert executed_steps(result) == ["count", "fan_out", "times_two[k0]", "times_two[k1]",
                                      "sum_all"]
    assert result.result_for_solid("sum_all").output_value() == 20


def test_solid_invocation_hooks_retry_and_tags_in_explicit_form():
    from orch import PipelineDefinition, SolidInvocation

    HOOK_CALLS.clear()
    calls = []

    @solid
    def flaky(context):
        calls.append(context.retry_number)
        if context.retry_number == 0:
            raise BoomError("once")
        return context.solid.tags["owner"]

    p = PipelineDefinition(
        [flaky], name="explicit",
        dependencies={SolidInvocation("flaky", alias="renamed", tags={"owner": "me"},
                                      hook_defs=frozenset({on_ok}),
                                      retry_policy=RetryPolicy(max_retries=1)): {}},
    )
    result = execute_pipeline(p)
    assert calls == [0, 1]
    assert result.result_for_solid("renamed").output_value() == "me"
    assert HOOK_CALLS == [("ok", "renamed", {"result": "me"})]


def test_output_metadata_is_recorded():
    @solid
    def with_metadata(context):
        yield Output(1, metadata={"rows": 3, "path": "/tmp/x", "ok": True,
                                  "link": EventMetadata.url("http://x")})

    @solid
    def with_both(context):
        yield Output(1, metadata={"rows": 3},
                     metadata_entries=[EventMetadataEntry.url("http://x", "link")])

    result = execute_pipeline(pipeline(name="p")(lambda: with_metadata()))
    metadata = events_of(result, "STEP_OUTPUT")[0].data["metadata"]
    assert [(m["label"], m["entry_type"], m["value"]) for m in metadata] == [
        ("rows", "int", 3), ("path", "text", "/tmp/x"), ("ok", "bool", True),
        ("link", "url", "http://x")]
    # As in Dagster 0.15: one form or the other.
    failed = run(pipeline(name="p2")(lambda: with_both()))
    error = failed.result_for_solid("with_both").failure_data.error
    assert error.cls_name == "DagsterInvalidMetadata"
    assert "both `metadata` and `metadata_entries`" in error.message


def test_failed_expectation_does_not_fail_the_step():
    @solid
    def checks(context):
        yield ExpectationResult(success=False, label="positive", description="found -1")
        yield Output(1)

    result = execute_pipeline(pipeline(name="p")(lambda: checks()))
    assert result.success
    expectation = events_of(result, "STEP_EXPECTATION_RESULT")[0]
    assert expectation.message == "Expectation positive failed."
    assert expectation.data["success"] is False
