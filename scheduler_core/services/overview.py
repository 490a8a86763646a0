"""Use cases for the web app's pages: machine load per day (capacity), a machine's work list,
an order's history, the change log, the KPI trend, and the web chat's identity."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scheduler_core.domain.calendar import Downtime, as_planned
from scheduler_core.domain.model import Progress
from scheduler_core.domain.schedule import PlannedOp
from scheduler_core.domain.timegrid import TimeGrid

from .context import Services
from .errors import Conflict, InvalidInput, NotFound
from .kpi import kpis
from .load import edge_after, machine_time, machine_work, pick_bottleneck
from .policy import require, require_order_visible
from .ports import Actor, AuditEntry, ChangeRecord, ChatIdentity
from .views import KpiView

__all__ = [
    "CapacityView",
    "MachineLoad",
    "MachineNow",
    "WorkLine",
    "WorkList",
    "capacity",
    "change_log",
    "kpi_trend",
    "link_web_chat",
    "machines_now",
    "order_history",
    "under_way",
    "web_chat_lang",
    "work_list",
]


@dataclass(frozen=True, slots=True)
class MachineLoad:
    """Planned work against working time, per day: ``load[d]`` = work / open minutes (None: closed)."""

    machine: str
    group: str
    load: tuple[float | None, ...]
    total: float


@dataclass(frozen=True)
class CapacityView:
    days: tuple[datetime, ...]
    machines: tuple[MachineLoad, ...]
    groups: tuple[MachineLoad, ...]
    bottleneck: str | None
    plan_version: int


async def capacity(svc: Services, actor: Actor, days: int = 7) -> CapacityView:
    """Load per machine and per machine group for each of the next ``days`` days of the current
    plan (today from now on); the bottleneck is the machine with the highest load over the whole
    period, among equals the one with the most work planned after it (see
    :func:`~.load.pick_bottleneck`)."""
    require(actor, "view_plan")
    days = max(1, min(days, 31))
    async with svc.uow() as uow:
        shop = await machine_time(uow, svc.planning.open_downtime)
        plan = await uow.plans.current()
    if plan is None:
        raise Conflict("no_plan")
    tz = shop.tz
    now = svc.now().astimezone(tz)
    start = datetime.combine(now.date(), time(0), tzinfo=tz)
    bounds = [start + timedelta(days=d) for d in range(days + 1)]
    grid = TimeGrid.starting(start, tz)
    edges = [grid.minutes(b) for b in bounds]
    edges[0] = grid.minutes(now)  # today's hours gone by are no capacity left
    # and one window more: the work planned after the last day
    edges.append(edge_after(grid, plan.schedule, edges[-1]))
    by_machine: dict[str, list[PlannedOp]] = defaultdict(list)
    for op in plan.schedule.ops:
        by_machine[op.machine].append(op)
    rows: list[MachineLoad] = []
    after: dict[str, float] = {}
    per_group: dict[str, tuple[list[float], list[float]]] = {}
    for m in shop.machines:
        w, open_min = machine_work(m, by_machine.get(m.id, []), shop, grid, edges, plan.schedule.created)
        after[m.id] = w.pop()
        open_min.pop()
        load = tuple((w[d] / open_min[d]) if open_min[d] > 0 else (None if w[d] == 0 else 1.0) for d in range(days))
        total = sum(w) / sum(open_min) if sum(open_min) > 0 else 0.0
        rows.append(MachineLoad(m.id, m.group, load, total))
        g = per_group.setdefault(m.group, ([0.0] * days, [0.0] * days))
        for d in range(days):
            g[0][d] += w[d]
            g[1][d] += open_min[d]
    groups = tuple(
        MachineLoad(name, name, tuple((w / o) if o > 0 else None for w, o in zip(gw, go, strict=True)),
                    sum(gw) / sum(go) if sum(go) > 0 else 0.0)
        for name, (gw, go) in per_group.items())  # in shop order, as the machines
    top = pick_bottleneck((r.machine, r.total, after[r.machine]) for r in rows)
    bottleneck = None if top is None else top[0]
    return CapacityView(tuple(bounds[:-1]), tuple(rows), groups, bottleneck, plan.number)



@dataclass(frozen=True, slots=True)
class WorkLine:
    """One step on a machine's work list: where the plan has it, for whom, how much is done."""

    op: PlannedOp
    customer: str
    due: datetime
    eta: datetime | None
    late: bool
    vip: bool
    done: int  # good units reported on this step so far
    running: bool  # under way: reported started (it may be paused for the night), or planned to have started


