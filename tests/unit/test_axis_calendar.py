from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler_core.domain.calendar import (
    TWO_SHIFTS,
    Shift,
    WorkCalendar,
    merge_intervals,
    subtract_intervals,
)
from scheduler_core.domain.timegrid import TimeGrid
from scheduler_core.planning.axis import Axis
from tests.builders import NOW, TZ


def test_naive_datetimes_are_rejected():
    grid = TimeGrid.starting(NOW, TZ)
    with pytest.raises(ValueError, match="naive"):
        grid.minutes(datetime(2026, 1, 1))


def test_grid_round_trips_minutes_in_factory_timezone():
    grid = TimeGrid.starting(NOW, "Asia/Shanghai")
    assert grid.minutes(NOW + timedelta(hours=2, seconds=59)) == 120
    assert grid.at(90) == NOW + timedelta(minutes=90)
    assert grid.at(90).tzinfo is not None


def test_two_shift_calendar_has_a_night_gap_and_no_sunday():
    grid = TimeGrid.starting(NOW, TZ)  # Monday 08:00
    windows = TWO_SHIFTS.working_intervals(grid, NOW, NOW + timedelta(days=7))
    # Monday 08:00-24:00 is one merged window of 16 h; Sunday has none
    assert windows[0] == (0, 16 * 60)
    assert windows[1] == (24 * 60, 40 * 60)
    assert len(windows) == 6
    assert sum(b - a for a, b in windows) == 6 * 16 * 60


def test_holidays_remove_the_day_and_shifts_may_cross_midnight():
    night = WorkCalendar("night", {d: (Shift(time(22, 0), time(6, 0)),) for d in range(1, 8)},
                         frozenset({date(2026, 11, 24)}))
    grid = TimeGrid.starting(NOW, TZ)
    windows = night.working_intervals(grid, NOW, NOW + timedelta(days=3))
    # Monday 22:00 -> Tuesday 06:00; Tuesday is a holiday; Wednesday 22:00 -> Thursday 06:00 clipped
    assert windows[0] == (14 * 60, 22 * 60)
    assert windows[1][0] == (14 + 48) * 60


def test_axis_skips_gaps_both_ways():
    ax = Axis([(0, 10), (20, 30), (40, 50)])
    assert [ax.to_axis(m) for m in (0, 10, 15, 20, 45, 60)] == [0, 10, 10, 10, 25, 30]
    # work starting at axis 10 begins after the gap; work ending at axis 10 ends before it
    assert ax.start_at(10) == 20
    assert ax.end_at(10) == 10
    assert ax.end_at(25) == 45


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 40)), min_size=1, max_size=12), st.integers(0, 600))
def test_axis_maps_working_minutes_monotonically(raw, probe):
    windows = merge_intervals((a, a + n) for a, n in raw)
    ax = Axis(windows)
    x = ax.to_axis(probe)
    assert 0 <= x <= ax.length
    if x < ax.length:
        s = ax.start_at(x)
        assert s >= probe and any(a <= s < b for a, b in windows)
        assert ax.to_axis(s) == x


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30)), max_size=8),
       st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30)), max_size=8))
def test_subtract_intervals_is_set_difference(base, cut):
    b = [(a, a + n) for a, n in base]
    c = [(a, a + n) for a, n in cut]
    expect = {m for a, e in b for m in range(a, e)} - {m for a, e in c for m in range(a, e)}
    got = subtract_intervals(b, c)
    assert {m for a, e in got for m in range(a, e)} == expect


def test_the_first_working_minute_skips_nights_and_sundays():
    saturday_night = datetime(2026, 11, 28, 23, 30, tzinfo=TZ)  # two shifts end at midnight; Sunday is off
    grid = TimeGrid.starting(saturday_night, TZ)
    assert TWO_SHIFTS.first_working(grid, saturday_night, saturday_night + timedelta(days=3)) == saturday_night
    sunday = datetime(2026, 11, 29, 0, 0, tzinfo=TZ)
    grid = TimeGrid.starting(sunday, TZ)
    assert TWO_SHIFTS.first_working(grid, sunday, sunday + timedelta(days=3)) == datetime(2026, 11, 30, 8, tzinfo=TZ)
    assert TWO_SHIFTS.first_working(grid, sunday, sunday + timedelta(days=1)) is None


def test_the_demo_starts_at_the_next_shift_when_the_factory_is_closed():
    from bot.demo import _next_working

    sunday = datetime(2026, 11, 29, 3, 0, tzinfo=TZ)
    assert _next_working(sunday, [TWO_SHIFTS], "Asia/Shanghai") == datetime(2026, 11, 30, 8, tzinfo=TZ)
    monday = datetime(2026, 11, 30, 9, 15, tzinfo=TZ)
    assert _next_working(monday, [TWO_SHIFTS], "Asia/Shanghai") == monday
