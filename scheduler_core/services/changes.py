"""Use cases: what would a change do to deliveries? (rush insertion 插单, due date, quantity,
cancellation, priority) and: how soon can we deliver N of P? (capable-to-promise).

Nothing here commits anything: the caller shows the :class:`Assessment` and commits its
``factory`` and ``result`` only when the user confirms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from datetime import time as clock

from scheduler_core.domain.calendar import merge_intervals
from scheduler_core.domain.impact import ImpactReport, compare_plans
from scheduler_core.domain.model import DUE_HOUR, Factory, Order, OrderStatus
from scheduler_core.domain.schedule import Schedule
from scheduler_core.planning import heuristic
from scheduler_core.planning.build import Built, to_schedule
from scheduler_core.planning.pauses import NO_PAUSES, Pauses
from scheduler_core.planning.problem import Job, Previous, Problem, Solution
from scheduler_core.planning.runner import SolverFn, cpsat_solver

from .planning import OrderEta, PlanResult, PlanSettings, build_with, cap_others, rest_of, solve_built

COMPARE_AFTER_SOLVE = 0.25
"""Seconds an assessment keeps back for turning the plan into a schedule and comparing it with
the published one (0.07 s on 300 orders on a quiet machine; the rest is margin)."""

__all__ = [
    "MAX_MATERIAL_AHEAD",
    "MAX_QUANTITY",
    "Assessment",
    "CancelOrder",
    "Change",
    "ChangeDue",
    "ChangeError",
    "ChangeMaterial",
    "ChangePriority",
    "ChangeQuantity",
    "InsertOrder",
    "MoveOperation",
    "Promise",
    "apply_change",
    "as_of_now",
    "assess_change",
    "latest_insertion",
    "material_release",
    "promise_date",
    "rebase_change",
]

MAX_QUANTITY = 1_000_000
"""Larger quantities are a typo, not an order."""


class ChangeError(ValueError):
    """A change that cannot apply; ``code`` is a stable key for localized messages."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code}: {params}" if params else code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class InsertOrder:
    """Add a new order; ``rush`` (插单) puts it ahead of others when that makes its date."""

    order: Order


@dataclass(frozen=True, slots=True)
class ChangeDue:
    ref: str
    due: datetime


@dataclass(frozen=True, slots=True)
class ChangeQuantity:
    ref: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    ref: str


@dataclass(frozen=True, slots=True)
class ChangePriority:
    ref: str
    priority: int | None = None
    vip: bool | None = None
    rush: bool | None = None


@dataclass(frozen=True, slots=True)
class MoveOperation:
    """Run step ``step`` (0-based) of order ``ref`` on ``machine``, not before ``not_before``
    (a Gantt drag). A restriction, not a pin: the planner puts the step at the earliest place
    the rules allow there, and the plan shows where it really lands."""

    ref: str
    step: int
    machine: str
    not_before: datetime


@dataclass(frozen=True, slots=True)
class ChangeMaterial:
    """The material of order ``ref`` is there at ``ready`` (None or a past time: now): no step
    starts before it ("SO-1042 的物料推迟到周三")."""

    ref: str
    ready: datetime | None


Change = InsertOrder | ChangeDue | ChangeQuantity | CancelOrder | ChangePriority | MoveOperation | ChangeMaterial

MAX_MATERIAL_AHEAD = timedelta(days=3 * 366)
"""How far ahead a material date may be (as a promised date)."""


def material_release(change: ChangeMaterial, now: datetime) -> datetime | None:
    """The order's release after ``change``: None when the material is there by ``now``."""
    return change.ready if change.ready is not None and change.ready > now else None


def _check_quantity(quantity: int) -> None:
    if quantity <= 0:
        raise ChangeError("quantity_not_positive", quantity=quantity)
    if quantity > MAX_QUANTITY:
        raise ChangeError("quantity_too_large", quantity=quantity, limit=MAX_QUANTITY)


