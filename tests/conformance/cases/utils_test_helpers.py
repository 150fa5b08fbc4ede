"""The dagster.core.test_utils helpers a user's own test suite imports, used as such a suite
uses them: a temporary instance, runs made for a test, polling a run that executes in another
thread, what its steps did."""

import os
import threading

from orch.core.test_utils import (
    create_run_for_test,
    default_mode_def_for_test,
    instance_for_test,
    nesting_composite_pipeline,
    new_cwd,
    poll_for_event,
    poll_for_finished_run,
    poll_for_step_start,
    remove_none_recursively,
    step_did_not_run,
    step_failed,
    step_output_event_filter,
    step_succeeded,
    strip_ansi,
    wait_for_runs_to_finish,
)

from orch import (
    PipelineRunStatus,
    execute_pipeline,
    execute_pipeline_iterator,
    pipeline,
    solid,
)


@solid
def wait_for_go(context):
    context.log.info("waiting for go")
    while not os.path.exists(os.environ["GO_FILE"]):
        threading.Event().wait(0.01)
    return 1


@solid
def explode(context, x):
    raise ValueError("boom")


@solid
def after(context, x):
    return x


@pipeline(mode_defs=[default_mode_def_for_test])
def threaded_pipeline():
    after(explode(wait_for_go()))


def run_create_run_for_test():
    with instance_for_test() as instance:
        run = create_run_for_test(instance, pipeline_name="made_up", run_config={"a": 1},
                                  status=PipelineRunStatus.SUCCESS, tags={"team": "data"},
                                  step_keys_to_execute=["one"])
        stored = instance.get_run_by_id(run.run_id)
        return [stored.pipeline_name, stored.run_config, stored.status.value,
                stored.tags.get("team"), stored.step_keys_to_execute, instance.has_run(run.run_id)]


def run_default_pipeline_name():
    with instance_for_test() as instance:
        return create_run_for_test(instance).pipeline_name


def run_poll_a_run_in_another_thread():
    go = os.path.abspath("go")
    os.environ["GO_FILE"] = go
    with instance_for_test() as instance:
        results = []
        worker = threading.Thread(target=lambda: results.append(execute_pipeline(
            threaded_pipeline, instance=instance, raise_on_error=False)))
        worker.start()
        try:
            run = _wait_for_run(instance)
            poll_for_step_start(instance, run.run_id, timeout=30)
            poll_for_event(instance, run.run_id, "STEP_START", "wait_for_go", timeout=30)
            running = instance.get_run_by_id(run.run_id).status.value
        finally:
            open(go, "w").close()
            worker.join(60)
        finished = poll_for_finished_run(instance, run.run_id, timeout=30)
        wait_for_runs_to_finish(instance, timeout=30)
        return [running, finished.status.value, results[0].success,
                step_succeeded(instance, finished, "wait_for_go"),
                step_failed(instance, finished, "explode"),
                step_did_not_run(instance, finished, "after"),
                step_did_not_run(instance, finished, "wait_for_go")]


def _wait_for_run(instance):
    for _ in range(3000):
        runs = instance.get_runs()
        if runs:
            return runs[0]
        threading.Event().wait(0.01)
    raise AssertionError("no run")


def run_poll_times_out():
    with instance_for_test() as instance:
        run = create_run_for_test(instance)
        poll_for_finished_run(instance, run.run_id, timeout=0.05)


def run_poll_for_missing_event_times_out():
    with instance_for_test() as instance:
        run = create_run_for_test(instance)
        poll_for_event(instance, run.run_id, "STEP_SUCCESS", None, timeout=0.05)


def run_poll_by_tags():
    with instance_for_test() as instance:
        create_run_for_test(instance, tags={"kind": "a"}, status=PipelineRunStatus.FAILURE)
        create_run_for_test(instance, tags={"kind": "b"}, status=PipelineRunStatus.SUCCESS)
        return poll_for_finished_run(instance, run_tags={"kind": "b"}, timeout=5).status.value


@solid
def one(context):
    return 1


@solid
def add(context, x):
    return x + 1


@pipeline
def small_pipeline():
    add(one())


def run_step_output_event_filter():
    return [(e.step_key, e.event_type_value)
            for e in step_output_event_filter(execute_pipeline_iterator(small_pipeline))]


def run_nesting_composite_pipeline():
    nested = nesting_composite_pipeline(2, 2)
    result = execute_pipeline(nested)
    steps = sorted({e.step_key for e in result.event_list if e.step_key})
    return [nested.name, result.success, len(steps), steps[:3]]


def run_new_cwd():
    os.makedirs("sub", exist_ok=True)
    before = os.getcwd()
    with new_cwd("sub"):
        inside = os.path.basename(os.getcwd())
    return [inside, os.getcwd() == before]


def run_small_helpers():
    return [remove_none_recursively({"a": None, "b": [1, None, {"c": None, "d": 2}],
                                     "e": (None, 3)}),
            strip_ansi("\x1b[31mred\x1b[0m plain")]
