"""What the schedules-and-sensors pane shows, read from the repository snapshot (the app
never imports user code) and the instance: typed rows the screen only draws.

A schedule's next tick is computed from its cron string in its own zone; a sensor's is its
last evaluation plus its minimum interval (or "next pass" when it never ran). Backfill
progress counts the runs tagged with the backfill's id.
"""

from __future__ import annotations

import bisect
import datetime
import heapq
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orch.core.runs import PipelineRunStatus
from orch.core.scheduling.cron import get_timezone, next_ticks
from orch.core.scheduling.ticks import Instigator
from orch.core.storage.schedules import Backfill, InstigatorType, Tick, selector_id

if TYPE_CHECKING:
    from orch.core.instance import Instance
    from orch.core.runs import PipelineRun

UPCOMING_HOURS = 24
MAX_TICKS_PER_SCHEDULE = 1500  # an every-minute schedule has 1440 in a day
UPCOMING_LISTED = 200  # rows in the upcoming list (the timeline shows them all)
TICK_CACHE_SECONDS = 3600  # how long one computation of a schedule's times serves


class TickCache:
    """Each schedule's cron times, computed once an hour rather than on every read.

    A cron string's fire times never change; only the window the pane shows moves. So one
    computation covers ``UPCOMING_HOURS`` plus the cache's hour, and a read cuts the window it
    needs out of it by bisection. Keyed by (cron, zone): a reload that changes either gets
    fresh times; the pane's one-per-second reads of an unchanged repository compute none.
    """

    def __init__(self, hours: int = UPCOMING_HOURS) -> None:
        self.hours = hours
        self._lock = threading.Lock()
        self._times: dict[tuple[str, str | None], tuple[float, list[float],
                                                        list[datetime.datetime]]] = {}

    def window(self, cron: str, zone: str | None, now: float
               ) -> tuple[list[float], list[datetime.datetime]]:
        """The fire times after ``now`` and within ``hours`` of it, soonest first, as
        timestamps and as times in the schedule's zone."""
        _, stamps, times = self._computed(cron, zone, now)
        first = bisect.bisect_right(stamps, now)
        last = bisect.bisect_right(stamps, now + self.hours * 3600)
        return stamps[first:last], times[first:last]

    def following(self, cron: str, zone: str | None, now: float) -> datetime.datetime:
        """The first fire time after ``now``."""
        _, stamps, times = self._computed(cron, zone, now)
        at = bisect.bisect_right(stamps, now)
        if at < len(times):
            return times[at]
        [after] = next_ticks(cron, zone, now + 1e-6, 1)  # rarer than hourly
        return after

    def _computed(self, cron: str, zone: str | None, now: float
                  ) -> tuple[float, list[float], list[datetime.datetime]]:
        key = (cron, zone)
        with self._lock:
            entry = self._times.get(key)
            if entry is None or not entry[0] <= now <= entry[0] + TICK_CACHE_SECONDS:
                end = now + self.hours * 3600 + TICK_CACHE_SECONDS
                times = []
                for when in next_ticks(cron, zone, now + 1e-6, MAX_TICKS_PER_SCHEDULE + 60):
                    if when.timestamp() > end:
                        break
                    times.append(when)
                entry = (now, [t.timestamp() for t in times], times)
                self._times[key] = entry
            return entry


@dataclass(frozen=True)
class InstigatorDefinition:
    """A schedule or sensor as the snapshot describes it (``_definition_summary``)."""

    kind: str  # "schedule" | "sensor"
    name: str
    repository: str
    origin: dict[str, Any]
    pipeline_name: str
    cron_schedule: str | None = None
    execution_timezone: str | None = None
    minimum_interval_seconds: int | None = None
    description: str | None = None

    @property
    def selector(self) -> str:
        return selector_id(self.repository, self.name)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.selector}"

    def instigator(self) -> Instigator:
        """Core's handle for turning it on and off (which reads no user code)."""
        itype = InstigatorType.SCHEDULE if self.kind == "schedule" else InstigatorType.SENSOR
        return Instigator(self.repository, self, itype, self.origin)


