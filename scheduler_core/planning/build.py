"""From the factory (real datetimes) to a :class:`Problem` on the working-time axis, and back.

Rules applied here (not in the planners):

* finished steps are left out; a job starts no earlier than ``now`` and its release;
* a running step is pinned to its machine with only its remaining quantity to do, from the
  first minute its machine is free at or after ``now`` (downtime pauses it); it ends where the
  published plan has it end when that is within the unit in progress (between one unit and
  nothing of it left to do), else as if that unit had not begun;
* a step the published plan starts inside the frozen horizon (``now`` + ``frozen_minutes``)
  stays where it is, provided its predecessor is finished or pinned and ends in time (a first
  step: its material is there by then), its machine is still free then, and every step
  published before it on that machine stays
  too (a step that cannot stay, e.g. one due to start before now but not reported started,
  frees the rest of its machine's horizon: the steps behind it follow it in sequence, where a
  fixed step would have been a wall that sends it behind hours of work);
* an open-ended machine stop is assumed to last ``open_downtime_minutes`` from now;
* VIP and rush orders weigh more (:attr:`Order.weight`); due dates stay soft.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property

from scheduler_core.domain.calendar import merge_intervals, stop_end, subtract_intervals
from scheduler_core.domain.model import Factory, Order
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.domain.timegrid import TimeGrid, floor_minute

from .axis import Axis
from .pauses import Pauses
from .problem import Assignment, Fixed, Job, Mode, Objective, Op, Previous, Problem, Solution

__all__ = ["Built", "PlanningInputError", "build_problem", "to_schedule"]

_WEEK = timedelta(days=7)
_MAX_SPAN = timedelta(days=36600)  # a century: past it, the calendars leave (next to) no working time


class PlanningInputError(ValueError):
    """The factory data cannot be planned (unknown product, no machine for a step ...)."""


@dataclass(frozen=True)
class Built:
    """A problem plus what is needed to turn its solutions back into a :class:`Schedule`."""

    problem: Problem
    grid: TimeGrid
    axis: Axis
    refs: tuple[str, ...]  # job index -> order ref
    steps: tuple[tuple[int, ...], ...]  # job index -> routing step number per op
    step_names: tuple[tuple[str, ...], ...]
    machine_ids: tuple[str, ...]
    quantities: tuple[tuple[int, ...], ...]  # job index -> quantity still to make per op
    finished: dict[str, datetime]
    now: datetime
    seconds: float = 0.0  # how long building took (the work after a solve grows alike)

    def job_of(self, ref: str) -> int:
        """The job number of order ``ref`` (ValueError: not planned)."""
        j = self._job_index.get(ref)
        if j is None:
            raise ValueError(f"{ref!r} is not in the problem")
        return j

    @cached_property
    def _job_index(self) -> dict[str, int]:
        return {ref: j for j, ref in enumerate(self.refs)}

    def to_real(self, start: int, end: int) -> tuple[datetime, datetime]:
        return self.grid.at(self.axis.start_at(start)), self.grid.at(self.axis.end_at(end))

    def working_minutes(self, machine: str, start: datetime, end: datetime) -> int:
        """``machine``'s working minutes (its calendar's, stops not taken out) in [start, end)
        within the planned span: on the axis, less the machine's pauses. Binary searches only."""
        if end <= start:
            return 0
        m = self._machine_index.get(machine)
        a, b = (self.axis.to_axis(self.grid.minutes(t)) for t in (start, end))
        return b - a if m is None else self.problem.machine_pauses()[m].work(a, b)

    @cached_property
    def _machine_index(self) -> dict[str, int]:
        return {mid: i for i, mid in enumerate(self.machine_ids)}


