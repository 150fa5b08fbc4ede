"""Step stdout/stderr (issue 10 #8): `orch run` shows them live, prefixed by the step key,
unless -q; `orch runs logs RUN --step KEY --stdout|--stderr` prints a step's compute log."""

from __future__ import annotations

import time

import pytest

from .conftest import instance_at, runs, wait_for, write_repo

CHATTY = '''
import sys
import time
from pathlib import Path

from orch import ModeDefinition, fs_io_manager, pipeline, solid

HERE = Path(__file__).parent


@solid
def talk(context) -> int:
    print("hello on stdout")
    print("careful on stderr", file=sys.stderr)
    return 1


@solid
def slow_talk(context, x: int) -> int:
    print("first line", flush=True)
    while not (HERE / "go").exists():
        time.sleep(0.02)
    print("second line")
    return x


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def chatty():
    slow_talk(talk())
'''


def test_run_shows_step_output_live_and_runs_logs_reads_it(orch, home, tmp_path):
    repo = write_repo(tmp_path, CHATTY, "chatty.py")
    err_path = tmp_path / "run.err"
    with open(err_path, "w") as err:
        proc = orch.popen("run", "-f", str(repo), stderr=err)
        # The first line of a running step is shown while the step still runs.
        wait_for(lambda: "[slow_talk] stdout: first line" in err_path.read_text(), timeout=20)
        assert proc.poll() is None
        (tmp_path / "go").write_text("")
        assert proc.wait(timeout=20) == 0
    text = err_path.read_text()
    assert "  [talk] stdout: hello on stdout" in text
    assert "  [talk] stderr: careful on stderr" in text
    assert text.index("START    talk") < text.index("[talk] stdout: hello") < \
        text.index("OK       talk")
    assert text.index("[slow_talk] stdout: second line") < text.index("OK       slow_talk")

    [run] = runs(home)
    out = orch("runs", "logs", run.run_id[:8], "--step", "talk", "--stdout")
    assert out.returncode == 0 and out.stdout == "hello on stdout\n"
    err = orch("runs", "logs", run.run_id, "--step", "talk", "--stderr")
    assert err.returncode == 0 and err.stdout == "careful on stderr\n"
    legacy_key = orch("runs", "logs", run.run_id, "--step", "talk.compute", "--stdout")
    assert legacy_key.returncode == 0 and legacy_key.stdout == "hello on stdout\n"
    legacy_events = orch("runs", "logs", run.run_id, "--step", "talk.compute", "--json")
    assert legacy_events.returncode == 0 and '"STEP_SUCCESS"' in legacy_events.stdout
    quiet_step = orch("runs", "logs", run.run_id, "--step", "slow_talk", "--stderr")
    assert quiet_step.stdout == "" and "wrote nothing to stderr" in quiet_step.stderr

    unknown = orch("runs", "logs", run.run_id, "--step", "nope", "--stdout")
    assert unknown.returncode == 2 and "talk, slow_talk" in unknown.stderr
    no_step = orch("runs", "logs", run.run_id, "--stdout")
    assert no_step.returncode == 2 and "--step" in no_step.stderr


def test_quiet_and_json_keep_step_output_off_the_terminal(orch, home, tmp_path):
    repo = write_repo(tmp_path, CHATTY, "chatty.py")
    (tmp_path / "go").write_text("")
    quiet = orch("run", "-f", str(repo), "-q")
    assert quiet.returncode == 0 and "hello on stdout" not in quiet.stderr + quiet.stdout
    multi = orch("run", "-f", str(repo), "--executor", "multiprocess", "--json")
    assert multi.returncode == 0
    assert "[talk] stdout: hello on stdout" in multi.stderr
    assert all(line.startswith("{") for line in multi.stdout.splitlines())


def test_runs_logs_follows_a_running_steps_output(orch, home, tmp_path):
    repo = write_repo(tmp_path, CHATTY, "chatty.py")
    proc = orch.popen("run", "-f", str(repo), "-q")
    try:
        run = wait_for(lambda: runs(home) and runs(home)[0], timeout=20)
        wait_for(lambda: orch("runs", "logs", run.run_id, "--step", "slow_talk",
                              "--stdout").stdout == "first line\n", timeout=20)
        follower = orch.popen("runs", "logs", run.run_id, "--step", "slow_talk", "--stdout",
                              "--follow")
        time.sleep(0.3)
        assert follower.poll() is None  # still following: the step has not finished
        # The run's steps share two files (in process, one at a time): talk's part of them
        # is exactly what talk wrote, while slow_talk still writes after it.
        for stream, text in (("--stdout", "hello on stdout\n"), ("--stderr", "careful on "
                                                                       "stderr\n")):
            talk = orch("runs", "logs", run.run_id, "--step", "talk", stream)
            assert talk.returncode == 0 and talk.stdout == text
        (tmp_path / "go").write_text("")
        out, _ = follower.communicate(timeout=20)
        assert out == "first line\nsecond line\n"
    finally:
        (tmp_path / "go").write_text("")
        proc.wait(timeout=20)
    assert sorted(p.name for p in (home / "logs" / run.run_id).iterdir()) == [
        "in-process.err", "in-process.out", "in-process.ranges"]


