"""Pauses: where work may start, where it ends, the latest start for an end, checked against
walking the minutes one by one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler_core.planning.pauses import NO_PAUSES, Pauses


def _windows(raw: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-empty windows from gaps and lengths."""
    out, t = [], 0
    for gap, length in raw:
        t += gap
        out.append((t, t + length))
        t += length
    return out


pause_lists = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), max_size=6).map(_windows)


def _paused(windows: list[tuple[int, int]], t: int) -> bool:
    return any(a <= t < b for a, b in windows)


def _slow_end(windows: list[tuple[int, int]], s: int, d: int) -> int:
    t, left = s, d
    while left:
        if not _paused(windows, t):
            left -= 1
        t += 1
    return t


@settings(max_examples=300, deadline=None)
@given(pause_lists, st.integers(0, 120), st.integers(0, 40))
def test_end_counts_only_working_minutes(windows: list[tuple[int, int]], t: int, d: int) -> None:
    p = Pauses(windows)
    s = p.start(t)
    assert s >= t and not _paused(windows, s)
    assert all(_paused(windows, x) for x in range(t, s))  # nothing workable skipped
    e = p.end(s, d)
    assert e == _slow_end(windows, s, d)
    assert p.work(s, e) == d
    assert d == 0 or not _paused(windows, e - 1)  # the last minute is worked


@settings(max_examples=300, deadline=None)
@given(pause_lists, st.integers(0, 160), st.integers(1, 40))
def test_latest_start_is_the_latest_that_ends_in_time(windows: list[tuple[int, int]], e: int, d: int) -> None:
    p = Pauses(windows)
    s = p.latest_start(e, d)
    assert not _paused(windows, s)
    if s >= 0:
        assert p.end(s, d) <= e
    later = [x for x in range(s + 1, e + 1) if not _paused(windows, x) and _slow_end(windows, x, d) <= e]
    assert not later


def test_a_day_shift_machine_in_a_factory_that_also_works_nights() -> None:
    # the axis: day 0-480, night 480-960, day 960-1440; the machine works days only
    saw = Pauses([(480, 960)])
    assert saw.end(400, 530) == 400 + 530 + 480  # 80 minutes today, the night waited through, 450 tomorrow
    assert saw.end(0, 480) == 480  # done as the pause begins: ends there
    assert saw.start(500) == 960
    assert saw.latest_start(1440, 480) == 960
    assert saw.latest_start(1000, 100) == 420  # 60 before the night, 40 after it
    assert saw.paused(400, 1400) == 480 and saw.work(400, 1400) == 520


def test_without_pauses_it_is_arithmetic() -> None:
    assert not NO_PAUSES
    assert NO_PAUSES.end(10, 5) == 15 and NO_PAUSES.start(7) == 7 and NO_PAUSES.latest_start(20, 5) == 15


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValueError):
        Pauses([(10, 5)])
    with pytest.raises(ValueError):
        Pauses([(0, 10), (5, 20)])
