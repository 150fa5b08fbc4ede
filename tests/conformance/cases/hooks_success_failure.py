"""success_hook and failure_hook, on the pipeline and on one invocation."""

from orch import execute_pipeline, failure_hook, pipeline, solid, success_hook

CALLS = []


@success_hook
def record_success(context):
    CALLS.append(f"success:{context.solid.name}")


@failure_hook
def record_failure(context):
    CALLS.append(f"failure:{context.solid.name}")


@solid
def fine(context):
    return 1


@solid
def broken(context, x):
    raise ValueError("broken")


@pipeline(hook_defs={record_success, record_failure})
def hooked_pipeline():
    broken(fine())


@pipeline
def invocation_hooks():
    fine.with_hooks({record_success})()
    fine.alias("unhooked")()


def run_pipeline_hooks():
    CALLS.clear()
    return execute_pipeline(hooked_pipeline, raise_on_error=False)


def run_hook_calls():
    CALLS.clear()
    execute_pipeline(hooked_pipeline, raise_on_error=False)
    return sorted(CALLS)


def run_invocation_hooks():
    CALLS.clear()
    result = execute_pipeline(invocation_hooks)
    return [result.success, sorted(CALLS)]
