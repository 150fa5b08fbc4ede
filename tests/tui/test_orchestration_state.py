"""What key 6 reads once a second: the upcoming ticks come from a cache of cron times that
matches computing them afresh, and an unchanged repository's reads compute no cron times
(before the cache, 50 every-minute schedules cost 2.3 s of CPU per one-second read)."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orch.core.instance import Instance
from orch.core.scheduling.cron import next_ticks
from orch.tui.services import orchestration as o

CRONS = ["* * * * *", "*/7 * * * *", "0 6 * * *", "30 2 * * 0", "15 */3 * * 1-5",
         "0 0 1 * *"]
ZONES = [None, "UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
START = datetime.datetime(2026, 3, 28, 12, 0, tzinfo=datetime.UTC).timestamp()  # a DST week


def _afresh(cron: str, zone: str | None, now: float, hours: int = 24) -> list[float]:
    found = []
    for when in next_ticks(cron, zone, now + 1e-6, hours * 60 + 1):  # every minute, at most
        if when.timestamp() > now + hours * 3600:
            break
        found.append(when.timestamp())
    return found


@settings(max_examples=30, deadline=None)  # ~0.3 s an example: cronsim's ~70 µs a tick
@given(cron=st.sampled_from(CRONS), zone=st.sampled_from(ZONES),
       offsets=st.lists(st.floats(0, 3 * 86400), min_size=1, max_size=6))
def test_cached_windows_match_computing_them_afresh(cron: str, zone: str | None,
                                                    offsets: list[float]) -> None:
    cache = o.TickCache()
    for offset in sorted(offsets):  # reads move forward in time, as the pane's do
        now = START + offset
        stamps, times = cache.window(cron, zone, now)
        assert stamps == _afresh(cron, zone, now)
        assert [t.timestamp() for t in times] == stamps
        assert cache.following(cron, zone, now).timestamp() == \
            next_ticks(cron, zone, now + 1e-6, 1)[0].timestamp()


@settings(max_examples=80, deadline=None)
@given(cron=st.sampled_from(CRONS), zone=st.sampled_from(ZONES),
       offset=st.floats(0, 86400), width=st.integers(24, 200))
def test_timeline_marks_a_cell_for_every_tick_it_holds(cron: str, zone: str | None,
                                                       offset: float, width: int) -> None:
    now = START + offset
    stamps = _afresh(cron, zone, now)
    [marks] = o.timeline_marks({"s": stamps}, now, width).values()
    expected = ["·"] * width
    for stamp in stamps:
        expected[min(int((stamp - now) / 86400 * width), width - 1)] = "┃"
    assert marks == "".join(expected)


def _definitions(count: int) -> list[o.InstigatorDefinition]:
    return [o.InstigatorDefinition("schedule", f"schedule_{i}", "repo", {}, "p",
                                   "* * * * *" if i < 5 else f"{i} * * * *",
                                   ZONES[i % len(ZONES)]) for i in range(count)] + \
        [o.InstigatorDefinition("sensor", f"files_{i}", "repo", {}, "p",
                                minimum_interval_seconds=1) for i in range(count)]


def test_an_unchanged_repository_is_read_without_computing_cron_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = []

    def counting(*args: object) -> list[datetime.datetime]:
        computed.append(args)
        return next_ticks(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(o, "next_ticks", counting)
    definitions = _definitions(50)
    cache = o.TickCache()
    now = time.time()
    with Instance.from_home(tmp_path) as instance:
        first = o.read_state(instance, definitions, now=now, ticks=cache)
        distinct = {(d.cron_schedule, d.execution_timezone) for d in definitions} - {(None, None)}
        assert len(computed) == len(distinct) == 50  # once per cron string and zone
        for second in range(1, 60):
            state = o.read_state(instance, definitions, now=now + second, ticks=cache)
        assert len(computed) == 50
    assert len(first.upcoming.soonest) == o.UPCOMING_LISTED
    assert len(state.upcoming.times) == 50
    assert [len(state.upcoming.times[f"schedule_{i}"]) for i in range(6)] == [1440] * 5 + [24]
    soonest = state.upcoming.soonest
    assert [t.when.timestamp() for t in soonest] == sorted(t.when.timestamp() for t in soonest)
    assert soonest[0].when.timestamp() > now + 59
