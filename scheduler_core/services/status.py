"""Use cases: where is my order (get_order_status) and the order lists per role."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.domain.calendar import Downtime, as_planned
from scheduler_core.domain.model import Factory, OrderStatus, Progress, Step
from scheduler_core.domain.schedule import Schedule

from .codec import cause_from_dict
from .context import Services, load_factory
from .errors import Conflict, NotFound, PermissionDenied
from .planning import OrderEta
from .policy import require, require_order_visible
from .ports import Actor, OrderRecord, PlanVersion, Role
from .views import OrderLine, OrderStatusView, StepView

__all__ = ["PlanView", "current_plan", "get_order_status", "list_orders"]

_ZERO = timedelta(0)


async def get_order_status(svc: Services, actor: Actor, ref_text: str) -> OrderStatusView:
    """Progress, current step, ETA against the promise and why late, for one order.

    Unknown and other customers' orders raise the same :class:`NotFound` (P1).
    """
    require(actor, "view_order")
    try:
        ref = await svc.order_ref(ref_text)
    except Exception as exc:
        raise NotFound("order_not_found", ref=ref_text[:40]) from exc
    async with svc.uow() as uow:
        record = require_order_visible(actor, await uow.orders.get(ref), ref)
        plan = await uow.plans.current_for(ref)
        progress = await uow.shopfloor.progress(ref)
        routing = await uow.master.routing(record.order.product)
    if routing is None:
        raise NotFound("order_not_found", ref=ref)
    view = replace(_status_view(record, plan, progress, routing.steps, svc.now()), product_name=routing.name)
    if actor.role is Role.CUSTOMER and view.cause is not None:
        view = replace(view, cause=view.cause.for_customer())
    return view


def _status_view(record: OrderRecord, plan: PlanVersion | None, progress: dict[tuple[str, int], Progress],
                 steps: tuple[Step, ...], now: datetime) -> OrderStatusView:
    order = record.order
    schedule: Schedule | None = plan.schedule if plan else None
    views: list[StepView] = []
    work_total = work_done = 0.0
    for k, step in enumerate(steps):
        p = progress.get((order.ref, k))
        placed = schedule.place(order.ref, k) if schedule else None
        alt = step.alternatives[0]
        weight = alt.minutes(order.quantity)
        work_total += weight
        done = p.done if p else 0
        if (p is not None and (p.finished is not None or p.done >= order.quantity)) or order.status in (
            OrderStatus.DONE, OrderStatus.DELIVERED
        ):
            state = "done"
            work_done += weight
            done = max(done, order.quantity) if p is None or p.finished is None else done
        elif p is not None and p.started is not None:
            state = "running"
            work_done += weight * min(1.0, done / max(1, order.quantity))
        else:
            state = "planned"
        views.append(
            StepView(k, step.name, state, placed.machine if placed else (p.machine if p else None), done,
                     order.quantity, placed.start if placed else (p.started if p else None),
                     placed.end if placed else (p.finished if p else None))
        )
    eta = schedule.eta(order.ref) if schedule else None
    if order.status is OrderStatus.DELIVERED:
        eta = record.delivered
    late_by = max(_ZERO, eta - order.due) if eta else _ZERO
    cause = None
    if late_by > _ZERO and plan is not None and order.status.is_active:
        stored = plan.metrics.get("causes", {}).get(order.ref)
        cause = cause_from_dict(stored) if stored else None
    current = next((v for v in views if v.state == "running"), None) or next(
        (v for v in views if v.state == "planned"), None
    )
    return OrderStatusView(
        ref=order.ref, customer=order.customer, product=order.product, quantity=order.quantity, status=order.status,
        due=order.due, eta=eta, late_by=late_by, vip=order.vip, cause=cause, steps=tuple(views),
        progress=work_done / work_total if work_total else 0.0, current=current, delivered=record.delivered,
        plan_version=plan.number if plan else 0,
        material=order.release_after(now),
    )


async def list_orders(svc: Services, actor: Actor, *, include_closed: bool = False,
                      limit: int = 50, customer: str | None = None, due_by: date | None = None) -> list[OrderLine]:
    """A customer's orders (open and recent), a salesperson's customers' orders, or all for
    managers and operators; late and at-risk first. Staff may narrow the list to one
    ``customer``; a customer always sees their own orders only (P1). With ``due_by``: only the
    orders promised by the end of that factory day (those already past their date included),
    soonest promise first."""
    require(actor, "list_orders")
    statuses = None if include_closed else [OrderStatus.OPEN, OrderStatus.IN_PROGRESS, OrderStatus.DONE]
    async with svc.uow() as uow:
        if actor.role is Role.CUSTOMER:
            if actor.customer is None:
                return []
            records = await uow.orders.list(customer=actor.customer, statuses=statuses)
        elif actor.role is Role.SALES:
            records = await uow.orders.list(sales=actor.username, customer=customer, statuses=statuses)
            if customer and not records and await uow.orders.list(customer=customer, limit=1):
                raise PermissionDenied("not_your_customer", customer=customer)
        else:
            records = await uow.orders.list(customer=customer, statuses=statuses)
        plan = await uow.plans.current()
        until = datetime.combine(due_by, time.max, tzinfo=ZoneInfo(await uow.master.timezone())) if due_by else None
    lines = [_line(r, plan) for r in records]
    if actor.role is Role.CUSTOMER:
        lines = [replace(x, cause=x.cause.for_customer()) if x.cause else x for x in lines]
    if until is not None:
        lines = [x for x in lines if x.due <= until]
        lines.sort(key=lambda x: (x.due, x.ref))
    else:
        lines.sort(key=lambda x: (-x.late_by.total_seconds(), not x.at_risk, x.due, x.ref))  # late, at risk, rest
    return lines[:limit]


def _line(record: OrderRecord, plan: PlanVersion | None) -> OrderLine:
    o = record.order
    eta = record.delivered if record.delivered else (plan.schedule.eta(o.ref) if plan else None)
    late = max(_ZERO, eta - o.due) if eta else _ZERO
    stored = plan.metrics.get("causes", {}).get(o.ref) if plan and late > _ZERO and not record.delivered else None
    return OrderLine(o.ref, o.customer, o.product, o.quantity, o.status, o.due, eta, late, o.vip,
                     cause_from_dict(stored) if stored else None)



@dataclass(frozen=True)
class PlanView:
    """The published plan with every active order's ETA (and why late), for tables and charts."""

    version: int
    created: datetime
    reason: str
    metrics: dict[str, Any]
    factory: Factory
    schedule: Schedule
    etas: tuple[OrderEta, ...]
    #: the machine stops as the plan assumed them: a stop until further notice ends
    #: ``open_downtime_minutes`` after the plan was made (or after it began), as in the planner
    stops: tuple[Downtime, ...] = ()


async def current_plan(svc: Services, actor: Actor) -> PlanView:
    """The published plan as staff see it. Raises :class:`Conflict` when nothing is planned yet."""
    require(actor, "view_plan")
    async with svc.uow() as uow:
        factory, records = await load_factory(uow)
        plan = await uow.plans.current()
    if plan is None:
        raise Conflict("no_plan")
    causes = plan.metrics.get("causes", {})
    etas = []
    for ref, eta in plan.schedule.etas().items():
        rec = records.get(ref)
        if rec is None:
            continue
        o = rec.order
        late = max(_ZERO, eta - o.due)
        cause = cause_from_dict(causes[ref]) if late > _ZERO and ref in causes else None
        etas.append(OrderEta(ref, o.customer, o.product, o.quantity, o.due, eta, late, o.vip, o.rush, cause))
    etas.sort(key=lambda e: (-e.late_by.total_seconds(), e.due, e.ref))
    return PlanView(plan.number, plan.created, plan.reason, dict(plan.metrics), factory, plan.schedule, tuple(etas),
                    as_planned(factory.downtime, plan.created, svc.planning.open_downtime))
