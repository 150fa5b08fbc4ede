"""RetryPolicy on a solid, on an invocation and as the pipeline default."""

from orch import RetryPolicy, execute_pipeline, pipeline, solid

COUNTS = {}


def _fail_first(name, times):
    COUNTS[name] = COUNTS.get(name, 0) + 1
    if COUNTS[name] <= times:
        raise Exception(f"{name} failed attempt {COUNTS[name]}")
    return COUNTS[name]


@solid(retry_policy=RetryPolicy(max_retries=2))
def with_policy(context):
    return _fail_first("with_policy", 2)


@solid
def plain(context):
    return _fail_first("plain", 1)


@solid
def always_fails(context):
    raise Exception("never works")


@pipeline(solid_retry_policy=RetryPolicy(max_retries=1))
def policy_pipeline():
    with_policy()
    plain()
    always_fails.with_retry_policy(RetryPolicy(max_retries=2))()


def run_policies():
    COUNTS.clear()
    return execute_pipeline(policy_pipeline, raise_on_error=False)


def run_policies_raising():
    COUNTS.clear()
    return execute_pipeline(policy_pipeline)
