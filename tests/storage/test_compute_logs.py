"""Compute logs: fd-level capture of stdout/stderr into files, read by offset while running.

Steps captured in process share their run's ``in-process.out|.err`` (ranges in
``in-process.ranges``); a step captured in its own process (begin/end_capture) has its own
``<step>.out|.err``. Either way a reader asks the manager for one step's bytes."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest
from orch.core.instance import Instance
from orch.core.storage.compute_logs import logs_captured_data, redirect_output


def _fd_identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def test_capture_python_fd_and_child_output(instance: Instance, home: Path) -> None:
    manager = instance.compute_log_manager
    stdout_before, stderr_before = sys.stdout, sys.stderr
    fds_before = _fd_identity(1), _fd_identity(2)
    with manager.capture("run1", "my_step") as logs:
        print("from print")
        sys.stderr.write("from sys.stderr\n")
        os.write(1, b"from fd 1\n")
        os.write(2, b"from fd 2\n")
        subprocess.run(["echo", "hi"], check=True)
        subprocess.run(["sh", "-c", "echo oops >&2"], check=True)

        # Readable while the step still runs, by byte offset.
        data, offset, complete = manager.read("run1", "my_step", "stdout")
        assert data == b"from print\nfrom fd 1\nhi\n"
        assert offset == len(data) and not complete
        print("more")
        data, offset2, complete = manager.read("run1", "my_step", "stdout", offset)
        assert data == b"more\n" and offset2 == offset + 5 and not complete
        # C stdio may buffer while fd 1 is a file; the capture flushes it before restoring.
        ctypes.CDLL(None).printf(b"from C printf\n")
        assert instance.compute_log_manager.get_log_info("run1", "my_step").complete is False

    assert sys.stdout is stdout_before and sys.stderr is stderr_before
    assert (_fd_identity(1), _fd_identity(2)) == fds_before
    print("after the capture")  # not captured

    out_path = home / "logs" / "run1" / "in-process.out"
    err_path = home / "logs" / "run1" / "in-process.err"
    assert logs.stdout_path == str(out_path) and logs.stderr_path == str(err_path)
    assert out_path.read_bytes() == b"from print\nfrom fd 1\nhi\nmore\nfrom C printf\n"
    assert err_path.read_bytes() == b"from sys.stderr\nfrom fd 2\noops\n"

    data, offset, complete = manager.read("run1", "my_step", "stdout", offset2)
    assert data == b"from C printf\n" and complete
    assert manager.read("run1", "my_step", "stderr", 0, max_bytes=4) == (b"from", 4, False)
    info = manager.get_log_info("run1", "my_step")
    assert info.complete and info.stdout_bytes == out_path.stat().st_size
    assert info.stderr_bytes == err_path.stat().st_size and info.end_time >= info.start_time
    assert logs.logs_captured_data() == {
        "step_keys": ["my_step"],
        "stdout": str(out_path),
        "stderr": str(err_path),
    }


def test_steps_captured_in_process_share_the_runs_files_and_read_their_own_bytes(
        instance: Instance, home: Path) -> None:
    """Two steps and a retry of the first, one after another in one process: two files for the
    run (not two a step), and each step reads back exactly what it wrote, its attempts in
    order, with offsets in its own output (what context.log lines record)."""
    from orch.core.storage.compute_logs import capture_offsets

    manager = instance.compute_log_manager
    with manager.capture("run4", "a"):
        print("a first")
        assert capture_offsets("run4", "a") == {"stdout": 8, "stderr": 0}
    with manager.capture("run4", "b"):
        print("b says")
        sys.stderr.write("b warns\n")
        # While b runs, a's bytes are final and b's are its own.
        assert manager.read("run4", "a", "stdout") == (b"a first\n", 8, True)
        assert manager.read("run4", "b", "stdout")[:2] == (b"b says\n", 7)
    with manager.capture("run4", "a"):  # a retry appends to a's output
        print("a again")
        assert capture_offsets("run4", "a") == {"stdout": 16, "stderr": 0}
    assert sorted(p.name for p in (home / "logs" / "run4").iterdir()) == [
        "in-process.err", "in-process.out", "in-process.ranges"]
    assert manager.read("run4", "a", "stdout") == (b"a first\na again\n", 16, True)
    assert manager.read("run4", "a", "stdout", 8) == (b"a again\n", 16, True)
    assert manager.read("run4", "a", "stdout", 4, max_bytes=8) == (b"rst\na ag", 12, False)
    assert manager.read("run4", "b", "stderr") == (b"b warns\n", 8, True)
    assert manager.read("run4", "a", "stderr") == (b"", 0, True)
    info = manager.get_log_info("run4", "a")
    assert (info.stdout_bytes, info.stderr_bytes, info.complete) == (16, 0, True)


def test_a_reader_of_a_step_that_just_ended_never_gets_the_next_steps_bytes(
        instance: Instance, home: Path) -> None:
    """A read that finds step a open, and reads the file after a ended and step b wrote to
    it, stops at a's end: the ranges are read again after the bytes."""
    from orch.core.storage import compute_logs

    manager = instance.compute_log_manager
    real = compute_logs._read_segments
    logs = home / "logs" / "run5"

    def a_ends_and_b_writes_meanwhile(path, segments, offset, max_bytes):
        end = (logs / "in-process.out").stat().st_size
        with open(logs / "in-process.ranges", "a") as ranges:  # as the captures write them
            ranges.write(f"end a {end} 0\nstart b {end} 0\n")
        with open(logs / "in-process.out", "ab") as out:
            out.write(b"b's bytes\n")
        return real(path, segments, offset, max_bytes)

    with manager.capture("run5", "a"):
        print("mine")
        compute_logs._read_segments = a_ends_and_b_writes_meanwhile
        try:
            data, offset, _ = manager.read("run5", "a", "stdout")
        finally:
            compute_logs._read_segments = real
    assert (data, offset) == (b"mine\n", 5)


