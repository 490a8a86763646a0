"""Use case: plan the factory now, and say for every order when it will be ready and why late."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from scheduler_core.domain.calendar import merge_intervals
from scheduler_core.domain.cause import LateCause
from scheduler_core.domain.check import check_schedule
from scheduler_core.domain.model import Factory, Order
from scheduler_core.domain.schedule import Schedule
from scheduler_core.domain.timegrid import TimeGrid
from scheduler_core.planning import heuristic
from scheduler_core.planning.build import Built, build_problem, to_schedule
from scheduler_core.planning.evaluate import Score, score
from scheduler_core.planning.problem import Problem, Solution
from scheduler_core.planning.runner import RunSettings, SolverFn, cpsat_solver, plan
from scheduler_core.planning.validate import PlanViolation

__all__ = [
    "AFTER_PER_BUILD",
    "AFTER_SOLVE",
    "OrderEta",
    "PlanResult",
    "PlanSettings",
    "build_with",
    "cap_others",
    "explain_late",
    "frozen_until",
    "order_etas",
    "replan",
    "rest_of",
    "solve_built",
]


def frozen_until(factory: Factory, now: datetime, minutes: int) -> datetime:
    """Where the frozen horizon of a plan made at ``now`` ends: after ``minutes`` of the
    factory's working time (any machine's calendar), as the planner counts it; a step published
    to start before then stays where it is (on a Saturday evening that reaches into Monday)."""
    grid = TimeGrid.starting(now, factory.timezone)
    calendars = [factory.calendars[name] for name in dict.fromkeys(m.calendar for m in factory.machines)
                 if name in factory.calendars]
    for span in (timedelta(days=8), timedelta(days=400)):  # a week holds it unless the factory is closed for long
        left = minutes
        for a, b in merge_intervals(w for c in calendars for w in c.working_intervals(grid, now, now + span)):
            if b - a >= left:
                return grid.at(a + left)
            left -= b - a
    return now + timedelta(minutes=minutes)


AFTER_SOLVE = 0.1
"""Seconds a re-plan keeps back for turning the plan into a schedule, checking it against the
calendars and computing ETAs (0.04-0.07 s on 300 orders on a quiet machine); at least
:data:`AFTER_PER_BUILD` times what building the problem took, on a large factory."""

AFTER_PER_BUILD = 2.0
"""The work after a solve walks every operation, as building does, and took 1.3-1.5 times as
long on 300 to 5,000 orders."""

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """Planning knobs. ``deadline`` wall seconds per plan; ``bulk_deadline`` wall seconds for
    the plan after an import (many orders or new master data at once: the plan everyone sees
    until the nightly one); ``frozen_minutes`` the frozen horizon; ``rule`` replaces the
    optimiser by one dispatching rule (the simulator's baselines)."""

    deadline: float = 2.0
    bulk_deadline: float = 10.0
    workers: int = 1
    seed: int = 0
    frozen_minutes: int = 240
    move_tolerance: int = 30
    open_downtime_minutes: int = 240
    isolate: bool = True
    rule: heuristic.Rule | None = None  # plan with this dispatching rule alone (no search, no CP-SAT)

    @property
    def open_downtime(self) -> timedelta:
        """How long a stop until further notice is assumed to last (from the plan's making)."""
        return timedelta(minutes=self.open_downtime_minutes)

    def run(self) -> RunSettings:
        return RunSettings(deadline=self.deadline, workers=self.workers, seed=self.seed, isolate=self.isolate)


@dataclass(frozen=True, slots=True)
class OrderEta:
    """One active order in a plan: planned completion against the promise, and why late."""

    ref: str
    customer: str
    product: str
    quantity: int
    due: datetime
    eta: datetime
    late_by: timedelta
    vip: bool
    rush: bool
    cause: LateCause | None


@dataclass(frozen=True)
class PlanResult:
    """A new plan with its ETAs and how it was made."""

    schedule: Schedule
    etas: tuple[OrderEta, ...]
    status: str
    method: str
    seconds: float
    score: Score
    built: Built

    def eta_of(self, ref: str) -> OrderEta | None:
        return next((e for e in self.etas if e.ref == ref), None)

    @property
    def late(self) -> tuple[OrderEta, ...]:
        return tuple(e for e in self.etas if e.late_by > _ZERO)


def replan(
    factory: Factory,
    now: datetime,
    published: Schedule | None = None,
    settings: PlanSettings = PlanSettings(),
    *,
    solver: SolverFn = cpsat_solver,
    protect: bool = False,
) -> PlanResult:
    """Plan every active order at ``now``, keeping ``published`` stable where it costs nothing.
    With ``protect`` (the shop got more since ``published``: a machine back), no order finishes
    later than published or than with every machine keeping its sequence (:func:`cap_others`).

    The whole call (building included) answers within ``settings.deadline``; with a
    validated plan within ``settings.deadline`` + 1 s whatever the solver does (P6).
    """
    t0 = time.monotonic()
    built = build_with(settings, factory, now, published)
    candidates: tuple[Solution, ...] = ()
    if published is not None:
        kept = heuristic.repair(built.problem)
        candidates = (kept,)
        if protect:
            built = cap_others(built, kept, published.etas())
    return solve_built(factory, built, rest_of(settings, t0, AFTER_SOLVE, built), candidates=candidates,
                       solver=solver)


def cap_others(built: Built, kept: Solution, before: Mapping[str, datetime], subject: str | None = None) -> Built:
    """The problem with a hard deadline on every job but ``subject``'s: its completion in
    ``kept`` (a plan that keeps every machine's sequence) or its ETA in ``before``, whichever is
    later (or its own deadline when earlier). Something that asks less of the shop (a
    cancellation, a later date, a machine back) then makes nobody else finish later: the
    time it frees goes to the others, and the optimiser may still reorder to use it."""
    ends: dict[int, int] = {}
    for a in kept.assignments:
        ends[a.job] = max(ends.get(a.job, a.end), a.end)
    jobs = list(built.problem.jobs)
    for j, job in enumerate(jobs):
        ref = built.refs[j]
        if ref == subject or j not in ends:
            continue
        cap = ends[j]
        if ref in before:
            cap = max(cap, built.axis.to_axis(built.grid.minutes(before[ref])))
        jobs[j] = replace(job, deadline=cap if job.deadline is None else min(cap, job.deadline))
    return replace(built, problem=replace(built.problem, jobs=tuple(jobs)))


def rest_of(settings: PlanSettings, t0: float, after: float, built: Built | None = None) -> PlanSettings:
    """The settings with the deadline reduced by what a use case spent since ``t0`` and by the
    ``after`` seconds it needs once the plan is there (at least :data:`AFTER_PER_BUILD` times
    ``built``'s building time), so that the whole call, not only the solve, answers within
    ``settings.deadline``. At least 0.05 s are left to the solve: with less than
    :data:`~scheduler_core.planning.runner.MIN_SEARCH`, the runner answers with the best plan
    the use case already has (on a very large factory, building and the insertions can take
    the whole deadline)."""
    if built is not None:
        after = max(after, AFTER_PER_BUILD * built.seconds)
    left = settings.deadline - (time.monotonic() - t0) - after
    return replace(settings, deadline=max(0.05, left))


def build_with(settings: PlanSettings, factory: Factory, now: datetime, published: Schedule | None) -> Built:
    """The planning problem under these settings (frozen horizon, move tolerance, open stops)."""
    return build_problem(
        factory,
        now,
        published,
        frozen_minutes=settings.frozen_minutes,
        move_tolerance=settings.move_tolerance,
        open_downtime_minutes=settings.open_downtime_minutes,
    )


def solve_built(
    factory: Factory,
    built: Built,
    settings: PlanSettings,
    *,
    candidates: tuple[Solution, ...] = (),
    solver: SolverFn = cpsat_solver,
    version: int = 0,
) -> PlanResult:
    """Solve an already built problem and describe the result (with ``settings.rule``: that
    dispatching rule's plan, as a factory without an optimiser would make it)."""
    if settings.rule is not None:
        solution = heuristic.dispatch(built.problem, settings.rule)
    else:
        solution = plan(built.problem, settings.run(), candidates=candidates, solver=solver)
    schedule = to_schedule(built, solution, version=version)
    problems = check_schedule(factory, schedule, limit=1,
                              open_downtime=settings.open_downtime)
    if problems:  # the axis plan was valid, so this is a conversion bug: never publish it
        raise PlanViolation(f"plan breaks the calendar: {problems[0]}")
    etas = order_etas(factory, schedule, built)
    return PlanResult(
        schedule=schedule,
        etas=etas,
        status=solution.status.value,
        method=solution.method,
        seconds=solution.seconds,
        score=score(built.problem, solution),
        built=built,
    )


def order_etas(factory: Factory, schedule: Schedule, built: Built) -> tuple[OrderEta, ...]:
    """ETA, lateness and cause for every planned or finished active order."""
    by_ref = {o.ref: o for o in factory.orders}
    rush_refs = frozenset(o.ref for o in factory.orders if o.rush)
    etas = schedule.etas()
    out: list[OrderEta] = []
    for ref, eta in etas.items():
        order = by_ref.get(ref)
        if order is None:
            continue
        late_by = max(_ZERO, eta - order.due)
        cause = explain_late(order, schedule, built, factory, rush_refs) if late_by > _ZERO else None
        out.append(
            OrderEta(ref, order.customer, order.product, order.quantity, order.due, eta, late_by, order.vip,
                     order.rush, cause)
        )
    out.sort(key=lambda e: (-e.late_by.total_seconds(), e.due, e.ref))
    return tuple(out)


def explain_late(order: Order, schedule: Schedule, built: Built, factory: Factory,
                 rush_refs: frozenset[str] | None = None) -> LateCause:
    """The main reason ``order`` is late in ``schedule``.

    Order of tests: could it make the date at all (alone, from its release or now)? If yes,
    find the step where it waits longest; the wait is explained by a machine stop in that
    window, a rush order ahead of it, or else the queue at that machine (the bottleneck).
    ``rush_refs``: the factory's rush orders, when the caller explains many orders.
    """
    ops = schedule.for_order(order.ref)
    if not ops:
        return LateCause("not_enough_time")
    problem: Problem = built.problem
    try:
        j = built.job_of(order.ref)
    except ValueError:
        return LateCause("not_enough_time")
    job = problem.jobs[j]
    alone = _alone(problem, j)
    past_due = order.due <= built.now
    if not past_due and job.due is not None and alone > job.due:
        release = order.release_after(built.now)
        if release is not None:
            return LateCause("released_late", until=release)
        return LateCause("not_enough_time")
    ready = max(built.now, order.release or built.now)
    longest = 0  # the longest wait in its machine's working minutes: its own hours off are no wait
    worst: tuple[timedelta, int] = (_ZERO, -1)  # that wait as it is (calendar time) and the step
    for i, op in enumerate(ops):
        if op.start > ready and not op.fixed:
            working = built.working_minutes(op.machine, ready, op.start)
            if working > longest:
                longest, worst = working, (op.start - ready, i)
        ready = op.end
    if worst[1] < 0 or (past_due and worst[0] < timedelta(hours=1)):
        return LateCause("past_due" if past_due else "not_enough_time")
    op = ops[worst[1]]
    ready = ops[worst[1] - 1].end if worst[1] > 0 else max(built.now, order.release or built.now)
    for d in factory.downtime:
        end = d.end or op.start
        if (d.machine == op.machine and d.start < op.start and end > ready
                and built.working_minutes(d.machine, max(d.start, ready), min(end, op.start)) >= STOP_MATTERS):
            return LateCause("machine_down", machine=op.machine, until=d.end, wait=worst[0])
    if rush_refs is None:
        rush_refs = frozenset(o.ref for o in factory.orders if o.rush)
    ahead = [p.ref for p in schedule.ending_between(op.machine, ready, op.start) if p.ref != order.ref]
    rush_ahead = tuple(r for r in ahead if r in rush_refs and not order.rush)
    if rush_ahead:
        return LateCause("inserted_order", machine=op.machine, orders=_unique(rush_ahead), wait=worst[0])
    return LateCause("bottleneck", machine=op.machine, orders=_unique(ahead), wait=worst[0])


def _alone(problem: Problem, j: int) -> int:
    """When job ``j`` would complete if it ran alone: its steps one after the other from its
    release (or its fixed work), each on the machine that finishes it first, waiting only
    through that machine's pauses (a day-shift machine's night in a factory working nights)."""
    job = problem.jobs[j]
    pauses = problem.machine_pauses()
    t = max(job.release, problem.now)
    for op in job.ops:
        if op.fixed is not None:
            t = max(t, op.fixed.end)
            continue
        t = min(pauses[m.machine].finish(max(t, op.earliest), m.duration) for m in op.modes)
    return t


STOP_MATTERS = 30
"""Working minutes a machine stop must take from the wait of a late order's step to be named as
its cause (a stop over the night, or of a few minutes, is not why an order is days late)."""


def _unique(refs: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(refs))

