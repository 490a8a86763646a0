"""The daily summary's pictures, one drawing for the morning message and the chat's ``/daily``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.reports.gantt import gantt_png
from scheduler_core.reports.i18n import Tr
from scheduler_core.reports.notify import Picture, kpi_trend_png

from .context import Services
from .errors import Conflict
from .ports import SYSTEM
from .status import current_plan

__all__ = ["summary_pictures"]


async def summary_pictures(svc: Services, tr: Tr, trend: Sequence[Mapping[str, Any]], *,
                           days: float = 3.0) -> list[Picture]:
    """The Gantt of the next ``days`` days of the current plan (none without a plan) and the KPI
    trend (none without one), each drawn in a thread: matplotlib takes a moment."""
    pics: list[Picture] = []
    try:
        plan = await current_plan(svc, SYSTEM)
    except Conflict:
        plan = None
    if plan is not None:
        f = plan.factory
        calendars = {m.id: f.calendars[m.calendar] for m in f.machines if m.calendar in f.calendars}
        png = await asyncio.to_thread(
            gantt_png, plan.schedule, plan.etas, tr=tr, machines=[m.id for m in f.machines],
            downtime=plan.stops, days=days, tz=ZoneInfo(f.timezone), calendars=calendars,
            title=lambda t: t.gettext("Plan for the next {n} days", n=t.number(days)), size=(1400, 700))
        pics.append(Picture("gantt", png, tr.gettext("Plan for the next {n} days", n=tr.number(days))))
    if trend:
        png = await asyncio.to_thread(kpi_trend_png, list(trend), tr)
        pics.append(Picture("kpi-trend", png, tr.gettext("KPI trend (7-day rolling)")))
    return pics
