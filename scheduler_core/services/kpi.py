"""Use case: the measures the factory is judged by."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler_core.domain.model import OrderStatus

from .context import Services
from .load import busiest_machine, machine_time
from .policy import require
from .ports import Actor
from .views import KpiView

__all__ = ["kpis"]


async def kpis(svc: Services, actor: Actor, since: datetime | None = None, until: datetime | None = None,
               *, horizon: timedelta = timedelta(days=7)) -> KpiView:
    """Average lead time (order to delivery, days), complaint rate (complaints / delivered),
    delay rate (delivered after promise / delivered), satisfaction (survey average, 1-5 and
    0-100), on-time rate, open late orders, and the bottleneck machine: the busiest over the
    next ``horizon`` of the current plan, with its load (planned work / its working time there)."""
    require(actor, "kpis")
    now = svc.now()
    until = until or now
    since = since or until - timedelta(days=30)
    async with svc.uow() as uow:
        delivered = [r for r in await uow.orders.list(statuses=[OrderStatus.DELIVERED], delivered_since=since)
                     if r.delivered is not None and r.delivered <= until]
        complaints = [c for c in await uow.feedback.complaints(since) if c.created <= until]
        surveys = [s for s in await uow.feedback.surveys(since) if s.sent <= until]
        active = await uow.orders.active()
        plan = await uow.plans.current()
        shop = await machine_time(uow, svc.planning.open_downtime)
    n = len(delivered)
    lead = [(r.delivered - r.order.created).total_seconds() / 86400 for r in delivered
            if r.delivered and r.order.created]
    late = sum(1 for r in delivered if r.delivered and r.delivered > r.order.due)
    scores = [s.score for s in surveys if s.score is not None]
    avg = sum(scores) / len(scores) if scores else None
    open_late = 0
    bottleneck = None
    load = None
    if plan is not None:
        etas = plan.schedule.etas()
        open_late = sum(1 for r in active if (eta := etas.get(r.ref)) is not None and eta > r.order.due)
        busiest = busiest_machine(plan.schedule, now, horizon, shop)
        if busiest is not None:
            bottleneck, load = busiest
    return KpiView(
        since=since, until=until, delivered=n,
        avg_lead_time_days=round(sum(lead) / len(lead), 2) if lead else None,
        complaint_rate=round(len(complaints) / n, 4) if n else None,
        delay_rate=round(late / n, 4) if n else None,
        on_time_rate=round(1 - late / n, 4) if n else None,
        satisfaction_score=round((avg - 1) / 4 * 100, 1) if avg is not None else None,
        satisfaction_avg=round(avg, 2) if avg is not None else None,
        survey_response_rate=round(len(scores) / len(surveys), 4) if surveys else None,
        complaints=len(complaints), open_orders=len(active), open_late=open_late,
        bottleneck=bottleneck, bottleneck_load=round(load, 3) if load is not None else None,
    )