def apply_change(factory: Factory, change: Change, now: datetime) -> Factory:
    """The factory as it would be after ``change``. Raises :class:`ChangeError` on bad input."""
    orders = {o.ref: o for o in factory.orders}
    if isinstance(change, InsertOrder):
        o = change.order
        if o.ref in orders:
            raise ChangeError("duplicate_order", ref=o.ref)
        if o.product not in factory.routings:
            raise ChangeError("unknown_product", product=o.product)
        _check_quantity(o.quantity)
        if o.due < now:
            raise ChangeError("due_in_past", due=o.due)
        return replace(factory, orders=(*factory.orders, o))
    ref = change.ref
    cur = orders.get(ref)
    if cur is None or not cur.status.is_active:
        raise ChangeError("unknown_order", ref=ref)
    if isinstance(change, ChangeDue):
        if change.due < now:
            raise ChangeError("due_in_past", due=change.due)
        new = replace(cur, due=change.due)
    elif isinstance(change, ChangeQuantity):
        _check_quantity(change.quantity)
        done = max((p.done for (r, _), p in factory.progress.items() if r == ref), default=0)
        if change.quantity < done:
            raise ChangeError("quantity_below_done", quantity=change.quantity, done=done)
        new = replace(cur, quantity=change.quantity)
    elif isinstance(change, CancelOrder):
        new = replace(cur, status=OrderStatus.CANCELLED)
    elif isinstance(change, ChangeMaterial):
        if change.ready is not None and change.ready > now + MAX_MATERIAL_AHEAD:
            raise ChangeError("date_too_far", date=change.ready, years=3)
        new = replace(cur, release=material_release(change, now))
    elif isinstance(change, MoveOperation):
        routing = factory.routings.get(cur.product)
        if routing is None or not 0 <= change.step < len(routing.steps):
            raise ChangeError("unknown_step", ref=ref, step=change.step + 1)
        if change.machine not in {m.id for m in factory.machines}:
            raise ChangeError("unknown_machine", machine=change.machine)
        if not routing.steps[change.step].runs_on(change.machine):
            raise ChangeError("machine_not_for_step", machine=change.machine, step=change.step + 1)
        p = factory.progress.get((ref, change.step))
        if p is not None and (p.finished is not None or p.done >= cur.quantity):
            raise ChangeError("step_already_finished", ref=ref, step=change.step + 1)
        return factory  # the order itself does not change; see restrict_move
    else:
        if change.priority is not None and not 1 <= change.priority <= 100:
            raise ChangeError("bad_priority", priority=change.priority)
        new = replace(
            cur,
            priority=cur.priority if change.priority is None else change.priority,
            vip=cur.vip if change.vip is None else change.vip,
            rush=cur.rush if change.rush is None else change.rush,
        )
    return replace(factory, orders=tuple(new if o.ref == ref else o for o in factory.orders))


def _subject(change: Change) -> str:
    return change.order.ref if isinstance(change, InsertOrder) else change.ref


@dataclass(frozen=True)
class Assessment:
    """A proposed change: the factory and plan it would lead to, and its impact.

    ``on_time_possible``: for a rush/priority order, whether its promised date can be met
    at all (when True, the plan meets it); ``earliest`` its earliest possible completion.
    """

    change: Change
    factory: Factory
    result: PlanResult
    impact: ImpactReport
    subject: OrderEta | None
    on_time_possible: bool | None
    earliest: datetime | None


