"""The one thing every job body does first: claim its ``(job, period)`` row."""

from __future__ import annotations

from datetime import datetime, tzinfo

from scheduler_core.services.context import Services

__all__ = ["claim", "finish", "local"]


async def claim(svc: Services, job: str, period: str) -> bool:
    """True for the first run of ``(job, period)``; False for a double fire, a restart or a
    catch-up of a period that ran already (the job then does nothing)."""
    async with svc.uow(write=True) as uow:
        first = await uow.jobs.claim(job, period, svc.now())
        await uow.commit()
    return first


async def finish(svc: Services, job: str, period: str) -> None:
    async with svc.uow(write=True) as uow:
        await uow.jobs.finish(job, period, svc.now())
        await uow.commit()


def local(now: datetime, tz: tzinfo) -> datetime:
    return now.astimezone(tz)
