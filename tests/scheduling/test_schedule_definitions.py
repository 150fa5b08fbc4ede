"""Schedule, partition and sensor definitions: what a legacy file declares, what one tick of
each returns, and how a repository carries them."""

from __future__ import annotations

import datetime
import warnings
from zoneinfo import ZoneInfo

import pytest
from orch.core.definitions.schedules import SensorExecutionError

from orch import (
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    Partition,
    PartitionSetDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleExecutionError,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    daily_schedule,
    date_partition_range,
    hourly_schedule,
    monthly_schedule,
    pipeline,
    repository,
    schedule,
    schedule_from_partitions,
    sensor,
    solid,
    weekly_schedule,
)

UTC = datetime.UTC
CHICAGO = ZoneInfo("America/Chicago")


@solid(config_schema={"date": str})
def work(context):
    return context.solid_config["date"]


@pipeline
def daily_pipeline():
    work()


def _ctx(*args: int, tz: datetime.tzinfo = UTC):
    return build_schedule_context(scheduled_execution_time=datetime.datetime(*args, tzinfo=tz))


# -- @schedule ----------------------------------------------------------------------------------
def test_schedule_tick_wraps_run_config_with_tags_and_schedule_name() -> None:
    @schedule(cron_schedule="0 1 * * *", pipeline_name="daily_pipeline", tags={"team": "a"},
              execution_timezone="America/Chicago")
    def nightly(context):
        return {"solids": {"work": {"config": {
            "date": context.scheduled_execution_time.strftime("%Y-%m-%d")}}}}

    data = nightly.evaluate_tick(_ctx(2021, 3, 14, 1, tz=CHICAGO))
    assert data.skip_message is None
    assert data.run_requests == [RunRequest(
        None, {"solids": {"work": {"config": {"date": "2021-03-14"}}}},
        {"team": "a", "orch/schedule_name": "nightly"})]
    assert nightly.execution_timezone == "America/Chicago" and nightly.mode == "default"


def test_schedule_returns_and_their_outcomes() -> None:
    @schedule(cron_schedule="0 * * * *", pipeline_name="p", should_execute=lambda _c: False)
    def never(_context):
        return {}

    assert never.evaluate_tick(_ctx(2021, 1, 1)).skip_message == \
        "should_execute function for never returned false."

    @schedule(cron_schedule="0 * * * *", pipeline_name="p")
    def empty():
        return None

    assert empty.evaluate_tick(_ctx(2021, 1, 1)).skip_message == \
        "Schedule function returned an empty result"

    @schedule(cron_schedule="0 * * * *", pipeline_name="p")
    def several(_context):
        yield RunRequest("a", {"x": 1})
        yield RunRequest("b", {"x": 2})

    assert [r.run_key for r in several.evaluate_tick(_ctx(2021, 1, 1)).run_requests] == ["a", "b"]

    @schedule(cron_schedule="0 * * * *", pipeline_name="p")
    def unkeyed(_context):
        yield RunRequest("a")
        yield RunRequest(None)

    with pytest.raises(DagsterInvariantViolationError, match="must specify a run_key"):
        unkeyed.evaluate_tick(_ctx(2021, 1, 1))

    @schedule(cron_schedule="0 * * * *", pipeline_name="p")
    def skipping(_context):
        return SkipReason("holiday")

    assert skipping.evaluate_tick(_ctx(2021, 1, 1)).skip_message == "holiday"

    @schedule(cron_schedule="0 * * * *", pipeline_name="p")
    def broken(_context):
        raise ValueError("no data")

    with pytest.raises(ScheduleExecutionError, match="evaluation of schedule broken: "
                                                     "ValueError: no data"):
        broken.evaluate_tick(_ctx(2021, 1, 1))


def test_schedule_definition_checks() -> None:
    assert ScheduleDefinition(cron_schedule="0 * * * *", pipeline_name="p").name == "p_schedule"
    with pytest.raises(DagsterInvalidDefinitionError, match="exactly 5"):
        ScheduleDefinition(name="s", cron_schedule="@daily", pipeline_name="p")
    with pytest.raises(DagsterInvalidDefinitionError, match="Invalid execution timezone"):
        ScheduleDefinition(name="s", cron_schedule="0 * * * *", pipeline_name="p",
                           execution_timezone="Mars/Olympus")
    with pytest.raises(DagsterInvalidDefinitionError, match="both tags_fn and tags"):
        ScheduleDefinition(name="s", cron_schedule="0 * * * *", pipeline_name="p",
                           tags={"a": "b"}, tags_fn=lambda _c: {})
    with pytest.raises(DagsterInvalidDefinitionError, match="reserved"):
        ScheduleDefinition(name="s", cron_schedule="0 * * * *", pipeline_name="p",
                           tags={"dagster/schedule_name": "x"})
    with pytest.warns(UserWarning, match="environment_vars are not applied"):
        ScheduleDefinition(name="s", cron_schedule="0 * * * *", pipeline_name="p",
                           environment_vars={"A": "1"})


