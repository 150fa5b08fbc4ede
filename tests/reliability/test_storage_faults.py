"""Defect 9: a full disk, a read-only database and a truncated orch.db are one clear line and
exit 2, never a traceback, and a run cut off by a full disk gets its terminal status once
storage is writable again. The faults are real: a small tmpfs filled to the last byte, then
remounted read-only."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from .conftest import events, runs, wait_for


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def small_fs(tmp_path):
    """A 3 MiB tmpfs of our own (skipped where the machine does not allow mounting)."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    point = tmp_path / "small"
    point.mkdir()
    done = _mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(point))
    if done.returncode != 0:
        pytest.skip(f"this machine refuses a tmpfs mount: {done.stderr.strip()}")
    try:
        yield point
    finally:
        _mount("-o", "remount,rw", str(point))
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _fill(directory) -> None:
    """Write until the filesystem is full (ENOSPC), to the last block."""
    for name, chunk in (("filler", 65536), ("filler-small", 512)):
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while True:
                os.write(fd, b"\0" * chunk)
        except OSError:
            pass
        finally:
            os.close(fd)


def _free(directory) -> None:
    for name in ("filler", "filler-small"):
        (directory / name).unlink(missing_ok=True)


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") <= 3, result.stderr


def test_a_full_disk_refuses_a_new_run_with_one_line(orch, repo, small_fs):
    home = small_fs / ".orch"
    env = {"ORCH_HOME": str(home)}
    assert orch("run", "-f", str(repo), "-p", "fast", env=env).returncode == 0
    _fill(small_fs)
    try:
        result = orch("run", "-f", str(repo), "-p", "fast", env=env)
        assert result.returncode == 2, result.stderr
        assert "disk is full" in result.stderr
        _no_traceback(result)
    finally:
        _free(small_fs)
    assert all(r.status.is_finished for r in runs(home))
    assert orch("run", "-f", str(repo), "-p", "fast", env=env).returncode == 0


def test_a_run_cut_off_by_a_full_disk_ends_failed_once_storage_is_writable(orch, repo,
                                                                           small_fs):
    home = small_fs / ".orch"
    env = {"ORCH_HOME": str(home), "NAP": "1.5"}
    proc = orch.popen("run", "-f", str(repo), "-p", "slow", env=env)
    try:
        wait_for(lambda: home.exists() and runs(home)
                 and [e for e in events(home, runs(home)[0].run_id, "STEP_START")
                      if e.step_key == "nap"], timeout=30)
        _fill(small_fs)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        _free(small_fs)
    assert proc.returncode in (1, 2), err
    assert "Traceback" not in err, err
    time.sleep(0.2)
    (run,) = runs(home)  # storage writable again: recovery gives the run its ending
    assert run.status.is_finished, run.status
    with_open = [e.step_key for e in events(home, run.run_id)
                 if e.event_type_value == "STEP_START"]
    ended = {e.step_key for e in events(home, run.run_id)
             if e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")}
    assert set(with_open) <= ended


def test_a_read_only_instance_is_one_line_and_exit_2(orch, repo, small_fs):
    home = small_fs / ".orch"
    env = {"ORCH_HOME": str(home)}
    assert orch("run", "-f", str(repo), "-p", "fast", env=env).returncode == 0
    remounted = _mount("-o", "remount,ro", str(small_fs))
    assert remounted.returncode == 0, remounted.stderr
    try:
        result = orch("run", "-f", str(repo), "-p", "fast", env=env)
        assert result.returncode == 2, result.stderr
        assert "read-only" in result.stderr or "readonly" in result.stderr, result.stderr
        _no_traceback(result)
    finally:
        _mount("-o", "remount,rw", str(small_fs))


def test_an_empty_orch_db_is_not_silently_a_new_instance(orch, home):
    home.mkdir(parents=True)
    db = home / "orch.db"
    db.write_bytes(b"")
    old = time.time() - 3600
    os.utime(db, (old, old))
    result = orch("runs", "list")
    assert result.returncode == 2
    assert "is empty (0 bytes)" in result.stderr and str(db) in result.stderr
    _no_traceback(result)
    assert db.stat().st_size == 0
