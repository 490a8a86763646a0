"""Delay watch: every 10 minutes (period = the 10-minute slot, factory time), and once per
newly published plan version (period = ``v{version}``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scheduler_core.services.context import Services
from scheduler_core.services.notifications import NotifySettings, WatchResult, watch_delays

from ._claim import claim, finish

__all__ = ["JOB", "after_publication", "run", "slot"]

JOB = "delay_watch"


def slot(svc: Services, tz: str) -> str:
    now = svc.now().astimezone(ZoneInfo(tz))
    return now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


async def run(svc: Services, settings: NotifySettings, period: str | None = None) -> WatchResult | None:
    """The safety net: compare every open order's ETA with what its customers were told."""
    period = period or slot(svc, settings.timezone or "Asia/Shanghai")
    if not await claim(svc, JOB, period):
        return None
    result = await watch_delays(svc, settings)
    await finish(svc, JOB, period)
    return result


async def after_publication(svc: Services, settings: NotifySettings) -> WatchResult | None:
    """Run the watch once for each plan version (polled every minute)."""
    async with svc.uow() as uow:
        plan = await uow.plans.current()
    if plan is None:
        return None
    return await run(svc, settings, f"v{plan.number}")
