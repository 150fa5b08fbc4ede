"""Dagster's legacy scheduling tutorial (0.11/0.12): a @daily_schedule whose run config comes
from the partition date, a cron @schedule reading context.scheduled_execution_time, a
partition set with a schedule built from it, and a sensor with a cursor — evaluated the way
a user's test does (direct invocation, evaluate_tick with build_*_context)."""

import datetime
from zoneinfo import ZoneInfo

from orch import (
    Partition,
    PartitionSetDefinition,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    daily_schedule,
    date_partition_range,
    execute_pipeline,
    hourly_schedule,
    monthly_schedule,
    pipeline,
    repository,
    schedule,
    sensor,
    solid,
    weekly_schedule,
)

CENTRAL = ZoneInfo("US/Central")


@solid(config_schema={"date": str})
def process_data_for_date(context):
    return "processed " + context.solid_config["date"]


@pipeline
def my_data_pipeline():
    process_data_for_date()


@daily_schedule(
    pipeline_name="my_data_pipeline",
    start_date=datetime.datetime(2020, 1, 1),
    execution_time=datetime.time(11, 0),
    execution_timezone="US/Central",
)
def my_daily_schedule(date):
    return {"solids": {"process_data_for_date": {"config": {"date": date.strftime("%Y-%m-%d")}}}}


@schedule(cron_schedule="0 1 * * *", pipeline_name="my_data_pipeline",
          execution_timezone="US/Central", tags={"team": "data"})
def my_cron_schedule(context):
    date = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return {"solids": {"process_data_for_date": {"config": {"date": date}}}}


@hourly_schedule(pipeline_name="my_data_pipeline", start_date=datetime.datetime(2020, 1, 1),
                 execution_time=datetime.time(0, 20))
def my_hourly(date):
    return {"solids": {"process_data_for_date": {"config": {"date": date.isoformat()}}}}


@weekly_schedule(pipeline_name="my_data_pipeline", start_date=datetime.datetime(2020, 1, 6),
                 execution_day_of_week=2, partition_weeks_offset=0)
def my_weekly(date):
    return {"solids": {"process_data_for_date": {"config": {"date": date.strftime("%Y-%m-%d")}}}}


@monthly_schedule(pipeline_name="my_data_pipeline", start_date=datetime.datetime(2020, 1, 1),
                  execution_day_of_month=3)
def my_monthly(date):
    return {"solids": {"process_data_for_date": {"config": {"date": date.strftime("%Y-%m")}}}}


colors = PartitionSetDefinition(
    name="colors", pipeline_name="my_data_pipeline",
    partition_fn=lambda: [Partition("red"), Partition("blue")],
    run_config_fn_for_partition=lambda p: {
        "solids": {"process_data_for_date": {"config": {"date": p.value}}}},
    tags_fn_for_partition=lambda p: {"color": p.name},
)

colors_schedule = colors.create_schedule_definition(
    "colors_schedule", "0 0 * * *",
    partition_selector=lambda context, partition_set: partition_set.get_partition("blue"))


@sensor(pipeline_name="my_data_pipeline")
def new_files(context):
    seen = int(context.cursor or 0)
    for n in range(seen + 1, seen + 3):
        yield RunRequest(run_key=f"file-{n}", run_config={
            "solids": {"process_data_for_date": {"config": {"date": str(n)}}}})
    context.update_cursor(str(seen + 2))


@sensor(pipeline_name="my_data_pipeline")
def quiet(_context):
    return SkipReason("nothing new")


@repository
def tutorial_repo():
    return [my_data_pipeline, my_daily_schedule, my_cron_schedule, my_hourly, my_weekly,
            my_monthly, colors, colors_schedule, new_files, quiet]


def _requests(data):
    return {"run_requests": [{"run_key": r.run_key, "run_config": r.run_config,
                              "tags": r.tags} for r in data.run_requests],
            "skip_message": data.skip_message}


def run_definitions():
    return {s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone,
                     "pipeline": s.pipeline_name, "mode": s.mode}
            for s in tutorial_repo.schedule_defs}


def run_repository_contents():
    return {"schedules": sorted(s.name for s in tutorial_repo.schedule_defs),
            "sensors": sorted(s.name for s in tutorial_repo.sensor_defs),
            "partition_sets": sorted(p.name for p in tutorial_repo.partition_set_defs)}


def run_daily_direct():
    return my_daily_schedule(datetime.datetime(2020, 5, 17))


def run_daily_partitions():
    partition_set = my_daily_schedule.get_partition_set()
    names = partition_set.get_partition_names(datetime.datetime(2020, 1, 5, 12))
    return {"name": partition_set.name, "names": names}


def run_daily_tick():
    when = datetime.datetime(2020, 5, 17, 11, 0, tzinfo=CENTRAL)  # as the scheduler passes it
    return _requests(my_daily_schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=when)))


def run_daily_tick_before_start():
    when = datetime.datetime(2020, 1, 1, 11, 0, tzinfo=CENTRAL)
    return _requests(my_daily_schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=when)))


def run_daily_pipeline_with_tick_config():
    when = datetime.datetime(2020, 5, 17, 11, 0, tzinfo=CENTRAL)
    request = my_daily_schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=when)).run_requests[0]
    return execute_pipeline(my_data_pipeline, run_config=request.run_config)


def run_cron_tick():
    when = datetime.datetime(2021, 3, 14, 1, 0, tzinfo=CENTRAL)
    return _requests(my_cron_schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=when)))


def run_hourly_tick():
    when = datetime.datetime(2020, 3, 1, 5, 20, tzinfo=datetime.timezone.utc)
    return _requests(my_hourly.evaluate_tick(build_schedule_context(scheduled_execution_time=when)))


def run_weekly_tick():
    when = datetime.datetime(2020, 3, 3, 0, 0, tzinfo=datetime.timezone.utc)  # a Tuesday
    return _requests(my_weekly.evaluate_tick(build_schedule_context(scheduled_execution_time=when)))


def run_monthly_tick():
    when = datetime.datetime(2020, 3, 3, 0, 0, tzinfo=datetime.timezone.utc)
    return _requests(my_monthly.evaluate_tick(build_schedule_context(scheduled_execution_time=when)))


def run_partition_set_schedule():
    return _requests(colors_schedule.evaluate_tick(build_schedule_context()))


def run_partition_set():
    blue = colors.get_partition("blue")
    return {"names": colors.get_partition_names(), "config": colors.run_config_for_partition(blue),
            "tags": colors.tags_for_partition(blue)}


def run_date_partition_range():
    fn = date_partition_range(datetime.datetime(2021, 1, 30), datetime.datetime(2021, 2, 2))
    months = date_partition_range(datetime.datetime(2021, 1, 1), datetime.datetime(2021, 4, 1),
                                  delta_range="months", fmt="%Y-%m", inclusive=True)
    return {"days": [p.name for p in fn()], "months": [p.name for p in months()]}


def run_sensor_tick():
    context = build_sensor_context(cursor="4")
    data = new_files.evaluate_tick(context)
    return {**_requests(data), "cursor": data.cursor}


def run_sensor_skip():
    data = quiet.evaluate_tick(build_sensor_context())
    return _requests(data)


def run_sensor_direct():
    return [r.run_key for r in new_files(build_sensor_context())]