@dataclass(frozen=True)
class WorkList:
    machine: str
    name: str
    group: str
    plan_version: int
    until: datetime
    lines: tuple[WorkLine, ...]
    later: int  # steps planned on it after ``until``
    stops: tuple[Downtime, ...] = ()  # its stops in the window, each ending where the plan assumed
    planned: tuple[Downtime, ...] = ()  # every stop of it that has not begun (maintenance), soonest first


def _under_way(op: PlannedOp, now: datetime, p: Progress | None) -> bool:
    """A step is under way when it is reported started (it may be paused for the night or the
    weekend) or planned to have started."""
    return op.start <= now or (p is not None and (p.started is not None or p.done > 0))


async def under_way(svc: Services, actor: Actor, machine: str) -> tuple[PlannedOp, ...]:
    """The steps under way on ``machine`` (:func:`_under_way`) in the published plan, in planned
    order; what a report without an order ("done 20") is about when there is exactly one."""
    require(actor, "view_plan")
    now = svc.now()
    async with svc.uow() as uow:
        plan = await uow.plans.current()
        if plan is None:
            return ()
        progress = await uow.shopfloor.progress()
    return tuple(op for op in plan.schedule.on_machine(machine)
                 if op.end > now and _under_way(op, now, progress.get((op.ref, op.step))))


async def work_list(svc: Services, actor: Actor, machine: str, hours: int = 24) -> WorkList:
    """A machine's work list (派工单) from the published plan: the steps not yet finished that
    start within the next ``hours`` (1 to 168), in planned order, each with its order's
    customer, promised date and ETA and the units reported so far.

    Raises:
        NotFound: no such machine (``unknown_machine``); Conflict: nothing planned yet.
    """
    require(actor, "view_plan")
    hours = max(1, min(hours, 168))
    now = svc.now()
    until = now + timedelta(hours=hours)
    async with svc.uow() as uow:
        machines = {m.id: m for m in await uow.master.machines()}
        found = machines.get(machine) or next((m for m in machines.values() if m.id.lower() == machine.lower()), None)
        if found is None:
            raise NotFound("unknown_machine", machine=machine[:40])
        plan = await uow.plans.current()
        if plan is None:
            raise Conflict("no_plan")
        ops = [op for op in plan.schedule.on_machine(found.id) if op.end > now]
        shown = [op for op in ops if op.start < until]
        progress = await uow.shopfloor.progress()
        records = {op.ref: await uow.orders.get(op.ref) for op in shown}
        mine = [d for d in await uow.shopfloor.downtime() if d.machine == found.id]
    stops = tuple(d for d in as_planned(mine, plan.created, svc.planning.open_downtime)
                  if d.start < until and d.end is not None and d.end > now)
    etas = plan.schedule.etas()
    lines = []
    for op in shown:
        rec = records.get(op.ref)
        if rec is None:
            continue
        eta = etas.get(op.ref)
        p = progress.get((op.ref, op.step))
        lines.append(WorkLine(op, rec.order.customer, rec.order.due, eta,
                              eta is not None and max(eta, now) > rec.order.due, rec.order.vip,
                              p.done if p is not None else 0, _under_way(op, now, p)))
    planned = tuple(sorted((d for d in mine if d.start > now), key=lambda d: d.start))
    return WorkList(found.id, found.name, found.group, plan.number, until, tuple(lines), len(ops) - len(shown), stops,
                    planned)


@dataclass(frozen=True, slots=True)
class MachineNow:
    """A machine at a glance: its stop in force, the step it runs and the one after, by the plan,
    and its next stop planned ahead."""

    machine: str
    name: str
    group: str
    stop: Downtime | None  # in force now, ending where the plan assumed
    current: PlannedOp | None  # planned over now
    following: PlannedOp | None  # the next to start
    planned: Downtime | None = None  # the next stop that has not begun (maintenance)