def assess_change(
    factory: Factory,
    now: datetime,
    published: Schedule,
    change: Change,
    settings: PlanSettings = PlanSettings(),
    *,
    solver: SolverFn = cpsat_solver,
    protect_others: bool = True,
) -> Assessment:
    """Plan the factory with ``change`` applied and compare with the plan without it (``published``
    brought up to ``now``, see :func:`as_of_now`).

    A change that asks less of the shop (a later date, fewer pieces, a lower priority, a
    cancellation) makes nobody else finish later (see :func:`.planning.cap_others`), and a new
    order without priority (booked where it fits: "Order it for Jan 7") nobody later than when
    everybody keeps their sequence with it; with ``protect_others`` False it is planned by the
    objective alone (a benchmark's baseline).

    A rush order is first put ahead of everybody (insertion: others keep their sequence and
    move right only as needed). When that makes its date, the date becomes a hard deadline
    for the optimiser, so the rush order is on time whenever that is feasible at all; the
    optimiser then repairs the others' tardiness and keeps the rest of the plan stable.
    """
    t0 = time.monotonic()
    new_factory = apply_change(factory, change, now)
    ref = _subject(change)
    before = as_of_now(factory, now, published, settings)
    built = build_with(settings, new_factory, now, published)
    if isinstance(change, MoveOperation):
        built = restrict_move(built, change)
    candidates: list[Solution] = []
    one_repair = 0.0  # how long an insertion took: the next one takes about as long
    on_time: bool | None = None
    earliest: datetime | None = None
    target = next((o for o in new_factory.orders if o.ref == ref), None)
    relaxing = protect_others and _asks_less(change, factory, target)
    # a new order booked where it fits, not put first: the search may not make anyone later to
    # fit it better (a 2 s re-plan would re-order the queues and surprise orders it never touched)
    booked = protect_others and isinstance(change, InsertOrder) and not change.order.rush
    capped = relaxing or booked
    if capped:
        # nobody else may finish later than without the change, or than when everybody keeps
        # their sequence with it
        kept = heuristic.repair(built.problem)
        built = cap_others(built, kept, before.etas(), ref)
        candidates.append(kept)
    elif target is not None and target.status.is_active and ref in built.refs:
        j = built.job_of(ref)
        if target.rush or isinstance(change, ChangePriority):
            t1 = time.monotonic()
            first = heuristic.repair(built.problem, None, frozenset({j}))
            one_repair = time.monotonic() - t1
            end = max(a.end for a in first.assignments if a.job == j)
            earliest = built.to_real(0, end)[1]
            due = built.problem.jobs[j].due
            on_time = due is not None and end <= due
            if on_time and due is not None:
                built = _with_deadline(built, j, due)
                latest = latest_insertion(built.problem, j)
                if latest is not None:  # as late as its date allows: displaces the fewest operations
                    candidates.insert(0, latest)
            candidates.insert(0, first)
    # everybody keeping their sequence, the changed order dispatched where it fits: needed when
    # there is no on-time insertion; beside one, only while half of the deadline is left
    if not capped and (not on_time or time.monotonic() - t0 + one_repair < settings.deadline / 2):
        candidates.append(heuristic.repair(built.problem))
    rest = rest_of(settings, t0, COMPARE_AFTER_SOLVE, built)
    result = solve_built(new_factory, built, rest, candidates=tuple(candidates), solver=solver)
    orders = {o.ref: o for o in new_factory.orders}
    impact = compare_plans(before, result.schedule, orders, subject=frozenset({ref}))
    return Assessment(change, new_factory, result, impact, result.eta_of(ref), on_time, earliest)


def rebase_change(
    factory: Factory,
    now: datetime,
    published: Schedule,
    change: Change,
    previewed: Schedule,
    settings: PlanSettings = PlanSettings(),
) -> Assessment:
    """The plan a preview showed for ``change``, brought up to the shop as it is now: every
    machine keeps the sequence the preview had, re-timed for what was reported since (the
    insertion repair, no search), and compared with ``published`` brought up to now, as
    :func:`assess_change` compares. Confirming a preview after the plan moved on (a progress
    report, a re-plan) commits this when it still says what the preview said
    (:func:`~.change_flow.confirm_change`)."""
    new_factory = apply_change(factory, change, now)
    ref = _subject(change)
    before = as_of_now(factory, now, published, settings)
    built = build_with(settings, new_factory, now, previewed)
    kept = heuristic.repair(built.problem)
    result = solve_built(new_factory, built, replace(settings, deadline=0.05), candidates=(kept,))
    orders = {o.ref: o for o in new_factory.orders}
    impact = compare_plans(before, result.schedule, orders, subject=frozenset({ref}))
    return Assessment(change, new_factory, result, impact, result.eta_of(ref), None, None)


def _asks_less(change: Change, factory: Factory, after: Order | None) -> bool:
    """Whether ``change`` asks no more of the shop: a cancellation, or the same order with a
    promise no earlier, no more pieces, no more weight and not newly a rush order."""
    if isinstance(change, CancelOrder):
        return True
    if isinstance(change, ChangeMaterial) and after is not None:  # the material no later than before
        was = factory.order(change.ref).release
        return after.release is None or (was is not None and after.release <= was)
    if not isinstance(change, (ChangeDue, ChangeQuantity, ChangePriority)) or after is None:
        return False
    before = factory.order(change.ref)
    return (
        after.due >= before.due
        and after.quantity <= before.quantity
        and after.weight <= before.weight
        and (before.rush or not after.rush)
    )