def test_a_runs_in_process_steps_print_through_one_stream_and_a_closed_one_is_replaced(
        instance: Instance) -> None:
    """The text streams on the run's shared files are made once for its steps (not two a
    step); a step that closes ``sys.stdout`` loses nothing of the next step's output."""
    manager = instance.compute_log_manager
    streams = []
    for key in ("a", "b"):
        with manager.capture("run5", key):
            print(f"{key} prints")
            streams.append(sys.stdout)
    assert streams[0] is streams[1]
    with manager.capture("run5", "closer"):
        print("closing stdout")
        sys.stdout.close()
    with manager.capture("run5", "after"):
        print("still captured")
        assert sys.stdout is not streams[0]
    assert manager.read("run5", "b", "stdout")[0] == b"b prints\n"
    assert manager.read("run5", "closer", "stdout")[0] == b"closing stdout\n"
    assert manager.read("run5", "after", "stdout")[0] == b"still captured\n"
    assert not sys.stdout.closed


def test_capture_restores_everything_when_the_step_raises(instance: Instance) -> None:
    manager = instance.compute_log_manager
    stdout_before = sys.stdout
    fd_before = _fd_identity(1)
    with pytest.raises(ZeroDivisionError), manager.capture("run2", "boom"):
        print("about to fail")
        1 / 0  # noqa: B018
    assert sys.stdout is stdout_before and _fd_identity(1) == fd_before
    data, _, complete = manager.read("run2", "boom", "stdout")
    assert data == b"about to fail\n" and complete


def test_unknown_step_reads_empty(instance: Instance) -> None:
    assert instance.compute_log_manager.read("nope", "nope", "stdout") == (b"", 0, False)


def test_deleting_a_run_deletes_its_logs(instance: Instance, home: Path) -> None:
    from orch.core.runs import PipelineRun

    run = instance.create_run(PipelineRun("p"))
    with instance.compute_log_manager.capture(run.run_id, "s"):
        print("x")
    assert (home / "logs" / run.run_id / "in-process.out").exists()
    instance.delete_run(run.run_id)
    assert not (home / "logs" / run.run_id).exists()
    assert instance.compute_log_manager.get_log_info(run.run_id, "s") is None


def test_ephemeral_instance_does_not_capture(capfd: pytest.CaptureFixture[str]) -> None:
    inst = Instance.ephemeral()
    with inst.compute_log_manager.capture("r", "s") as logs:
        print("still on stdout")
    assert capfd.readouterr().out == "still on stdout\n"
    assert (logs.stdout_path, logs.stderr_path) == (None, None)
    assert inst.compute_log_manager.read("r", "s", "stdout") == (b"", 0, True)
    inst.close()


