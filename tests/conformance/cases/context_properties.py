"""What a solid's context offers: run_id, tags, solid names, logging, the pipeline run."""

from orch import execute_pipeline, pipeline, solid


@solid
def inspect_context(context):
    context.log.info("info line")
    context.log.debug("debug line")
    context.log.warning("warning line")
    return {
        "run_id_is_str": isinstance(context.run_id, str),
        "tag": context.get_tag("owner"),
        "has_tag": context.has_tag("owner"),
        "solid": context.solid.name,
        "solid_def": context.solid_def.name,
        "pipeline_name": context.pipeline_name,
        "retry_number": context.retry_number,
        "mode": context.mode_def.name,
        "run_tags_owner": context.pipeline_run.tags.get("owner"),
    }


@pipeline(tags={"owner": "pipeline-default"})
def context_pipeline():
    inspect_context()


def run_context():
    return execute_pipeline(context_pipeline)


def run_context_with_run_tags():
    return execute_pipeline(context_pipeline, tags={"owner": "run-level"})
