"""Defects 1 and 12: nothing orch writes or deletes escapes ORCH_HOME, and what it creates is
private to its owner."""

from __future__ import annotations

import os
import stat
import time

import pytest
from orch.core.instance import Instance
from orch.core.storage.paths import OrchInvalidIdError

from orch import ModeDefinition, execute_pipeline, fs_io_manager, pipeline, solid

from .conftest import raw_db, runs


@solid
def produce(context) -> int:
    print("a compute log line")
    return 41


@solid
def consume(context, x: int) -> int:
    return x + 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"io_manager": fs_io_manager})])
def stored():
    consume(produce())


@pytest.mark.parametrize("bad", ["../../victim", "ABSOLUTE", "..", "", "a/b",
                                 ".hidden", "nul\x00byte"])
def test_a_run_id_that_is_not_a_path_component_is_refused_before_anything_is_written(
        tmp_path, bad):
    home = tmp_path / "home" / ".orch"
    absolute = tmp_path / "absolute-victim"
    bad = str(absolute) if bad == "ABSOLUTE" else bad
    with Instance.from_home(home) as instance:
        with pytest.raises(OrchInvalidIdError, match="Invalid run id"):
            execute_pipeline(stored, run_id=bad, instance=instance)
        assert instance.get_runs() == []
    assert not (tmp_path / "victim").exists()
    assert not absolute.exists()
    assert sorted(p.name for p in home.iterdir()) == ["orch.db"]


def test_runs_delete_of_a_stored_escaping_id_never_deletes_outside_orch_home(tmp_path, orch,
                                                                            home):
    """An older orch stored such ids; deleting that run removes its rows and nothing else."""
    victim = tmp_path.parent / f"victim-{tmp_path.name}"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    orch("runs", "list")  # creates the instance
    bad_id = f"../../../{victim.name}"  # logs/ → .orch/ → tmp_path/ → its parent
    now = time.time()
    with raw_db(home) as db:
        db.execute("INSERT INTO runs (run_id, pipeline_name, status, create_timestamp, "
                   "update_timestamp) VALUES (?, 'p', 'FAILURE', ?, ?)", (bad_id, now, now))
    (home / "logs").mkdir(exist_ok=True)
    result = orch("runs", "delete", bad_id, "-f")
    assert result.returncode == 0, result.stderr
    assert (victim / "precious.txt").read_text() == "keep me"
    assert runs(home) == []


def test_a_symlink_planted_in_the_instance_does_not_redirect_stored_outputs(tmp_path):
    home = tmp_path / ".orch"
    outside = tmp_path / "outside"
    outside.mkdir()
    with Instance.from_home(home) as instance:
        run_id = "planted-run"
        instance.storage_dir.joinpath(run_id).symlink_to(outside)
        result = execute_pipeline(stored, run_id=run_id, instance=instance,
                                  raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.event_list if e.is_step_failure)
        assert "outside" in failure.data["error"]["message"]
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("planted", ["result", "result.tmp"])
def test_a_symlink_planted_in_place_of_a_stored_output_is_never_written_through(
        tmp_path, planted):
    """The output file itself (or its temporary) replaced by a link to a file outside: the
    write is refused (or replaces the link), the outside file is untouched."""
    home = tmp_path / ".orch"
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    with Instance.from_home(home) as instance:
        run_id = f"planted-{planted.replace('.', '-')}"
        step_dir = instance.storage_dir / run_id / "produce"
        step_dir.mkdir(parents=True)
        (step_dir / planted).symlink_to(victim)
        result = execute_pipeline(stored, run_id=run_id, instance=instance,
                                  raise_on_error=False)
        if planted == "result.tmp":
            failure = next(e for e in result.event_list if e.is_step_failure)
            assert "symlink" in failure.data["error"]["message"]
        else:  # the rename replaced the link itself with the stored output
            assert result.success and not (step_dir / "result").is_symlink()
    assert victim.read_text() == "keep me"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_instance_is_private_under_a_permissive_umask(tmp_path, orch, home, repo):
    old = os.umask(0o022)
    try:
        result = orch("run", "-f", str(repo), "-p", "fast", "--executor", "multiprocess")
        assert result.returncode == 0, result.stderr
        with Instance.from_home(home) as instance:  # in process too (the in_process path)
            execute_pipeline(stored, instance=instance)
    finally:
        os.umask(old)
    assert _mode(home) == 0o700
    for name in ("orch.db", "orch.db-wal", "orch.db-shm"):
        if (home / name).exists():
            assert _mode(home / name) == 0o600, name
    created = [p for p in home.rglob("*") if p.name not in ("orch.db", "orch.db-wal",
                                                             "orch.db-shm")]
    assert any(p.suffix == ".out" for p in created) and any(p.name == "result" for p in created)
    for path in created:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
