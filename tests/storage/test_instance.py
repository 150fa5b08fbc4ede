"""Instance: ORCH_HOME resolution, orch.yaml, the ephemeral instance and its cost."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from orch.core.events import EventType
from orch.core.instance import Instance, OrchInstanceConfigError, OrchInstanceError
from orch.core.runs import PipelineRun, PipelineRunStatus
from orch.core.storage.compute_logs import LocalComputeLogManager, NoOpComputeLogManager
from orch.core.storage.sqlite import SqliteStorage

from .factories import event


@pytest.mark.sqlite_only
def test_get_creates_orch_home_on_first_use(home: Path) -> None:
    assert not home.exists()
    with Instance.get() as inst:
        assert inst.root_dir == home
        assert inst.is_persistent
        assert (home / "orch.db").exists()
        assert inst.storage_dir == home / "storage" and inst.storage_dir.is_dir()
        assert inst.logs_dir == home / "logs"
        assert isinstance(inst.compute_log_manager, LocalComputeLogManager)


def test_default_home_is_dot_orch_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCH_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with Instance.get() as inst:
        assert inst.root_dir == tmp_path / ".orch"
    assert (tmp_path / ".orch" / "orch.db").exists()


def test_from_home_sees_what_another_instance_wrote(tmp_path: Path) -> None:
    with Instance.from_home(tmp_path / "h") as a:
        run = a.create_run(PipelineRun("p"))
        a.handle_new_event(event(run, EventType.PIPELINE_START))
    with Instance.from_home(tmp_path / "h") as b:
        stored = b.get_run(run.run_id)
        assert stored is not None and stored.status is PipelineRunStatus.STARTED


@pytest.mark.sqlite_only
def test_orch_yaml_selects_components_by_module_and_class(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir()
    monkeypatch.setenv("ORCH_TEST_DB", "custom.db")
    (home / "orch.yaml").write_text(
        "storage:\n"
        "  module: orch.core.storage.sqlite\n"
        "  class: SqliteStorage\n"
        "  config: {path: {env: ORCH_TEST_DB}, busy_timeout_s: 5}\n"
        "compute_logs:\n"
        "  module: orch.core.storage.compute_logs\n"
        "  class: NoOpComputeLogManager\n"
        "run_launcher: {module: somewhere, class: Launcher}\n"
    )
    with Instance.get() as inst:
        assert isinstance(inst.storage, SqliteStorage)
        assert inst.storage.path == str(home / "custom.db")
        assert isinstance(inst.compute_log_manager, NoOpComputeLogManager)
        # Keys for other components are kept, and the env reference stays a reference.
        assert inst.config["run_launcher"]["class"] == "Launcher"
        assert inst.info()["config"]["storage"]["config"]["path"] == {"env": "ORCH_TEST_DB"}
    assert (home / "custom.db").exists()
    assert not (home / "orch.db").exists()


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("storage: {module: nowhere.at.all, class: X}\n", "cannot be imported"),
        ("storage: {module: orch.core.storage.sqlite, class: DEFAULT_DB_NAME}\n", "not a Storage"),
        ("storage: {module: orch.core.storage.sqlite}\n", "`class` must be a string"),
        (
            "storage: {module: orch.core.storage.sqlite, class: SqliteStorage, config: {nope: 1}}\n",
            "not accepted",
        ),
        ("run_storage: {module: a, class: B}\n", "share one `storage`"),
        (
            "storage: {module: orch.core.storage.sqlite, class: SqliteStorage, "
            "config: {path: {env: ORCH_TEST_UNSET_VAR}}}\n",
            "ORCH_TEST_UNSET_VAR",
        ),
        ("- a list\n", "must contain a mapping"),
    ],
)
def test_bad_orch_yaml_is_a_clear_error(home: Path, yaml_text: str, message: str) -> None:
    home.mkdir()
    (home / "orch.yaml").write_text(yaml_text)
    with pytest.raises(OrchInstanceConfigError, match=message):
        Instance.get()


_STORAGE = "storage:\n  module: orch.core.storage.sqlite\n  class: SqliteStorage\n"


def _open_in_a_new_process(home: Path) -> dict[str, object]:
    """What a fresh process (a command) makes of the instance: its storage path and
    whether it imported PyYAML to read orch.yaml."""
    import json
    import subprocess
    import sys

    code = ("import json, sys; from orch.core.instance import Instance\n"
            "with Instance.from_home(sys.argv[1]) as inst:\n"
            "    print(json.dumps({'path': inst.storage.path, 'yaml': 'yaml' in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.sqlite_only
def test_orch_yaml_is_parsed_once_and_read_again_while_its_text_is_the_same(
        home: Path) -> None:
    home.mkdir()
    config = home / "orch.yaml"
    config.write_text(_STORAGE + "  config: {path: one.db}\n")
    config.chmod(0o640)
    assert _open_in_a_new_process(home) == {"path": str(home / "one.db"), "yaml": True}
    kept = home / ".orch.yaml.json"
    assert kept.stat().st_mode & 0o777 == 0o640  # it holds what orch.yaml holds
    assert _open_in_a_new_process(home) == {"path": str(home / "one.db"), "yaml": False}
    # An edit of the same size within the same timestamp still counts: the text is compared.
    stat = config.stat()
    config.write_text(_STORAGE + "  config: {path: two.db}\n")
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _open_in_a_new_process(home) == {"path": str(home / "two.db"), "yaml": True}
    config.write_text("storage: [not, a, mapping\n")
    with pytest.raises(OrchInstanceConfigError, match="not valid YAML"):
        Instance.get()


@pytest.mark.sqlite_only
def test_a_parse_json_would_change_is_not_kept(home: Path) -> None:
    home.mkdir()
    (home / "orch.yaml").write_text(_STORAGE + "  config: {path: a.db}\nsince: 2024-01-31\n")
    assert _open_in_a_new_process(home)["yaml"] is True
    assert not (home / ".orch.yaml.json").exists()  # a date: JSON would give back a string
    with Instance.get() as inst:
        assert str(inst.config["since"]) == "2024-01-31" and not isinstance(
            inst.config["since"], str)


def test_ephemeral_writes_nothing_until_storage_dir_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    inst = Instance.ephemeral()
    assert not inst.is_persistent and inst.root_dir is None
    run = inst.create_run(PipelineRun("p"), {"solids": ["a"]})
    with inst.event_writer(run.run_id) as w:
        w.write(event(run, EventType.PIPELINE_START))
        w.write(event(run, EventType.STEP_START, "a"))
        w.write(event(run, EventType.STEP_SUCCESS, "a"))
        w.write(event(run, EventType.PIPELINE_SUCCESS))
    assert list(tmp_path.iterdir()) == []
    assert inst.get_run(run.run_id).status is PipelineRunStatus.SUCCESS
    assert [e.event_type for e in inst.get_logs_for_run(run.run_id)][-1] is (
        EventType.PIPELINE_SUCCESS
    )
    storage_dir = inst.storage_dir
    assert storage_dir.is_dir() and storage_dir.name == "storage"
    inst.close()
    assert not storage_dir.exists()


def test_ephemeral_instance_is_cheap() -> None:
    """Create an instance and a 200-step run with 10 events per step: well under 0.1 ms/event."""
    run = PipelineRun("p")
    events = [
        event(run, t, f"step_{s}", data={"output_name": "result"} if t else {})
        for s in range(200)
        for t in (
            EventType.STEP_START,
            EventType.LOADED_INPUT,
            EventType.STEP_INPUT,
            None,
            EventType.STEP_OUTPUT,
            EventType.HANDLED_OUTPUT,
            None,
            EventType.ENGINE_EVENT,
            None,
            EventType.STEP_SUCCESS,
        )
    ]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        inst = Instance.ephemeral()
        inst.create_run(run, {"solids": list(range(200))}, {"steps": list(range(200))})
        with inst.event_writer(run.run_id) as w:
            for e in events:
                w.write(e)
        best = min(best, time.perf_counter() - start)
        assert len(inst.get_logs_for_run(run.run_id)) == 2000
        inst.close()
    per_event = best / len(events)
    assert per_event < 0.1e-3 / 2, f"{per_event * 1e6:.1f} µs per event"


def test_unusable_home_is_a_clear_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(OrchInstanceError, match=f"cannot open the instance at {not_a_dir}"):
        Instance.from_home(not_a_dir)
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "orch.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OrchInstanceError, match="not a database"):
        Instance.from_home(garbage)
