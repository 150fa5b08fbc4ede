"""The multiprocess executor's start methods: ``forkserver`` and ``spawn`` step processes
(the ``multiprocess`` package, dill pickling) behave as forked ones do — isolation, crash
causes, retries, dynamic outputs, compute logs — and ``spawn`` carries a pipeline that
exists only in memory, closures and lambdas included. ``fork`` is what
test_multiprocess.py covers."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import mp_helpers as h
import pytest
from orch.core.errors import DagsterInvariantViolationError
from orch.core.events import EventType
from orch.core.instance import Instance

from orch import (
    Field,
    InputDefinition,
    Int,
    OutputDefinition,
    PipelineDefinition,
    SolidDefinition,
    configured,
    execute_pipeline,
    pipeline,
    solid,
)

METHODS = ["forkserver", "spawn"]


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ORCH_HOME", str(tmp_path / "home"))
    inst = Instance.from_home(tmp_path / "home")
    yield inst
    inst.close()


def _config(method: str | dict, **extra: Any) -> dict[str, Any]:
    config = h.mp_config(2, **extra)
    config["execution"]["multiprocess"]["config"]["start_method"] = method
    return config


def _run(pipeline_def: Any, instance: Instance, method: str | dict, **extra: Any):
    return execute_pipeline(pipeline_def, run_config=_config(method, **extra),
                            instance=instance, raise_on_error=False)


def _engine_note(events) -> str:
    return next(e.message for e in events if e.message.startswith("Executing steps using"))


@pytest.mark.parametrize("method", METHODS)
def test_steps_are_isolated_processes_started_by_the_method(instance, method) -> None:
    result = _run(h.isolation_pipeline, instance, method)
    assert result.success
    events = instance.get_logs_for_run(result.run_id)
    assert f"start_method {method}" in _engine_note(events)
    seen = result.result_for_solid("read_state").output_value()
    assert seen["value"] == "original"
    mutator_pid = result.result_for_solid("mutate_state").output_value()
    assert len({mutator_pid, seen["pid"], os.getpid()}) == 3
    assert h.launched_pids(events)["read_state"] == [seen["pid"]]


@pytest.mark.parametrize("method", METHODS)
def test_a_killed_step_fails_with_its_cause_and_the_other_branch_finishes(
        instance, method) -> None:
    result = _run(h.crash_pipeline, instance, method,
                  solids={"crash": {"config": {"how": "sigkill"}}})
    assert not result.success
    events = instance.get_logs_for_run(result.run_id)
    [failure] = h.of_type(events, EventType.STEP_FAILURE)
    [crash_pid] = h.launched_pids(events)["crash"]
    assert failure.step_key == "crash"
    assert f"its process {crash_pid} was killed by signal 9 (SIGKILL)" in failure.message
    assert failure.data["error_source"] == "PROCESS_CRASH"
    assert result.result_for_solid("after_branch").output_value() == "branch ok!"
    assert h.step_types(events, "after_crash") == []
    assert not h.pid_alive(crash_pid)


@pytest.mark.parametrize("method", METHODS)
def test_retries_and_dynamic_outputs_behave_as_with_fork(instance, method) -> None:
    retried = _run(h.retry_pipeline, instance, method)
    assert retried.success
    first, second = h.launched_pids(instance.get_logs_for_run(retried.run_id))["flaky"]
    assert retried.result_for_solid("flaky").output_value() == {"pid": second,
                                                                "retry_number": 1}
    assert first != second
    dynamic = _run(h.dynamic_pipeline, instance, method)
    assert dynamic.success
    assert dynamic.result_for_solid("total").output_value() == 14
    fork = _run(h.dynamic_pipeline, instance, "fork")
    assert _sequence(instance, dynamic.run_id) == _sequence(instance, fork.run_id)


def _sequence(instance: Instance, run_id: str) -> dict[str | None, list[str]]:
    """Each step's event types in order (steps in parallel interleave differently)."""
    sequence: dict[str | None, list[str]] = {}
    for e in instance.get_logs_for_run(run_id):
        if e.event_type is not None and e.event_type is not EventType.ENGINE_EVENT:
            sequence.setdefault(e.step_key, []).append(e.event_type_value)
    return sequence


@pytest.mark.parametrize("method", METHODS)
def test_compute_logs_are_captured_in_the_step_process(tmp_path, instance, method) -> None:
    result = _run(h.noisy_pipeline, instance, method)
    assert result.success
    logs = tmp_path / "home" / "logs" / result.run_id
    assert (logs / "noisy.out").read_text().splitlines() == [
        "hello from print", "hello from a child process"]
    assert (logs / "noisy.err").read_text().splitlines() == ["hello from stderr",
                                                             "child stderr"]


