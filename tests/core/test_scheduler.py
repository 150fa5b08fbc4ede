"""The scheduler's state machine, driven directly: each test feeds ``ActiveExecution`` the
events a launcher would hand back and checks which steps are waiting, ready, running, up for
retry and finished, and which events ``settle`` produces (abandon, skip). No executor runs:
these are the transitions every executor shares (core/execution/scheduler.py, "Policy")."""

from __future__ import annotations

import logging
import time

import pytest
from orch.core.events import EventRecord, EventType
from orch.core.execution.api import prepare_run
from orch.core.execution.context import RunContext
from orch.core.execution.scheduler import ActiveExecution
from orch.core.instance import Instance

from orch import (
    DynamicOutput,
    DynamicOutputDefinition,
    InputDefinition,
    Int,
    Output,
    OutputDefinition,
    pipeline,
    solid,
)


@solid
def one(_context) -> int:
    return 1


@solid
def inc(_context, x: int) -> int:
    return x + 1


@solid
def add(_context, a: int, b: int) -> int:
    return a + b


@solid(tags={"dagster/priority": "5"})
def urgent(_context, x: int) -> int:
    return x


@solid(output_defs=[OutputDefinition(Int, is_required=False)])
def maybe(_context):
    yield Output(1)


@solid(output_defs=[DynamicOutputDefinition(Int)])
def fan(_context):
    yield DynamicOutput(1, mapping_key="a")


@solid(input_defs=[InputDefinition("xs")])
def total(_context, xs) -> int:
    return sum(xs)


@pipeline
def chain():
    inc(inc(one()))


@pipeline
def diamond():
    top = one()
    add(inc.alias("left")(top), inc.alias("right")(top))


@pipeline
def prioritised():
    top = one()
    inc.alias("plain_a")(top)
    urgent(top)
    inc.alias("plain_b")(top)


@pipeline
def optional_branch():
    inc.alias("after")(inc(maybe()))


@pipeline
def dynamic():
    total(fan().map(inc).collect())


def _start(pipeline_def) -> tuple[ActiveExecution, RunContext]:
    prepared = prepare_run(pipeline_def)
    rc = RunContext(prepared.pipeline_def, prepared.run, prepared.run_config,
                    prepared.mode_def, Instance.ephemeral(), plan=prepared.plan)
    return ActiveExecution(prepared.plan), rc


def _event(rc: RunContext, event_type: EventType, key: str, **data) -> EventRecord:
    return rc.event(event_type, "", key, data=data)


def _succeed(active: ActiveExecution, rc: RunContext, key: str, *outputs: str,
             mapping_key: str | None = None) -> None:
    for output in outputs:
        active.handle_event(_event(rc, EventType.STEP_OUTPUT, key, output_name=output,
                                   mapping_key=mapping_key))
    active.handle_event(_event(rc, EventType.STEP_SUCCESS, key))


def _take(active: ActiveExecution, rc: RunContext, limit: int = 100) -> list[str]:
    list(active.settle(rc))
    return [step.key for step in active.take_ready(limit)]


def test_a_step_is_ready_only_when_every_upstream_step_succeeded():
    active, rc = _start(diamond)
    assert _take(active, rc) == ["one"]
    assert active.running == {"one"}
    assert active.waiting == {"left": {"one"}, "right": {"one"}, "add": {"left", "right"}}
    _succeed(active, rc, "one", "result")
    assert active.running == set() and active.succeeded == {"one"}
    assert _take(active, rc) == ["left", "right"]
    _succeed(active, rc, "left", "result")
    assert _take(active, rc) == []  # add still waits for right
    assert active.waiting == {"add": {"right"}}
    _succeed(active, rc, "right", "result")
    assert _take(active, rc) == ["add"]
    assert not active.is_complete
    _succeed(active, rc, "add", "result")
    assert active.is_complete and active.failed_steps() == []


def test_ready_steps_go_by_priority_then_plan_order_whatever_the_slots():
    active, rc = _start(prioritised)
    _take(active, rc)
    _succeed(active, rc, "one", "result")
    list(active.settle(rc))
    assert active.ready == ["urgent", "plain_a", "plain_b"]
    assert [s.key for s in active.take_ready(1)] == ["urgent"]
    assert [s.key for s in active.take_ready(1)] == ["plain_a"]
    assert active.running == {"urgent", "plain_a"} and active.ready == ["plain_b"]


def test_a_failure_abandons_everything_downstream_with_one_error_line_each():
    active, rc = _start(chain)
    _take(active, rc)
    _succeed(active, rc, "one", "result")
    assert _take(active, rc) == ["inc"]
    active.handle_event(_event(rc, EventType.STEP_FAILURE, "inc"))
    events = list(active.settle(rc))
    assert [(e.event_type, e.step_key, e.level) for e in events] == \
        [(None, "inc_2", logging.ERROR)]
    assert events[0].data == {"abandoned": True, "failed_dependencies": ["inc"]}
    assert active.failed == {"inc"} and active.abandoned == {"inc_2"}
    assert active.is_complete and active.failed_steps() == ["inc"]