def definitions_of(snapshot: dict[str, Any]) -> list[InstigatorDefinition]:
    """The snapshot's schedules, then its sensors, in the order their repositories list them."""
    origins = {r["name"]: r.get("origin") or {} for r in snapshot.get("repositories") or []}
    found = []
    for kind, entries in (("schedule", snapshot.get("schedules")),
                          ("sensor", snapshot.get("sensors"))):
        for entry in entries or []:
            repository = str(entry.get("repository") or "")
            interval = entry.get("minimum_interval_seconds")
            found.append(InstigatorDefinition(
                kind, str(entry["name"]), repository, dict(origins.get(repository, {})),
                str(entry.get("pipeline_name") or ""), entry.get("cron_schedule"),
                entry.get("execution_timezone"),
                int(interval) if interval is not None else None, entry.get("description")))
    return found


@dataclass(frozen=True)
class InstigatorRow:
    definition: InstigatorDefinition
    running: bool
    next_tick: datetime.datetime | None  # in the schedule's zone; None: a stopped sensor
    last_tick: Tick | None
    cursor: str | None


def instigator_rows(instance: Instance, definitions: list[InstigatorDefinition],
                    now: float, ticks: TickCache | None = None) -> list[InstigatorRow]:
    ticks = ticks or TickCache()
    storage = instance.storage
    states = {s.selector_id: s for s in storage.all_instigator_states()}
    latest = storage.get_latest_ticks([d.selector for d in definitions])
    rows = []
    for d in definitions:
        state = states.get(d.selector)
        running = state is not None and state.is_running
        rows.append(InstigatorRow(d, running, next_tick(d, state.last_tick_timestamp
                                                        if state else None, running, now,
                                                        ticks),
                                  latest.get(d.selector), state.cursor if state else None))
    return rows


def next_tick(d: InstigatorDefinition, last_evaluated: float | None, running: bool,
              now: float, ticks: TickCache) -> datetime.datetime | None:
    if d.kind == "schedule" and d.cron_schedule:
        return ticks.following(d.cron_schedule, d.execution_timezone, now)
    if not running:
        return None
    due = now if last_evaluated is None else \
        max(now, last_evaluated + (d.minimum_interval_seconds or 30))
    return datetime.datetime.fromtimestamp(due, datetime.UTC).astimezone()


def until(moment: datetime.datetime, now: float) -> str:
    """``in 3 h 12 min`` (``now`` when due)."""
    seconds = int(moment.timestamp() - now)
    if seconds <= 0:
        return "now"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"in {days} d {hours} h"
    if hours:
        return f"in {hours} h {minutes} min"
    if minutes:
        return f"in {minutes} min" if minutes >= 10 or not secs else f"in {minutes} min {secs} s"
    return f"in {secs} s"


def age(timestamp: float, now: float) -> str:
    seconds = max(0, int(now - timestamp))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def zone_time(moment: datetime.datetime, zone: str | None) -> str:
    local = moment.astimezone(get_timezone(zone))
    return f"{local:%a %H:%M} {local.tzname()}"


def zone_stamp(timestamp: float, zone: str | None) -> str:
    """A tick's time in full, in the schedule's zone (``Tue 01 Dec 15:40:00 UTC``)."""
    local = datetime.datetime.fromtimestamp(timestamp, get_timezone(zone))
    return f"{local:%a %d %b %H:%M:%S} {local.tzname()}"


@dataclass(frozen=True)
class UpcomingTick:
    when: datetime.datetime
    definition: InstigatorDefinition
    running: bool


@dataclass(frozen=True)
class Upcoming:
    """Every schedule's next 24 h: its fire times for the timeline, by name in the order of
    their first tick, and the soonest ``UPCOMING_LISTED`` of all of them as rows."""

    times: dict[str, list[float]]
    soonest: list[UpcomingTick]


def upcoming_ticks(rows: list[InstigatorRow], now: float, ticks: TickCache) -> Upcoming:
    windows = [(row, *ticks.window(row.definition.cron_schedule,
                                   row.definition.execution_timezone, now))
               for row in rows if row.definition.kind == "schedule"
               and row.definition.cron_schedule]
    windows = [w for w in windows if w[1]]
    windows.sort(key=lambda w: (w[1][0], w[0].definition.name))
    merged = heapq.merge(*[zip(stamps[:UPCOMING_LISTED], itertools.repeat(row.definition.name),
                               when, itertools.repeat(row))
                           for row, stamps, when in windows])
    soonest = [UpcomingTick(t, row.definition, row.running)
               for _, _, t, row in itertools.islice(merged, UPCOMING_LISTED)]
    return Upcoming({row.definition.name: stamps for row, stamps, _ in windows}, soonest)


