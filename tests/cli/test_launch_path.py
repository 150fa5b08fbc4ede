"""One launch path: every way a user starts a run — `orch run`, `orch launch`, `orch run
--watch`, the app (its code-server launcher) — hands the run to ``instance.submit_run``.

A run coordinator registered in orch.yaml (``run_coordinator: {module, class}``) records each
run it is given in a file, then launches it as the default coordinator does; the commands run
as real subprocesses. A run created any other way would be in the instance but not in the
file.

Under the queued coordinator, `orch run` (and watch mode) wait for their run's turn and take
it off the queue themselves: the limits hold, and no dequeuer needs to run."""

from __future__ import annotations

import signal
import subprocess
import textwrap
import time

import psutil

from .conftest import REPO, runs, wait_for, write_repo

RECORDER = '''
from pathlib import Path

from orch.core.run_coordinator import DefaultRunCoordinator


class RecordingCoordinator(DefaultRunCoordinator):
    """Launches at once, after writing "RUN_ID PIPELINE" to ``log``."""

    def __init__(self, log):
        self.log = Path(log)

    def submit_run(self, instance, run, launcher=None):
        with open(self.log, "a") as f:
            f.write(f"{run.run_id} {run.pipeline_name}\\n")
        return super().submit_run(instance, run, launcher)
'''


def _recording_home(tmp_path, home, env) -> tuple:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "recording_coordinator.py").write_text(RECORDER)
    log = tmp_path / "submitted.log"
    home.mkdir(parents=True, exist_ok=True)
    (home / "orch.yaml").write_text(textwrap.dedent(f"""\
        run_coordinator:
          module: recording_coordinator
          class: RecordingCoordinator
          config:
            log: {log}
        """))
    env["PYTHONPATH"] = str(plugins)
    return log


def _submitted(log) -> list[str]:
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


def _all_finished(home, count):
    found = runs(home) if home.exists() else []
    return found if len(found) >= count and all(r.status.is_finished for r in found) else None


def test_run_launch_watch_and_the_app_all_submit_through_the_coordinator(
        orch, repo, home, tmp_path, env):
    log = _recording_home(tmp_path, home, env)

    done = orch("run", "-f", str(repo), "-p", "etl", "-q")
    assert done.returncode == 0, done.stderr
    [ran] = runs(home)
    assert _submitted(log) == [ran.run_id]

    launched = orch("launch", "-f", str(repo), "-p", "etl")
    assert launched.returncode == 0, launched.stderr
    assert _submitted(log)[1] == launched.stdout.strip()
    wait_for(lambda: _all_finished(home, 2), timeout=30)

    # watch mode: the first run, then a save re-executes as a child run
    with open(tmp_path / "watch.err", "w") as err:
        watch = orch.popen("run", "--watch", "-f", str(repo), "-p", "etl", "-s", "transform+",
                           stdout=subprocess.DEVNULL, stderr=err)
    family: list = []
    try:
        wait_for(lambda: _all_finished(home, 3), timeout=30)
        family = psutil.Process(watch.pid).children(recursive=True)
        write_repo(tmp_path, REPO.replace("return x + 1", "return x + 5"))
        found = wait_for(lambda: _all_finished(home, 4), timeout=30)
        assert found[3].parent_run_id == found[2].run_id
    finally:
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=20)
        psutil.wait_procs(family, timeout=5)
    assert watch.returncode == 130, (tmp_path / "watch.err").read_text()

    # the app: its launcher asks a code server to create and start the run
    from orch.core.watch import CodeServerPool
    from orch.core.workspace import WorkspaceTarget
    from orch.tui.services.launcher import Launcher, LaunchRequest

    target = WorkspaceTarget.from_options(str(repo), None, None, None)
    pool = CodeServerPool(cwd=str(tmp_path), env=env)
    try:
        app_run = Launcher(target, pool).launch(LaunchRequest("etl"))
    finally:
        pool.close()
    found = wait_for(lambda: _all_finished(home, 5), timeout=30)

    assert app_run.run_id == found[4].run_id
    assert [r.status.value for r in found] == ["SUCCESS"] * 5
    assert _submitted(log) == [r.run_id for r in found]  # every run, each once, in order


QUEUED_ONE = """\
run_coordinator:
  name: queued
  config:
    max_concurrent_runs: 1
"""