def test_direct_invocation() -> None:
    @schedule(cron_schedule="0 * * * *", pipeline_name="p")
    def with_context(context):
        return {"at": str(context.scheduled_execution_time)}

    assert with_context(_ctx(2021, 1, 1)) == {"at": "2021-01-01 00:00:00+00:00"}
    assert with_context() == {"at": "None"}


# -- partitioned schedules ------------------------------------------------------------------------
def test_daily_schedule_partition_offsets_and_skips() -> None:
    @daily_schedule(pipeline_name="daily_pipeline", start_date=datetime.datetime(2021, 1, 1),
                    execution_time=datetime.time(10, 30), end_date=datetime.datetime(2021, 1, 5))
    def daily(date):
        return {"solids": {"work": {"config": {"date": date.strftime("%Y-%m-%d")}}}}

    assert daily.cron_schedule == "30 10 * * *"
    assert daily.get_partition_set().name == "daily_partitions"
    assert daily(datetime.datetime(2021, 1, 3)) == {
        "solids": {"work": {"config": {"date": "2021-01-03"}}}}
    data = daily.evaluate_tick(_ctx(2021, 1, 3, 10, 30))
    assert data.run_requests == [RunRequest("2021-01-02", {
        "solids": {"work": {"config": {"date": "2021-01-02"}}}}, {
        "orch/partition": "2021-01-02", "orch/partition_set": "daily_partitions",
        "orch/schedule_name": "daily"})]
    assert daily.evaluate_tick(_ctx(2021, 1, 1, 10, 30)).skip_message == (
        "Your partition (2020-12-31T00:00:00+00:00) is before the beginning of the partition "
        "set (2021-01-01T00:00:00+00:00). Verify your schedule's start_date is correct.")
    assert "is after the end of the partition set" in \
        daily.evaluate_tick(_ctx(2021, 1, 7, 10, 30)).skip_message
    assert daily.get_partition_set().get_partition_names(
        datetime.datetime(2021, 1, 4, tzinfo=UTC)) == ["2021-01-01", "2021-01-02", "2021-01-03"]


def test_hourly_weekly_monthly_naming_and_offsets() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        @hourly_schedule(pipeline_name="p", start_date=datetime.datetime(2021, 11, 7),
                         execution_time=datetime.time(0, 5),
                         execution_timezone="America/Chicago")
        def hourly(date):
            return {"at": date.isoformat()}

    assert hourly.cron_schedule == "5 * * * *"
    # Fall back in Chicago: the repeated hour is two partitions, told apart by %z.
    names = hourly.get_partition_set().get_partition_names(
        datetime.datetime(2021, 11, 7, 3, 30, tzinfo=CHICAGO))
    assert names[:4] == ["2021-11-07-00:00-0500", "2021-11-07-01:00-0500",
                         "2021-11-07-01:00-0600", "2021-11-07-02:00-0600"]

    @weekly_schedule(pipeline_name="p", start_date=datetime.datetime(2021, 1, 4),
                     execution_day_of_week=3)
    def weekly(date):
        return {}

    assert weekly.cron_schedule == "0 0 * * 3"
    [request] = weekly.evaluate_tick(_ctx(2021, 1, 13)).run_requests  # a Wednesday
    assert request.run_key == "2021-01-04"  # the previous week, starting on a Monday

    @monthly_schedule(pipeline_name="p", start_date=datetime.datetime(2021, 1, 1),
                      execution_day_of_month=31, partition_months_offset=0)
    def monthly(date):
        return {}

    assert monthly.cron_schedule == "0 0 31 * *"
    assert monthly.evaluate_tick(_ctx(2021, 3, 31)).run_requests[0].run_key == "2021-03"
    with pytest.raises(DagsterInvalidDefinitionError, match="execution_day_of_week"):
        weekly_schedule(pipeline_name="p", start_date=datetime.datetime(2021, 1, 1),
                        execution_day_of_week=7)


# -- partition sets ------------------------------------------------------------------------------
def test_partition_set_and_schedules_built_from_it() -> None:
    colors = PartitionSetDefinition(
        "colors", "p", partition_fn=lambda: ["red", Partition("blue")],
        run_config_fn_for_partition=lambda p: {"color": p.value},
        tags_fn_for_partition=lambda p: {"shade": p.name})
    assert colors.get_partition_names() == ["red", "blue"]
    assert colors.tags_for_partition(colors.get_partition("red")) == {
        "shade": "red", "orch/partition": "red", "orch/partition_set": "colors"}
    with pytest.raises(DagsterInvariantViolationError, match="Could not find a partition"):
        colors.get_partition("green")
    picked = colors.create_schedule_definition(
        "pick", "0 0 * * *", partition_selector=lambda _c, ps: [Partition("green")])
    assert picked.evaluate_tick(_ctx(2021, 1, 1)).skip_message == \
        "Partition selector returned partition not in the partition set: green."
    newest = schedule_from_partitions(colors, cron_schedule="0 0 * * *")
    assert newest.name == "colors_schedule"
    assert [r.run_key for r in newest.evaluate_tick(_ctx(2021, 1, 1)).run_requests] == ["blue"]