def test_logs_captured_payload() -> None:
    assert logs_captured_data(["a", "b"], "/x.out", "/x.err") == {
        "step_keys": ["a", "b"],
        "stdout": "/x.out",
        "stderr": "/x.err",
    }


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_capture_split_between_parent_and_step_process(instance: Instance) -> None:
    """begin/end_capture index in the parent; the forked step process only redirects."""
    manager = instance.compute_log_manager
    captured = manager.begin_capture("run3", "forked")
    assert manager.get_log_info("run3", "forked").complete is False
    pid = os.fork()
    if pid == 0:
        try:
            with redirect_output(captured.stdout_path, captured.stderr_path):
                print("in the step process")
                subprocess.run(["echo", "grandchild"], check=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    manager.end_capture(captured)
    data, _, complete = manager.read("run3", "forked", "stdout")
    assert data == b"in the step process\ngrandchild\n" and complete


def _index_row(home: Path, run_id: str, step_key: str) -> tuple | None:
    """The compute-log row as another connection sees it (i.e. committed)."""
    from .factories import raw_query

    rows = raw_query(home, "SELECT stdout_path, complete, stdout_bytes FROM compute_logs "
                     "WHERE run_id = ? AND step_key = ?", (run_id, step_key))
    return rows[0] if rows else None


def test_index_rows_commit_with_the_run_events(instance: Instance, home: Path) -> None:
    """Through the run's event writer, a capture's index rows are committed in the events'
    transactions: the first with what follows it, the complete row like a step outcome."""
    from orch.core.events import EventType
    from orch.core.runs import PipelineRun

    from .factories import event

    run = instance.create_run(PipelineRun("p"))
    manager = instance.compute_log_manager
    writer = instance.event_writer(run.run_id, flush_interval=None)
    commits = instance.storage.db.local_commits
    with manager.capture(run.run_id, "a", writer.write_compute_log) as logs:
        writer.write(event(run, EventType.LOGS_CAPTURED, "a", "capturing"))
        assert _index_row(home, run.run_id, "a") is None  # queued with the event
        print("hello")
        writer.write(event(run, EventType.STEP_SUCCESS, "a", "ok"))
        assert _index_row(home, run.run_id, "a") == (logs.stdout_path, 0, 0)
    assert _index_row(home, run.run_id, "a") == (logs.stdout_path, 1, len(b"hello\n"))
    assert instance.storage.db.local_commits - commits == 2
    writer.close()
    # A capture ending after the run's writer closed (an executor's clean-up) still lands.
    manager.end_capture(logs, writer.write_compute_log)
    assert _index_row(home, run.run_id, "a")[1] == 1


def test_a_complete_row_written_lazily_rides_with_the_next_commit(instance: Instance,
                                                                   home: Path) -> None:
    """An executor whose step ran elsewhere marks its capture complete once the step's
    process is gone, usually just after the step's outcome was committed: written lazily,
    the row waits for the next commit instead of taking one of its own (2 ms after the
    outcome's, on the writer's timer thread)."""
    from orch.core.events import EventType
    from orch.core.runs import PipelineRun

    from .factories import event

    run = instance.create_run(PipelineRun("p"))
    manager = instance.compute_log_manager
    writer = instance.event_writer(run.run_id, flush_interval=None)
    commits = instance.storage.db.local_commits
    captured = manager.begin_capture(run.run_id, "a", sink=writer.write_compute_log)
    writer.write(event(run, EventType.LOGS_CAPTURED, "a", "capturing"))
    writer.write(event(run, EventType.STEP_SUCCESS, "a", "ok"))
    assert instance.storage.db.local_commits - commits == 1
    manager.end_capture(captured, writer.write_compute_log_lazily)
    assert instance.storage.db.local_commits - commits == 1  # no commit of its own
    assert _index_row(home, run.run_id, "a")[1] == 0
    writer.write(event(run, EventType.STEP_SUCCESS, "b", "ok"))  # the next step's outcome
    assert instance.storage.db.local_commits - commits == 2
    assert _index_row(home, run.run_id, "a")[1] == 1
    writer.close()


def test_a_multiprocess_step_marks_its_capture_complete_without_a_commit_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step of a multiprocess run ends its capture through the lazy path (one commit
    a step, not two); the rows are all complete once the run is over."""
    from orch.core.storage.event_writer import EventWriter

    from orch import ModeDefinition, execute_pipeline, fs_io_manager, pipeline, solid

    urgent: list[str] = []
    eager = EventWriter.write_compute_log

    def watched(self, info):
        if info.complete:
            urgent.append(info.step_key)
        return eager(self, info)

    monkeypatch.setattr(EventWriter, "write_compute_log", watched)

    @solid
    def one(_context):
        print("one")
        return 1

    @solid
    def inc(_context, x):
        return x + 1

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
    def chain():
        inc(inc(one()))

    with Instance.from_home(tmp_path / "orch_home") as instance:
        result = execute_pipeline(
            chain, instance=instance,
            run_config={"execution": {"multiprocess": {"config": {"max_concurrent": 2}}},
                        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
        assert result.success
        rows = instance.storage.get_compute_logs(result.run_id)
        assert len(rows) == 3 and all(r.complete for r in rows)
        data, _, complete = instance.compute_log_manager.read(result.run_id, "one", "stdout")
        assert data == b"one\n" and complete
    assert urgent == []


def test_an_in_process_run_needs_no_transaction_of_its_own_per_capture(
        tmp_path: Path) -> None:
    """Compute-log capture costs no transactions beyond the events' (it used to cost two a
    step: 3 or more per step in all); every step's row is complete and names its files."""
    from orch import execute_pipeline, pipeline, solid

    @solid
    def one(_context):
        print("one")
        return 1

    @solid
    def inc(_context, x):
        return x + 1

    @pipeline
    def chain():
        value = one()
        for _ in range(29):
            value = inc(value)

    with Instance.from_home(tmp_path / "orch_home") as instance:
        commits = instance.storage.db.local_commits
        result = execute_pipeline(chain, instance=instance)
        assert result.success
        used = instance.storage.db.local_commits - commits
        rows = instance.storage.get_compute_logs(result.run_id)
        assert len(rows) == 30 and all(r.complete for r in rows)
        assert used <= 30 + 10, used
        data, _, complete = instance.compute_log_manager.read(result.run_id, "one", "stdout")
        assert data == b"one\n" and complete
