"""The managers' daily summary: once a day at ``PAICHAN_SUMMARY_TIME`` (period = the date)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from scheduler_core.services.context import Services
from scheduler_core.services.notifications import NotifySettings, SummaryResult, daily_summary

from ._claim import claim, finish

__all__ = ["JOB", "run"]

JOB = "daily_summary"


async def run(svc: Services, settings: NotifySettings, day: date | None = None) -> SummaryResult | None:
    day = day or svc.now().astimezone(ZoneInfo(settings.timezone or "Asia/Shanghai")).date()
    period = day.isoformat()
    if not await claim(svc, JOB, period):
        return None
    result = await daily_summary(svc, day, settings)
    await finish(svc, JOB, period)
    return result