def test_orch_run_under_a_queued_coordinator_waits_for_a_slot_then_runs_itself(
        orch, repo, home, tmp_path):
    home.mkdir(parents=True)
    (home / "orch.yaml").write_text(QUEUED_ONE)

    alone = orch("run", "-f", str(repo), "-p", "etl", "-q")  # no dequeuer runs: it takes
    assert alone.returncode == 0, alone.stderr              # its own run off the queue
    [first] = runs(home)
    assert first.status.value == "SUCCESS"
    kinds = [e.event_type_value for e in _run_events(home, first.run_id)]
    assert kinds[:3] == ["PIPELINE_ENQUEUED", "PIPELINE_DEQUEUED", "PIPELINE_STARTING"]

    blocker = orch.popen("run", "-f", str(repo), "-p", "slow", "-q")
    try:
        wait_for(lambda: any(r.status.value == "STARTED" for r in runs(home)), timeout=30)
        waiting = orch.popen("run", "-f", str(repo), "-p", "etl", "-q")
        queued = wait_for(lambda: [r for r in runs(home) if r.status.value == "QUEUED"],
                          timeout=30)
        time.sleep(0.5)
        assert runs(home)[-1].status.value == "QUEUED"  # the one slot is taken: it waits
        slow = next(r for r in runs(home) if r.pipeline_name == "slow")
        assert orch("runs", "cancel", slow.run_id).returncode == 0
        _, err = waiting.communicate(timeout=30)
    finally:
        blocker.send_signal(signal.SIGINT)
        blocker.wait(timeout=20)
    assert waiting.returncode == 0, err
    assert f"run {queued[0].run_id} is QUEUED: waiting for a slot: max_concurrent_runs is 1, " \
        "1 in progress" in err
    assert {r.run_id: r.status.value for r in runs(home)}[queued[0].run_id] == "SUCCESS"


def test_ctrl_c_while_queued_cancels_the_run(orch, repo, home, tmp_path):
    home.mkdir(parents=True)
    (home / "orch.yaml").write_text(QUEUED_ONE.replace("1\n", "0\n"))  # never a free slot
    err_path = tmp_path / "run.err"
    with open(err_path, "w") as err:
        waiting = orch.popen("run", "-f", str(repo), "-p", "etl", stderr=err)
    wait_for(lambda: "is QUEUED: waiting for a slot: max_concurrent_runs is 0" in
             err_path.read_text(), timeout=30)
    waiting.send_signal(signal.SIGINT)
    waiting.wait(timeout=20)
    assert waiting.returncode == 130, err_path.read_text()
    [run] = runs(home)
    assert run.status.value == "CANCELED"


def _run_events(home, run_id):
    from .conftest import events

    return [e for e in events(home, run_id)
            if (e.event_type_value or "").startswith("PIPELINE_")]


def test_preset_rules_are_the_apis_a_value_equal_to_the_presets_is_no_clash(orch, home):
    from .conftest import SAMPLE

    same = orch("run", "-f", str(SAMPLE), "-p", "sales_report", "--preset", "sample_data",
                "--mode", "default", "--executor", "multiprocess", "-q")
    assert same.returncode == 0, same.stderr
    [run] = runs(home)
    assert run.mode == "default" and run.tags["orch/preset_name"] == "sample_data"
    assert run.run_config["execution"] == {"multiprocess": {"config": {}}}
    assert "load_orders" in run.run_config["solids"]  # the preset's config, executor added
    other = orch("run", "-f", str(SAMPLE), "-p", "sales_report", "--preset", "sample_data",
                 "-s", "load_orders", "--mode", "default")
    assert other.returncode == 2
    assert other.stderr.strip() == ('orch: error: Preset "sample_data" of pipeline '
                                    '"sales_report" sets the run config, mode and solid '
                                    "selection; do not also pass -s/--solid-selection.")
    assert len(runs(home)) == 1


def test_watch_from_a_parent_with_an_executor_keeps_the_parents_config(
        orch, repo, home, tmp_path):
    (tmp_path / "label.yaml").write_text("solids: {extract: {config: {label: custom}}}\n")
    first = orch("run", "-f", str(repo), "-p", "etl", "-c", "label.yaml", "-q")
    assert first.returncode == 0, first.stderr
    [parent] = runs(home)
    with open(tmp_path / "watch.err", "w") as err:
        watch = orch.popen("run", "--watch", "--parent", parent.run_id[:8], "--executor",
                           "multiprocess", stdout=subprocess.DEVNULL, stderr=err)
    try:
        found = wait_for(lambda: _all_finished(home, 2), timeout=30)
    finally:
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=20)
    child = found[1]
    assert child.parent_run_id == parent.run_id
    assert child.run_config == {"solids": {"extract": {"config": {"label": "custom"}}},
                                "execution": {"multiprocess": {"config": {}}}}


