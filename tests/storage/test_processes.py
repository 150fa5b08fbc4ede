"""Writers and readers in separate processes, on a real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun, PipelineRunStatus

WRITER = """
import sys
from orch.core.events import EventRecord, EventType
from orch.core.instance import Instance

run_id, count = sys.argv[1], int(sys.argv[2])
sync_at = int(sys.argv[3]) if len(sys.argv) > 3 else -1
types = [EventType.STEP_START, EventType.LOADED_INPUT, None, EventType.STEP_OUTPUT,
         EventType.HANDLED_OUTPUT, None, None, EventType.ENGINE_EVENT, None, EventType.STEP_SUCCESS]
inst = Instance.get()
writer = inst.event_writer(run_id)
writer.write(EventRecord(run_id, "p", EventType.PIPELINE_START, "start"))
i = 0
while count < 0 or i < count:
    t = types[i % 10]
    writer.write(EventRecord(run_id, "p", t, f"event {i}", step_key=f"s{i // 10}",
                             data={"i": i}))
    if i == sync_at:
        writer.flush()
        print(f"synced {i}", flush=True)
    i += 1
writer.write(EventRecord(run_id, "p", EventType.PIPELINE_SUCCESS, "done"))
writer.close()
"""


def _start_writer(tmp_path: Path, run_id: str, *args: int) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    return subprocess.Popen(
        [sys.executable, str(script), run_id, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def test_tail_in_another_process_sees_every_event_once_in_order(home: Path, tmp_path: Path) -> None:
    n = 50_000
    with Instance.get() as inst:
        run = inst.create_run(PipelineRun("p"))
        tail = inst.tail(run.run_id)
        proc = _start_writer(tmp_path, run.run_id, n)
        seen: list[int] = []
        ids: list[int] = []
        polls_with_events = 0
        deadline = time.monotonic() + 60
        finished = False
        while not finished and time.monotonic() < deadline:
            finished = inst.get_run(run.run_id).status.is_finished
            events = tail.poll()
            polls_with_events += bool(events)
            for e in events:
                ids.append(e.storage_id)
                if "i" in e.data:
                    seen.append(e.data["i"])
            if not events:
                time.sleep(0.005)
        assert proc.wait(timeout=30) == 0
    assert finished
    assert seen == list(range(n))
    assert ids == sorted(set(ids)) and len(ids) == n + 2
    assert polls_with_events > 3  # it really tailed a live writer


def test_sigkilled_writer_loses_nothing_it_committed(home: Path, tmp_path: Path) -> None:
    with Instance.get() as inst:
        run = inst.create_run(PipelineRun("p"))
    sync_at = 20_000
    proc = _start_writer(tmp_path, run.run_id, -1, sync_at)
    line = proc.stdout.readline()
    assert line.strip() == f"synced {sync_at}"
    time.sleep(0.05)  # mid-stream: batches in flight, a timer tick pending
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()

    if not (home / "orch.yaml").exists():
        conn = sqlite3.connect(home / "orch.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    with Instance.get() as inst:  # opening also recovers the run whose worker died
        events = inst.get_logs_for_run(run.run_id)
        numbered = [e.data["i"] for e in events if "i" in e.data]
        # Everything up to the sync point, and whole batches after it, in order, no gaps.
        assert numbered == list(range(len(numbered)))
        assert len(numbered) > sync_at
        outcomes = [e for e in events if e.event_type is EventType.STEP_SUCCESS]
        assert len(outcomes) == (numbered[-1] + 1) // 10
        stored = inst.get_run(run.run_id)
        assert stored.status is PipelineRunStatus.FAILURE
        assert events[-1].event_type is EventType.PIPELINE_FAILURE
        assert f"run worker process {proc.pid} exited" in events[-1].message


def test_two_writer_processes_at_once(home: Path, tmp_path: Path) -> None:
    """Two runs' workers commit into one file concurrently (WAL + busy timeout)."""
    n = 10_000
    with Instance.get() as inst:
        runs = [inst.create_run(PipelineRun("p")) for _ in range(2)]
    procs = [_start_writer(tmp_path, run.run_id, n) for run in runs]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    with Instance.get() as inst:
        for run in runs:
            numbered = [e.data["i"] for e in inst.get_logs_for_run(run.run_id) if "i" in e.data]
            assert numbered == list(range(n))
            assert inst.get_run(run.run_id).status is PipelineRunStatus.SUCCESS


def test_processes_creating_the_instance_at_once(home: Path) -> None:
    code = "from orch.core.instance import Instance; Instance.get().close()"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ)) for _ in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 4
    from orch.core.storage.schema import SCHEMA_VERSION

    from .factories import raw_query

    # One row per version: no two processes applied the same migration.
    assert raw_query(home, "SELECT count(*) FROM schema_version")[0][0] == SCHEMA_VERSION
