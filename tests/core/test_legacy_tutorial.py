"""The "done means" scenario: a legacy-tutorial pipeline file run with raise_on_error=False, and
the result object reporting what Dagster's does.

Every expectation marked (oracle) was read off the same file run under Dagster 0.15.10 with
its import line changed to ``from dagster import``.
"""

from __future__ import annotations

import legacy_tutorial_pipeline as tutorial
import pytest
from core_helpers import log_lines, step_types

from orch import execute_pipeline

# step key -> final outcome (oracle)
EXPECTED_OUTCOMES = {
    "load_orders": "STEP_SUCCESS",
    "split_orders": "STEP_SUCCESS",
    "summarize.count_orders": "STEP_SUCCESS",
    "summarize.total_amount": "STEP_SUCCESS",
    "by_region": "STEP_SUCCESS",
    "region_total[north]": "STEP_SUCCESS",
    "region_total[south]": "STEP_SUCCESS",
    "region_total[west]": "STEP_SUCCESS",
    "combine_regions": "STEP_SUCCESS",
    "fetch_exchange_rate": "STEP_SUCCESS",
    "report": "STEP_SUCCESS",
    "process_refunds": "STEP_SKIPPED",
    "audit_refunds": "STEP_SKIPPED",
    "validate_international": "STEP_FAILURE",
}


@pytest.fixture(scope="module")
def result():
    tutorial.ATTEMPTS.clear()
    return execute_pipeline(tutorial.orders_pipeline, raise_on_error=False)


def test_run_fails_because_of_one_branch(result):
    assert result.success is False
    last = result.event_list[-1]
    assert last.event_type_value == "PIPELINE_FAILURE"
    assert last.message == ('Execution of pipeline "orders_pipeline" failed. Steps failed: '
                            "['validate_international'].")


def test_step_outcomes(result):
    outcomes = {e.step_key: e.event_type_value for e in result.event_list
                if e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")}
    assert outcomes == EXPECTED_OUTCOMES
    # No step ever has two outcomes, and the abandoned ones have none.
    finals = [e.step_key for e in result.event_list
              if e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")]
    assert len(finals) == len(set(finals))
    assert "ship_international" not in outcomes and "notify_customs" not in outcomes


def test_per_solid_success_and_skipped(result):
    succeeded = {"load_orders", "split_orders", "summarize", "by_region", "region_total",
                 "combine_regions", "fetch_exchange_rate", "report"}
    skipped = {"process_refunds", "audit_refunds", "ship_international", "notify_customs"}
    for solid_result in result.solid_result_list:
        name = solid_result.handle
        assert solid_result.success is (name in succeeded), name
        if name != "summarize":  # the legacy composite result has no `skipped`
            assert solid_result.skipped is (name in skipped), name
    assert {r.handle for r in result.solid_result_list} == succeeded | skipped | {
        "validate_international"}


def test_output_values(result):
    split = result.result_for_solid("split_orders")
    assert [o["id"] for o in split.output_value("domestic")] == [1, 2, 4]
    assert [o["id"] for o in split.output_value("international")] == [3]
    assert set(split.output_values) == {"domestic", "international"}  # refunds not yielded
    summary = result.result_for_solid("summarize")
    assert summary.output_value("count") == 3
    assert summary.output_value("total") == 75
    assert summary.result_for_solid("count_orders").output_value() == 3
    assert list(result.result_for_solid("by_region").output_value()) == ["north", "south",
                                                                         "west"]
    assert result.result_for_solid("region_total").output_value() == {
        "north": 15, "south": 25, "west": 40}
    assert result.result_for_solid("combine_regions").output_value() == 80
    report = result.result_for_solid("report").output_value()
    assert report == {"count": 3, "total": 75, "regional": 80,
                      "converted": pytest.approx(82.5)}
    # Skipped and abandoned solids report no value (oracle).
    for name in ("process_refunds", "audit_refunds", "ship_international", "notify_customs"):
        assert result.result_for_solid(name).output_value() is None


def test_failing_solid_failure_data(result):
    failed = result.result_for_solid("validate_international")
    assert failed.success is False and failed.skipped is False
    assert failed.output_value() is None
    data = failed.failure_data
    assert data.error.cls_name == "Failure"
    assert data.error.message == "Failure: 1 international orders lack customs data"
    assert data.user_failure_data.description == "1 international orders lack customs data"
    assert step_types(result, "validate_international") == [
        "STEP_START", "LOADED_INPUT", "STEP_INPUT", "STEP_FAILURE"]


def test_abandoned_downstream(result):
    for name in ("ship_international", "notify_customs"):
        assert result.result_for_solid(name).step_events == []
    assert log_lines(result, "ship_international") == [
        "Dependencies for step ship_international failed: ['validate_international']. "
        "Not executing."]
    assert log_lines(result, "notify_customs") == [
        "Dependencies for step notify_customs failed: ['ship_international']. Not executing."]


def test_optional_output_skip_cascade(result):
    assert step_types(result, "process_refunds") == ["STEP_SKIPPED"]
    assert step_types(result, "audit_refunds") == ["STEP_SKIPPED"]
    messages = [e.message for e in result.event_list if e.event_type_value == "STEP_SKIPPED"]
    assert messages == [
        "Skipping step process_refunds due to skipped dependencies: ['split_orders.refunds'].",
        "Skipping step audit_refunds due to skipped dependencies: ['process_refunds.result'].",
    ]


def test_retried_solid(result):
    assert tutorial.ATTEMPTS == [0, 1]
    assert step_types(result, "fetch_exchange_rate") == [
        "STEP_START", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_OUTPUT", "HANDLED_OUTPUT",
        "STEP_SUCCESS"]
    assert log_lines(result, "fetch_exchange_rate") == ["Rate service unavailable, retrying"]
    assert result.result_for_solid("fetch_exchange_rate").output_value() == 1.1


def test_multiple_outputs_and_dynamic_steps(result):
    assert step_types(result, "split_orders") == [
        "STEP_START", "LOADED_INPUT", "STEP_INPUT", "STEP_OUTPUT", "HANDLED_OUTPUT",
        "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS"]
    mapped = [e.step_key for e in result.event_list if e.event_type_value == "STEP_START"
              and e.step_key.startswith("region_total")]
    assert mapped == ["region_total[north]", "region_total[south]", "region_total[west]"]
    assert log_lines(result, "region_total[south]") == ["Region south: 1 orders"]


def test_context_logging(result):
    assert log_lines(result, "load_orders") == ["Loaded 4 orders"]
    assert log_lines(result, "split_orders") == ["3 domestic, 1 international"]
    assert log_lines(result, "report") == ["3 domestic orders, total 75, all regions 80"]
