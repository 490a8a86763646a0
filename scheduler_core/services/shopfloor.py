"""Use cases: progress reports (报工), machine stops and restarts, and re-planning after them.

An event is recorded first (its own transaction: nothing reported is lost), then the
factory is re-planned and the new version published with its delay warnings. Bursts of
events are coalesced: while one re-plan runs, further requests wait and are served by ONE
more re-plan that sees all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler_core.domain.model import Factory, Machine, Routing, Step
from scheduler_core.domain.schedule import Schedule
from scheduler_core.domain.timegrid import TimeGrid

from .changes import MAX_QUANTITY, ChangeError
from .context import Services, load_factory, plan_in_thread, plan_metrics, publish
from .errors import InvalidInput, NotFound
from .events import MachineDown, MachineUp, ProgressReport, apply_event
from .policy import require
from .ports import SYSTEM, Actor, AuditEntry, OrderRecord, PlanVersion, ProgressEvent, StalePlan, UnitOfWork
from .refs import clean_text
from .views import EarlyStart, PlanUpdate, Recorded, ReportTarget

__all__ = [
    "WORK_WORDS",
    "cancel_stop",
    "default_step",
    "first_working_minute",
    "machine_down",
    "machine_up",
    "plan_stop",
    "record_machine_down",
    "record_machine_up",
    "record_progress",
    "replan_now",
    "report_progress",
    "report_target",
]


async def replan_now(svc: Services, actor: Actor = SYSTEM, reason: str = "replan", *,
                     gives_more: bool = False) -> PlanUpdate:
    """Re-plan the factory and publish the result (coalesced with concurrent requests).
    ``gives_more``: after an event that only gave the shop more (a machine back, a report) or
    that should disturb no one else (a stop planned ahead), nobody finishes later than published
    or than every machine keeping its sequence gives, unless a request served by the same
    re-plan says otherwise."""
    if actor is not SYSTEM:
        require(actor, "replan")
    return await svc.replans.run(lambda protect: _replan(svc, actor, reason, protect), gives_more=gives_more)


async def _replan(svc: Services, actor: Actor, reason: str, protect: bool = False, attempts: int = 3) -> PlanUpdate:
    for _ in range(attempts):
        now = svc.now()
        async with svc.uow() as uow:
            factory, records = await load_factory(uow)
            current = await uow.plans.current()
        result = await plan_in_thread(svc, factory, now, current.schedule if current else None, protect=protect)
        async with svc.uow(write=True) as uow:
            try:
                version, impact = await publish(
                    uow, svc, actor=actor, schedule=result.schedule, metrics=plan_metrics(result),
                    old=current.schedule if current else None, expected=current.number if current else 0,
                    reason=reason, orders={o.ref: o for o in factory.orders}, records=records,
                )
            except StalePlan:
                continue  # someone published meanwhile: plan again on top of theirs
            await uow.commit()
        return PlanUpdate(version, impact, len(result.late))
    raise InvalidInput("busy_try_again")


async def report_progress(
    svc: Services,
    actor: Actor,
    ref_text: str,
    good: int,
    *,
    step: int | None = None,
    scrap: int = 0,
    machine: str | None = None,
    finished: bool = False,
    at_machine: str | None = None,
    work: str | None = None,
    total: bool = False,
) -> PlanUpdate:
    """Record ``good`` (and ``scrap``) units of a step of an order, then re-plan protected (see
    :func:`replan_now`): a report tells where work stands, so no other order finishes later than
    the published plan had it, or than keeping every machine's sequence gives when that is later
    (a report behind the plan delays what queues behind that step, and no more). A report does
    not re-open who goes first.

    ``step`` is 1-based as people count; default: the step in progress or the next one, or,
    with ``at_machine`` (the machine the reporter works at), the first unfinished step that
    machine can do, or, with ``work`` (a kind of :data:`WORK_WORDS`: "焊完了" is weld), the first
    unfinished step of that kind. ``machine`` defaults to ``at_machine`` when it can do the
    step, else to where the plan has that step. ``total``: ``good`` is the step's good units so
    far ("累计完成200件", "200 done so far"), not units made since the last report.
    """
    async with svc.uow() as uow:
        before = await uow.plans.current()
    rec = await record_progress(svc, actor, ref_text, good, step=step, scrap=scrap, machine=machine,
                                finished=finished, at_machine=at_machine, work=work, total=total)
    early = early_start(before.schedule if before is not None else None, rec, svc.now())
    update = replace(await replan_now(svc, SYSTEM, f"progress {rec.ref}/{rec.step + 1}", gives_more=True), recorded=rec)
    return replace(update, early=early) if early is not None else update


def early_start(before: Schedule | None, rec: Recorded, now: datetime) -> EarlyStart | None:
    """Whether ``rec`` is work on a step out of its turn: the plan ``before`` the report had it
    starting more than :data:`EARLY_START` after ``now`` with other work to come first on its
    machine, and nothing of it was reported before (a step already under way that the plan
    resumes after a break or the night is not early)."""
    placed = before.place(rec.ref, rec.step) if before is not None else None
    if before is None or placed is None or placed.start - now <= EARLY_START or rec.done > rec.good:
        return None
    first = [op for op in before.on_machine(placed.machine)
             if op.start < placed.start and op.end > now and (op.ref, op.step) != (rec.ref, rec.step)]
    return EarlyStart(rec.ref, rec.step, placed.start, placed.machine) if first else None


WORK_WORDS: dict[str, tuple[str, ...]] = {
    "cut": ("cut", "laser", "saw", "切", "割", "下料"),
    "machine": ("cnc", "machin", "lathe", "turn", "mill", "drill", "grind", "车", "铣", "磨", "钻", "镗", "刨", "加工"),
    "weld": ("weld", "wld", "焊"),
    "paint": ("paint", "pnt", "coat", "spray", "喷", "涂"),
    "assemble": ("assembl", "asm", "装配", "组装"),
    "pack": ("pack", "pck", "包装"),
    "press": ("press", "stamp", "bend", "冲", "压", "折弯", "剪"),
    "inspect": ("inspect", "qc", "quality", "检"),
}
"""Words that say what kind of work a routing step is, in its name or its machines' ids, names
and groups (English and Chinese, any case)."""


def default_step(factory: Factory, ref: str, routing: Routing, *, at_machine: str | None = None,
                 work: str | None = None) -> int:
    """The 0-based step a report without a step number is about: the first unfinished step
    ``at_machine`` can do, else the first unfinished step of the kind ``work`` names, else the
    first unfinished step (the step in progress or the next one)."""
    open_steps = [i for i in range(len(routing.steps))
                  if (p := factory.progress.get((ref, i))) is None or p.finished is None]
    here = [i for i in open_steps if routing.steps[i].runs_on(at_machine)]
    kind: list[int] = []
    if work:
        machines = {m.id: m for m in factory.machines}
        kind = [i for i in open_steps if _does(routing.steps[i], machines, work)]
    return (here or kind or open_steps or [0])[0]


def _does(step: Step, machines: Mapping[str, Machine], work: str) -> bool:
    """Whether ``step`` is ``work`` by its name or its machines (:data:`WORK_WORDS`)."""
    names = [step.name]
    for a in step.alternatives:
        m = machines.get(a.machine)
        names.extend((a.machine, m.name, m.group) if m else (a.machine,))
    text = " ".join(names).casefold()
    return any(w in text for w in WORK_WORDS.get(work, ()))


EARLY_START = timedelta(hours=1)
"""Work reported on a step planned to start later than this from now is said to be early: the
plan now has it running, and the steps that were to come first on its machine wait."""


async def record_progress(
    svc: Services,
    actor: Actor,
    ref_text: str,
    good: int,
    *,
    step: int | None = None,
    scrap: int = 0,
    machine: str | None = None,
    finished: bool = False,
    at_machine: str | None = None,
    work: str | None = None,
    total: bool = False,
) -> Recorded:
    """:func:`report_progress` without the re-plan, for a caller that batches events (the
    simulator) and re-plans once with :func:`replan_now`. Returns what was recorded."""
    require(actor, "report_progress")
    ref = await svc.order_ref(ref_text)
    if good < 0 or scrap < 0 or good + scrap == 0:
        raise InvalidInput("quantity_not_positive", quantity=good)
    if good > MAX_QUANTITY or scrap > MAX_QUANTITY:
        raise InvalidInput("quantity_too_large", quantity=max(good, scrap), limit=MAX_QUANTITY)
    now = svc.now()
    async with svc.uow(write=True) as uow:
        factory, rec, routing = await _order_in(uow, ref)
        plan = await uow.plans.current() if machine is None else None
        k, machine = _target(factory, plan, ref, routing, step, machine, at_machine, work)
        if total:  # the step's good units so far: what is new since the units recorded
            done = p.done if (p := factory.progress.get((ref, k))) is not None else 0
            if good <= done and not scrap:
                raise InvalidInput("total_not_above_done", ref=ref, step=k + 1, done=done, total=good)
            good = max(0, good - done)
        event = ProgressReport(ref, k, good, machine, now, scrap, finished)
        try:
            after = apply_event(factory, event)
        except ChangeError as exc:
            raise InvalidInput(exc.code, **exc.params) from exc
        closed = tuple((i, routing.steps[i].name) for i in range(k)
                       if (p := factory.progress.get((ref, i))) is None or p.finished is None)
        step_now = after.progress[(ref, k)]
        await uow.shopfloor.add_progress(ProgressEvent(ref, k, good, scrap, machine, actor.user_id, now, finished))
        new_status = after.order(ref).status
        if new_status is not rec.order.status:
            await uow.orders.update(replace(rec, order=replace(rec.order, status=new_status)))
        await uow.audit.add(AuditEntry(now, actor.user_id, "report_progress", ref, None,
                                       {"step": k + 1, "good": good, "scrap": scrap, "machine": machine}))
        await uow.commit()
    return Recorded(ref, k, routing.steps[k].name, machine, good, step_now.done, rec.order.quantity,
                    step_now.finished is not None, closed, scrap)


async def report_target(svc: Services, actor: Actor, ref_text: str, *, step: int | None = None,
                        at_machine: str | None = None, work: str | None = None) -> ReportTarget:
    """Where a report would go, chosen as :func:`report_progress` chooses it, with nothing
    recorded: to ask how many ("SO-1042 焊完了") or whether it is meant (it would close steps the
    plan still has to come). Raises like :func:`report_progress` for an unknown order or step."""
    require(actor, "report_progress")
    ref = await svc.order_ref(ref_text)
    now = svc.now()
    async with svc.uow() as uow:
        factory, _, routing = await _order_in(uow, ref)
        plan = await uow.plans.current()
    k, machine = _target(factory, plan, ref, routing, step, None, at_machine, work)
    unexpected = []
    for i in range(k):
        placed = plan.schedule.place(ref, i) if plan else None
        if (ref, i) not in factory.progress and placed is not None and placed.end > now:
            unexpected.append((i, routing.steps[i].name))
    return ReportTarget(ref, k, routing.steps[k].name, machine, tuple(unexpected))


async def _order_in(uow: UnitOfWork, ref: str) -> tuple[Factory, OrderRecord, Routing]:
    """The factory, the order's record and its routing (:class:`NotFound` for an unknown order)."""
    factory, records = await load_factory(uow)
    rec = records.get(ref)
    if rec is None:
        raise NotFound("order_not_found", ref=ref)
    return factory, rec, factory.routings[rec.order.product]