def as_of_now(factory: Factory, now: datetime, published: Schedule, settings: PlanSettings) -> Schedule:
    """The published plan brought up to ``now`` with nothing changed: every machine keeps its
    sequence, and work that should have started meanwhile but was not reported is pushed
    later. A change is compared with this plan, so that its preview shows what the change
    does, not what the time since publishing did."""
    built = build_with(settings, factory, now, published)
    return to_schedule(built, heuristic.repair(built.problem))


def restrict_move(built: Built, move: MoveOperation) -> Built:
    """The problem with step ``move.step`` of ``move.ref`` allowed only on ``move.machine`` and
    not before ``move.not_before``; its reference place (for stability) is the drop point.

    Raises:
        ChangeError: the step is finished, running or frozen (it cannot move), or the machine
            cannot do it.
    """
    try:
        j = built.job_of(move.ref)
        k = built.steps[j].index(move.step)
    except ValueError:
        raise ChangeError("step_already_finished", ref=move.ref, step=move.step + 1) from None
    job = built.problem.jobs[j]
    op = job.ops[k]
    if op.fixed is not None:
        raise ChangeError("step_fixed", ref=move.ref, step=move.step + 1)
    m = built.machine_ids.index(move.machine)
    modes = tuple(md for md in op.modes if md.machine == m)
    if not modes:
        raise ChangeError("machine_not_for_step", machine=move.machine, step=move.step + 1)
    earliest = built.axis.to_axis(max(0, built.grid.minutes(move.not_before)))
    ops = list(job.ops)
    start = max(op.earliest, earliest)
    # the drop point becomes the step's reference place: the stable plan keeps it there and the
    # other operations keep their sequence around it
    ops[k] = replace(op, modes=modes, earliest=start, previous=Previous(m, start))
    jobs = list(built.problem.jobs)
    jobs[j] = replace(job, ops=tuple(ops))
    return replace(built, problem=replace(built.problem, jobs=tuple(jobs)))


def _with_deadline(built: Built, j: int, deadline: int) -> Built:
    jobs = list(built.problem.jobs)
    jobs[j] = replace(jobs[j], deadline=deadline)
    problem: Problem = replace(built.problem, jobs=tuple(jobs))
    return replace(built, problem=problem)


@dataclass(frozen=True)
class Promise:
    """Capable-to-promise: earliest completion of ``quantity`` of ``product``.

    ``undisturbed``: fitted into the published plan's gaps, nobody else moves.
    ``with_priority``: put first (as a rush order); ``impact`` says who slips for it.
    ``without_lateness``: in between: the earliest date-only promise (18:00 of a day) it keeps
    as a rush order promised then, with no other order later past its promise (others may
    move within their slack; see :func:`_without_lateness`); None when that is no earlier than
    ``undisturbed``.
    """

    product: str
    quantity: int
    undisturbed: datetime
    with_priority: datetime
    impact: ImpactReport
    result: PlanResult
    without_lateness: datetime | None = None


def promise_date(
    factory: Factory,
    now: datetime,
    published: Schedule,
    product: str,
    quantity: int,
    settings: PlanSettings = PlanSettings(),
    *,
    ref: str = "CTP-QUOTE",
    customer: str = "",
    solver: SolverFn = cpsat_solver,
) -> Promise:
    """Earliest dates for a prospective order, without and with priority."""
    t0 = time.monotonic()
    if product not in factory.routings:
        raise ChangeError("unknown_product", product=product)
    _check_quantity(quantity)
    probe = Order(ref=ref, customer=customer, product=product, quantity=quantity, due=now, rush=True)
    before = as_of_now(factory, now, published, settings)
    with_probe = replace(factory, orders=(*factory.orders, probe))
    built = build_with(settings, with_probe, now, published)
    j = built.job_of(ref)
    undisturbed_end = _fit_into_gaps(built.problem, j)
    undisturbed = built.to_real(0, undisturbed_end)[1]
    first = heuristic.repair(built.problem, None, frozenset({j}))
    first_end = built.to_real(0, max(a.end for a in first.assignments if a.job == j))[1]
    # before the solve, which gets what is left: at most half of the deadline on a large shop
    middle = _without_lateness(built, j, first_end, undisturbed, until=t0 + settings.deadline / 2)
    if middle is not None and middle >= undisturbed:
        middle = None  # fitting into the gaps is as early: nothing more to say
    rest = rest_of(settings, t0, COMPARE_AFTER_SOLVE, built)
    result = solve_built(with_probe, built, rest, candidates=(first,), solver=solver)
    eta = result.eta_of(ref)
    with_priority = min(eta.eta if eta is not None else undisturbed, undisturbed)
    orders = {o.ref: o for o in with_probe.orders}
    impact = compare_plans(before, result.schedule, orders, subject=frozenset({ref}))
    return Promise(product, quantity, undisturbed, with_priority, impact, result, middle)


