"""Manager flows: key figures, late orders, the plan as a picture, the plan summary, the daily
summary on demand."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from scheduler_core.reports.gantt import gantt_png
from scheduler_core.reports.i18n import Tr
from scheduler_core.reports.notify import render_notification
from scheduler_core.services.errors import PermissionDenied
from scheduler_core.services.feedback import list_complaints
from scheduler_core.services.kpi import kpis
from scheduler_core.services.load import MachineTime, busiest_machine
from scheduler_core.services.notifications import summary_data
from scheduler_core.services.overview import capacity
from scheduler_core.services.pictures import summary_pictures
from scheduler_core.services.policy import require
from scheduler_core.services.ports import Actor
from scheduler_core.services.status import current_plan

from . import render
from .context import Ctx
from .types import Reply

__all__ = ["daily", "gantt", "kpi", "load", "summary"]


def _actor(ctx: Ctx, action: str) -> Actor:
    if ctx.actor is None:
        raise PermissionDenied("not_allowed")
    require(ctx.actor, action)
    return ctx.actor


async def kpi(ctx: Ctx, args: str = "") -> list[Reply]:
    view = await kpis(ctx.svc, _actor(ctx, "kpis"))
    return ctx.say(render.kpis(ctx.tr, view))


async def summary(ctx: Ctx, args: str = "") -> list[Reply]:
    actor = _actor(ctx, "kpis")
    plan = await current_plan(ctx.svc, actor)
    shop = MachineTime.of(plan.factory, ctx.svc.planning.open_downtime)
    return ctx.say(render.summary(ctx.tr, ctx.tz, plan, busiest_machine(plan.schedule, ctx.now(), timedelta(days=7), shop)))


async def load(ctx: Ctx, args: str = "") -> list[Reply]:
    """"瓶颈在哪", "which machine is the busiest": the bottleneck, the busiest machines over the
    next 7 days with the late orders waiting for each, and the machine groups' load."""
    actor = _actor(ctx, "kpis")
    view = await capacity(ctx.svc, actor, days=7)
    plan = await current_plan(ctx.svc, actor)
    waiting: dict[str, int] = {}
    for e in plan.etas:
        if e.late_by > timedelta(0) and e.cause is not None and e.cause.machine is not None:
            waiting[e.cause.machine] = waiting.get(e.cause.machine, 0) + 1
    booked: dict[str, datetime] = {}  # the end of each machine's last planned step
    for op in plan.schedule.ops:
        booked[op.machine] = max(op.end, booked.get(op.machine, op.end))
    return ctx.say(render.machine_load(ctx.tr, ctx.tz, view, waiting, booked))


async def daily(ctx: Ctx, args: str = "") -> list[Reply]:
    """``/daily`` ("日报", "how did we do yesterday"): the managers' daily summary as the morning
    message has it (yesterday's and the last 7 days' deliveries on time, late and at-risk orders
    and why, complaints, satisfaction, rush insertions, the bottleneck, the KPIs against the week
    before), made now, with its pictures: the Gantt of the next three days and the KPI trend chart."""
    _actor(ctx, "kpis")
    data = await summary_data(ctx.svc, ctx.today())
    message = render_notification("summary", data.to_dict(), ctx.tr, tz=ctx.tz)
    replies = [Reply(part) for part in render.chunks(render.esc(message.text))]
    for pic in await summary_pictures(ctx.svc, ctx.tr, data.trend):  # as the morning message has them
        replies.append(Reply(render.esc(pic.caption), photo=pic.png))
    return replies


async def gantt(ctx: Ctx, args: str = "") -> list[Reply]:
    """The current plan as a PNG (drawn in a thread: matplotlib takes a moment)."""
    actor = _actor(ctx, "kpis")
    plan = await current_plan(ctx.svc, actor)
    f = plan.factory
    tr = ctx.tr
    def title(t: Tr) -> str:  # in the picture's language, which may fall back to English
        return t.gettext("Plan version {version}", version=plan.version)

    png = await asyncio.to_thread(
        gantt_png, plan.schedule, plan.etas, tr=tr, machines=[m.id for m in f.machines], downtime=plan.stops,
        title=title, tz=ctx.tz, groups={m.id: m.group for m in f.machines},
        calendars={m.id: f.calendars[m.calendar] for m in f.machines if m.calendar in f.calendars}, days=7,
    )
    late = sum(1 for e in plan.etas if e.late_by.total_seconds() > 0)
    caption = render.fill(tr.gettext("Plan version {version}: {orders} open orders, {late} late."),
                          version=plan.version, orders=len(plan.etas), late=late)
    return [Reply(caption, photo=png)]


COMPLAINTS_SHOWN = 10
COMPLAINT_DAYS = 30


async def complaints(ctx: Ctx) -> list[Reply]:
    """"who complained recently", "最近有哪些投诉": the last 30 days' complaints, newest first
    (a customer: their own company's), each with its day, customer, order and words."""
    actor = ctx.actor
    if actor is None:
        raise PermissionDenied("not_allowed")
    found = await list_complaints(ctx.svc, actor, days=COMPLAINT_DAYS)
    tr = ctx.tr
    if not found:
        return ctx.say(render.esc(tr.gettext("No complaints in the last {days} days.", days=COMPLAINT_DAYS)))
    lines = ["<b>" + render.esc(tr.gettext("Complaints in the last {days} days ({n})", days=COMPLAINT_DAYS,
                                            n=len(found))) + "</b>"]
    for c in found[:COMPLAINTS_SHOWN]:
        who = " · ".join(x for x in (c.customer, c.ref or "") if x)
        words = c.text if len(c.text) <= 80 else c.text[:79] + "…"
        lines.append("• " + render.esc(f"{tr.date(c.created.astimezone(ctx.tz), year=False)} · {who}: {words} (#{c.id})"))
    if len(found) > COMPLAINTS_SHOWN:
        lines.append(render.esc(tr.gettext("… and {n} more", n=len(found) - COMPLAINTS_SHOWN)))
    return ctx.say("\n".join(lines))
