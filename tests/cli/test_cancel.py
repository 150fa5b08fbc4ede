"""Ctrl-C on `orch run`: the run is CANCELED, the exit code 130, no process left behind."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from .conftest import calls, events, runs, wait_for


def _ctrl_c(orch, home, repo, pipeline: str, executor: str,
            ready: Callable[[Any], Any]) -> tuple[int, str, list[psutil.Process]]:
    """``orch run`` of ``pipeline``, Ctrl-C once ``ready(run)`` says so: its exit code, its
    stderr, and the processes it and its descendants were just before."""
    proc = orch.popen("run", "-f", str(repo), "-p", pipeline, "--executor", executor)
    try:
        parent = psutil.Process(proc.pid)
        run = wait_for(lambda: runs(home)[0] if home.exists() and runs(home) else None)
        wait_for(lambda: ready(run), timeout=15)
        family = [parent, *parent.children(recursive=True)]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err, family


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_ctrl_c_cancels_the_run(orch, home, repo, executor):
    # nap itself has started (under load, extract's start can come well before it)
    code, err, family = _ctrl_c(orch, home, repo, "slow", executor, lambda run: [
        e for e in events(home, run.run_id, "STEP_START") if e.step_key == "nap"])
    assert len(family) >= 2  # orch run and its worker (and, multiprocess, a step process)
    assert code == 130, err
    assert "canceling" in err.lower()
    [run] = runs(home)
    assert run.status.value == "CANCELED"
    kinds = [e.event_type_value for e in events(home, run.run_id)]
    assert kinds[-1] == "PIPELINE_CANCELED"
    # The interrupted step is canceled, not failed, in what orch run printed and in storage.
    assert "CANCELED nap" in err and "FAILED" not in err, err
    shown = orch("runs", "show", run.run_id)
    assert re.search(r"nap\s+CANCELED", shown.stdout), shown.stdout
    _gone, alive = psutil.wait_procs(family[1:], timeout=5)
    assert not alive, f"left running: {alive}"


def test_ctrl_c_while_the_next_step_is_prepared_leaves_neither_it_nor_its_files(
        orch, home, repo):
    """Multiprocess: while nap runs, the zygote has forked after's process ahead (its
    compute-log files exist). Ctrl-C cancels the run; after never ran any code, sent no
    event, and its process and files are gone."""
    def prepared(run: Any) -> Path:
        return home / "logs" / run.run_id / "after.out"

    code, err, family = _ctrl_c(orch, home, repo, "slow_then", "multiprocess",
                                lambda run: prepared(run).exists())
    # orch run, its worker, the zygote, nap's step process and after's prepared one
    assert len(family) >= 5, family
    assert code == 130, err
    [run] = runs(home)
    assert run.status.value == "CANCELED"
    assert [e for e in events(home, run.run_id) if e.step_key == "after"] == []
    assert calls(repo.parent) == ["extract", "nap"]
    assert not prepared(run).exists() and not prepared(run).with_suffix(".err").exists()
    _gone, alive = psutil.wait_procs(family[1:], timeout=5)
    assert not alive, f"left running: {alive}"