def test_a_parent_run_is_an_id_a_prefix_or_latest_everywhere(orch, repo, home, tmp_path):
    assert orch("run", "-f", str(repo), "-p", "failing", "-q").returncode == 1
    assert orch("run", "-f", str(repo), "-p", "etl", "-q").returncode == 0
    failing, etl = runs(home)
    retry = orch("run", "--parent", "latest", "-p", "failing", "--from-failure", "-q")
    assert retry.returncode == 1, retry.stderr  # boom fails again, but it is a child run
    child = runs(home)[2]
    assert child.parent_run_id == failing.run_id
    assert child.step_keys_to_execute == ["after", "boom"]

    # the app's launcher (the code server) accepts the same references
    from orch.core.watch import CodeServerPool
    from orch.core.workspace import WorkspaceTarget
    from orch.tui.services.launcher import Launcher, LaunchRequest

    target = WorkspaceTarget.from_options(str(repo), None, None, None)
    pool = CodeServerPool(cwd=str(tmp_path), env=orch.env)
    try:
        launched = Launcher(target, pool).launch(LaunchRequest(
            "etl", parent_run_id=etl.run_id[:6], step_selection=["load"]))
    finally:
        pool.close()
    wait_for(lambda: _all_finished(home, 4), timeout=30)
    again = runs(home)[3]
    assert launched.run_id == again.run_id and again.parent_run_id == etl.run_id

    shown = orch("runs", "show", "latest")
    assert shown.returncode == 0 and again.run_id in shown.stdout
    nothing = orch("run", "--parent", "latest", "-p", "slow")
    assert nothing.returncode == 2
    assert 'No runs of pipeline "slow" in the instance' in nothing.stderr


def test_watch_under_a_queued_coordinator_waits_its_turn_without_a_dequeuer(
        orch, repo, home, tmp_path):
    home.mkdir(parents=True)
    (home / "orch.yaml").write_text(QUEUED_ONE)
    blocker = orch.popen("run", "-f", str(repo), "-p", "slow", "-q")
    err_path = tmp_path / "watch.err"
    watch = None
    try:
        wait_for(lambda: any(r.status.value == "STARTED" for r in runs(home)), timeout=30)
        with open(err_path, "w") as err:
            watch = orch.popen("run", "--watch", "-f", str(repo), "-p", "etl", "-s",
                               "transform+", stdout=subprocess.DEVNULL, stderr=err)
        waiting = "is QUEUED: waiting for a slot: max_concurrent_runs is 1, 1 in progress"
        wait_for(lambda: waiting in err_path.read_text(), timeout=30)
        # a save while it waits: the queued run is canceled, the new one queues
        write_repo(tmp_path, REPO.replace("return x + 1", "return x + 3"))
        wait_for(lambda: err_path.read_text().count(waiting) == 2, timeout=30)
        slow, superseded = runs(home)[:2]
        assert superseded.status.value == "CANCELED"
        assert orch("runs", "cancel", slow.run_id).returncode == 0
        found = wait_for(lambda: _all_finished(home, 3), timeout=30)
        assert found[2].status.value == "SUCCESS"  # the watch loop's code server took it
        write_repo(tmp_path, REPO.replace("return x + 1", "return x + 7"))
        found = wait_for(lambda: _all_finished(home, 4), timeout=30)
        assert found[3].status.value == "SUCCESS" and found[3].parent_run_id == found[2].run_id
        for run in found[2:]:
            kinds = [e.event_type_value for e in _run_events(home, run.run_id)]
            assert kinds[:3] == ["PIPELINE_ENQUEUED", "PIPELINE_DEQUEUED", "PIPELINE_STARTING"]
        assert "killed by signal" not in err_path.read_text()
    finally:
        blocker.send_signal(signal.SIGINT)
        blocker.wait(timeout=20)
        if watch is not None:
            watch.send_signal(signal.SIGINT)
            watch.wait(timeout=20)
    assert watch.returncode == 130, err_path.read_text()


DEFERRING = '''
from orch.core.run_coordinator import QueuedRunCoordinator


class Deferring(QueuedRunCoordinator):
    """Queued, but a submitter never gets to take its own run: a dequeuer always does."""

    def dequeue_own(self, instance, run_id, launcher):
        return self.queue_state(instance)
'''


def test_orch_run_follows_its_run_when_another_dequeuer_launches_it(
        orch, repo, home, tmp_path, env):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "deferring.py").write_text(DEFERRING)
    env["PYTHONPATH"] = str(plugins)
    home.mkdir(parents=True)
    (home / "orch.yaml").write_text(
        "run_coordinator: {module: deferring, class: Deferring, config: "
        "{max_concurrent_runs: 1}}\n")
    waiting = orch.popen("run", "-f", str(repo), "-p", "etl")
    dequeuer = None
    try:
        wait_for(lambda: home.exists() and any(r.status.value == "QUEUED" for r in runs(home)),
                 timeout=30)
        dequeuer = orch.popen("queue", "run", "--interval", "0.1")
        _, err = waiting.communicate(timeout=60)
    finally:
        if dequeuer is not None:
            dequeuer.send_signal(signal.SIGINT)
            dequeuer.communicate(timeout=20)
    assert waiting.returncode == 0, err
    [run] = runs(home)
    assert run.status.value == "SUCCESS"
    assert "[load] INFO: loaded 2" in err and f"run {run.run_id} SUCCESS" in err
    kinds = [e.event_type_value for e in _run_events(home, run.run_id)]
    assert kinds.count("PIPELINE_DEQUEUED") == 1 and kinds.count("PIPELINE_START") == 1
