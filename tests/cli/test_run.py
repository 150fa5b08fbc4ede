"""`orch run`: exit codes, validation before any run exists, CI outputs."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import xml.etree.ElementTree as ET

from .conftest import ORCH, SAMPLE, calls, events, runs


def test_sample_hello_succeeds(orch, home, tmp_path):
    done = orch("run", "-f", str(SAMPLE), "-p", "hello")
    assert done.returncode == 0, done.stderr
    assert "say_hello" in done.stderr and "SUCCESS" in done.stderr
    assert "hello from orch" in done.stderr  # user log lines reach the plain progress
    [run] = runs(home)
    assert run.status.value == "SUCCESS"
    assert run.pipeline_origin["python_file"] == str(SAMPLE)

    # One pipeline in the file: -p is optional.
    (tmp_path / "one.py").write_text(
        "from orch import pipeline, solid\n\n@solid\ndef only(_):\n    return 1\n\n"
        "@pipeline\ndef single():\n    only()\n")
    alone = orch("run", "-f", "one.py")
    assert alone.returncode == 0, alone.stderr
    assert runs(home)[-1].pipeline_name == "single"


def test_failure_exit_1_with_json_junit_and_github_annotations(orch, home, repo, tmp_path):
    junit = tmp_path / "reports" / "junit.xml"
    done = orch("run", "-f", str(repo), "-p", "failing", "--json", "--junit", str(junit),
                env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # every line is JSON
    [run] = runs(home)
    assert {e["run_id"] for e in lines} == {run.run_id}
    kinds = [e["event_type"] for e in lines]
    assert kinds[0] == "PIPELINE_STARTING" and kinds[-1] == "PIPELINE_FAILURE"
    assert len(lines) == len(events(home, run.run_id))  # every stored event, once
    failure = next(e for e in lines if e["event_type"] == "STEP_FAILURE")
    assert failure["step_key"] == "boom"
    assert "bad value 1" in failure["data"]["error"]["message"]

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("name") == "failing" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["extract", "boom", "after"]
    assert cases["extract"].find("failure") is None and cases["extract"].find("skipped") is None
    failed = cases["boom"].find("failure")
    assert "ValueError: bad value 1" in failed.get("message")
    assert "about to fail" in failed.text  # the tail of the step's stderr (compute logs)
    assert 'repo.py", line' in failed.text
    assert cases["after"].find("skipped") is not None

    # With --json on stdout, the annotations go to stderr.
    [annotation] = [line for line in done.stderr.splitlines() if line.startswith("::error")]
    assert "title=failing%3A step boom failed" in annotation
    assert "file=repo.py,line=" in annotation
    assert "bad value 1" in annotation and "about to fail" in annotation


def test_invalid_config_exits_2_with_paths_and_creates_no_run(orch, home, repo, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "solids:\n  extract:\n    config:\n      start: not-a-number\n      lable: x\n")
    done = orch("run", "-f", str(repo), "-p", "etl", "-c", "bad.yaml")
    assert done.returncode == 2
    assert "root:solids:extract:config" in done.stderr
    assert "start" in done.stderr and "lable" in done.stderr  # every error, each with its path
    assert runs(home) == []


def test_config_files_are_deep_merged_and_tags_recorded(orch, home, repo, tmp_path):
    (tmp_path / "a.yaml").write_text("solids:\n  extract:\n    config:\n      start: 5\n")
    (tmp_path / "b.yaml").write_text("solids:\n  extract:\n    config:\n      label: merged\n")
    done = orch("run", "-f", str(repo), "-p", "etl", "-c", "a.yaml", "-c", "b.yaml",
                "--tags", '{"team": "data"}', "--executor", "multiprocess",
                "--max-concurrent", "2", "-v")
    assert done.returncode == 0, done.stderr
    assert "label=merged start=5" in done.stderr
    assert "loaded 6" in done.stderr
    assert "max_concurrent=2" in done.stderr  # the multiprocess executor ran it
    [run] = runs(home)
    assert run.tags["team"] == "data"
    assert run.run_config["solids"]["extract"]["config"] == {"start": 5, "label": "merged"}


def test_unknown_names_exit_2_listing_the_choices(orch, home, repo):
    unknown = orch("run", "-f", str(repo), "-p", "nope")
    assert unknown.returncode == 2
    assert 'No pipeline named "nope"' in unknown.stderr
    assert "etl" in unknown.stderr and "failing" in unknown.stderr

    several = orch("run", "-f", str(repo))
    assert several.returncode == 2 and "choose one with -p" in several.stderr

    solid = orch("run", "-f", str(repo), "-p", "etl", "-s", "extract,nosuch+")
    assert solid.returncode == 2
    assert '"nosuch" does not exist' in solid.stderr and "transform" in solid.stderr

    mode = orch("run", "-f", str(SAMPLE), "-p", "sales_report", "--mode", "prod")
    assert mode.returncode == 2 and "Available modes: ['default']" in mode.stderr
    assert runs(home) == []


def test_quiet_still_says_what_failed(orch, repo):
    """``-q`` drops the progress, not the failure: a CI log of a quiet run that failed names
    the step, its error and the line of user code that raised it (and nothing on success)."""
    done = orch("run", "-f", str(repo), "-p", "failing", "-q")
    assert done.returncode == 1
    line = next(i for i, text in enumerate(repo.read_text().splitlines(), 1)
                if 'raise ValueError(f"bad value {x}")' in text)
    failed = [text for text in done.stderr.splitlines() if text.lstrip().startswith("FAILED")]
    assert failed == [f"  FAILED   boom: ValueError: bad value 1 (at repo.py:{line})"], \
        done.stderr
    assert "FAILURE" in done.stderr.splitlines()[0]
    quiet = orch("run", "-f", str(repo), "-p", "etl", "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_solid_selection_and_preset(orch, home, repo, tmp_path):
    done = orch("run", "-f", str(SAMPLE), "-p", "sales_report", "--preset", "sample_data", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # --quiet
    subset = orch("run", "-f", str(repo), "-p", "etl", "-s", "extract+")
    assert subset.returncode == 0, subset.stderr
    assert calls(tmp_path) == ["extract", "transform"]
    preset_run, subset_run = runs(home)
    assert preset_run.tags["orch/preset_name"] == "sample_data"
    assert subset_run.solid_selection == ["extract+"]


def test_rich_progress_on_a_terminal(repo, env):
    """With a terminal on stderr the live view draws the steps; plain lines otherwise."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([ORCH, "run", "-f", str(repo), "-p", "etl"], cwd=repo.parent,
                              env={**env, "TERM": "xterm", "COLUMNS": "100"},
                              stderr=follower, stdout=subprocess.PIPE, timeout=60)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    screen = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0
    assert "✓" in screen and "transform" in screen and "SUCCESS" in screen
    assert "START    transform" not in screen  # not the plain format


