"""The scheduled jobs and the outbox relay inside the server process (one per database)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from jobs.config import NotifyConfig
from jobs.registry import acquire_scheduler_lock, build_scheduler
from jobs.relay import relay_from_config

from .web.app import SERVICES

__all__ = ["jobs_context"]

log = logging.getLogger(__name__)


def jobs_context(database_url: str, config: NotifyConfig) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: take the scheduler lock (PostgreSQL advisory lock, a file
    lock beside a SQLite database), start the jobs and the relay; stop them on shutdown. When
    another process holds the lock, this server answers chat but runs no jobs."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        from db.engine import create_engine

        engine = create_engine(database_url)
        lock = await acquire_scheduler_lock(engine)
        if lock is None:
            log.warning("another process runs the scheduled jobs on this database; this one does not")
            await engine.dispose()
            yield
            return
        relay = relay_from_config(app[SERVICES], config)
        scheduler = build_scheduler(app[SERVICES], relay, config)
        scheduler.start()
        log.info("scheduled jobs and outbox relay started")
        try:
            yield
        finally:
            await scheduler.stop()
            with contextlib.suppress(Exception):
                await relay.close()
            await lock.release()
            await engine.dispose()

    return ctx
