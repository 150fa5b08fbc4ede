"""More of the result and context API legacy test suites lean on: result_for_handle inside a
composite, input/output event accessors, step_event_list, output_values of multiple outputs,
context.log_event, context.solid_config, context.step_launcher-free properties, pipeline-level
accessors (pipeline_name, run_id format), and dict-style solid_result_dict lookups."""

from orch import (
    AssetMaterialization,
    ExpectationResult,
    Field,
    Output,
    OutputDefinition,
    composite_solid,
    execute_pipeline,
    lambda_solid,
    pipeline,
    solid,
)


@solid(config_schema={"factor": Field(int, default_value=2)})
def scaled(context):
    context.log_event(AssetMaterialization("scaled_table", description="logged"))
    context.log_event(ExpectationResult(True, label="positive"))
    return 3 * context.solid_config["factor"]


@solid(output_defs=[OutputDefinition(int, "low"), OutputDefinition(int, "high")])
def split(context, value):
    yield Output(value - 1, "low")
    yield Output(value + 1, "high")


@lambda_solid
def join(low, high):
    return [low, high]


@composite_solid
def inner_work(value):
    low, high = split(value)
    return join(low, high)


@pipeline
def accessor_pipeline():
    inner_work(scaled())


def run_result_for_handle():
    result = execute_pipeline(accessor_pipeline)
    inner = result.result_for_handle("inner_work.split")
    return [inner.success, inner.output_values, inner.output_value("high"),
            result.result_for_handle("inner_work").output_value()]


def run_composite_result_for_solid():
    result = execute_pipeline(accessor_pipeline)
    composite = result.result_for_solid("inner_work")
    return [composite.result_for_solid("split").output_values,
            sorted(r.solid.name for r in composite.solid_result_list)]


def run_input_and_output_events():
    result = execute_pipeline(accessor_pipeline)
    split_result = result.result_for_handle("inner_work.split")
    return [sorted(split_result.compute_input_event_dict),
            [e.event_type_value for e in split_result.input_events_during_compute],
            [e.event_type_value for e in split_result.output_events_during_compute],
            split_result.get_output_event_for_compute("low").event_type_value,
            split_result.get_step_success_event().event_type_value,
            sorted(split_result.compute_output_events_dict),
            len(split_result.get_output_events_for_compute("high"))]


@solid
def checks_and_fails(context):
    context.log_event(ExpectationResult(False, label="non_empty"))
    raise ValueError("no rows")


@pipeline
def failing_pipeline():
    checks_and_fails()


def run_failure_accessors():
    result = execute_pipeline(failing_pipeline, raise_on_error=False)
    failed = result.result_for_solid("checks_and_fails")
    return [failed.compute_step_failure_event.event_type_value,
            [e.event_type_value for e in failed.expectation_events_during_compute],
            [e.label for e in failed.expectation_results_during_compute]]


def run_success_event_of_failed_step():
    result = execute_pipeline(failing_pipeline, raise_on_error=False)
    return result.result_for_solid("checks_and_fails").get_step_success_event()


def run_failure_event_of_successful_step():
    return execute_pipeline(accessor_pipeline).result_for_solid("scaled").compute_step_failure_event


def run_log_event_rejects_output():
    @solid
    def logs_an_output(context):
        context.log_event(Output(1))

    return execute_pipeline(pipeline(name="logs_output")(lambda: logs_an_output()),
                            raise_on_error=False).result_for_solid("logs_an_output").success


def run_logged_events_in_order():
    @solid
    def interleaved(context):
        context.log.info("before")
        context.log_event(AssetMaterialization("first"))
        yield AssetMaterialization("second")
        context.log_event(ExpectationResult(True, label="third"))
        yield Output(1)

    result = execute_pipeline(pipeline(name="interleaved_pipeline")(lambda: interleaved()))
    return [e.event_type_value for e in result.result_for_solid("interleaved").compute_step_events]


def run_logged_events():
    result = execute_pipeline(accessor_pipeline)
    scaled_result = result.result_for_solid("scaled")
    return [[m.asset_key.path for m in scaled_result.materializations_during_compute],
            [e.label for e in scaled_result.expectation_results_during_compute],
            scaled_result.output_value()]


def run_solid_config():
    return execute_pipeline(accessor_pipeline, run_config={
        "solids": {"scaled": {"config": {"factor": 5}}}}).result_for_solid("scaled").output_value()


def run_step_event_list():
    result = execute_pipeline(accessor_pipeline)
    return sorted({e.step_key for e in result.step_event_list})


def run_pipeline_level():
    result = execute_pipeline(accessor_pipeline)
    return [len(result.run_id), result.success,
            [e.event_type_value for e in result.event_list if not e.step_key][:1]]


def run_unknown_handle():
    return execute_pipeline(accessor_pipeline).result_for_handle("inner_work.nope")