def build_problem(
    factory: Factory,
    now: datetime,
    published: Schedule | None = None,
    *,
    objective: Objective = "factory",
    frozen_minutes: int = 240,
    open_downtime_minutes: int = 240,
    move_tolerance: int = 30,
    orders: Sequence[Order] | None = None,
) -> Built:
    """Build the planning problem for the factory's active orders (or ``orders``) at ``now``.

    Raises:
        PlanningInputError: an order's product has no routing, or a step no existing machine.
    """
    t_start = time.perf_counter()
    now = floor_minute(now)
    grid = TimeGrid.starting(now, factory.timezone)
    todo = [o for o in (orders if orders is not None else factory.active_orders())]
    machine_ids = tuple(m.id for m in factory.machines)
    m_index = {mid: i for i, mid in enumerate(machine_ids)}

    # --- how much working time the axis must cover -------------------------------------
    need = 0
    latest = now
    for o in todo:
        routing = factory.routings.get(o.product)
        if routing is None:
            raise PlanningInputError(f"order {o.ref}: no routing for product {o.product!r}")
        for k, step in enumerate(routing.steps):
            alts = [a for a in step.alternatives if a.machine in m_index]
            if not alts:
                raise PlanningInputError(f"order {o.ref}: step {k + 1} ({step.name}) has no machine")
            need += max(a.minutes(o.quantity) for a in alts)
        latest = max(latest, o.due, o.release or now)
    down_total = 0
    for d in factory.downtime:
        end = stop_end(d, now, timedelta(minutes=open_downtime_minutes))
        down_total += max(0, int((end - max(now, d.start)).total_seconds() // 60))
        latest = max(latest, end)
    need += down_total + 24 * 60

    # --- working windows: per calendar, and their union = the axis ----------------------
    # The axis must hold ``need`` working minutes (any plan without needless idle time fits
    # in the serial sum) and reach past the latest date. It grows from a week past that date,
    # jumping to the span its working-time rate says is needed.
    for m in factory.machines:
        if m.calendar not in factory.calendars:
            raise PlanningInputError(f"machine {m.id}: unknown calendar {m.calendar!r}")
    horizon_end = max(latest, now) + _WEEK
    while True:
        per_calendar = {  # machines mostly share a calendar
            name: factory.calendars[name].working_intervals(grid, now, horizon_end)
            for name in dict.fromkeys(m.calendar for m in factory.machines)
        }
        union = merge_intervals(w for ws in per_calendar.values() for w in ws)
        # every calendar that works at all holds the serial work: an operation on a machine
        # with a shorter calendar waits through its pauses, and the axis must reach past them
        have = min((h for ws in per_calendar.values() if (h := sum(b - a for a, b in ws)) > 0), default=0)
        if union and have >= need and grid.at(union[-1][1]) >= latest:
            break
        span = horizon_end - now
        if span > _MAX_SPAN:
            raise PlanningInputError("the calendars leave too little working time to plan")
        if have == 0:
            horizon_end += span + _WEEK
        else:  # at the rate seen so far, with a tenth to spare (past the limit: refused next)
            seconds = min(span.total_seconds() * 1.1 * need / have, (_MAX_SPAN + _WEEK).total_seconds())
            horizon_end = now + max(timedelta(seconds=seconds), span + _WEEK)
    axis = Axis(union)
    grid_end = union[-1][1]

    # a machine's calendar's time off inside the axis: its pauses (work waits through them);
    # its stops outside that time: blocked windows (no work may run across them)
    off_calendar = {name: subtract_intervals(union, ws) for name, ws in per_calendar.items()}
    on_axis = {name: tuple(w for w in merge_intervals(axis.window_to_axis(a, b) for a, b in off) if w[0] < w[1])
               for name, off in off_calendar.items()}
    pauses: list[tuple[tuple[int, int], ...]] = []
    blocked: list[tuple[tuple[int, int], ...]] = []
    for m in factory.machines:
        down: list[tuple[int, int]] = []
        for d in factory.downtime:
            if d.machine != m.id:
                continue
            end = stop_end(d, now, timedelta(minutes=open_downtime_minutes))
            a, b = max(0, grid.minutes(d.start)), min(grid_end, grid.minutes(end))
            if a < b:
                down.append((a, b))
        windows = [axis.window_to_axis(a, b) for a, b in subtract_intervals(down, off_calendar[m.calendar])]
        blocked.append(tuple(w for w in merge_intervals(windows) if w[0] < w[1]))
        pauses.append(on_axis[m.calendar])
    per_calendar_pauses = {name: Pauses(w) for name, w in on_axis.items()}  # machines mostly share a calendar
    machine_pauses = [per_calendar_pauses[m.calendar] for m in factory.machines]

    now_x = 0  # the grid starts at now; axis 0 is the first working minute at/after now

    def free_from(machine: int, x: int, work: int, busy: list[tuple[int, int]]) -> tuple[int, int]:
        """Earliest pinned placement of ``work`` minutes on ``machine`` from ``x``; downtime
        and the machine's pauses inside it pause the work (the interval then spans them)."""
        windows = merge_intervals(list(blocked[machine]) + list(pauses[machine]) + busy)
        start = x
        for a, b in windows:
            if a <= start < b:
                start = b
        pos, left = start, work
        for a, b in windows:
            if b <= pos:
                continue
            if a >= pos + left:
                break
            left -= a - pos
            pos = b
        return start, pos + left

    pinned_busy: dict[int, list[tuple[int, int]]] = {}
    pub_index: dict[tuple[str, int], PlannedOp] = {}
    if published is not None:
        pub_index = {(p.ref, p.step): p for p in published.ops}
    frozen_until = frozen_minutes

    jobs: list[Job] = []
    refs: list[str] = []
    steps_of: list[tuple[int, ...]] = []
    qty_of: list[tuple[int, ...]] = []
    names_of: list[tuple[str, ...]] = []
    finished: dict[str, datetime] = {}
    running: set[tuple[int, int]] = set()  # (job, op) pinned because it is running
    # running steps first, so frozen steps never collide with them
    ordered = sorted(todo, key=lambda o: (o.ref,))
    running_first: list[tuple[Order, int]] = []
    for o in ordered:
        routing = factory.routings[o.product]
        for k in range(len(routing.steps)):
            p = factory.progress.get((o.ref, k))
            if p and p.started and not p.finished and p.done < o.quantity and p.machine in m_index:
                running_first.append((o, k))
    running_place: dict[tuple[str, int], Fixed] = {}
    for o, k in running_first:
        p = factory.progress[(o.ref, k)]
        assert p.machine is not None
        mi = m_index[p.machine]
        alt = next((a for a in factory.routings[o.product].steps[k].alternatives if a.machine == p.machine), None)
        per_unit = alt.per_unit if alt is not None else 1.0  # reported on an unlisted machine
        left = o.quantity - p.done
        work = max(1, round(per_unit * left))  # setup is already done; the unit in progress not begun
        s, e = free_from(mi, now_x, work, pinned_busy.get(mi, []))
        pub = pub_index.get((o.ref, k))
        if pub is not None and pub.machine == p.machine and grid.minutes(pub.end) > 0:
            # the unit in progress may be anything from just begun to nearly done: a published end
            # within that range stays (else every report would move the step, and the steps held
            # behind it, later by the part of a unit it cannot count, and they would not come back)
            _, e_lo = free_from(mi, now_x, max(1, round(per_unit * (left - 1))), pinned_busy.get(mi, []))
            e_pub = axis.to_axis(grid.minutes(pub.end))
            if e_lo <= e_pub <= e and e_pub > s:
                e = e_pub
        pinned_busy.setdefault(mi, []).append((s, e))
        running_place[(o.ref, k)] = Fixed(mi, s, e)

    for o in ordered:
        routing = factory.routings[o.product]
        j = len(jobs)
        ops: list[Op] = []
        steps: list[int] = []
        names: list[str] = []
        qtys: list[int] = []
        last_done: datetime | None = None
        pending = o.release_after(now)
        release = axis.to_axis(grid.minutes(pending)) if pending is not None else None
        prev_end: int | None = release  # end of the previous *fixed* op of this job, if fixed; before the first, its material
        prev_fixed = True
        # a step reported started means the steps before it are done, reported or not
        reached = max((k for k in range(len(routing.steps)) if (o.ref, k) in running_place), default=-1)
        for k, step in enumerate(routing.steps):
            p = factory.progress.get((o.ref, k))
            if k < reached or (p is not None and (p.finished is not None or p.done >= o.quantity)):
                if p is not None and p.finished is not None and (last_done is None or p.finished > last_done):
                    last_done = p.finished
                continue
            idx = len(ops)
            name = f"{o.ref}/{k + 1}"
            modes = tuple(
                Mode(m_index[a.machine], a.minutes(o.quantity)) for a in step.alternatives if a.machine in m_index
            )
            fixed = running_place.get((o.ref, k))
            prev = None
            pub = pub_index.get((o.ref, k))
            if pub is not None and pub.machine in m_index:
                prev = Previous(m_index[pub.machine], axis.to_axis(grid.minutes(pub.start)))
                if fixed is None and prev_fixed:
                    fixed = _frozen(pub, prev, grid, frozen_until, prev_end, blocked, machine_pauses, pinned_busy, modes)
                    if fixed is not None:
                        pinned_busy.setdefault(fixed.machine, []).append((fixed.start, fixed.end))
            ops.append(Op(j, idx, modes, fixed, prev, name))
            if (o.ref, k) in running_place:
                running.add((j, idx))
            steps.append(k)
            names.append(step.name)
            is_running = (o.ref, k) in running_place and p is not None
            qtys.append(o.quantity - p.done if is_running and p is not None else o.quantity)
            prev_fixed = fixed is not None
            prev_end = fixed.end if fixed is not None else None
        if not ops:
            finished[o.ref] = last_done or now
            continue
        due_m = grid.minutes(o.due)
        due = axis.to_axis(due_m) if due_m > 0 else due_m  # a past due keeps counting
        jobs.append(Job(o.ref, tuple(ops), max(release or 0, now_x), due, o.weight))
        refs.append(o.ref)
        steps_of.append(tuple(steps))
        qty_of.append(tuple(qtys))
        names_of.append(tuple(names))

    if published is not None:
        jobs = _frozen_in_sequence(jobs, running)
    problem = Problem(
        jobs=tuple(jobs),
        machines=machine_ids,
        blocked=tuple(blocked),
        objective=objective,
        now=now_x,
        name="factory",
        move_tolerance=move_tolerance,
        pauses=tuple(pauses),
    )
    return Built(
        problem, grid, axis, tuple(refs), tuple(steps_of), tuple(names_of), machine_ids, tuple(qty_of), finished, now,
        time.perf_counter() - t_start,
    )


def _frozen_in_sequence(jobs: list[Job], running: set[tuple[int, int]]) -> list[Job]:
    """Frozen steps reduced to unbroken sequences: on each machine, in published order, a
    step stays only while every step before it stays; in each job, only while its
    predecessor is fixed. Running steps are pinned regardless."""
    frozen = {(j, op.index) for j, job in enumerate(jobs) for op in job.ops
              if op.fixed is not None and (j, op.index) not in running}
    if not frozen:
        return jobs
    horizon: dict[int, int] = {}  # per machine: the last frozen step's published start
    for j, k in frozen:
        prev = jobs[j].ops[k].previous
        if prev is not None:
            horizon[prev.machine] = max(horizon.get(prev.machine, prev.start), prev.start)
    queues: dict[int, list[tuple[int, int, int]]] = {}  # what was published before it, per machine
    for j, job in enumerate(jobs):
        for op in job.ops:
            prev = op.previous
            if prev is not None and prev.start <= horizon.get(prev.machine, -(1 << 62)) and (j, op.index) not in running:
                queues.setdefault(prev.machine, []).append((prev.start, j, op.index))
    for q in queues.values():
        q.sort()
    frozen_jobs = sorted({j for j, _ in frozen})
    thawed: set[tuple[int, int]] = set()

    def fixed(j: int, k: int) -> bool:
        return (j, k) in frozen and (j, k) not in thawed

    changed = True
    while changed:
        changed = False
        for q in queues.values():
            broken = False
            for _, j, k in q:
                if broken and fixed(j, k):
                    thawed.add((j, k))
                    changed = True
                broken = broken or not fixed(j, k)
        for j in frozen_jobs:
            for k in range(1, len(jobs[j].ops)):
                if fixed(j, k) and not fixed(j, k - 1) and (j, k - 1) not in running:
                    thawed.add((j, k))
                    changed = True
    if not thawed:
        return jobs
    return [
        job if not any((j, op.index) in thawed for op in job.ops)
        else replace(job, ops=tuple(replace(op, fixed=None) if (j, op.index) in thawed else op for op in job.ops))
        for j, job in enumerate(jobs)
    ]


def _frozen(
    pub: PlannedOp,
    prev: Previous,
    grid: TimeGrid,
    frozen_until: int,
    pred_end: int | None,
    blocked: Sequence[tuple[tuple[int, int], ...]],
    pauses: Sequence[Pauses],
    busy: dict[int, list[tuple[int, int]]],
    modes: tuple[Mode, ...],
) -> Fixed | None:
    """The published place of a step about to start, if it is still possible there."""
    start = prev.start
    if not 0 <= start < frozen_until or grid.minutes(pub.start) < 0:
        return None
    dur = next((m.duration for m in modes if m.machine == prev.machine), None)
    if dur is None or pauses[prev.machine].start(start) != start:
        return None
    end = pauses[prev.machine].end(start, dur)
    if pred_end is not None and pred_end > start:
        return None
    for a, b in list(blocked[prev.machine]) + busy.get(prev.machine, []):
        if a < end and start < b:
            return None
    return Fixed(prev.machine, start, end)


def to_schedule(built: Built, solution: Solution, *, version: int = 0) -> Schedule:
    """Turn an axis solution into real datetimes."""
    problem = built.problem
    idle = [Pauses(merge_intervals(list(p) + list(b))) for p, b in zip(problem.pauses, problem.blocked, strict=True)]
    ops: list[PlannedOp] = []
    for a in sorted(solution.assignments, key=lambda x: (x.start, x.job, x.op)):
        ops.append(_planned(built, a, idle[a.machine].work(a.start, a.end)))
    return Schedule(
        ops=tuple(ops),
        created=built.now,
        version=version,
        method=solution.method,
        status=solution.status.value,
        finished=dict(built.finished),
    )


def _planned(built: Built, a: Assignment, work: int) -> PlannedOp:
    """``work``: the machine's working minutes in it (its pauses and stops left out)."""
    op = built.problem.jobs[a.job].ops[a.op]
    start, end = built.to_real(a.start, a.end)
    ref = built.refs[a.job]
    step = built.steps[a.job][a.op]
    return PlannedOp(
        ref=ref,
        step=step,
        step_name=built.step_names[a.job][a.op],
        machine=built.machine_ids[a.machine],
        start=start,
        end=end,
        quantity=built.quantities[a.job][a.op],
        work_minutes=work,
        fixed=op.fixed is not None,
    )
