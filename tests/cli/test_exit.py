"""How the ``orch`` command ends (orch/cli.py ``_exit``): without the interpreter's teardown,
but with every atexit handler run and all output flushed, and the exit codes unchanged."""

from __future__ import annotations

import json
import subprocess

from .conftest import ORCH, REPO, write_repo

# The user's module registers an atexit handler and holds an object whose finalizer would
# only run in the interpreter's teardown (a module global).
WITH_EXIT_HOOKS = REPO + '''

import atexit


def _at_exit():
    (HERE / "atexit.log").write_text("ran")


atexit.register(_at_exit)


class _Finalized:
    def __del__(self):
        (HERE / "teardown.log").write_text("ran")


KEPT = _Finalized()
'''


def test_atexit_handlers_run_and_the_teardown_is_skipped(orch, tmp_path):
    repo = write_repo(tmp_path, WITH_EXIT_HOOKS)
    done = orch("run", "-f", str(repo), "-p", "etl")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "atexit.log").read_text() == "ran"
    assert not (tmp_path / "teardown.log").exists()


def test_output_is_complete_and_exit_codes_are_kept(orch, repo):
    for _ in range(3):
        assert orch("run", "-f", str(repo), "-p", "etl", "-q").returncode == 0
    listed = orch("runs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["status"] for r in json.loads(listed.stdout)] == ["SUCCESS"] * 3
    bad = orch("runs", "list", "--limit", "many")
    assert bad.returncode == 2 and "--limit" in bad.stderr
    assert orch("no-such-command").returncode == 2


def test_a_closed_pipe_is_not_a_traceback(orch, repo, env):
    for _ in range(3):
        assert orch("run", "-f", str(repo), "-p", "etl", "-q").returncode == 0
    done = subprocess.run(f"{ORCH} runs list | head -c 1", shell=True, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == " "
    assert "Traceback" not in done.stderr


# The user's module writes to standard output, then replaces sys.stdout (as a library that
# captures output might) and leaves it so: what it wrote waits in sys.__stdout__'s buffer.
REPLACES_STDOUT = REPO + '''

import io

sys.stdout.write("written before sys.stdout was replaced\\n")
sys.stdout = io.StringIO()
'''


def test_what_waits_in_the_original_stdout_is_flushed_too(orch, tmp_path, env):
    """``orch plan`` imports the module in its own process; with standard output buffered
    (as it is without PYTHONUNBUFFERED), the line must still come out."""
    repo = write_repo(tmp_path, REPLACES_STDOUT)
    buffered = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([ORCH, "plan", "-f", str(repo), "-p", "etl"], cwd=tmp_path,
                          env=buffered, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "written before sys.stdout was replaced\n"