def _without_lateness(built: Built, j: int, earliest: datetime, undisturbed: datetime, *,
                      until: float) -> datetime | None:
    """The earliest date-only promise (a day at :data:`~scheduler_core.domain.model.DUE_HOUR`) that job ``j`` keeps
    when placed as a rush order promised then is (as late as that date allows, everybody else
    keeping their sequence: :func:`_latest_placement`) with no other job ending later past its
    own due date than without ``j``. A rush order promised then gets this plan among its
    candidates, so its re-plan adds no weighted tardiness to the others. Days are bisected
    between ``earliest`` and ``undisturbed`` until ``time.monotonic()`` reaches ``until`` (then
    the earliest day found to work so far); None when none was found."""
    problem = built.problem
    tz = built.grid.tz

    def lateness(sol: Solution) -> list[int]:
        ends = [0] * len(problem.jobs)
        for a in sol.assignments:
            ends[a.job] = max(ends[a.job], a.end)
        return [max(0, ends[k] - job.due) if job.due is not None and job.ops else 0
                for k, job in enumerate(problem.jobs)]

    base = lateness(heuristic.repair(problem))  # j last: nobody else moves for it

    def promise(day: date) -> datetime:
        return datetime.combine(day, clock(DUE_HOUR), tzinfo=tz)

    def keeps(day: date) -> bool:
        due = built.axis.to_axis(max(0, built.grid.minutes(promise(day))))
        pins = _latest_placement(problem, j, due)
        if pins is None:
            return False
        sol = heuristic.repair(problem, None, frozenset({j}), pinned=pins)
        late = lateness(sol)
        end = max(a.end for a in sol.assignments if a.job == j)
        return end <= due and all(late[k] <= base[k] for k in range(len(late)) if k != j)

    lo = earliest.astimezone(tz).date()
    hi = undisturbed.astimezone(tz).date()
    if promise(hi) < undisturbed:
        hi += timedelta(days=1)
    found: date | None = None
    while lo <= hi and time.monotonic() < until:
        mid = lo + (hi - lo) // 2
        if keeps(mid):
            found, hi = mid, mid - timedelta(days=1)
        else:
            lo = mid + timedelta(days=1)
    return promise(found) if found is not None else None


def _fit_into_gaps(problem: Problem, j: int) -> int:
    """Earliest completion of job ``j`` when every other operation stays where the published
    plan has it (unplanned ones after it). Greedy earliest-end per operation is optimal for one
    chain against fixed busy time."""
    return _gap_placement(problem, j)[1]


def _gap_placement(problem: Problem, j: int) -> tuple[dict[tuple[int, int], tuple[int, int]], int]:
    """Job ``j`` fitted into the gaps of the published plan, each operation as early as
    possible (see :func:`_fit_into_gaps`): its ``(machine, start)`` per operation, and its
    completion."""
    busy = _published_busy(problem, j)
    pauses = problem.machine_pauses()
    job: Job = problem.jobs[j]
    t = max(job.release, problem.now)
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for k, op in enumerate(job.ops):
        if op.fixed is not None:
            t = op.fixed.end
            continue
        best: tuple[int, int, int] | None = None  # (end, machine, start)
        for mode in op.modes:
            p = pauses[mode.machine]
            start = _earliest_gap(busy[mode.machine], t, mode.duration, p)
            if best is None or p.end(start, mode.duration) < best[0]:
                best = (p.end(start, mode.duration), mode.machine, start)
        assert best is not None
        out[(j, k)] = (best[1], best[2])
        t = best[0]
    return out, t