FANOUT = """\
import os

from orch import ModeDefinition, fs_io_manager, pipeline, solid


@solid
def source(_):
    if os.environ.get("SOURCE_FAILS"):
        raise RuntimeError("no source today")
    return 1


@solid
def leaf(_, x: int) -> int:
    return x + 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def fanout():
    x = source()
    for i in range(LEAVES):
        leaf.alias(f"leaf_{i}")(x)
"""


def _files_created_in(directory, run):
    """The names of the files created in ``directory`` while ``run()`` runs (inotify: SQLite
    unlinks its temporary files at once, so a listing afterwards shows nothing)."""
    import ctypes
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    in_create, in_nonblock = 0x100, 0o4000
    fd = libc.inotify_init1(in_nonblock)
    assert fd >= 0 and libc.inotify_add_watch(fd, str(directory).encode(), in_create) >= 0
    try:
        run()
        data = b""
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            data += chunk
    finally:
        os.close(fd)
    names, offset = [], 0
    while offset < len(data):
        _wd, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
        names.append(data[offset + 16:offset + 16 + length].rstrip(b"\0").decode())
        offset += 16 + length
    return names


def test_a_run_writes_no_sqlite_temporary_files(orch, home, tmp_path):
    """SQLite keeps its temporary tables and statement journals in memory: before, each of the
    event writer's commits created (and unlinked) a file in /var/tmp, a file-system create on
    a step's path (46-98 in a 500-step fan-out, with ~3,800 writes to them)."""
    (tmp_path / "fanout.py").write_text(FANOUT.replace("LEAVES", "400"))
    sqlite_tmp = tmp_path / "sqlite-tmp"
    sqlite_tmp.mkdir()
    done = []
    created = _files_created_in(sqlite_tmp, lambda: done.append(orch(
        "run", "-f", "fanout.py", "-q", env={"SQLITE_TMPDIR": str(sqlite_tmp)})))
    assert done[0].returncode == 0, done[0].stderr
    [run] = runs(home)
    assert run.status.value == "SUCCESS"
    assert sum(1 for e in events(home, run.run_id) if e.event_type_value == "STEP_SUCCESS") == 401
    assert created == []


def test_step_directories_made_ahead_hold_every_output_and_none_is_left_empty(orch, home,
                                                                                tmp_path):
    """The fs IO manager's step directories are made in a thread while the first steps run:
    every step's output is stored in its own private directory, and a run that stops early
    leaves no directory for the steps it never ran."""
    import pickle
    import stat

    (tmp_path / "fanout.py").write_text(FANOUT.replace("LEAVES", "30"))
    done = orch("run", "-f", "fanout.py", "-q")
    assert done.returncode == 0, done.stderr
    [run] = runs(home)
    run_dir = home / "storage" / run.run_id
    steps = sorted(p.name for p in run_dir.iterdir())
    assert steps == sorted(["source", *(f"leaf_{i}" for i in range(30))])
    for name in steps:
        assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o700
        assert [p.name for p in (run_dir / name).iterdir()] == ["result"]
    assert pickle.loads((run_dir / "leaf_7" / "result").read_bytes()) == 2

    failed = orch("run", "-f", "fanout.py", env={"SOURCE_FAILS": "1"})
    assert failed.returncode == 1, failed.stderr
    assert "no source today" in failed.stderr
    run = runs(home)[-1]
    assert run.status.value == "FAILURE"
    assert not (home / "storage" / run.run_id).exists()
