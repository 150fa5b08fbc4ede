"""What a one-solid ``orch run`` spends its time on (issue 13 item 5), as behaviour:

* the run worker is a fork of ``orch run``, which has just imported the code: the user's
  module is imported once per run, yet the worker is still a process of its own (user code
  that kills its process fails the run, not the command);
* orch keeps bytecode in a cache of its own when the environment forbids writing it beside
  the sources;
* option parsing does not import pydantic unless a value needs converting (Typer builds a
  pydantic adapter for every option otherwise); errors for bad values are Typer's own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import ORCH, events, runs, write_repo

COUNTED = '''
import os
import signal
import sys
from pathlib import Path

from orch import ModeDefinition, fs_io_manager, pipeline, solid

HERE = Path(__file__).parent
with open(HERE / "imports.log", "a") as f:
    f.write(f"{os.getpid()}\\n")


@solid
def report(context) -> int:
    (HERE / "worker.txt").write_text(
        f"{os.getpid()} {os.getppid()} {'pydantic' in sys.modules}")
    return 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def counted():
    report()


@solid
def die(context) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 1


@pipeline
def dies():
    die()
'''


def test_code_is_imported_once_and_the_worker_is_a_child_of_orch_run(orch, tmp_path, home):
    repo = write_repo(tmp_path, COUNTED)
    proc = orch.popen("run", "-f", str(repo), "-p", "counted", "-q")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    importers = (tmp_path / "imports.log").read_text().split()
    assert importers == [str(proc.pid)]  # imported by orch run only, not again by a worker
    worker_pid, parent_pid, pydantic_loaded = (tmp_path / "worker.txt").read_text().split()
    assert int(parent_pid) == proc.pid and int(worker_pid) != proc.pid
    [run] = runs(home)
    assert run.status.value == "SUCCESS" and run.worker_pid == int(worker_pid)
    assert pydantic_loaded == "False"  # option parsing did not need it


def test_user_code_killing_the_forked_worker_fails_the_run_not_the_command(orch, tmp_path,
                                                                           home):
    repo = write_repo(tmp_path, COUNTED)
    done = orch("run", "-f", str(repo), "-p", "dies")
    assert done.returncode == 1, done.stderr
    assert "the run worker was killed by signal 9" in done.stderr
    [run] = runs(home)
    assert run.status.value == "FAILURE"
    assert events(home, run.run_id, "PIPELINE_FAILURE")


def test_bad_option_values_get_typers_errors(orch, tmp_path):
    repo = write_repo(tmp_path, COUNTED)
    done = orch("run", "-f", str(repo), "-p", "counted", "--max-concurrent", "many",
                "--executor", "multiprocess")
    assert done.returncode == 2
    assert "Invalid value for '--max-concurrent'" in done.stderr
    assert "valid integer" in done.stderr
    done = orch("run", "-f", str(repo), "-p", "counted", "--max-concurrent", "2",
                "--executor", "multiprocess", "-q")
    assert done.returncode == 0, done.stderr


def test_an_integer_option_does_not_import_pydantic_into_the_run(orch, tmp_path, home):
    """``--max-concurrent 2`` is converted without Typer's pydantic adapter, so neither the
    run worker nor the step processes forked from it carry pydantic (~4.6 MB of heap every
    step's fork would copy the page tables of); the value is the one given."""
    repo = write_repo(tmp_path, COUNTED)
    done = orch("run", "-f", str(repo), "-p", "counted", "--max-concurrent", "3",
                "--executor", "multiprocess", "-q")
    assert done.returncode == 0, done.stderr
    _, _, pydantic_loaded = (tmp_path / "worker.txt").read_text().split()
    assert pydantic_loaded == "False"
    [run] = runs(home)
    [start] = [e for e in events(home, run.run_id, "ENGINE_EVENT")
               if "max_concurrent" in e.data]
    assert start.data["max_concurrent"] == 3


def _no_cache_env(env: dict[str, str], cache_home: Path, **extra: str) -> dict[str, str]:
    plain = {k: v for k, v in env.items() if k != "PYTHONPYCACHEPREFIX"}
    return {**plain, "PYTHONDONTWRITEBYTECODE": "1", "XDG_CACHE_HOME": str(cache_home),
            **extra}


def test_bytecode_goes_to_orchs_cache_when_the_environment_forbids_writing_it(
        tmp_path, env):
    repo = write_repo(tmp_path, COUNTED)
    cache_home = tmp_path / "cache"
    subprocess.run([ORCH, "run", "-f", str(repo), "-p", "counted", "-q"], cwd=tmp_path,
                   env=_no_cache_env(env, cache_home), check=True, timeout=60)
    cached = {p.name for p in (cache_home / "orch" / "pycache").rglob("*.pyc")}
    assert any(name.startswith("scheduler.") for name in cached)  # orch's own modules
    assert any(name.startswith("repo.") for name in cached)  # and the user's
    assert not (tmp_path / "__pycache__").exists()  # nothing beside the sources
    root = Path(__file__).resolve().parents[2]
    assert not (root / "core" / "execution" / "__pycache__").exists()


def test_bytecode_cache_can_be_turned_off(tmp_path, env):
    cache_home = tmp_path / "cache"
    subprocess.run([ORCH, "--help"], cwd=tmp_path, capture_output=True, check=True,
                   env=_no_cache_env(env, cache_home, ORCH_NO_BYTECODE_CACHE="1"), timeout=60)
    assert not (cache_home / "orch").exists()


def test_a_pycache_prefix_the_user_set_wins(tmp_path, env):
    cache_home, prefix = tmp_path / "cache", tmp_path / "mine"
    subprocess.run([ORCH, "--help"], cwd=tmp_path, capture_output=True, check=True,
                   env={**_no_cache_env(env, cache_home), "PYTHONPYCACHEPREFIX": str(prefix)},
                   timeout=60)
    assert not (cache_home / "orch").exists()
