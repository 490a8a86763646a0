"""What every use case gets: the unit-of-work factory, the clock and the planning settings;
and the steps they share (load the factory, publish a plan with its notifications)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from scheduler_core.domain.impact import ImpactReport, compare_plans
from scheduler_core.domain.model import Factory, Order
from scheduler_core.domain.schedule import Schedule
from scheduler_core.planning.pool import PlannerExecutor, ThreadPlanner
from scheduler_core.planning.runner import SolverFn, cpsat_solver

from .codec import cause_to_dict, impact_to_dict
from .planning import PlanResult, PlanSettings, replan
from .ports import Actor, AuditEntry, Notification, OrderRecord, Role, UnitOfWork, UnitOfWorkFactory
from .refs import DEFAULT_PREFIX, is_number_alone, normalise_ref

__all__ = [
    "WATCH_SUBJECT",
    "Coalescer",
    "Services",
    "hash_token",
    "load_factory",
    "plan_in_thread",
    "plan_metrics",
    "publish",
    "queue_delay_warnings",
    "told_late_eta",
]

Clock = Callable[[], datetime]
T = TypeVar("T")


@dataclass
class Coalescer:
    """Runs at most one re-plan at a time; requests made while one runs share the next run,
    which sees every event recorded before it started. ``gives_more``: the request follows an
    event that only gave the shop more (a machine back); the run is told so (its job gets True)
    only when every request it serves says so."""

    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _pending: bool = False
    _gives_more: bool = True  # of the requests waiting for the next run
    _last: Any = None

    async def run(self, job: Callable[[bool], Awaitable[T]], *, gives_more: bool = False) -> T:
        self._gives_more = gives_more if not self._pending else self._gives_more and gives_more
        self._pending = True
        async with self._lock:
            if not self._pending and self._last is not None:
                return self._last  # type: ignore[no-any-return]  # a run that started after our request covered it
            self._pending = False
            flag, self._gives_more = self._gives_more, True
            self._last = await job(flag)
            return self._last  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Services:
    """The use cases' dependencies, built once by the composition root."""

    uow: UnitOfWorkFactory
    clock: Clock
    planning: PlanSettings = field(default_factory=PlanSettings)
    solver: SolverFn = cpsat_solver
    change_ttl: timedelta = timedelta(minutes=10)
    link_ttl: timedelta = timedelta(hours=24)
    slip_threshold: timedelta = timedelta(hours=4)
    warn_after: timedelta = timedelta(minutes=30)
    """An order is announced late (a delay warning) only once it is late by more than this: a
    re-plan that finishes it minutes after its promise sends nobody a warning."""
    replans: Coalescer = field(default_factory=Coalescer, compare=False, repr=False)
    planner: PlannerExecutor = field(default_factory=ThreadPlanner, compare=False, repr=False)
    """Where planner calls run: a thread here, or worker processes in the server (P9)."""

    def now(self) -> datetime:
        return self.clock()

    def planning_for(self, seconds: float) -> Services:
        """The same services, planning within ``seconds`` (a nightly or a first plan); they share
        the re-plan coalescer and the planner."""
        return replace(self, planning=replace(self.planning, deadline=seconds))

    async def order_ref(self, text: str) -> str:
        """An order number as typed (:func:`.refs.normalise_ref`); a number alone is one of this
        factory's main numbering ("778" -> WO-778 where most orders are WO-...), as the chat reads
        it. Raises :class:`InvalidInput` for what is no order number."""
        if not is_number_alone(text):
            return normalise_ref(text)
        async with self.uow() as uow:
            prefixes = await uow.orders.prefixes()
        return normalise_ref(text, prefixes[0] if prefixes else DEFAULT_PREFIX)

    def announced(self, told_eta: datetime | None, eta: datetime | None) -> bool:
        """Whether a delay warning that announced ``told_eta`` still covers ``eta``: the order
        has not slipped past it by more than ``slip_threshold`` (then it is no news)."""
        return told_eta is not None and eta is not None and eta <= told_eta + self.slip_threshold


def hash_token(token: str) -> str:
    """Tokens and link codes are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()


async def load_factory(uow: UnitOfWork) -> tuple[Factory, dict[str, OrderRecord]]:
    """The factory to plan (active orders) and every active order's record by ref."""
    records = await uow.orders.active()
    factory = Factory(
        timezone=await uow.master.timezone(),
        machines=tuple(await uow.master.machines()),
        calendars=await uow.master.calendars(),
        routings=await uow.master.routings(),
        orders=tuple(r.order for r in records),
        downtime=tuple(await uow.shopfloor.downtime()),
        progress=await uow.shopfloor.progress(),
    )
    return factory, {r.ref: r for r in records}