def test_a_missing_optional_output_skips_its_dependents_in_a_cascade():
    active, rc = _start(optional_branch)
    assert _take(active, rc) == ["maybe"]
    _succeed(active, rc, "maybe")  # success without its optional output
    events = list(active.settle(rc))
    assert [(e.event_type, e.step_key) for e in events] == [
        (EventType.STEP_SKIPPED, "inc"), (EventType.STEP_SKIPPED, "after")]
    assert events[0].data == {"missing": ["maybe.result"]}
    assert active.skipped == {"inc", "after"} and active.is_complete
    assert active.take_ready(10) == []


def test_a_retry_waits_out_its_delay_forgets_its_outputs_and_keeps_dependents_waiting():
    active, rc = _start(chain)
    _take(active, rc)
    _succeed(active, rc, "one", "result")
    assert _take(active, rc) == ["inc"]
    active.handle_event(_event(rc, EventType.STEP_OUTPUT, "inc", output_name="result"))
    active.handle_event(_event(rc, EventType.STEP_UP_FOR_RETRY, "inc", seconds_to_wait=0.2))
    assert "inc" not in active.running and set(active.retry_at) == {"inc"}
    assert active.attempts == {"inc": 1}
    assert not any(h.step_key == "inc" for h in active.produced)
    assert active.waiting == {"inc_2": {"inc"}}
    assert _take(active, rc) == []  # not before its delay
    wait = active.seconds_to_next_retry()
    assert wait is not None and 0 < wait <= 0.2
    assert not active.is_complete and active.unfinished_steps == ["inc", "inc_2"]
    time.sleep(wait)
    assert _take(active, rc) == ["inc"]
    assert active.retry_at == {} and active.running == {"inc"}
    _succeed(active, rc, "inc", "result")
    assert _take(active, rc) == ["inc_2"]


def test_a_dynamic_output_resolves_one_step_per_mapping_key_then_the_collect():
    active, rc = _start(dynamic)
    assert _take(active, rc) == ["fan"]
    assert "inc[?]" in active.plan.steps and not active.is_complete
    _succeed(active, rc, "fan", "result", mapping_key="a")
    assert "inc[?]" not in active.plan.steps
    assert _take(active, rc) == ["inc[a]"]
    assert active.waiting == {"total": {"inc[a]"}}
    _succeed(active, rc, "inc[a]", "result")
    assert _take(active, rc) == ["total"]
    _succeed(active, rc, "total", "result")
    assert active.is_complete


def test_a_dynamic_producer_that_fails_abandons_its_unresolved_steps():
    active, rc = _start(dynamic)
    _take(active, rc)
    active.handle_event(_event(rc, EventType.STEP_FAILURE, "fan"))
    events = list(active.settle(rc))
    assert [(e.step_key, e.data["failed_dependencies"]) for e in events] == [
        ("inc[?]", ["fan"]), ("total", ["fan"])]
    assert active.is_complete


@pytest.mark.parametrize("outcome", [EventType.STEP_SUCCESS, EventType.STEP_FAILURE])
def test_events_of_other_kinds_do_not_change_a_steps_state(outcome):
    active, rc = _start(chain)
    _take(active, rc)
    for event_type in (EventType.STEP_START, EventType.LOADED_INPUT, EventType.HANDLED_OUTPUT,
                       EventType.LOGS_CAPTURED):
        active.handle_event(_event(rc, event_type, "one"))
    active.handle_event(rc.event(None, "a log line", "one"))
    assert active.running == {"one"} and not active.succeeded and not active.failed
    active.handle_event(_event(rc, outcome, "one"))
    assert active.running == set()


def test_next_up_is_what_waits_only_for_running_steps_highest_rank_first():
    active, rc = _start(diamond)
    assert active.next_up(5) == []  # nothing runs yet
    _take(active, rc)
    assert [s.key for s in active.next_up(5)] == ["left", "right"]  # wait only for one
    assert [s.key for s in active.next_up(1)] == ["left"]  # plan order
    assert [s.key for s in active.next_up(5, exclude={"left"})] == ["right"]
    _succeed(active, rc, "one", "result")
    assert _take(active, rc, limit=1) == ["left"]
    assert active.next_up(5) == []  # add waits for right too, which is not running
    assert _take(active, rc) == ["right"]
    assert [s.key for s in active.next_up(5)] == ["add"]
    assert active.next_up(0) == []


def test_next_up_puts_the_higher_priority_first():
    active, rc = _start(prioritised)
    _take(active, rc)
    assert [s.key for s in active.next_up(2)] == ["urgent", "plain_a"]


def test_a_step_whose_upstream_failed_is_finished_and_never_next_up():
    active, rc = _start(chain)
    _take(active, rc)
    assert [s.key for s in active.next_up(5)] == ["inc"]
    active.handle_event(_event(rc, EventType.STEP_FAILURE, "one"))
    list(active.settle(rc))
    assert active.is_finished("inc") and active.is_finished("inc_2")
    assert active.next_up(5) == []