def _target(factory: Factory, plan: PlanVersion | None, ref: str, routing: Routing, step: int | None,
            machine: str | None, at_machine: str | None, work: str | None) -> tuple[int, str]:
    """The 0-based step and the machine of a report: ``step`` (1-based) or :func:`default_step`;
    ``machine``, else where the step runs already, else ``at_machine`` when it can do the step,
    else where ``plan`` has it (read only when no ``machine`` is given), else its first machine."""
    if step is None:
        k = default_step(factory, ref, routing, at_machine=at_machine, work=work)
    else:
        if not 1 <= step <= len(routing.steps):
            raise InvalidInput("unknown_step", ref=ref, step=step)
        k = step - 1
    if machine is None:
        placed = plan.schedule.place(ref, k) if plan else None
        p = factory.progress.get((ref, k))
        mine = at_machine if routing.steps[k].runs_on(at_machine) else None
        machine = (p.machine if p and p.machine else None) or mine or (placed.machine if placed else None) \
            or routing.steps[k].alternatives[0].machine
    return k, machine


async def machine_down(svc: Services, actor: Actor, machine: str, reason: str = "",
                       until: datetime | None = None) -> PlanUpdate:
    """A machine stopped (now); ``until`` if the repair time is known. Then re-plan. Without
    ``until`` the plan assumes the stop lasts ``open_downtime_minutes`` from now (``back_by``)."""
    await record_machine_down(svc, actor, machine, reason, until)
    update = await replan_now(svc, SYSTEM, f"down {machine}")
    if until is None:
        update = replace(update, back_by=svc.now() + svc.planning.open_downtime)
    return update


