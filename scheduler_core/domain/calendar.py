"""Working calendars: weekly shifts, holidays and downtime windows.

A calendar answers one question: which minutes of the time grid are working minutes.
Shifts may cross midnight (22:00-06:00 belongs to the day it starts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from .timegrid import TimeGrid, ensure_aware

__all__ = ["LATE_SHIFTS", "TWO_SHIFTS", "Downtime", "Shift", "WorkCalendar", "as_planned", "merge_intervals", "stop_end", "subtract_intervals"]

Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Shift:
    """A working period of a day, ``start`` to ``end`` local time; end <= start crosses midnight."""

    start: time
    end: time

    @property
    def minutes(self) -> int:
        a = self.start.hour * 60 + self.start.minute
        b = self.end.hour * 60 + self.end.minute
        return b - a if b > a else b + 1440 - a


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Shifts per ISO weekday (1=Monday..7=Sunday) and holidays (no shift starts that day)."""

    name: str
    shifts: Mapping[int, tuple[Shift, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def working_intervals(self, grid: TimeGrid, start: datetime, end: datetime) -> list[Interval]:
        """Working windows overlapping [start, end), as sorted disjoint grid minutes, clipped."""
        ensure_aware(start)
        ensure_aware(end)
        lo, hi = grid.minutes(start), grid.minutes(end)
        out: list[Interval] = []
        day = start.astimezone(grid.tz).date() - timedelta(days=1)
        last = end.astimezone(grid.tz).date()
        while day <= last:
            if day not in self.holidays:
                for shift in self.shifts.get(day.isoweekday(), ()):
                    s_dt = datetime.combine(day, shift.start, tzinfo=grid.tz)
                    e_dt = s_dt + timedelta(minutes=shift.minutes)
                    a, b = max(grid.minutes(s_dt), lo), min(grid.minutes(e_dt), hi)
                    if a < b:
                        out.append((a, b))
            day += timedelta(days=1)
        return merge_intervals(out)

    def first_working(self, grid: TimeGrid, start: datetime, end: datetime) -> datetime | None:
        """The first working minute in [start, end), or None when there is none."""
        windows = self.working_intervals(grid, start, end)
        return grid.at(windows[0][0]) if windows else None

    @property
    def weekly_minutes(self) -> int:
        return sum(s.minutes for shifts in self.shifts.values() for s in shifts)


def _two_shifts() -> dict[int, tuple[Shift, ...]]:
    day = (Shift(time(8, 0), time(16, 0)), Shift(time(16, 0), time(0, 0)))
    return {d: day for d in range(1, 7)}  # Monday..Saturday, two 8-hour shifts


TWO_SHIFTS = WorkCalendar("two-shifts", _two_shifts())

LATE_SHIFTS = WorkCalendar("late-shifts", {d: (Shift(time(0, 0), time(8, 0)), Shift(time(16, 0), time(0, 0)))
                                           for d in range(1, 7)})
"""The same 16 hours a day as :data:`TWO_SHIFTS`, eight hours later (16:00 to 08:00, Monday to
Saturday): a factory where some machines run the late and night shifts (generated factories)."""


@dataclass(frozen=True, slots=True)
class Downtime:
    """A machine cannot work in [start, end): breakdown, maintenance. ``end`` None = until further notice."""

    machine: str
    start: datetime
    end: datetime | None
    reason: str = ""

    def covers(self, at: datetime) -> bool:
        """In force at ``at``: begun, and not ended."""
        return self.start <= at and (self.end is None or self.end > at)


def stop_end(stop: Downtime, now: datetime, open_for: timedelta) -> datetime:
    """When ``stop`` ends: its own end, or, for a stop until further notice, ``open_for`` after
    ``now`` (or after its start, when later). A plan made at ``now`` assumes this; so does every
    measure of that plan (machine load, the checker)."""
    return stop.end or (max(now, stop.start) + open_for)


def as_planned(stops: Iterable[Downtime], now: datetime, open_for: timedelta) -> tuple[Downtime, ...]:
    """``stops`` each with the end a plan made at ``now`` assumes (see :func:`stop_end`)."""
    return tuple(replace(d, end=stop_end(d, now, open_for)) for d in stops)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union of half-open intervals; touching ones are merged."""
    out: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[0] < i[1]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract_intervals(base: Iterable[Interval], cut: Iterable[Interval]) -> list[Interval]:
    """``base`` minus ``cut``, both as interval sets; result sorted and disjoint (one pass over
    both: linear after sorting)."""
    cuts = merge_intervals(cut)
    n = len(cuts)
    out: list[Interval] = []
    i = 0  # first cut that may still reach into the current base interval
    for a, b in merge_intervals(base):
        while i < n and cuts[i][1] <= a:
            i += 1
        cur = a
        k = i
        while k < n and cuts[k][0] < b:
            c, d = cuts[k]
            if c > cur:
                out.append((cur, c))
            if d > cur:
                cur = d
            if cur >= b:
                break
            k += 1
        if cur < b:
            out.append((cur, b))
    return out
