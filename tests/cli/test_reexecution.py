"""`orch run --parent`: re-execution reuses the parent's outputs instead of recomputing."""

from __future__ import annotations

from .conftest import calls, events, runs


def test_parent_selection_loads_upstream_outputs_instead_of_recomputing(orch, home, repo,
                                                                        tmp_path):
    first = orch("run", "-f", str(repo), "-p", "etl")
    assert first.returncode == 0, first.stderr
    assert calls(tmp_path) == ["extract", "transform", "load"]
    [parent] = runs(home)

    # The code comes from the parent's recorded origin: no -f needed.
    child = orch("run", "--parent", parent.run_id, "-s", "transform+")
    assert child.returncode == 0, child.stderr
    assert calls(tmp_path) == ["extract", "transform", "load", "transform", "load"]
    _, run = runs(home)
    assert run.parent_run_id == parent.run_id and run.root_run_id == parent.run_id
    assert run.tags["orch/step_selection"] == "transform+"
    assert run.step_keys_to_execute == ["load", "transform"]
    started = [e.step_key for e in events(home, run.run_id, "STEP_START")]
    assert started == ["transform", "load"]
    loaded = [e.data for e in events(home, run.run_id, "LOADED_INPUT")]
    assert {"input_name": "x", "upstream_step_key": "extract"}.items() <= loaded[0].items()
    # extract's output was read from the parent run's storage; this run stored none.
    assert (home / "storage" / parent.run_id / "extract").exists()
    assert not (home / "storage" / run.run_id / "extract").exists()

    # A second hop: outputs are found further up the chain.
    grandchild = orch("run", "--parent", run.run_id, "-s", "load")
    assert grandchild.returncode == 0, grandchild.stderr
    assert calls(tmp_path)[-1:] == ["load"] and calls(tmp_path).count("extract") == 1
    assert runs(home)[-1].root_run_id == parent.run_id


def test_from_failure_reruns_only_the_failed_part(orch, home, repo, tmp_path):
    failed = orch("run", "-f", str(repo), "-p", "gated")
    assert failed.returncode == 1
    assert "gate closed" in failed.stderr
    [parent] = runs(home)
    (tmp_path / "gate.ok").write_text("")
    retry = orch("run", "--parent", parent.run_id, "--from-failure")
    assert retry.returncode == 0, retry.stderr
    assert calls(tmp_path) == ["extract", "gate", "gate", "load"]
    _, run = runs(home)
    assert run.tags["orch/is_resume_retry"] == "true"
    assert [e.step_key for e in events(home, run.run_id, "STEP_START")] == ["gate", "load"]


def test_reexecuting_in_memory_outputs_is_a_clear_error(orch, home, repo):
    assert orch("run", "-f", str(repo), "-p", "in_memory").returncode == 0
    [parent] = runs(home)
    done = orch("run", "--parent", parent.run_id[:8], "-s", "hello_mem")
    assert done.returncode == 2
    assert "in memory" in done.stderr and "fs_io_manager" in done.stderr
    assert len(runs(home)) == 1

    missing = orch("run", "--parent", "0000-no-such-run")
    assert missing.returncode == 2 and "No run" in missing.stderr