TEARDOWN = '''
import sys

from orch import ModeDefinition, pipeline, resource, solid


@resource
def conn(_):
    print("conn: opened")
    try:
        yield "c"
    finally:
        print("conn: closed", file=sys.stderr)


@solid(required_resource_keys={"conn"})
def use(context) -> str:
    return context.resources.conn


@pipeline(mode_defs=[ModeDefinition(resource_defs={"conn": conn})])
def with_conn():
    use()
'''


def test_run_shows_what_resources_print_outside_steps(orch, tmp_path):
    repo = write_repo(tmp_path, TEARDOWN, "teardown.py")
    done = orch("run", "-f", str(repo))
    assert done.returncode == 0, done.stderr
    assert "  [run] output: conn: opened" in done.stderr
    assert "  [run] output: conn: closed" in done.stderr
    assert "PIPELINE_START" not in done.stderr  # the worker's echo of events is not repeated
    assert "conn: opened" not in orch("run", "-f", str(repo), "-q").stderr
    # In a step process the resource is torn down after the step's outcome is sent: its
    # output still shows, as the step's.
    multi = orch("run", "-f", str(repo), "--executor", "multiprocess")
    assert multi.returncode == 0, multi.stderr
    assert "  [use] stderr: conn: closed" in multi.stderr


MANY = '''
from orch import ModeDefinition, fs_io_manager, pipeline, solid


def _step(i):
    @solid(name=f"step_{i}")
    def step(context, x: int) -> int:
        print(f"line of step_{i}")
        return x + 1
    return step


@solid
def first(context) -> int:
    print("line of first")
    return 0


STEPS = [_step(i) for i in range(30)]


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def many():
    x = first()
    for step in STEPS:
        x = step(x)
'''


class _CountingLogs:
    """A compute-log manager that counts the reads made through it."""

    def __init__(self, logs):
        self.logs, self.reads = logs, 0

    def read(self, *args, **kwargs):
        self.reads += 1
        return self.logs.read(*args, **kwargs)


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_follower_stops_reading_a_step_whose_capture_is_complete(orch, home, tmp_path,
                                                                   executor):
    # orch run's follower read every step that had ended in the last two seconds at every
    # poll (10 ms), in case its process still wrote: a run of fast steps had hundreds of them,
    # and the follower took a core from the run. Once a step's capture is complete and read
    # to the end, nothing more can come: it is read no more (its lines are all shown).
    from orch.commands._follow import StepOutputTail

    repo = write_repo(tmp_path, MANY, "many.py")
    done = orch("run", "-f", str(repo), "--executor", executor)
    assert done.returncode == 0, done.stderr
    [run] = runs(home)
    with instance_at(home) as instance:
        logs = _CountingLogs(instance.compute_log_manager)
        tail = StepOutputTail(logs, run.run_id)
        lines = []
        for event in instance.get_logs_for_run(run.run_id):
            lines += tail.event(event)
            lines += tail.poll()
        followed = logs.reads
        for _ in range(3):
            lines += tail.poll()
        assert logs.reads == followed  # the steps ended and their captures are complete
    shown = [line for _, stream, line in lines if stream == "stdout"]
    assert shown == ["line of first", *(f"line of step_{i}" for i in range(30))]


UNTERMINATED = '''
import sys

from orch import pipeline, solid


@solid
def talk(context) -> None:
    print("first")
    sys.stdout.write("last, with no newline")


@pipeline
def unterminated():
    talk()
'''


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_last_line_without_a_newline_is_shown_when_the_capture_ends_first(
        orch, home, tmp_path, executor):
    # The follower can read a step's log after its capture ended but before it has read the
    # step's outcome: the last line, with no newline after it, is shown then (it was kept
    # back as a partial line and, the capture being complete, never read again).
    from orch.commands._follow import StepOutputTail

    repo = write_repo(tmp_path, UNTERMINATED, "unterminated.py")
    done = orch("run", "-f", str(repo), "--executor", executor)
    assert done.returncode == 0, done.stderr
    [run] = runs(home)
    with instance_at(home) as instance:
        events = instance.get_logs_for_run(run.run_id)
        outcome = next(i for i, e in enumerate(events) if e.event_type_value == "STEP_SUCCESS")
        tail = StepOutputTail(instance.compute_log_manager, run.run_id)
        lines = []
        for event in events[:outcome]:
            lines += tail.event(event)
        lines += tail.poll()  # the step is running as far as the follower knows
        for event in events[outcome:]:
            lines += tail.event(event)
            lines += tail.poll()
    assert [line for _, stream, line in lines if stream == "stdout"] == [
        "first", "last, with no newline"]
