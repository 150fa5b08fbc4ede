"""The result objects: solid_result_list, events_by_step_key, output_for_solid, errors."""

from orch import execute_pipeline, pipeline, solid


@solid
def one(context):
    return 1


@solid
def plus(context, x):
    return x + 1


@pipeline
def result_pipeline():
    plus(one())


def run_names():
    result = execute_pipeline(result_pipeline)
    return sorted(r.solid.name for r in result.solid_result_list)


def run_output_for_solid():
    return execute_pipeline(result_pipeline).output_for_solid("plus")


def run_events_by_step_key():
    result = execute_pipeline(result_pipeline)
    return {k: [e.event_type_value for e in v if e.is_step_event]
            for k, v in result.events_by_step_key.items() if k is not None}


def run_unknown_solid():
    return execute_pipeline(result_pipeline).result_for_solid("nope")


def run_unknown_output():
    return execute_pipeline(result_pipeline).result_for_solid("plus").output_value("nope")


def run_step_events():
    result = execute_pipeline(result_pipeline)
    return [e.event_type_value for e in result.result_for_solid("plus").compute_step_events]


def run_success_and_retry_attempts():
    result = execute_pipeline(result_pipeline)
    plus = result.result_for_solid("plus")
    return [result.success, plus.success, plus.retry_attempts]
