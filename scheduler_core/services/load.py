"""Machine load: planned work against the machine's working time (its calendar, less its
downtime). The one measure behind the capacity page, the key figures' bottleneck, the plan
summary and the daily summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from scheduler_core.domain.calendar import Downtime, WorkCalendar, stop_end, subtract_intervals
from scheduler_core.domain.model import Factory, Machine
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.domain.timegrid import TimeGrid

from .ports import UnitOfWork

__all__ = ["MachineTime", "busiest_machine", "edge_after", "machine_time", "machine_work", "pick_bottleneck"]


@dataclass(frozen=True)
class MachineTime:
    """What machine load needs of the shop: its machines, their calendars and downtime, the
    factory's timezone (the calendars' shifts are in it), and how long a stop until further
    notice is assumed to last from the plan's instant (as the planner assumed it)."""

    machines: Sequence[Machine]
    calendars: Mapping[str, WorkCalendar]
    downtime: Sequence[Downtime]
    tz: tzinfo
    open_for: timedelta = timedelta(minutes=240)

    @classmethod
    def of(cls, factory: Factory, open_for: timedelta = timedelta(minutes=240)) -> MachineTime:
        return cls(factory.machines, factory.calendars, factory.downtime, ZoneInfo(factory.timezone), open_for)


async def machine_time(uow: UnitOfWork, open_for: timedelta = timedelta(minutes=240)) -> MachineTime:
    """The shop's :class:`MachineTime` from the master data and the recorded downtime."""
    return MachineTime(await uow.master.machines(), await uow.master.calendars(), await uow.shopfloor.downtime(),
                       ZoneInfo(await uow.master.timezone()), open_for)


def machine_work(machine: Machine, ops: Iterable[PlannedOp], shop: MachineTime, grid: TimeGrid,
                 edges: Sequence[int], planned_at: datetime) -> tuple[list[float], list[float]]:
    """For each window ``[edges[d], edges[d + 1])`` (grid minutes): the planned work minutes of
    ``machine`` falling in it and its open minutes (working time less downtime; a stop until
    further notice ends where the plan made at ``planned_at`` assumed it, see
    :func:`~scheduler_core.domain.calendar.stop_end`). An operation pauses outside working time,
    so its work is spread over the open minutes it spans."""
    ops = list(ops)
    n = len(edges) - 1
    lo = min([grid.at(edges[0]), *(op.start for op in ops)])
    hi = max([grid.at(edges[-1]), *(op.end for op in ops)])
    cal = shop.calendars.get(machine.calendar)
    windows = cal.working_intervals(grid, lo, hi) if cal else []
    stops = [(grid.minutes(max(d.start, lo)), grid.minutes(min(stop_end(d, planned_at, shop.open_for), hi)))
             for d in shop.downtime if d.machine == machine.id]
    open_ = subtract_intervals(windows, stops)
    open_min = [float(_overlap(open_, edges[d], edges[d + 1])) for d in range(n)]
    work = [0.0] * n
    for op in ops:
        a, b = grid.minutes(op.start), grid.minutes(op.end)
        span = _overlap(open_, a, b)
        for d in range(n):
            part = (_overlap(open_, max(a, edges[d]), min(b, edges[d + 1])) / span if span > 0 else
                    max(0, min(b, edges[d + 1]) - max(a, edges[d])) / max(1, b - a))
            work[d] += op.work_minutes * part
    return work, open_min


def busiest_machine(schedule: Schedule, now: datetime, horizon: timedelta, shop: MachineTime) -> tuple[str, float] | None:
    """The bottleneck (see :func:`pick_bottleneck`) over ``now`` .. ``now + horizon`` and its load
    share there (a machine that is down has less working time); None when nothing is planned
    there. A machine with work but no open minute counts as full."""
    grid = TimeGrid.starting(now, shop.tz)
    by_machine: dict[str, list[PlannedOp]] = defaultdict(list)
    for op in schedule.ops:
        if op.end > now:
            by_machine[op.machine].append(op)
    end = grid.minutes(now + horizon)
    edges = [0, end, edge_after(grid, schedule, end)]
    loads: list[tuple[str, float, float]] = []
    for m in shop.machines:
        if m.id not in by_machine:
            continue
        work, open_min = machine_work(m, by_machine[m.id], shop, grid, edges, schedule.created)
        if work[0] <= 0:
            continue
        loads.append((m.id, work[0] / open_min[0] if open_min[0] > 0 else 1.0, work[1]))
    return pick_bottleneck(loads)


def edge_after(grid: TimeGrid, schedule: Schedule, edge: int) -> int:
    """A window edge past both ``edge`` and the end of everything ``schedule`` plans: the window
    from ``edge`` to it holds all the work planned after ``edge``."""
    return max(edge, grid.minutes(max((op.end for op in schedule.ops), default=grid.at(edge)))) + 1


def pick_bottleneck(loads: Iterable[tuple[str, float, float]]) -> tuple[str, float] | None:
    """The bottleneck among ``(machine, load share in a window, work minutes planned after it)``:
    the largest share as shown (in whole percent); among machines that look equally loaded, and
    in a saturated shop many are full, the one with the most work planned after the window,
    whose queue reaches furthest; then the first by name. Returns the machine and its share;
    None when no machine has a share above 0."""
    best = max(sorted((x for x in loads if x[1] > 0), key=lambda x: x[0]),
               key=lambda x: (round(min(x[1], 1.0), 2), x[2]), default=None)  # max keeps the first of equals
    return None if best is None else (best[0], best[1])


def _overlap(intervals: list[tuple[int, int]], a: int, b: int) -> int:
    """Minutes of the sorted disjoint ``intervals`` inside [a, b)."""
    return sum(max(0, min(y, b) - max(x, a)) for x, y in intervals) if a < b else 0