def _built_in_memory() -> PipelineDefinition:
    """A pipeline no other process could import: solids made by a closure, a lambda for a
    configured config function."""
    factor = 7

    def times(context, inputs):
        from orch import Output

        yield Output(inputs["x"] * factor * context.solid_config["extra"])

    scale = SolidDefinition("scale", [InputDefinition("x", Int)], times,
                            [OutputDefinition(Int)], config_schema={"extra": Field(Int)})

    @solid
    def source(_context) -> int:
        return 3

    configured_scale = configured(scale, name="scaled")(lambda cfg: {"extra": cfg["by"] + 1})
    return PipelineDefinition(
        [source, configured_scale], name="in_memory",
        dependencies={"scaled": {"x": _dep("source")}})


def _dep(name: str):
    from orch import DependencyDefinition

    return DependencyDefinition(name)


def test_spawn_carries_a_pipeline_built_in_memory_closures_and_lambdas(instance) -> None:
    pipeline_def = _built_in_memory()
    result = _run(pipeline_def, instance, "spawn", solids={"scaled": {"config": {"by": 1}}})
    assert result.success, [e.message for e in result.event_list
                            if e.event_type is EventType.STEP_FAILURE]
    assert result.result_for_solid("scaled").output_value() == 3 * 7 * 2


@solid
def probe_preload(_context) -> dict:
    module = sys.modules.get("preloaded_probe")
    return {"imported_by": getattr(module, "IMPORTED_BY", None), "pid": os.getpid()}


@pipeline
def preload_pipeline():
    probe_preload()
    probe_preload.alias("probe_again")()


def test_forkserver_preload_is_imported_once_by_the_server_not_by_each_step(
        tmp_path, instance, monkeypatch) -> None:
    """Each step process, forked from the fork server, already holds the preloaded module,
    imported once by the server (not by the run process, not by the step)."""
    (tmp_path / "preloaded_probe.py").write_text("import os\nIMPORTED_BY = os.getpid()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    result = _run(preload_pipeline, instance,
                  {"forkserver": {"preload_modules": ["preloaded_probe"]}})
    assert result.success
    first = result.result_for_solid("probe_preload").output_value()
    second = result.result_for_solid("probe_again").output_value()
    assert first["imported_by"] is not None and first["imported_by"] == second["imported_by"]
    assert first["imported_by"] not in (first["pid"], second["pid"], os.getpid())
    assert "preloaded_probe" not in sys.modules


@pytest.mark.parametrize(("config", "message"), [
    ({"start_method": "spawn", "forkserver_preload": ["json"]},
     'only used with start_method: forkserver, not "spawn"'),
    ({"start_method": "forkserver", "forkserver_preload": ["no_such_module_here"]},
     'names module "no_such_module_here", which cannot be imported here'),
])
def test_a_preload_list_that_cannot_work_is_a_clear_error(instance, config, message) -> None:
    run_config = h.mp_config(2)
    run_config["execution"]["multiprocess"]["config"].update(config)
    with pytest.raises(DagsterInvariantViolationError, match=message):
        execute_pipeline(h.isolation_pipeline, run_config=run_config, instance=instance)


def test_an_unknown_start_method_names_the_choices(instance) -> None:
    from orch.core.config.errors import DagsterInvalidConfigError

    with pytest.raises(DagsterInvalidConfigError) as raised:
        _run(h.isolation_pipeline, instance, "vfork")
    assert "vfork" in str(raised.value)
    assert all(m in str(raised.value) for m in ("fork", "forkserver", "spawn"))


SCRIPT = '''
import os, sys
with open(os.environ["MAIN_LOG"], "a") as f:
    f.write(f"{__name__} {os.getpid()}\\n")

from orch import execute_pipeline, pipeline, solid


@solid
def one(_context):
    return os.getpid()


@solid
def two(_context, x):
    return [x, os.getpid()]


@solid
def three(_context, xs):
    return [*xs, os.getpid()]


@pipeline
def three_steps():
    three(two(one()))


if __name__ == "__main__":
    result = execute_pipeline(three_steps, run_config={"execution": {"multiprocess": {
        "config": {"start_method": "forkserver"}}}})
    print(result.result_for_solid("three").output_value())
'''


def test_a_scripts_main_module_runs_once_in_the_fork_server_not_in_each_step(tmp_path
                                                                             ) -> None:
    """The ``multiprocess`` package runs the parent's main script again (as ``__mp_main__``)
    in each step process; the fork server runs it once and its step processes inherit it
    (for ``orch run`` that script is the CLI: typer, rich and orch.cli a step)."""
    import subprocess

    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    log = tmp_path / "main.log"
    env = {**os.environ, "MAIN_LOG": str(log), "ORCH_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    step_pids = [int(p) for p in done.stdout.strip().strip("[]").split(",")]
    runs = [line.split() for line in log.read_text().splitlines()]
    assert [name for name, _ in runs] == ["__main__", "__mp_main__"], runs
    assert int(runs[1][1]) not in step_pids and len(set(step_pids)) == 3