def timeline_marks(times: dict[str, list[float]], now: float, width: int,
                   hours: int = UPCOMING_HOURS) -> dict[str, str]:
    """Each schedule's next ``hours`` as ``width`` cells, by name: ``┃`` where it ticks,
    ``·`` where it does not."""
    step = hours * 3600 / width
    marks = {}
    for name, stamps in times.items():
        # Cell i holds the times in [now + i*step, now + (i+1)*step): a bisection per edge,
        # not a pass over an every-minute schedule's 1,440 times.
        at = [bisect.bisect_left(stamps, now + i * step) for i in range(width)] + [len(stamps)]
        at[0] = 0  # a time at or before now counts in the first cell
        marks[name] = "".join("┃" if at[i + 1] > at[i] else "·" for i in range(width))
    return marks


def timeline_axis(now: float, width: int, hours: int = UPCOMING_HOURS) -> str:
    """The local hour every three hours, placed where :func:`timeline_marks` puts them."""
    cells = [" "] * width
    start = datetime.datetime.fromtimestamp(now).astimezone()
    for h in range(0, hours, 3):
        moment = start + datetime.timedelta(hours=h)
        at = int(h / hours * width)
        label = f"{moment:%H}h"
        if at + len(label) <= width:
            cells[at:at + len(label)] = label
    return "".join(cells)


@dataclass(frozen=True)
class BackfillProgress:
    backfill: Backfill
    requested: int
    launched: int
    succeeded: int
    failed: int
    in_flight: int  # queued, starting or running


def backfill_progress(instance: Instance, backfill: Backfill) -> BackfillProgress:
    from orch.core.definitions.schedules import BACKFILL_ID_TAG

    runs: list[PipelineRun] = instance.get_runs(tags={BACKFILL_ID_TAG: backfill.backfill_id})
    by_status = Counter(r.status for r in runs)
    failed = by_status[PipelineRunStatus.FAILURE] + by_status[PipelineRunStatus.CANCELED]
    succeeded = by_status[PipelineRunStatus.SUCCESS]
    return BackfillProgress(backfill, len(backfill.partition_names), len(runs), succeeded,
                            failed, len(runs) - succeeded - failed)


def progress_bar(p: BackfillProgress, width: int = 20) -> list[tuple[str, str]]:
    """Segments (text, style): succeeded, failed, in flight, not launched yet."""
    total = max(p.requested, 1)
    parts = [(p.succeeded, "green"), (p.failed, "red"), (p.in_flight, "yellow")]
    segments = []
    used = 0
    for count, style in parts:
        cells = round(count / total * width)
        cells = min(cells, width - used)
        if cells:
            segments.append(("█" * cells, style))
            used += cells
    if used < width:
        segments.append(("░" * (width - used), "grey50"))
    return segments


@dataclass(frozen=True)
class QueuedRow:
    run: PipelineRun
    reason: str


def queued_rows(instance: Instance) -> list[QueuedRow]:
    from orch.core.run_coordinator import queue_reasons

    runs = instance.get_runs(statuses=[PipelineRunStatus.QUEUED])
    reasons = queue_reasons(instance) if runs else {}
    ordered = sorted(runs, key=lambda r: r.create_timestamp or 0)
    return [QueuedRow(r, reasons.get(r.run_id, "")) for r in ordered]


@dataclass(frozen=True)
class OrchestrationState:
    """One read of everything the pane shows."""

    instigators: list[InstigatorRow]
    upcoming: Upcoming
    queued: list[QueuedRow]
    backfills: list[BackfillProgress]
    now: float


def read_state(instance: Instance, definitions: list[InstigatorDefinition],
               now: float | None = None, ticks: TickCache | None = None
               ) -> OrchestrationState:
    """``ticks``: the screen's cache of cron times, kept between reads."""
    now = time.time() if now is None else now
    ticks = ticks or TickCache()
    rows = instigator_rows(instance, definitions, now, ticks)
    return OrchestrationState(rows, upcoming_ticks(rows, now, ticks), queued_rows(instance),
                              [backfill_progress(instance, b)
                               for b in instance.storage.get_backfills()], now)
