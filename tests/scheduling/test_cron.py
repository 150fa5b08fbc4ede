"""Cron semantics: five-field validation, no month-end drift, DST in two time zones, and a
property test of the iterator against a brute-force minute-by-minute reference over 2025
(which has both DST changes in every zone used)."""

from __future__ import annotations

import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from orch.core.errors import DagsterInvalidDefinitionError
from orch.core.scheduling.cron import cron_problem, ticks_between, validate_cron

UTC = datetime.UTC


def _local(cron: str, tz: str, start: str, end: str) -> list[str]:
    z = ZoneInfo(tz)
    begin = datetime.datetime.fromisoformat(start).replace(tzinfo=z)
    until = datetime.datetime.fromisoformat(end).replace(tzinfo=z)
    return [t.isoformat() for t in ticks_between(cron, tz, begin, until)]


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("cron", "needle"), [
    ("@daily", "it has 1 field; a cron schedule has exactly 5"),
    ("* * * *", "it has 4 fields"),
    ("0 * * * * *", "it has 6 fields"),
    ("61 * * * *", 'field 1 (minute) "61" is not valid: use 0-59'),
    ("0 24 * * *", 'field 2 (hour) "24" is not valid: use 0-23'),
    ("0 0 * * 8", 'field 5 (day of week) "8" is not valid'),
    ("0 0 30 2 *", "it can never fire"),
])
def test_invalid_cron_strings_say_what_is_wrong(cron: str, needle: str) -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as info:
        validate_cron(cron, 'schedule "nightly"')
    assert str(info.value).startswith(f"Invalid cron schedule {cron!r} for schedule \"nightly\": ")
    assert needle in str(info.value)


def test_valid_cron_strings_pass() -> None:
    for cron in ("0 0 * * *", "*/15 * * * *", "0 9 * * MON-FRI", "0 0 1,15 * *", "0 0 31 * *"):
        assert cron_problem(cron) is None


# -- month end and DST, by example -----------------------------------------------------------------
def test_day_31_fires_only_in_months_that_have_one() -> None:
    ticks = _local("0 0 31 * *", "UTC", "2021-01-01T00:00", "2021-12-31T23:00")
    assert [t[:10] for t in ticks] == ["2021-01-31", "2021-03-31", "2021-05-31", "2021-07-31",
                                       "2021-08-31", "2021-10-31", "2021-12-31"]


@pytest.mark.parametrize(("tz", "spring", "fall", "std", "dst"), [
    ("America/Chicago", "2021-03-14", "2021-11-07", "-06:00", "-05:00"),
    ("Europe/Berlin", "2021-03-28", "2021-10-31", "+01:00", "+02:00"),
])
def test_dst_in_two_time_zones(tz: str, spring: str, fall: str, std: str, dst: str) -> None:
    # Spring forward: 02:30 does not exist that night; the tick moves to 03:00, once.
    assert _local("30 2 * * *", tz, f"{spring}T00:00", f"{spring}T23:59") == \
        [f"{spring}T03:00:00{dst}"]
    day_after = (datetime.date.fromisoformat(spring) + datetime.timedelta(days=1)).isoformat()
    assert _local("30 2 * * *", tz, f"{day_after}T00:00", f"{day_after}T23:59") == \
        [f"{day_after}T02:30:00{dst}"]
    # Fall back: 02:30 (Berlin) / 01:30 (Chicago) happens twice; a fixed-time schedule fires
    # once, at the first.
    repeated = "01:30" if tz == "America/Chicago" else "02:30"
    hour, minute = repeated.split(":")[0], repeated.split(":")[1]
    assert _local(f"{int(minute)} {int(hour)} * * *", tz, f"{fall}T00:00", f"{fall}T23:59") == \
        [f"{fall}T{repeated}:00{dst}"]
    # Hourly: every real hour; the repeated hour twice, the missing one not at all.
    fall_hours = _local("0 * * * *", tz, f"{fall}T00:00", f"{fall}T04:00")
    assert len(fall_hours) == 6
    assert f"{fall}T{int(hour):02d}:00:00{dst}" in fall_hours and \
        f"{fall}T{int(hour):02d}:00:00{std}" in fall_hours
    spring_hours = _local("0 * * * *", tz, f"{spring}T00:00", f"{spring}T04:00")
    assert len(spring_hours) == 4 and not any("T02:00" in t for t in spring_hours)
    # A generic cron string: the missing half hours are skipped, nothing is duplicated.
    half = _local("*/30 * * * *", tz, f"{spring}T01:00", f"{spring}T03:30")
    assert half == [f"{spring}T01:00:00{std}", f"{spring}T01:30:00{std}",
                    f"{spring}T03:00:00{dst}", f"{spring}T03:30:00{dst}"]


