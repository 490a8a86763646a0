"""The one thing every job body does first: claim its ``(job, period)`` row."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from scheduler_core.services.context import Services

__all__ = ["STALE_AFTER", "claim", "finish", "local"]

STALE_AFTER = timedelta(minutes=15)
"""A claimed period whose run has not finished after this long died with its process: the
next fire runs it again. Job bodies are idempotent (every notification has a dedup key), so a
re-run after a crash sends nothing twice; a double fire inside this window is a no-op."""


async def claim(svc: Services, job: str, period: str) -> bool:
    """True for the first run of ``(job, period)`` (or the retry of one that died, see
    :data:`STALE_AFTER`); False for a double fire, a restart or a catch-up of a period that ran
    already (the job then does nothing)."""
    async with svc.uow(write=True) as uow:
        first = await uow.jobs.claim(job, period, svc.now(), STALE_AFTER)
        await uow.commit()
    return first


async def finish(svc: Services, job: str, period: str) -> None:
    async with svc.uow(write=True) as uow:
        await uow.jobs.finish(job, period, svc.now())
        await uow.commit()


def local(now: datetime, tz: tzinfo) -> datetime:
    return now.astimezone(tz)
