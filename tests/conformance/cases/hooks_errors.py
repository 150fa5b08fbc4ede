"""A hook that raises: HOOK_ERRORED, and the run still succeeds."""

from orch import execute_pipeline, pipeline, solid, success_hook


@success_hook
def bad_hook(context):
    raise RuntimeError("hook broke")


@solid
def work(context):
    return "done"


@pipeline(hook_defs={bad_hook})
def bad_hook_pipeline():
    work()


def run_bad_hook():
    return execute_pipeline(bad_hook_pipeline)
