"""The instance belongs to the project, not to the current directory: without ORCH_HOME,
orch uses the .orch folder of the nearest folder up from the code location that holds .orch,
pyproject.toml or .git (issue 10 #13)."""

from __future__ import annotations

import json

from .conftest import REPO, Orch, instance_at, write_repo


def _project(tmp_path):
    project = tmp_path / "proj"
    (project / "pipelines").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\n')
    repo = write_repo(project / "pipelines", REPO)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return project, repo, elsewhere


def test_a_run_from_elsewhere_lands_in_the_projects_instance(tmp_path, env):
    env = {k: v for k, v in env.items() if k != "ORCH_HOME"}
    project, _repo, elsewhere = _project(tmp_path)
    orch = Orch(elsewhere, env)
    rel = "../proj/pipelines/repo.py"

    done = orch("run", "-f", rel, "-p", "etl")
    assert done.returncode == 0, done.stderr
    assert not (elsewhere / ".orch").exists()
    with instance_at(project / ".orch") as instance:
        [first] = instance.get_runs()
    assert first.status.value == "SUCCESS"

    again = orch("run", "-f", rel, "-p", "etl", "--parent", first.run_id[:8], "-s", "load")
    assert again.returncode == 0, again.stderr
    with instance_at(project / ".orch") as instance:
        child = instance.get_runs()[0]
    assert child.parent_run_id == first.run_id and child.status.value == "SUCCESS"
    assert not (elsewhere / ".orch").exists()

    info = orch("instance", "info", "-f", rel, "--json")
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    assert facts["root_dir"] == str(project / ".orch")
    assert facts["chosen_because"].startswith(f"{project} holds .orch")

    # From inside the project, the current directory walks up to the same instance.
    inside = Orch(project / "pipelines", env)
    listed = inside("runs", "list", "--json")
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [child.run_id, first.run_id]
    shown = inside("instance", "info", env={"COLUMNS": "300"})
    assert str(project / ".orch") in shown.stdout and "Chosen because" in shown.stdout


def test_orch_home_wins_and_says_so(tmp_path, env, home):
    project, repo, elsewhere = _project(tmp_path)
    info = Orch(elsewhere, env)("instance", "info", "-f", str(repo), "--json")
    facts = json.loads(info.stdout)
    assert facts["root_dir"] == str(home) and facts["chosen_because"] == "ORCH_HOME is set"
    assert not (project / ".orch").exists()


def test_a_folder_holding_dot_orch_or_git_is_a_project_root(tmp_path, env, monkeypatch):
    import shutil

    from orch.core.instance import locate_home

    monkeypatch.delenv("ORCH_HOME", raising=False)
    env = {k: v for k, v in env.items() if k != "ORCH_HOME"}
    root = tmp_path / "gitproj"
    (root / ".git").mkdir(parents=True)
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / ".orch").mkdir()
    code = root / "a" / "b" / "x.py"
    code.write_text("")
    assert Orch(tmp_path, env)("instance", "info", "-f", str(code), "--json").returncode == 0
    assert locate_home(code).path == root / "a" / ".orch"  # the nearest marker wins
    shutil.rmtree(root / "a" / ".orch")
    assert locate_home(code).path == root / ".orch"


def test_a_parent_run_not_in_the_chosen_instance_says_where_it_looked(tmp_path, env):
    env = {k: v for k, v in env.items() if k != "ORCH_HOME"}
    project, _repo, elsewhere = _project(tmp_path)
    orch = Orch(elsewhere, env)
    assert orch("run", "-f", "../proj/pipelines/repo.py", "-p", "etl").returncode == 0
    with instance_at(project / ".orch") as instance:
        [run] = instance.get_runs()
    lost = orch("run", "--parent", run.run_id[:8], "-s", "load")  # no code location given
    assert lost.returncode == 2
    assert f'No run "{run.run_id[:8]}" in the instance ' in lost.stderr
    assert "the current directory" in lost.stderr and "-f/-m" in lost.stderr  # why that one
    watched = orch("run", "--watch", "--parent", run.run_id[:8])
    assert watched.returncode == 2 and "Give the code location" in watched.stderr
