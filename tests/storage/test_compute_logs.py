"""Compute logs: fd-level capture of stdout/stderr into files, read by offset while running."""

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

    out_path = home / "logs" / "run1" / "my_step.out"
    err_path = home / "logs" / "run1" / "my_step.err"
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
    assert (home / "logs" / run.run_id / "s.out").exists()
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
