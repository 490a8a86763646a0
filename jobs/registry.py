"""The scheduler: APScheduler 3 triggers the job bodies; it decides nothing itself.

Every body first claims its ``(job, period)`` row (:mod:`jobs._claim`), so a double fire, a
restart or a catch-up run of a period that ran already does nothing. The choices:

* **timezone** = the factory's (``PAICHAN_TIMEZONE``, default Asia/Shanghai): "08:00" is the
  managers' morning, DST-safe through zoneinfo;
* **coalesce=True** everywhere: after a pause (suspended VM, long GC, busy loop) several
  missed runs of a job collapse into ONE; the claim would make the extras no-ops anyway, but
  there is no point in queueing them;
* **misfire_grace_time** per job: APScheduler 3 silently SKIPS a run that starts later than
  this (default 1 s!). The delay watch may be up to 5 minutes late (the next slot comes
  anyway), surveys an hour, housekeeping an hour, the daily summary 4 hours (a summary at
  10:00 is still useful; one at 15:00 is not), the nightly re-plan 3 hours (it is not caught
  up at start: a long plan is for the quiet hours);
* **max_instances=1**: a slow run is never overlapped by the next;
* a memory job store only: jobs are re-created at every start from code, never shared
  between processes (APScheduler 3 must not share a store). Runs missed while the process was
  down are caught up once at start (the claim tells whether they ran).

Exactly one scheduler (and one outbox relay, which it drives) per deployment: on PostgreSQL
the process holds a session advisory lock (:func:`acquire_scheduler_lock`); on SQLite an
exclusive ``flock`` on a file next to the database (one host, one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from scheduler_core.services.context import Services

from . import daily_summary, deep_plan, delay_watch, housekeeping, surveys
from .config import NotifyConfig
from .relay import Relay

__all__ = ["JOBS", "SCHEDULER_LOCK_KEY", "JobScheduler", "SchedulerLock", "acquire_scheduler_lock", "build_scheduler",
           "run_job"]

log = logging.getLogger("paichan.jobs")

SCHEDULER_LOCK_KEY = 0x7061696368616E  # "paichan": the advisory lock id of the scheduler

JobBody = Callable[..., Awaitable[Any]]
JOBS: dict[str, JobBody] = {
    "delay_watch": delay_watch.run,
    "surveys": surveys.run,
    "daily_summary": daily_summary.run,
    "housekeeping": housekeeping.run,
    "deep_plan": deep_plan.run,
}


def _configured(config: NotifyConfig) -> dict[str, dict[str, Any]]:
    """Per job, the arguments its body takes from the configuration (beside the settings)."""
    return {"deep_plan": {"seconds": config.jobs.deep_plan_seconds}}


async def run_job(name: str, svc: Services, config: NotifyConfig, **kw: Any) -> Any:
    """Run one job body now (``paichan jobs run NAME``); None when its period ran already."""
    return await JOBS[name](svc, config.notify_settings(), **{**_configured(config).get(name, {}), **kw})


def _logged(name: str, body: JobBody) -> JobBody:
    async def run(*args: Any, **kw: Any) -> Any:
        try:
            result = await body(*args, **kw)
        except asyncio.CancelledError:
            # the server stops (the scheduler cancels what runs): a claimed period that did not
            # finish runs again later (jobs._claim), so this is news, not an error with a traceback
            log.info("job %s stopped: the server is shutting down", name)
            return None
        except Exception:  # the job boundary: log, the next period tries again
            log.exception("job %s failed", name)
            return None
        if result is not None:
            log.info("job %s: %s", name, result)
        return result

    return run


class JobScheduler(AsyncIOScheduler):  # type: ignore[misc]  # apscheduler 3 is untyped
    """The asyncio scheduler, with a stop that waits for the job bodies it cancels.

    APScheduler's ``shutdown`` cancels running coroutine jobs but cannot wait for them; a job
    still unwinding its database transaction while the server closes its connections then
    writes to a closed connection, or waits forever for one (the process printed that it
    stopped and did not exit). :meth:`stop` lets them finish unwinding first."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.job_tasks: set[asyncio.Task[Any]] = set()

    def tracked(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(*args: Any, **kw: Any) -> Any:
            task = asyncio.current_task()
            if task is not None:
                self.job_tasks.add(task)
            try:
                return await fn(*args, **kw)
            finally:
                if task is not None:
                    self.job_tasks.discard(task)

        return run

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop scheduling, cancel what runs and wait (at most ``timeout`` s) until it has ended."""
        running = [t for t in self.job_tasks if not t.done()]
        if self.running:
            self.shutdown(wait=False)
        for task in running:
            task.cancel()
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            if pending:
                log.warning("%d job(s) did not stop within %.0f s", len(pending), timeout)


def build_scheduler(svc: Services, relay: Relay | None, config: NotifyConfig, *,
                    relay_every: float = 2.0) -> JobScheduler:
    """The scheduler the server starts (``scheduler.start()`` inside its event loop; stopped by
    ``await scheduler.stop()``)."""
    tz = ZoneInfo(config.jobs.timezone)
    settings = config.notify_settings()
    sched = JobScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1})
    hh, mm = (int(x) for x in config.jobs.summary_time.split(":"))
    args = [svc, settings]

    def add(name: str, body: JobBody, trigger: Any, grace: int | None, job_id: str | None = None,
            kwargs: dict[str, Any] | None = None) -> None:
        sched.add_job(sched.tracked(_logged(name, body)), trigger, args=args, kwargs=kwargs, id=job_id or name,
                      misfire_grace_time=grace, coalesce=True, max_instances=1)

    add("delay_watch", delay_watch.run, IntervalTrigger(minutes=10, timezone=tz), 300)
    add("delay_watch", delay_watch.after_publication, IntervalTrigger(minutes=1, timezone=tz), 50,
        "delay_watch_after_publication")
    add("surveys", surveys.run, CronTrigger(minute=5, timezone=tz), 3600)
    add("daily_summary", daily_summary.run, CronTrigger(hour=hh, minute=mm, timezone=tz), 4 * 3600)
    add("housekeeping", housekeeping.run, CronTrigger(minute=35, timezone=tz), 3600)
    if config.jobs.deep_plan_time:
        dh, dm = (int(x) for x in config.jobs.deep_plan_time.split(":"))
        add("deep_plan", deep_plan.run, CronTrigger(hour=dh, minute=dm, timezone=tz), 3 * 3600,
            kwargs=_configured(config)["deep_plan"])
    if relay is not None:
        # the dispatcher only hands rows to the lane workers; a slow lane never blocks it
        sched.add_job(sched.tracked(relay.dispatch), IntervalTrigger(seconds=relay_every, timezone=tz), id="relay",
                      misfire_grace_time=None, coalesce=True, max_instances=1)
    # catch up once at start: what a stopped process missed (the claims skip what ran)
    now = svc.now().astimezone(tz)
    soon = DateTrigger(now + timedelta(seconds=5), timezone=tz)
    add("delay_watch", delay_watch.run, soon, None, "catch_up_delay_watch")
    add("surveys", surveys.run, soon, None, "catch_up_surveys")
    summary_at = datetime.combine(now.date(), time(hh, mm), tzinfo=tz)
    if summary_at <= now < summary_at + timedelta(hours=4):
        add("daily_summary", daily_summary.run, soon, None, "catch_up_summary")
    return sched


@dataclass
class SchedulerLock:
    """Held while this process is THE scheduler; :meth:`release` (or process exit) frees it."""

    kind: str
    _conn: AsyncConnection | None = None
    _fd: int | None = None

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK_KEY})
            await self._conn.close()
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


async def acquire_scheduler_lock(engine: AsyncEngine) -> SchedulerLock | None:
    """Try to become the one scheduler of this database; None when another process is.

    PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection kept open while the
    scheduler runs (a crashed process's session ends and the lock with it). SQLite: an
    exclusive non-blocking ``flock`` on ``<database>.scheduler.lock`` (released by the kernel
    when the process dies).
    """
    url = engine.url
    if url.get_backend_name() == "postgresql":
        conn = await engine.connect()
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": SCHEDULER_LOCK_KEY})
        await conn.commit()
        if not got:
            await conn.close()
            return None
        return SchedulerLock("postgresql", _conn=conn)
    path = f"{url.database}.scheduler.lock" if url.database and url.database != ":memory:" else None
    if path is None:
        return SchedulerLock("sqlite-memory")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return SchedulerLock("sqlite", _fd=fd)
