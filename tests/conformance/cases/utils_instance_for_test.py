"""instance_for_test: a temporary persistent instance, as users' own tests use it."""

from orch.core.test_utils import instance_for_test

from orch import execute_pipeline, pipeline, solid


@solid
def hello(context):
    return "hi"


@pipeline
def test_utils_pipeline():
    hello()


def run_with_instance():
    with instance_for_test() as instance:
        result = execute_pipeline(test_utils_pipeline, instance=instance)
        run = instance.get_run_by_id(result.run_id)
        return [result.success, run.pipeline_name, run.status.value]


def run_events_stored():
    with instance_for_test() as instance:
        result = execute_pipeline(test_utils_pipeline, instance=instance)
        types = [r.dagster_event.event_type_value for r in instance.all_logs(result.run_id)
                 if r.dagster_event is not None]
        return [t for t in types if t.startswith("STEP_") or t.startswith("PIPELINE_")]
