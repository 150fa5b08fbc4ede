"""RetryRequested: the step is retried, then succeeds; exhausted retries fail the step."""

from orch import RetryRequested, execute_pipeline, pipeline, solid

ATTEMPTS = {"flaky": 0}


@solid
def flaky(context):
    ATTEMPTS["flaky"] += 1
    if context.retry_number < 2:
        raise RetryRequested(max_retries=3)
    return f"succeeded on attempt {context.retry_number}"


@solid
def hopeless(context):
    raise RetryRequested(max_retries=1)


@pipeline
def retry_pipeline():
    flaky()


@pipeline
def hopeless_pipeline():
    hopeless()


def run_flaky():
    return execute_pipeline(retry_pipeline)


def run_hopeless():
    return execute_pipeline(hopeless_pipeline, raise_on_error=False)


def run_hopeless_raising():
    return execute_pipeline(hopeless_pipeline)


def run_retries_disabled():
    return execute_pipeline(retry_pipeline, raise_on_error=False, run_config={
        "execution": {"in_process": {"config": {"retries": {"disabled": {}}}}}})