async def machine_up(svc: Services, actor: Actor, machine: str) -> PlanUpdate:
    await record_machine_up(svc, actor, machine)
    return await replan_now(svc, SYSTEM, f"up {machine}", gives_more=True)


async def record_machine_down(svc: Services, actor: Actor, machine: str, reason: str = "",
                              until: datetime | None = None) -> None:
    """:func:`machine_down` without the re-plan (for callers that batch events)."""
    require(actor, "machine_state")
    reason = clean_text(reason, limit=200)
    _check_length(svc.now(), until)
    await _machine_event(svc, actor, MachineDown(machine, svc.now(), until, reason), "machine_down", machine)


MAX_STOP = timedelta(days=90)
"""A stop with a known end lasts at most this; longer is a typo (a machine out for good has no end)."""
MAX_STOP_AHEAD = timedelta(days=3 * 365)


def _check_length(start: datetime, end: datetime | None) -> None:
    if end is not None and end - start > MAX_STOP:
        raise InvalidInput("stop_too_long", days=MAX_STOP.days)


async def plan_stop(svc: Services, actor: Actor, machine: str, start: datetime, end: datetime,
                    reason: str = "") -> PlanUpdate:
    """A stop planned ahead (maintenance): ``machine`` will not work from ``start`` (later than
    now) to ``end``. Recorded, then re-planned protected: no order finishes later than the
    published plan had it or than keeping every machine's sequence around the window gives, so
    what the window displaces moves and the rest stays (a breakdown, by contrast, re-plans
    freely). A stop in force now is left as it is. Cancel it with :func:`cancel_stop` before it
    starts."""
    require(actor, "machine_state")
    if start <= svc.now():
        raise InvalidInput("stop_not_ahead", start=start)
    if start > svc.now() + MAX_STOP_AHEAD:
        raise InvalidInput("date_too_far", date=start, years=MAX_STOP_AHEAD.days // 365)
    _check_length(start, end)
    reason = clean_text(reason, limit=200)
    await _machine_event(svc, actor, MachineDown(machine, start, end, reason, planned=True), "plan_stop", machine)
    return await replan_now(svc, SYSTEM, f"planned stop {machine}", gives_more=True)


async def first_working_minute(svc: Services, machine: str, day: date, not_before: time = time(0)) -> datetime:
    """When ``machine`` starts work on ``day`` (factory time), at ``not_before`` or later: a
    stop planned for "tomorrow" starts there. A day it does not work (a Sunday for maintenance)
    gives ``not_before``, or 08:00 when that is earlier."""
    async with svc.uow() as uow:
        tz = ZoneInfo(await uow.master.timezone())
        machines = {m.id: m for m in await uow.master.machines()}
        calendars = await uow.master.calendars()
    m = machines.get(machine)
    if m is None:
        raise InvalidInput("unknown_machine", machine=machine)
    lo = datetime.combine(day, not_before, tzinfo=tz)
    hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    calendar = calendars.get(m.calendar)
    first = calendar.first_working(TimeGrid.starting(lo, tz), lo, hi) if calendar is not None else lo
    return first or datetime.combine(day, max(not_before, time(8)), tzinfo=tz)


async def cancel_stop(svc: Services, actor: Actor, machine: str, start: datetime) -> PlanUpdate:
    """Drop the stop of ``machine`` planned to start at ``start`` (not yet begun), then re-plan
    protected: the machine's time comes back, and nobody finishes later for it."""
    require(actor, "machine_state")
    async with svc.uow(write=True) as uow:
        downtime = await uow.shopfloor.downtime()
        kept = [d for d in downtime if not (d.machine == machine and d.start == start and d.start > svc.now())]
        if len(kept) == len(downtime):
            raise NotFound("stop_not_found", machine=machine)
        await uow.shopfloor.set_downtime(kept)
        await uow.audit.add(AuditEntry(svc.now(), actor.user_id, "cancel_stop", machine, None,
                                       {"start": start.isoformat()}))
        await uow.commit()
    return await replan_now(svc, SYSTEM, f"stop cancelled {machine}", gives_more=True)


async def record_machine_up(svc: Services, actor: Actor, machine: str) -> None:
    """:func:`machine_up` without the re-plan (for callers that batch events)."""
    require(actor, "machine_state")
    await _machine_event(svc, actor, MachineUp(machine, svc.now()), "machine_up", machine)


async def _machine_event(svc: Services, actor: Actor, event: MachineDown | MachineUp, action: str,
                         machine: str) -> None:
    async with svc.uow(write=True) as uow:
        factory, _ = await load_factory(uow)
        try:
            after = apply_event(factory, event)
        except ChangeError as exc:
            raise InvalidInput(exc.code, **exc.params) from exc
        await uow.shopfloor.set_downtime(after.downtime)
        await uow.audit.add(AuditEntry(svc.now(), actor.user_id, action, machine, None,
                                       {"reason": getattr(event, "reason", "")}))
        await uow.commit()