async def machines_now(svc: Services, actor: Actor) -> list[MachineNow]:
    """Every machine, by group, with what the published plan has on it now and next (one read of
    the plan for all of them)."""
    require(actor, "view_plan")
    now = svc.now()
    async with svc.uow() as uow:
        machines = await uow.master.machines()
        downtime = await uow.shopfloor.downtime()
        plan = await uow.plans.current()
    stops = as_planned(downtime, plan.created if plan is not None else now, svc.planning.open_downtime)
    out = []
    for m in machines:  # in shop order
        ops = [op for op in plan.schedule.on_machine(m.id) if op.end > now] if plan is not None else []
        current = next((op for op in ops if op.start <= now), None)
        following = next((op for op in ops if op.start > now), None)
        stop = next((d for d in stops if d.machine == m.id and d.end is not None and d.start <= now < d.end), None)
        planned = min((d for d in downtime if d.machine == m.id and d.start > now), key=lambda d: d.start, default=None)
        out.append(MachineNow(m.id, m.name, m.group, stop, current, following, planned))
    return out


async def order_history(svc: Services, actor: Actor, ref_text: str, limit: int = 50) -> list[AuditEntry]:
    """The audit entries about one order, newest first (same NotFound for unknown and foreign, P1)."""
    require(actor, "view_order")
    try:
        ref = await svc.order_ref(ref_text)
    except InvalidInput as exc:
        raise NotFound("order_not_found", ref=(ref_text or "")[:40]) from exc
    async with svc.uow() as uow:
        require_order_visible(actor, await uow.orders.get(ref), ref)
        entries = await uow.audit.list(subject=ref, limit=limit)
    return sorted(entries, key=lambda e: e.at, reverse=True)


async def change_log(svc: Services, actor: Actor, limit: int = 50
                     ) -> tuple[list[ChangeRecord], list[AuditEntry], dict[int, str]]:
    """Proposed and decided changes of the last 30 days, the latest audit entries, and the
    display name of each person in them (the system, id 0, has none)."""
    require(actor, "view_plan")
    async with svc.uow() as uow:
        changes = await uow.changes.list(since=svc.now() - timedelta(days=30))
        audit = await uow.audit.list(limit=limit)
        names: dict[int, str] = {}
        for user_id in {e.actor_id for e in audit if e.actor_id}:
            user = await uow.users.get(user_id)
            if user is not None:
                names[user_id] = user.display_name or user.username
    changes.sort(key=lambda c: c.created, reverse=True)
    return changes[:limit], sorted(audit, key=lambda e: e.at, reverse=True), names


async def kpi_trend(svc: Services, actor: Actor, weeks: int = 8) -> list[KpiView]:
    """The KPIs of each of the last ``weeks`` 7-day windows, oldest first."""
    require(actor, "kpis")
    now = svc.now()
    out = []
    for k in range(max(1, min(weeks, 26)), 0, -1):
        until = now - timedelta(days=7 * (k - 1))
        out.append(await kpis(svc, actor, until - timedelta(days=7), until))
    return out


async def web_chat_lang(svc: Services, actor: Actor) -> str | None:
    """The language of the logged-in user's web chat account (None before its first message)."""
    async with svc.uow() as uow:
        cur = await uow.identities.get("web", actor.user_id)
    return cur.lang if cur is not None else None


async def link_web_chat(svc: Services, actor: Actor, lang: str) -> None:
    """The logged-in user's web chat account (channel ``web``, id = user id), in ``lang``: the
    page's language, which the reader sees and switches beside the chat (so it counts as chosen)."""
    async with svc.uow(write=True) as uow:
        cur = await uow.identities.get("web", actor.user_id)
        if cur is not None and cur.lang == lang and cur.active and cur.lang_chosen:
            return
        await uow.identities.save(ChatIdentity("web", actor.user_id, actor.user_id, lang, lang_chosen=True))
        await uow.commit()
