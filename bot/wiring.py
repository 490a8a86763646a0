"""The composition root: settings -> engine -> unit of work -> services. No import-time effects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from scheduler_core.planning.pool import PlannerExecutor, ProcessPlanner, ThreadPlanner
from scheduler_core.services.context import Services
from scheduler_core.services.planning import PlanSettings

from .settings import Settings

__all__ = ["open_services", "system_clock"]


def system_clock() -> datetime:
    """The one place the real time is read."""
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, *, migrate: bool = True, clock: Callable[[], datetime] = system_clock,
    planner_processes: int = 0,
) -> AsyncIterator[Services]:
    """Services on the configured database (migrated to the latest schema first).

    ``planner_processes``: run planner calls in that many worker processes (servers: the event
    loop stays free while a change is assessed, P9); 0 runs them in a thread (one-shot commands)."""
    from db.migrate import upgrade
    from db.uow import SqlUnitOfWorkFactory

    if migrate:
        await upgrade(settings.database_url)
    uow = SqlUnitOfWorkFactory.open(settings.database_url)
    planner: PlannerExecutor = ProcessPlanner(planner_processes) if planner_processes > 0 else ThreadPlanner()
    try:
        await asyncio.to_thread(planner.start)  # the workers exist before the first request
        yield Services(
            uow=uow,
            clock=clock,
            planning=PlanSettings(deadline=settings.plan_deadline, bulk_deadline=settings.import_plan_seconds,
                                  workers=settings.solver_workers,
                                  frozen_minutes=settings.frozen_minutes),
            change_ttl=settings.change_ttl,
            link_ttl=settings.link_ttl,
            planner=planner,
        )
    finally:
        await asyncio.to_thread(planner.close)
        await uow.dispose()
