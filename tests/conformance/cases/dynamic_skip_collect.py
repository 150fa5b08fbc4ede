"""An optional dynamic output that yields nothing: what happens to the collect step."""

from orch import DynamicOutputDefinition, execute_pipeline, pipeline, solid


@solid(output_defs=[DynamicOutputDefinition(is_required=False)])
def maybe_emit(context):
    if False:
        yield


@solid
def work(context, x):
    return x


@solid
def gather(context, items):
    return len(items)


@pipeline
def skip_collect_pipeline():
    gather(maybe_emit().map(work).collect())


def run_skip_collect():
    return execute_pipeline(skip_collect_pipeline)