def test_date_partition_range() -> None:
    days = date_partition_range(datetime.datetime(2021, 1, 30), datetime.datetime(2021, 2, 2))
    assert [p.name for p in days()] == ["2021-01-30", "2021-01-31", "2021-02-01"]
    inclusive = date_partition_range(datetime.datetime(2021, 1, 30),
                                     datetime.datetime(2021, 2, 2), inclusive=True)
    assert [p.name for p in inclusive()][-1] == "2021-02-02"
    with pytest.raises(DagsterInvariantViolationError, match="is after date range end"):
        date_partition_range(datetime.datetime(2021, 2, 2), datetime.datetime(2021, 1, 1))


# -- sensors --------------------------------------------------------------------------------------
def test_sensor_tick_cursor_and_returns() -> None:
    @sensor(pipeline_name="p", minimum_interval_seconds=5)
    def files(context):
        context.update_cursor("b")
        yield RunRequest("a", {"x": 1}, {"k": "v"})

    data = files.evaluate_tick(build_sensor_context(cursor="a"))
    assert (data.run_requests, data.cursor) == ([RunRequest("a", {"x": 1}, {"k": "v"})], "b")
    assert files.minimum_interval_seconds == 5

    @sensor(pipeline_name="p")
    def mixed():
        yield RunRequest("a")
        yield SkipReason("x")

    with pytest.raises(SensorExecutionError, match="received both RunRequest and SkipReason"):
        mixed.evaluate_tick(build_sensor_context())

    @sensor()
    def untargeted():
        return RunRequest(None)

    with pytest.raises(SensorExecutionError, match="lacking a specified target"):
        untargeted.evaluate_tick(build_sensor_context())

    @sensor(pipeline_name="p")
    def bad_cursor(context):
        context.update_cursor(3)

    with pytest.raises(DagsterInvariantViolationError, match="cursor is a string"):
        bad_cursor.evaluate_tick(build_sensor_context())


# -- repositories -------------------------------------------------------------------------------
def test_repository_carries_schedules_sensors_and_partition_sets() -> None:
    @daily_schedule(pipeline_name="daily_pipeline", start_date=datetime.datetime(2021, 1, 1))
    def daily(date):
        return {}

    @sensor(pipeline_name="daily_pipeline")
    def watch():
        return None

    @repository
    def listed():
        return [daily_pipeline, daily, watch]

    @repository
    def lazy():
        return {"pipelines": {"daily_pipeline": lambda: daily_pipeline},
                "schedules": {"daily": lambda: daily}, "sensors": {"watch": watch}}

    for repo in (listed, lazy):
        assert [s.name for s in repo.schedule_defs] == ["daily"]
        assert [s.name for s in repo.sensor_defs] == ["watch"]
        assert [p.name for p in repo.partition_set_defs] == ["daily_partitions"]
        assert repo.get_schedule_def("daily") is daily

    with pytest.raises(DagsterInvalidDefinitionError,
                       match='Sensor "watch" targets pipeline "daily_pipeline" which was not '
                             'found in repository "orphan"'):
        @repository
        def orphan():
            return [watch]

    @sensor(pipeline_name="daily_pipeline", name="daily")
    def clash():
        return None

    with pytest.raises(DagsterInvalidDefinitionError, match="share one name space"):
        @repository
        def clashing():
            return [daily_pipeline, daily, clash]


def test_the_repository_snapshot_carries_schedules_sensors_and_partition_sets(tmp_path) -> None:
    from orch.core.workspace import WorkspaceTarget, load_workspace, repository_snapshot

    repo = tmp_path / "repo.py"
    repo.write_text("""
import datetime
from orch import daily_schedule, pipeline, repository, sensor, solid

@solid
def s(_):
    return 1

@pipeline
def p():
    s()

@daily_schedule(pipeline_name="p", start_date=datetime.datetime(2021, 1, 1),
                execution_timezone="Europe/Berlin")
def nightly(date):
    return {}

@sensor(pipeline_name="p", minimum_interval_seconds=45)
def watch():
    return None

@repository
def team():
    return [p, nightly, watch]
""")
    snapshot = repository_snapshot(load_workspace(WorkspaceTarget(python_file=str(repo))))
    [entry] = snapshot.repositories
    assert entry["partition_sets"] == ["nightly_partitions"]
    assert snapshot.data["schedules"] == [{
        "name": "nightly", "pipeline_name": "p", "cron_schedule": "0 0 * * *", "mode": "default",
        "execution_timezone": "Europe/Berlin", "partition_set": "nightly_partitions",
        "repository": "team"}]
    assert snapshot.data["sensors"] == [{
        "name": "watch", "pipeline_name": "p", "mode": "default",
        "minimum_interval_seconds": 45, "sensor_type": "standard", "repository": "team"}]
