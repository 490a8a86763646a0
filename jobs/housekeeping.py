"""Housekeeping: hourly (period = the hour): expire proposals and link codes, prune the inbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scheduler_core.services.context import Services
from scheduler_core.services.notifications import HousekeepingResult, NotifySettings, housekeeping

from ._claim import claim, finish

__all__ = ["JOB", "run"]

JOB = "housekeeping"


async def run(svc: Services, settings: NotifySettings, period: str | None = None) -> HousekeepingResult | None:
    period = period or svc.now().astimezone(ZoneInfo(settings.timezone or "Asia/Shanghai")).strftime("%Y-%m-%dT%H")
    if not await claim(svc, JOB, period):
        return None
    result = await housekeeping(svc, settings)
    await finish(svc, JOB, period)
    return result
