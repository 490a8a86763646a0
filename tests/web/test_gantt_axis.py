"""The Gantt's background: each machine's non-working time is shaded, in the factory's zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.web.ui.pages import _closed_time
from scheduler_core.domain.calendar import TWO_SHIFTS
from tests.builders import NOW, make_factory


def test_nights_and_sundays_are_shaded_per_machine() -> None:
    factory = make_factory(calendar=TWO_SHIFTS)  # 08:00-24:00 Monday to Saturday
    closed = _closed_time(factory, NOW, before=timedelta(0), after=timedelta(days=7))
    assert set(closed) == {"M1", "M2"}
    m1 = sorted(closed["M1"])
    tz = NOW.tzinfo
    # Monday night, and Saturday midnight through Monday 08:00 (the Sunday off)
    assert (datetime(2026, 11, 24, 0, tzinfo=tz), datetime(2026, 11, 24, 8, tzinfo=tz)) in m1
    assert (datetime(2026, 11, 29, 0, tzinfo=tz), datetime(2026, 11, 30, 8, tzinfo=tz)) in m1
    # never over working time: nothing shaded on Monday 08:00-24:00
    monday = (datetime(2026, 11, 23, 8, tzinfo=tz), datetime(2026, 11, 24, 0, tzinfo=tz))
    assert all(b <= monday[0] or a >= monday[1] for a, b in m1)
