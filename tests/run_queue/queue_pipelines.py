"""Pipelines the run-queue tests submit (imported again by each real run worker)."""

import time

from orch import Field, pipeline, solid


@solid(config_schema={"seconds": Field(float, default_value=0.0)})
def pause(context):
    time.sleep(context.solid_config["seconds"])
    return context.run_id


@pipeline
def waits():
    pause()
