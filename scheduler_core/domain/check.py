"""Independent check of a real-time plan against the factory's calendars (P6).

Shares no code with the planners or the axis: it recomputes working minutes from the
calendars and downtime directly.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta

from .calendar import merge_intervals, stop_end, subtract_intervals
from .model import Factory
from .schedule import Schedule
from .timegrid import TimeGrid

__all__ = ["check_schedule"]


def check_schedule(factory: Factory, schedule: Schedule, limit: int = 20, *,
                   open_downtime: timedelta = timedelta(minutes=240)) -> list[str]:
    """Rule violations of ``schedule`` (empty: valid).

    A stop without an end is assumed to last ``open_downtime`` from the plan's instant (or from
    its start, if later), the same assumption the planner makes.

    Checked: each step on a machine its routing allows; a non-pinned step starts in working
    time and its working minutes between start and end (shifts minus holidays minus
    downtime) equal the time it needs; steps of an order in routing order; one step at a time
    per machine.
    """
    out: list[str] = []
    if not schedule.ops:
        return out
    grid = TimeGrid.starting(min(op.start for op in schedule.ops), factory.timezone)
    end = max(op.end for op in schedule.ops) + timedelta(days=1)
    machines = {m.id: m for m in factory.machines}
    orders = {o.ref: o for o in factory.orders}
    working: dict[str, _Windows] = {}
    per_calendar: dict[str, list[tuple[int, int]]] = {}  # machines mostly share a calendar
    for m in factory.machines:
        if m.calendar not in per_calendar:
            cal = factory.calendars[m.calendar]
            per_calendar[m.calendar] = cal.working_intervals(grid, grid.origin - timedelta(days=1), end)
        w = per_calendar[m.calendar]
        down = []
        for d in factory.downtime:
            if d.machine == m.id:
                stop = stop_end(d, schedule.created, open_downtime)
                down.append((grid.minutes(d.start), grid.minutes(stop)))
        working[m.id] = _Windows(subtract_intervals(w, merge_intervals(down)))

    for op in schedule.ops:
        order = orders.get(op.ref)
        if order is None or op.machine not in machines:
            out.append(f"{op.ref}/{op.step + 1}: unknown order or machine {op.machine}")
            continue
        step = factory.routings[order.product].steps[op.step]
        if not step.runs_on(op.machine):
            out.append(f"{op.ref}/{op.step + 1}: machine {op.machine} cannot do {step.name}")
            continue
        if op.fixed:
            continue
        s = grid.minutes(op.start)
        if not working[op.machine].contains(s):
            out.append(f"{op.ref}/{op.step + 1}: starts outside working time on {op.machine} at {op.start}")
        alt = next(a for a in step.alternatives if a.machine == op.machine)
        if alt.minutes(op.quantity) != op.work_minutes:
            out.append(f"{op.ref}/{op.step + 1}: planned {op.work_minutes} min, routing says {alt.minutes(op.quantity)}")
        got = working[op.machine].between(s, grid.minutes(op.end))
        if got != op.work_minutes:
            out.append(f"{op.ref}/{op.step + 1}: {got} working minutes between start and end, needs {op.work_minutes}")
        if len(out) >= limit:
            return out
    by_order: dict[str, list[tuple[int, datetime, datetime]]] = {}
    by_machine: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for op in schedule.ops:
        by_order.setdefault(op.ref, []).append((op.step, op.start, op.end))
        by_machine.setdefault(op.machine, []).append((op.start, op.end, f"{op.ref}/{op.step + 1}"))
    for ref, steps in by_order.items():
        steps.sort()
        for (k1, _, e1), (k2, s2, _) in zip(steps, steps[1:]):
            if s2 < e1:
                out.append(f"{ref}: step {k2 + 1} starts before step {k1 + 1} ends")
    for mid, lst in by_machine.items():
        lst.sort()
        for (_, e1, n1), (s2, _, n2) in zip(lst, lst[1:]):
            if s2 < e1:
                out.append(f"{n1} and {n2} overlap on {mid}")
    return out[:limit]


class _Windows:
    """Sorted, disjoint working windows (grid minutes) with running totals, so that a
    membership test and the working minutes between two instants are binary searches."""

    __slots__ = ("_before", "_ends", "_starts")

    def __init__(self, windows: list[tuple[int, int]]) -> None:
        self._starts = [a for a, _ in windows]
        self._ends = [b for _, b in windows]
        self._before = [0]  # working minutes before window i
        for a, b in windows:
            self._before.append(self._before[-1] + b - a)

    def contains(self, t: int) -> bool:
        i = bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def _upto(self, t: int) -> int:
        """Working minutes before ``t``."""
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        return self._before[i] + min(t, self._ends[i]) - self._starts[i]

    def between(self, a: int, b: int) -> int:
        return max(0, self._upto(b) - self._upto(a))
