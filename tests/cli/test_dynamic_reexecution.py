"""Re-execution of a pipeline with a dynamic output (issue 10 #5, #9): a re-executed producer
resolves its mapped steps from the keys it yields now (a new key gets its step, a key that is
gone is not run), and a mapped solid selected by name selects all its copies."""

from __future__ import annotations

import signal

import psutil

from .conftest import calls, events, runs, wait_for, write_repo

DYNAMIC = '''
from pathlib import Path

from orch import (DynamicOutput, DynamicOutputDefinition, ModeDefinition, fs_io_manager,
                  pipeline, solid)

HERE = Path(__file__).parent


def called(name):
    with open(HERE / "calls.log", "a") as f:
        f.write(name + "\\n")


@solid
def read_keys(context) -> list:
    called("read_keys")
    return (HERE / "keys.txt").read_text().split()


@solid(output_defs=[DynamicOutputDefinition(str)])
def split(context, keys: list):
    called("split")
    for key in keys:
        yield DynamicOutput(key, mapping_key=key)


@solid
def shout(context, key: str) -> str:
    called(f"shout:{key}")
    return key.upper()


@solid
def join(context, words: list) -> str:
    called("join")
    context.log.info("joined " + "+".join(sorted(words)))
    return "+".join(sorted(words))


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def fanout():
    join(split(read_keys()).map(shout).collect())
'''


def _started(home, run_id) -> list[str]:
    return [e.step_key for e in events(home, run_id, "STEP_START")]


def _joined(home, run_id) -> str:
    [line] = [e.message for e in events(home, run_id) if e.message.startswith("joined ")]
    return line


def test_reexecuted_producer_resolves_mapped_steps_from_its_new_keys(orch, home, tmp_path):
    repo = write_repo(tmp_path, DYNAMIC, "fanout.py")
    (tmp_path / "keys.txt").write_text("a b")
    first = orch("run", "-f", str(repo))
    assert first.returncode == 0, first.stderr
    assert "(3 steps + shout[?] per mapping key)" in first.stderr  # copies known later
    assert "(5 success)" in first.stderr
    [parent] = runs(home)

    (tmp_path / "keys.txt").write_text("b c")  # "a" is gone, "c" is new
    child = orch("run", "--parent", parent.run_id, "-s", "read_keys*")
    assert child.returncode == 0, child.stderr
    run = runs(home)[-1]
    assert run.status.value == "SUCCESS"
    assert _started(home, run.run_id) == ["read_keys", "split", "shout[b]", "shout[c]", "join"]
    assert _joined(home, run.run_id) == "joined B+C"

    # A grandchild that re-executes only the collect loads the copies of the keys its parent
    # produced (b, c), not the grandparent's (a).
    again = orch("run", "--parent", run.run_id, "-s", "join")
    assert again.returncode == 0, again.stderr
    assert _joined(home, runs(home)[-1].run_id) == "joined B+C"


def test_a_mapped_solid_selected_by_name_selects_all_its_copies(orch, home, tmp_path):
    repo = write_repo(tmp_path, DYNAMIC, "fanout.py")
    (tmp_path / "keys.txt").write_text("a b c")
    assert orch("run", "-f", str(repo)).returncode == 0
    [parent] = runs(home)

    child = orch("run", "--parent", parent.run_id, "-s", "shout*")
    assert child.returncode == 0, child.stderr
    run = runs(home)[-1]
    assert _started(home, run.run_id) == ["shout[a]", "shout[b]", "shout[c]", "join"]
    assert calls(tmp_path).count("split") == 1  # the producer's output was reused

    only = orch("run", "--parent", parent.run_id, "-s", "shout")
    assert only.returncode == 0, only.stderr
    assert _started(home, runs(home)[-1].run_id) == ["shout[a]", "shout[b]", "shout[c]"]


def test_watch_changed_resolves_the_new_keys_of_a_changed_producer(orch, home, tmp_path):
    repo = write_repo(tmp_path, DYNAMIC, "fanout.py")
    (tmp_path / "keys.txt").write_text("a b")
    err_path = tmp_path / "watch.err"
    with open(err_path, "w") as err:
        proc = orch.popen("run", "--watch", "--changed", "-f", str(repo), stderr=err,
                          stdout=None)
    family: list = []
    try:
        wait_for(lambda: len(runs(home)) == 1 and runs(home)[0].status.is_finished, timeout=20)
        family = psutil.Process(proc.pid).children(recursive=True)
        # The producer's code changes: it now also yields the key "z".
        write_repo(tmp_path, DYNAMIC.replace("for key in keys:", 'for key in keys + ["z"]:'),
                   "fanout.py")
        wait_for(lambda: len(runs(home)) == 2 and runs(home)[1].status.is_finished, timeout=20)
        child = runs(home)[1]
        assert child.status.value == "SUCCESS", err_path.read_text()
        assert _started(home, child.run_id) == ["split", "shout[a]", "shout[b]", "shout[z]",
                                                "join"]
        assert _joined(home, child.run_id) == "joined A+B+Z"
        family += psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        psutil.wait_procs(family, timeout=5)
