"""`orch runs` and `orch instance` against a real database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance
from orch.core.runs import PipelineRun
from typer.testing import CliRunner

from orch.cli import app

from .factories import event

runner = CliRunner()


def orch(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output


@pytest.fixture
def runs(home: Path) -> dict[str, PipelineRun]:
    """A parent run that failed in step b, a child re-execution that succeeded, another one."""
    with Instance.get() as inst:
        parent = inst.create_run(PipelineRun("sales", tags={"team": "data"}))
        child = inst.create_run(
            PipelineRun("sales", parent_run_id=parent.run_id, root_run_id=parent.run_id)
        )
        other = inst.create_run(PipelineRun("hello"))
        script = {
            parent.run_id: [
                (EventType.PIPELINE_START, None),
                (EventType.STEP_START, "a"),
                (EventType.STEP_SUCCESS, "a"),
                (EventType.STEP_START, "b"),
                (EventType.STEP_FAILURE, "b"),
                (EventType.PIPELINE_FAILURE, None),
            ],
            child.run_id: [
                (EventType.PIPELINE_START, None),
                (EventType.STEP_START, "b"),
                (None, "b"),
                (EventType.STEP_SUCCESS, "b"),
                (EventType.PIPELINE_SUCCESS, None),
            ],
        }
        for run_id, events in script.items():
            with inst.event_writer(run_id) as writer:
                for event_type, step in events:
                    writer.write(event(run_id, event_type, step))
    return {"parent": parent, "child": child, "other": other}


def test_runs_list(runs: dict[str, PipelineRun]) -> None:
    code, out = orch("runs", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [r["run_id"] for r in listed] == [
        runs["other"].run_id,
        runs["child"].run_id,
        runs["parent"].run_id,
    ]
    assert listed[2]["status"] == "FAILURE" and listed[2]["tags"] == {"team": "data"}
    assert listed[1]["duration"] >= 0

    code, out = orch("runs", "list", "--json", "--status", "failure,success", "-p", "sales")
    assert [r["run_id"] for r in json.loads(out)] == [runs["child"].run_id, runs["parent"].run_id]
    code, out = orch("runs", "list", "--json", "--limit", "1")
    assert len(json.loads(out)) == 1

    code, out = orch("runs", "list")
    assert code == 0
    assert runs["parent"].run_id[:8] in out and "FAILURE" in out and "NOT_STARTED" in out

    code, out = orch("runs", "list", "--status", "bogus")
    assert code == 2 and "unknown status" in out


def test_runs_show(runs: dict[str, PipelineRun]) -> None:
    parent, child = runs["parent"], runs["child"]
    code, out = orch("runs", "show", parent.run_id, "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["run"]["status"] == "FAILURE"
    assert [(s["step_key"], s["status"], s["attempts"]) for s in shown["steps"]] == [
        ("a", "SUCCESS", 1),
        ("b", "FAILURE", 1),
    ]
    assert shown["lineage"] == {
        "parent_run_id": None,
        "root_run_id": None,
        "children": [child.run_id],
    }
    code, out = orch("runs", "show", child.run_id[:10], "--json")  # a unique prefix
    assert json.loads(out)["lineage"]["parent_run_id"] == parent.run_id

    code, out = orch("runs", "show", parent.run_id)
    assert code == 0 and "Steps" in out and "FAILURE" in out and child.run_id in out

    code, out = orch("runs", "show", "no-such-run")
    assert code == 1 and "no run 'no-such-run'" in out


def test_runs_logs(runs: dict[str, PipelineRun]) -> None:
    parent = runs["parent"]
    code, out = orch("runs", "logs", parent.run_id, "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [e["event_type"] for e in lines] == [
        "PIPELINE_START",
        "STEP_START",
        "STEP_SUCCESS",
        "STEP_START",
        "STEP_FAILURE",
        "PIPELINE_FAILURE",
    ]
    assert [e["storage_id"] for e in lines] == sorted(e["storage_id"] for e in lines)

    code, out = orch("runs", "logs", parent.run_id, "--json", "--step", "b")
    assert [json.loads(line)["event_type"] for line in out.splitlines()] == [
        "STEP_START",
        "STEP_FAILURE",
    ]
    code, out = orch(
        "runs", "logs", parent.run_id, "--json", "-t", "step_start", "-t", "PIPELINE_FAILURE"
    )
    assert [json.loads(line)["event_type"] for line in out.splitlines()] == [
        "STEP_START",
        "STEP_START",
        "PIPELINE_FAILURE",
    ]
    code, out = orch("runs", "logs", parent.run_id)
    assert code == 0 and f"{parent.run_id} - " in out and "STEP_FAILURE" in out
    # --follow on a finished run prints everything and returns.
    code, out = orch("runs", "logs", parent.run_id, "--follow", "--json")
    assert code == 0 and len(out.splitlines()) == 6
    code, out = orch("runs", "logs", parent.run_id, "-t", "NOPE")
    assert code == 2 and "unknown event type" in out


def test_runs_logs_follow_tails_a_live_run(home: Path) -> None:
    with Instance.get() as inst:
        run = inst.create_run(PipelineRun("live"))
        follower = subprocess.Popen(
            [sys.executable, "-m", "orch.cli", "runs", "logs", run.run_id, "--follow", "--json"],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        time.sleep(0.5)  # let it start and find nothing yet
        with inst.event_writer(run.run_id) as writer:
            writer.write(event(run, EventType.PIPELINE_START, message="start"))
            for i in range(20):
                writer.write(event(run, None, "s", f"line {i}"))
                time.sleep(0.01)
            writer.write(event(run, EventType.PIPELINE_SUCCESS, message="done"))
        out, _ = follower.communicate(timeout=20)
    assert follower.returncode == 0
    messages = [json.loads(line)["message"] for line in out.splitlines()]
    assert messages == ["start", *(f"line {i}" for i in range(20)), "done"]


def test_runs_delete(runs: dict[str, PipelineRun]) -> None:
    other = runs["other"]
    code, out = orch("runs", "delete", other.run_id, input="nope\n")
    assert code == 1 and "not deleted" in out
    with Instance.get() as inst:
        assert inst.get_run(other.run_id) is not None
    code, out = orch("runs", "delete", other.run_id, input="DELETE\n")
    assert code == 0 and f"Deleted run {other.run_id}" in out
    code, out = orch("runs", "delete", runs["child"].run_id, "-f")
    assert code == 0
    with Instance.get() as inst:
        assert [r.run_id for r in inst.get_runs()] == [runs["parent"].run_id]


def test_runs_wipe(runs: dict[str, PipelineRun]) -> None:
    code, out = orch("runs", "wipe", input="\n")
    assert code == 1
    code, out = orch("runs", "wipe", input="DELETE\n")
    assert code == 0 and "Deleted 3 runs" in out
    assert json.loads(orch("runs", "list", "--json")[1]) == []
    assert orch("runs", "wipe", "--force")[0] == 0


def test_instance_info_and_migrate(runs: dict[str, PipelineRun], home: Path,
                                   backend: str) -> None:
    code, out = orch("instance", "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["root_dir"] == str(home)
    assert info["storage"]["schema_version"] >= 1
    assert info["storage"]["rows"]["runs"] == 3 and info["storage"]["rows"]["event_logs"] == 11
    assert info["storage"]["kind"] == backend
    code, out = orch("instance", "info")
    assert code == 0 and "Schema version" in out
    if backend == "sqlite":
        assert "orch.db" in out
    else:
        assert "postgresql://postgres@127.0.0.1" in out and "LISTEN/NOTIFY" in out
    code, out = orch("instance", "migrate")
    assert code == 0 and "nothing to migrate" in out


@pytest.mark.sqlite_only
def test_cli_reports_a_newer_schema(runs: dict[str, PipelineRun], home: Path) -> None:
    conn = sqlite3.connect(home / "orch.db")
    conn.execute("INSERT INTO schema_version VALUES (999, 0)")
    conn.commit()
    conn.close()
    code, out = orch("runs", "list")
    assert code == 2 and "schema version 999" in out and "upgrade orch" in out


def test_command_modules_import_nothing_up_front() -> None:
    """`orch --help` pays for typer only: storage, rich and yaml load inside the commands
    (the shared option definitions in _common import only typer)."""
    code = (
        "import sys, json, orch, typer; before = set(sys.modules); "
        "import orch.commands.runs, orch.commands.instance; "
        "print(sorted(set(sys.modules) - before - {'orch.commands.runs', "
        "'orch.commands.instance', 'orch.commands', 'orch.commands._common'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
