"""Defects 3 and 4: one bad event fails its own step, never the run or the writer; a
BaseException in user code is a step failure that names it, under both executors."""

from __future__ import annotations

import time

import pytest
from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun, PipelineRunStatus

from .conftest import events, runs

EXECUTORS = ["in_process", "multiprocess"]


def _by_step(home, run_id, event_type):
    return {e.step_key: e for e in events(home, run_id, event_type)}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_cyclic_metadata_value_fails_its_step_and_the_others_are_stored(orch, repo, home,
                                                                          executor):
    started = time.monotonic()
    result = orch("run", "-f", str(repo), "-p", "poison", "--executor", executor)
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 30
    (run,) = runs(home)
    assert run.status is PipelineRunStatus.FAILURE
    failure = _by_step(home, run.run_id, "STEP_FAILURE")["cyclic"]
    error = failure.data["error"]["message"]
    assert 'Metadata entry "bad" of output "result" of step "cyclic" cannot be stored' in error
    assert "cyclic or nested too deeply" in error
    assert set(_by_step(home, run.run_id, "STEP_SUCCESS")) == {"one", "plus"}


def test_the_writer_stores_a_poison_event_as_a_note_and_never_requeues_it(tmp_path):
    with Instance.from_home(tmp_path / ".orch") as instance:
        run = instance.create_run(PipelineRun("p"))
        cyclic: dict = {}
        cyclic["self"] = cyclic
        writer = instance.event_writer(run.run_id, flush_interval=None)
        writer.write(EventRecord(run.run_id, "p", None, "before", "s"))
        writer.write(EventRecord(run.run_id, "p", EventType.STEP_OUTPUT, "poison", "s",
                                 data={"metadata": cyclic}))
        writer.write(EventRecord(run.run_id, "p", EventType.STEP_SUCCESS, "after", "s"))
        assert writer.pending == 0
        writer.write(EventRecord(run.run_id, "p", None, "later", "s"))
        writer.close()
        stored = instance.get_logs_for_run(run.run_id)
    assert [e.message.split(" [")[0] for e in stored] == ["before", "poison", "after", "later"]
    assert "cyclic or nested too deeply" in stored[1].data["unstorable"]
    assert stored[1].event_type is EventType.STEP_OUTPUT


@pytest.mark.parametrize("executor", EXECUTORS)
def test_sys_exit_and_keyboard_interrupt_in_a_step_are_failures_that_name_them(
        orch, repo, home, executor):
    result = orch("run", "-f", str(repo), "-p", "base_exceptions", "--executor", executor)
    assert result.returncode == 1, result.stderr
    (run,) = runs(home)
    assert run.status is PipelineRunStatus.FAILURE  # not CANCELED: nobody canceled it
    failures = _by_step(home, run.run_id, "STEP_FAILURE")
    assert set(failures) == {"exits", "interrupts"}
    exits, interrupts = failures["exits"].data["error"], failures["interrupts"].data["error"]
    assert exits["cls_name"] == "SystemExit" and exits["message"] == "SystemExit: 3"
    assert interrupts["cls_name"] == "KeyboardInterrupt"
    assert "user code raised it" in interrupts["message"]
    assert any("sys.exit(3)" in frame for frame in exits["stack"])
    assert set(_by_step(home, run.run_id, "STEP_SUCCESS")) == {"one", "plus", "unpicklable"}
    with Instance.from_home(home) as instance:
        assert b"leaving" in instance.compute_log_manager.read(run.run_id, "exits", "stderr")[0]
        in_progress = [s.step_key for s in instance.get_step_stats(run.run_id)
                       if s.end_time is None]
    assert in_progress == []
