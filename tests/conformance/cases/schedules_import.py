"""A file that defines schedules and a sensor next to its pipeline must import and run."""

import datetime

from orch import (
    RunRequest,
    daily_schedule,
    execute_pipeline,
    pipeline,
    repository,
    schedule,
    sensor,
    solid,
)


@solid
def tick(context):
    return "tick"


@pipeline
def scheduled_pipeline():
    tick()


@schedule(cron_schedule="0 * * * *", pipeline_name="scheduled_pipeline")
def hourly(context):
    return {}


@daily_schedule(pipeline_name="scheduled_pipeline", start_date=datetime.datetime(2021, 1, 1))
def daily(date):
    return {}


@sensor(pipeline_name="scheduled_pipeline")
def always(context):
    yield RunRequest(run_key=None, run_config={})


@repository
def scheduled_repo():
    return [scheduled_pipeline, hourly, daily, always]


def run_pipeline():
    return execute_pipeline(scheduled_pipeline)


def run_names():
    return [hourly.name, daily.name, always.name, hourly.cron_schedule]