def _published_busy(problem: Problem, j: int) -> list[list[tuple[int, int]]]:
    """Per machine, sorted disjoint busy intervals of everything but job ``j``: blocked
    windows, fixed work and every other operation at its published place."""
    busy: list[list[tuple[int, int]]] = [list(w) for w in problem.blocked]
    pauses = problem.machine_pauses()
    for other in problem.jobs:
        if other is problem.jobs[j]:
            continue
        for op in other.ops:
            if op.fixed is not None:
                busy[op.fixed.machine].append((op.fixed.start, op.fixed.end))
            elif op.previous is not None:
                d = op.duration_on(op.previous.machine) or op.min_duration
                p = pauses[op.previous.machine]
                start = p.start(op.previous.start)
                busy[op.previous.machine].append((start, p.end(start, d)))
    return [merge_intervals(lst) for lst in busy]


def latest_insertion(problem: Problem, j: int) -> Solution | None:
    """Job ``j`` (a rush order) placed as late as its due date allows (see
    :func:`_latest_placement`), every other machine keeping its sequence and moving right only
    as needed; None when it has no due date or cannot be placed that way."""
    due = problem.jobs[j].due
    pins = None if due is None else _latest_placement(problem, j, due)
    return None if pins is None else heuristic.repair(problem, None, frozenset({j}), pinned=pins)


def _latest_placement(problem: Problem, j: int, due: int) -> dict[tuple[int, int], tuple[int, int]] | None:
    """Machine and start for each operation of job ``j`` (a rush order), scheduled backward
    from ``due``: as late as possible, into a gap of the published plan where one exists,
    else where it overlaps the least published work (which then shifts right). None when
    the job cannot be placed that way (an operation is fixed, or the backward placement
    would start before the job can)."""
    job = problem.jobs[j]
    if any(op.fixed is not None for op in job.ops):
        return None
    busy = _published_busy(problem, j)
    pauses = problem.machine_pauses()
    floors: list[int] = []
    t = max(job.release, problem.now)
    for op in job.ops:  # earliest start of each operation, from the release on
        floors.append(t)
        t = min(pauses[m.machine].finish(t, m.duration) for m in op.modes)
    out: dict[tuple[int, int], tuple[int, int]] = {}
    limit = due
    for k in range(len(job.ops) - 1, -1, -1):
        op = job.ops[k]
        best: tuple[int, int, int, int] | None = None  # (overlap, -start, machine, start)
        for mode in op.modes:
            p = pauses[mode.machine]
            s = _latest_gap(busy[mode.machine], limit, mode.duration, floors[k], p)
            overlap = 0
            if s is None:
                s = p.latest_start(limit, mode.duration)
                e = p.end(s, mode.duration)
                overlap = sum(max(0, min(b, e) - max(a, s)) for a, b in busy[mode.machine])
            if s < floors[k]:
                continue
            cand = (overlap, -s, mode.machine, s)
            if best is None or cand < best:
                best = cand
        if best is None:
            return None
        out[(j, k)] = (best[2], best[3])
        limit = best[3]
    return out


def _latest_gap(busy: list[tuple[int, int]], limit: int, duration: int, floor: int,
                pauses: Pauses = NO_PAUSES) -> int | None:
    """Latest start ``s >= floor`` from which ``duration`` working minutes (waiting through the
    machine's ``pauses``) run free of ``busy`` and end by ``limit``."""
    s = pauses.latest_start(limit, duration)
    for a, b in reversed(busy):
        if s < floor:
            return None
        if a >= pauses.end(s, duration):
            continue  # entirely after the candidate
        if b <= s:
            return s  # busy intervals are sorted and disjoint: the rest is earlier
        s = pauses.latest_start(a, duration)
    return s if s >= floor else None


def _earliest_gap(busy: list[tuple[int, int]], t: int, duration: int, pauses: Pauses = NO_PAUSES) -> int:
    """Earliest start ``>= t`` from which ``duration`` working minutes run free of ``busy``."""
    start = pauses.start(t)
    for a, b in busy:
        if b <= start:
            continue
        if a >= pauses.end(start, duration):
            break
        start = pauses.start(max(start, b))
    return start

