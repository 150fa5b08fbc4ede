"""execute_pipeline_iterator: events as they happen, with the is_* properties."""

from orch import execute_pipeline_iterator, pipeline, solid

# The events a user's loop looks at (engine bookkeeping events are left out).
WATCHED = {"PIPELINE_START", "PIPELINE_SUCCESS", "PIPELINE_FAILURE", "STEP_START",
           "STEP_INPUT", "LOADED_INPUT", "STEP_OUTPUT", "HANDLED_OUTPUT", "STEP_SUCCESS",
           "STEP_FAILURE", "STEP_SKIPPED"}


@solid
def first(context):
    return 1


@solid
def second(context, x):
    raise ValueError("second fails")


@pipeline
def iterated_pipeline():
    second(first())


def run_events():
    return list(execute_pipeline_iterator(iterated_pipeline))


def run_flags():
    flags = []
    for event in execute_pipeline_iterator(iterated_pipeline):
        if event.event_type_value not in WATCHED:
            continue
        flags.append([event.event_type_value, event.is_step_event, event.is_step_success,
                      event.is_step_failure, event.is_pipeline_event, event.is_failure])
    return flags


def run_more_flags():
    rows = []
    for event in execute_pipeline_iterator(iterated_pipeline):
        if event.event_type_value not in WATCHED:
            continue
        rows.append([event.event_type_value, event.is_step_start, event.is_successful_output,
                     event.is_pipeline_success, event.is_pipeline_failure,
                     event.is_handled_output, event.is_loaded_input, event.is_step_skipped])
    return rows
