"""Satisfaction surveys: hourly (period = the hour, factory time)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scheduler_core.services.context import Services
from scheduler_core.services.notifications import NotifySettings, SurveyResult, send_due_surveys

from ._claim import claim, finish

__all__ = ["JOB", "run"]

JOB = "surveys"


async def run(svc: Services, settings: NotifySettings, period: str | None = None) -> SurveyResult | None:
    period = period or svc.now().astimezone(ZoneInfo(settings.timezone or "Asia/Shanghai")).strftime("%Y-%m-%dT%H")
    if not await claim(svc, JOB, period):
        return None
    result = await send_due_surveys(svc, settings)
    await finish(svc, JOB, period)
    return result