def test_iteration_is_inclusive_and_in_the_schedule_zone() -> None:
    start = datetime.datetime(2021, 6, 1, 5, 0, tzinfo=UTC)  # 00:00 in Chicago (CDT)
    ticks = ticks_between("0 0 * * *", "America/Chicago", start,
                          start + datetime.timedelta(days=1))
    assert [t.isoformat() for t in ticks] == ["2021-06-01T00:00:00-05:00",
                                              "2021-06-02T00:00:00-05:00"]


# -- property test against a brute-force reference ---------------------------------------------------
YEAR_START, YEAR_END = datetime.datetime(2025, 1, 1), datetime.datetime(2026, 1, 1)
# Two DST zones on opposite sides of the equator, and one that moves by half an hour.
ZONES = ["America/Chicago", "Europe/Berlin", "Australia/Lord_Howe"]


@cache
def _real_minutes(tz: str) -> tuple[list[int], list[tuple[int, int, int, int, int]]]:
    """Every real minute of the local year 2025: its UTC timestamp and its local
    (minute, hour, day, month, cron weekday)."""
    zone = ZoneInfo(tz)
    start = int(YEAR_START.replace(tzinfo=zone).timestamp())
    end = int(YEAR_END.replace(tzinfo=zone).timestamp())
    stamps, fields = [], []
    for ts in range(start, end, 60):
        local = datetime.datetime.fromtimestamp(ts, zone)
        stamps.append(ts)
        fields.append((local.minute, local.hour, local.day, local.month,
                       (local.weekday() + 1) % 7))
    return stamps, fields


@cache
def _wall_minutes(tz: str) -> tuple[list[int], list[tuple[int, int, int, int, int]]]:
    """Every wall-clock minute of the local year 2025 (each once, whether the zone skips or
    repeats it) and the instant it fires at under the fixed-time rule: its first occurrence,
    or for a time that does not exist the first valid wall time after it."""
    zone = ZoneInfo(tz)

    def first_real(wall: datetime.datetime) -> int:  # minute by minute, from `wall` on
        probe = wall
        while True:
            aware = probe.replace(tzinfo=zone, fold=0)
            if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == probe:
                return int(aware.timestamp())
            probe += datetime.timedelta(minutes=1)

    stamps, fields = [], []
    hour = YEAR_START
    while hour < YEAR_END:
        base, following = first_real(hour), first_real(hour + datetime.timedelta(hours=1))
        plain = following - base == 3600 and \
            datetime.datetime.fromtimestamp(base, zone).replace(tzinfo=None) == hour
        for minute in range(60):
            wall = hour + datetime.timedelta(minutes=minute)
            # An ordinary hour is 60 real minutes; around a change each minute is resolved
            # on its own.
            stamps.append(base + 60 * minute if plain else first_real(wall))
            fields.append((wall.minute, wall.hour, wall.day, wall.month,
                           (wall.weekday() + 1) % 7))
        hour += datetime.timedelta(hours=1)
    return stamps, fields


