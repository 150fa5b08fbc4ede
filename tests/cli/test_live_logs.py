"""A step's log lines reach storage while the step runs, not when it returns.

``orch run`` as a subprocess runs a step that logs a line and an asset materialization, then
waits on a file; this process, another one, reads the run from storage (SQLite's file, or the
PostgreSQL database) and must find both before it creates the file that lets the step return.
Afterwards each is stored once, in its place among the step's events.
"""

from __future__ import annotations

import pytest

from tests.conftest import use_postgres

from .conftest import events, runs, wait_for, write_repo

LIVE_REPO = '''
import time
from pathlib import Path

from orch import AssetMaterialization, ModeDefinition, fs_io_manager, pipeline, solid

HERE = Path(__file__).parent


@solid
def waits(context) -> int:
    context.log.info("before the wait")
    context.log_event(AssetMaterialization(asset_key="live_asset"))
    deadline = time.monotonic() + 120
    while not (HERE / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    context.log.info("after the wait")
    return 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def live():
    waits()
'''


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_log_line_is_stored_while_its_step_runs(orch, home, tmp_path, backend, request,
                                                  executor):
    if backend == "postgres":
        use_postgres(home, request.getfixturevalue("postgres_url"))
    repo = write_repo(tmp_path, LIVE_REPO, "live_repo.py")
    proc = orch.popen("run", "-f", str(repo), "-p", "live", "--executor", executor)
    try:
        run = wait_for(lambda: home.exists() and runs(home) and runs(home)[0], timeout=60)

        def seen() -> list:
            return [e for e in events(home, run.run_id) if e.step_key == "waits"]

        early = wait_for(lambda: (lambda es: es if any(e.message == "before the wait"
                                                        for e in es) else None)(seen()),
                         timeout=60)
        assert not (tmp_path / "release").exists()
        assert proc.poll() is None, proc.communicate()
        kinds = [e.event_type_value for e in early]
        assert "STEP_SUCCESS" not in kinds and "after the wait" not in [e.message for e in early]
        # The materialization the step logged came with it (log_event is live too).
        wait_for(lambda: any(e.event_type_value == "ASSET_MATERIALIZATION" for e in seen()),
                 timeout=10)
        (tmp_path / "release").touch()
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    [finished] = runs(home)
    assert finished.status.value == "SUCCESS"
    stored = seen()
    messages = [e.message for e in stored]
    assert messages.count("before the wait") == 1 and messages.count("after the wait") == 1
    kinds = [e.event_type_value or e.message for e in stored]
    assert kinds.count("ASSET_MATERIALIZATION") == 1
    order = [k for k in kinds if k in ("STEP_START", "before the wait", "ASSET_MATERIALIZATION",
                                       "after the wait", "STEP_OUTPUT", "STEP_SUCCESS")]
    assert order == ["STEP_START", "before the wait", "ASSET_MATERIALIZATION", "after the wait",
                     "STEP_OUTPUT", "STEP_SUCCESS"], kinds
    # And in id order: storage ids follow the stream.
    ids = [e.storage_id for e in stored]
    assert ids == sorted(ids)
