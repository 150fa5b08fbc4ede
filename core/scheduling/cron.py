"""Cron strings and time zones: validation and timezone-aware iteration.

Parsing and iteration come from ``cronsim`` (imported on first use, so importing a repository
or starting the CLI does not pay for it); time zones from :mod:`zoneinfo`. The semantics are
Debian cron's, which cronsim follows:

- A cron string has exactly five fields (minute hour day-of-month month day-of-week);
  ``@daily`` and six-field strings are rejected with a message that says so.
- Real calendar matching: ``0 0 31 * *`` fires only in months that have a 31st (no month-end
  drift), and a string that can never fire (``0 0 30 2 *``) is rejected.
- Day-of-month and day-of-week: when either field starts with ``*`` both must match,
  otherwise either may (Debian cron).
- Daylight saving time, for a schedule whose minute and hour fields are both fixed (neither
  starts with ``*``): a local time that does not exist (spring forward) fires once at the
  first valid local time after it (``30 2 * * *`` in America/Chicago fires at 03:00 that
  day); a local time that happens twice (fall back) fires once, at its first occurrence.
- A schedule with ``*`` in its minute or hour field (``0 * * * *``, ``*/15 * * * *``) fires
  at every matching instant of real time: across fall back the repeated hour fires twice
  (01:00 CDT and 01:00 CST), across spring forward the missing hour is skipped.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import DagsterInvalidDefinitionError

UTC = datetime.UTC
FIELDS = ("minute", "hour", "day of month", "month", "day of week")


# A cron string or a time zone that cannot be used is a definition error.
CronError = DagsterInvalidDefinitionError


def cron_problem(cron: str) -> str | None:
    """Why ``cron`` is not a usable five-field cron string, or None when it is."""
    if not isinstance(cron, str):
        return f"a cron schedule is a string, got {type(cron).__name__}"
    fields = cron.split()
    if len(fields) != 5:
        return (f"it has {len(fields)} field{'s' if len(fields) != 1 else ''}; a cron schedule "
                f"has exactly 5: {' '.join(FIELDS)} (e.g. \"0 3 * * *\" for 03:00 every day)")
    from cronsim import CronSim, CronSimError

    try:
        CronSim(cron, datetime.datetime(2000, 1, 1))
    except (CronSimError, ValueError, KeyError, IndexError) as e:
        return _field_problem(fields) or f"it cannot be parsed ({e})"
    return None


_RANGES = ("0-59", "0-23", "1-31", "1-12 or JAN-DEC", "0-7 or SUN-SAT")


def _field_problem(fields: list[str]) -> str | None:
    """Which field of a five-field string is wrong (each checked alone, the others ``*``)."""
    from cronsim import CronSim, CronSimError

    for index, value in enumerate(fields):
        alone = ["*"] * 5
        alone[index] = value
        try:
            CronSim(" ".join(alone), datetime.datetime(2000, 1, 1))
        except (CronSimError, ValueError, KeyError, IndexError):
            return (f'field {index + 1} ({FIELDS[index]}) "{value}" is not valid: use '
                    f"{_RANGES[index]}, *, lists (1,5), ranges (1-5) and steps (*/15)")
    return ("it can never fire: no month in its month field has the day of month it "
            "names")


def validate_cron(cron: str, owner: str) -> str:
    """``cron`` itself, or :class:`CronError` naming ``owner`` and what is wrong."""
    problem = cron_problem(cron)
    if problem is not None:
        raise CronError(f"Invalid cron schedule {cron!r} for {owner}: {problem}.")
    return cron


@lru_cache(maxsize=256)
def get_timezone(name: str | None) -> datetime.tzinfo:
    """The zone called ``name`` (an IANA name such as "America/Chicago"); None means UTC."""
    if name is None or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise CronError(f'Unknown time zone "{name}": use an IANA name such as '
                        '"America/Chicago" or "Europe/Berlin".') from e


def validate_timezone(name: str | None, owner: str) -> str | None:
    if name is None:
        return None
    try:
        get_timezone(name)
    except CronError as e:
        raise CronError(f"Invalid execution timezone {name!r} for {owner}: {e}") from None
    return name


def as_aware(moment: datetime.datetime | float, tz: datetime.tzinfo = UTC) -> datetime.datetime:
    """A timestamp or datetime as an aware datetime in ``tz`` (naive means UTC)."""
    if isinstance(moment, int | float):
        return datetime.datetime.fromtimestamp(moment, tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def resolve_wall_time(naive: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
    """The wall-clock time ``naive`` in ``tz``: its first occurrence when it happens twice,
    and the first valid time after it when it does not exist."""
    aware = naive.replace(tzinfo=tz, fold=0)
    if _exists(aware, naive, tz):
        return aware
    probe = naive.replace(second=0, microsecond=0)
    while True:
        probe += datetime.timedelta(minutes=1)
        candidate = probe.replace(tzinfo=tz, fold=0)
        if _exists(candidate, probe, tz):
            return candidate


def _exists(aware: datetime.datetime, naive: datetime.datetime, tz: datetime.tzinfo) -> bool:
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


_SCAN = datetime.timedelta(hours=6)  # no zone changes its offset twice within 6 hours


@lru_cache(maxsize=1024)
def _transitions(tz: datetime.tzinfo, year: int) -> tuple[datetime.datetime, ...]:
    """The UTC instants in ``year`` at which ``tz`` changes its UTC offset."""
    found: list[datetime.datetime] = []
    moment = datetime.datetime(year, 1, 1, tzinfo=UTC)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment < end:
        following = moment + _SCAN
        new_offset = following.astimezone(tz).utcoffset()
        if new_offset != offset:
            low, high = moment, following  # the change is in (low, high]
            while high - low > datetime.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
            offset = new_offset
        moment = following
    return tuple(found)


def _next_transition(tz: datetime.tzinfo, after: datetime.datetime
                     ) -> datetime.datetime | None:
    """The first offset change of ``tz`` strictly after ``after`` (within two years)."""
    if tz is UTC:
        return None
    for year in (after.year, after.year + 1, after.year + 2):
        for change in _transitions(tz, year):
            if change > after:
                return change
    return None


def _is_fixed_time(cron: str) -> bool:
    minute, hour = cron.split()[:2]
    return not minute.startswith("*") and not hour.startswith("*")


def cron_ticks(cron: str, timezone: str | None,
               start: datetime.datetime | float) -> Iterator[datetime.datetime]:
    """The cron's fire times at or after ``start``, in order, as aware datetimes in the
    schedule's zone (UTC when ``timezone`` is None). Infinite for a valid cron string.

    cronsim only matches the calendar here, on naive datetimes; the time-zone rules of the
    module docstring are applied around it."""
    tz = get_timezone(timezone)
    begin = as_aware(start, UTC)
    if begin.microsecond:
        begin = begin.replace(microsecond=0) + datetime.timedelta(seconds=1)
    moments = _wall_clock_ticks(cron, tz, begin) if _is_fixed_time(cron) and tz is not UTC \
        else _real_time_ticks(cron, tz, begin)
    for moment in moments:
        yield moment.astimezone(tz)


def _naive_matches(cron: str, after: datetime.datetime) -> Iterator[datetime.datetime]:
    """Naive datetimes matching ``cron`` at or after the naive ``after``."""
    from cronsim import CronSim

    # cronsim yields times strictly after the one it is given: a step back makes it inclusive.
    return CronSim(cron, after - datetime.timedelta(seconds=1))


def _wall_clock_ticks(cron: str, tz: datetime.tzinfo, begin: datetime.datetime
                      ) -> Iterator[datetime.datetime]:
    """Fixed-time crons: each matching wall-clock time once (first occurrence; a missing
    one at the first valid time after it)."""
    previous: datetime.datetime | None = None
    for naive in _naive_matches(cron, begin.astimezone(tz).replace(tzinfo=None)):
        moment = resolve_wall_time(naive, tz).astimezone(UTC)
        if moment < begin or (previous is not None and moment <= previous):
            continue  # already fired (a repeated time's first occurrence, or a gap's end)
        previous = moment
        yield moment


def _real_time_ticks(cron: str, tz: datetime.tzinfo, begin: datetime.datetime
                     ) -> Iterator[datetime.datetime]:
    """Other crons: every instant whose local time matches. Between two offset changes
    local time is UTC plus a constant, so each such stretch is matched on its own."""
    segment_start = begin
    while True:
        offset = segment_start.astimezone(tz).utcoffset() or datetime.timedelta(0)
        segment_end = _next_transition(tz, segment_start)
        local_begin = (segment_start + offset).replace(tzinfo=None)
        for naive in _naive_matches(cron, local_begin):
            moment = (naive - offset).replace(tzinfo=UTC)
            if segment_end is not None and moment >= segment_end:
                break
            yield moment
        else:
            return
        segment_start = segment_end


def ticks_between(cron: str, timezone: str | None, after: datetime.datetime | float,
                  until: datetime.datetime | float, limit: int | None = None
                  ) -> list[datetime.datetime]:
    """Fire times t with ``after`` <= t <= ``until`` (at most ``limit``, the earliest)."""
    end = as_aware(until)
    found: list[datetime.datetime] = []
    for moment in cron_ticks(cron, timezone, after):
        if moment > end or (limit is not None and len(found) >= limit):
            break
        found.append(moment)
    return found


def latest_ticks(cron: str, timezone: str | None, after: datetime.datetime | float,
                 until: datetime.datetime | float, count: int) -> list[datetime.datetime]:
    """The last ``count`` fire times t with ``after`` <= t <= ``until``, oldest first:
    ``ticks_between(...)[-count:]`` without walking the whole span (a minutely schedule
    that nothing evaluated for a year has half a million). The look-back doubles from one
    minute until it holds ``count`` times or reaches ``after``."""
    begin, end = as_aware(after), as_aware(until)
    span = datetime.timedelta(minutes=1)
    while True:
        start = max(begin, end - span)
        found = ticks_between(cron, timezone, start, end)
        if len(found) >= count or start == begin:
            return found[-count:] if count else []
        span *= 2


def next_ticks(cron: str, timezone: str | None, after: datetime.datetime | float,
               count: int) -> list[datetime.datetime]:
    """The next ``count`` fire times at or after ``after``."""
    found: list[datetime.datetime] = []
    for moment in cron_ticks(cron, timezone, after):
        found.append(moment)
        if len(found) >= count:
            break
    return found