def _field(values: st.SearchStrategy[int], lo: int, hi: int, small: bool = False
           ) -> st.SearchStrategy[tuple[str, frozenset[int]]]:
    everything = frozenset(range(lo, hi + 1))
    single = values.map(lambda v: (str(v), frozenset({v})))
    listed = st.lists(values, min_size=2, max_size=3, unique=True).map(
        lambda vs: (",".join(map(str, sorted(vs))), frozenset(vs)))
    spans = st.tuples(values, st.integers(1, 3 if small else 6)).map(
        lambda t: (f"{t[0]}-{min(t[0] + t[1], hi)}",
                   frozenset(range(t[0], min(t[0] + t[1], hi) + 1))))
    steps = st.integers(15 if small else 2, 30 if small else 12).map(
        lambda k: (f"*/{k}", frozenset(range(lo, hi + 1, k))))
    options = [single, listed, spans, steps]
    if not small:
        options.append(st.just(("*", everything)))
    return st.one_of(options)


@st.composite
def cron_strings(draw: st.DrawFn) -> tuple[str, list[frozenset[int]], list[bool]]:
    parts = [
        draw(_field(st.integers(0, 59), 0, 59, small=True)),
        draw(_field(st.integers(0, 23), 0, 23)),
        draw(st.one_of(st.just(("*", frozenset(range(1, 32)))), _field(st.integers(1, 31), 1, 31))),
        draw(st.one_of(st.just(("*", frozenset(range(1, 13)))), _field(st.integers(1, 12), 1, 12))),
        draw(st.one_of(st.just(("*", frozenset(range(0, 7)))), _field(st.integers(0, 6), 0, 6))),
    ]
    return (" ".join(p[0] for p in parts), [p[1] for p in parts],
            [p[0].startswith("*") for p in parts])


def _reference(tz: str, sets: list[frozenset[int]], stars: list[bool]) -> list[int]:
    fixed = not stars[0] and not stars[1]
    stamps, fields = _wall_minutes(tz) if fixed else _real_minutes(tz)
    minutes, hours, days, months, weekdays = sets
    both_days = stars[2] or stars[4]  # Debian cron: a '*' in either day field means AND
    fired: set[int] = set()
    for ts, (mi, h, d, mo, wd) in zip(stamps, fields, strict=True):
        if mi not in minutes or h not in hours or mo not in months:
            continue
        day_ok = (d in days and wd in weekdays) if both_days else (d in days or wd in weekdays)
        if day_ok:
            fired.add(ts)
    return sorted(fired)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cron=cron_strings(), tz=st.sampled_from(ZONES))
# Found by this test: cronsim's own zone handling skips 02:00 (+10:30) the night Lord Howe
# Island moves back half an hour; orch matches the calendar on naive times itself.
@example(cron=("0 */2 * * *", [frozenset({0}), frozenset(range(0, 24, 2)),
                               frozenset(range(1, 32)), frozenset(range(1, 13)),
                               frozenset(range(7))], [False, True, True, True, True]),
         tz="Australia/Lord_Howe")
def test_ticks_match_a_minute_by_minute_reference(
        cron: tuple[str, list[frozenset[int]], list[bool]], tz: str) -> None:
    text, sets, stars = cron
    assume(cron_problem(text) is None)
    zone = ZoneInfo(tz)
    start, end = YEAR_START.replace(tzinfo=zone), YEAR_END.replace(tzinfo=zone)
    ticks = [int(t.timestamp()) for t in ticks_between(text, tz, start,
                                                       end - datetime.timedelta(seconds=1))]
    assert ticks == _reference(tz, sets, stars), text


@settings(max_examples=40, deadline=None)
@given(cron=st.sampled_from(["* * * * *", "*/7 * * * *", "0 0 * * *", "30 2 * * 0",
                             "0 0 29 2 *", "15 3 1 */3 *"]),
       tz=st.sampled_from(["UTC", "America/Chicago"]),
       days=st.integers(0, 400), count=st.integers(1, 6))
def test_latest_ticks_is_the_tail_of_ticks_between(cron: str, tz: str, days: int,
                                                   count: int) -> None:
    from orch.core.scheduling.cron import latest_ticks

    start = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    until = start + datetime.timedelta(days=days, minutes=days * 7 % 1440)
    naive_tail = ticks_between(cron, tz, start, until)[-count:] if cron != "* * * * *" or \
        days < 3 else ticks_between(cron, tz, until - datetime.timedelta(days=1), until)[-count:]
    assert latest_ticks(cron, tz, start, until, count) == naive_tail