async def plan_in_thread(svc: Services, factory: Factory, now: datetime, published: Schedule | None, *,
                         protect: bool = False) -> PlanResult:
    """Plan without blocking the event loop: in ``svc.planner`` (worker processes in the server;
    the solver itself always runs in a process of its own). ``protect``: see :func:`replan`."""
    return await svc.planner(replan, factory, now, published, svc.planning, solver=svc.solver, protect=protect)


def plan_metrics(result: PlanResult) -> dict[str, Any]:
    """What a published plan version stores besides its operations (incl. why-late causes)."""
    return {
        "weighted_tardiness": result.score.weighted_tardiness,
        "late_orders": len(result.late),
        "orders": len(result.etas),
        "status": result.status,
        "method": result.method,
        "seconds": round(result.seconds, 3),
        "causes": {e.ref: cause_to_dict(e.cause) for e in result.etas if e.cause is not None},
    }


async def publish(
    uow: UnitOfWork,
    svc: Services,
    *,
    actor: Actor,
    schedule: Schedule,
    metrics: dict[str, Any],
    old: Schedule | None,
    expected: int,
    reason: str,
    orders: dict[str, Order],
    records: dict[str, OrderRecord],
    subject: frozenset[str] = frozenset(),
    audit: tuple[str, str, dict[str, Any] | None, dict[str, Any] | None] | None = None,
) -> tuple[int, ImpactReport | None]:
    """Publish ``schedule`` as the next plan version, with its audit row and the delay warnings
    for every customer whose order now misses its promise (and its sales owner), in the
    caller's transaction. Raises :class:`StalePlan` when the plan moved on meanwhile."""
    now = svc.now()
    version = await uow.plans.publish(schedule.with_version(expected + 1), reason, expected, now, metrics)
    impact = compare_plans(old, schedule, orders, subject=subject) if old is not None else None
    if audit is not None:
        action, subj, before, after = audit
        if impact is not None:
            after = {**(after or {}), "impact": impact_to_dict(impact)}
        await uow.audit.add(AuditEntry(now, actor.user_id, action, subj, before, after))
    if impact is not None:
        await queue_delay_warnings(uow, svc, impact, version, records)
    return version, impact


WATCH_SUBJECT = "delay-watch:{ref}"
"""Audit subject under which the delay watch remembers what it last told about an order."""


def told_late_eta(entry: AuditEntry | None) -> datetime | None:
    """The ETA announced in the last delay warning about an order, when what its people were
    last told is "late" (the delay watch's audit row); otherwise None."""
    after = dict(entry.after or {}) if entry is not None else {}
    if after.get("state") != "late" or not after.get("eta"):
        return None
    return datetime.fromisoformat(str(after["eta"]))


async def queue_delay_warnings(uow: UnitOfWork, svc: Services, impact: ImpactReport, version: int,
                               records: dict[str, OrderRecord]) -> int:
    """One warning per slip: orders that newly miss their promise by more than
    ``svc.warn_after``, or slip further by more than the threshold. Dedup key
    ``delay:{ref}:{version}``.

    "Newly" is against what the order's people were last told, not only against the previous
    plan: an order already announced late, whose ETA wobbled back to just on time (no good-news
    note for that, see ``watch_delays``) and late again, gets no second warning unless it is
    now later than the announced ETA by more than the threshold."""
    queued = 0
    margin = svc.warn_after
    slips = [imp for imp in impact.orders if imp.late_by > margin and (
        (imp.old_eta is not None and imp.was_late_by <= margin) or imp.change > svc.slip_threshold)]
    told = await uow.audit.latest([WATCH_SUBJECT.format(ref=imp.ref) for imp in slips]) if slips else {}
    for imp in slips:
        if svc.announced(told_late_eta(told.get(WATCH_SUBJECT.format(ref=imp.ref))), imp.new_eta):
            continue
        rec = records.get(imp.ref)
        payload = {
            "ref": imp.ref,
            "due": imp.due.isoformat(),
            "old_eta": imp.old_eta.isoformat() if imp.old_eta else None,
            "new_eta": imp.new_eta.isoformat() if imp.new_eta else None,
            "late_by_minutes": round(imp.late_by.total_seconds() / 60),
            "version": version,
            "vip": imp.vip,
        }
        for user in await uow.users.of_customer(imp.customer):
            n = Notification(f"delay:{imp.ref}:{version}:{user.id}", "chat", f"user:{user.id}", "delay", payload,
                             svc.now(), urgent=False)
            queued += await uow.outbox.add(n)
        if rec is not None and rec.sales:
            sales = await uow.users.by_username(rec.sales)
            if sales is not None and sales.role is not Role.CUSTOMER:
                n = Notification(f"delay-sales:{imp.ref}:{version}:{sales.id}", "chat", f"user:{sales.id}",
                                 "delay_sales", payload, svc.now())
                queued += await uow.outbox.add(n)
    return queued
