"""The demo runtime behind ``paichan demo``: a factory clock that runs faster than the wall
clock, a demo database prepared on first use, and the shop-floor simulator that moves the
demo factory (progress reports, breakdowns, new and rush orders) while the server runs.

Everything here only wires: the simulator calls the same use cases as people in chat do, and
the server is the production ``init_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from scheduler_core.domain.calendar import WorkCalendar
from scheduler_core.domain.timegrid import TimeGrid
from scheduler_core.services.context import Services
from scheduler_core.services.errors import Conflict

from .settings import Settings
from .web.app import SERVICES
from .wiring import open_services, system_clock

if TYPE_CHECKING:
    from scheduler_core.simulation import FloorEvent

__all__ = ["AcceleratedClock", "DemoDatabase", "ShopFloor", "prepare_demo_database", "simulator_context"]

log = logging.getLogger(__name__)


class AcceleratedClock:
    """Factory time that starts at ``start`` and runs ``speed`` times faster than ``real``.

    ``speed=60``: one real minute is one factory hour. Monotone as long as ``real`` is.
    """

    def __init__(self, start: datetime, speed: float, real: Callable[[], datetime] = system_clock) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = speed
        self._real = real
        self._real0 = real()

    def __call__(self) -> datetime:
        return self.start + (self._real() - self._real0) * self.speed


@dataclass(frozen=True)
class DemoDatabase:
    """What :func:`prepare_demo_database` found or made."""

    created: bool
    resume_at: datetime
    """Factory time to start from: now, or later when an earlier demo run went ahead of it or
    the factory is closed now."""
    timezone: str


async def prepare_demo_database(settings: Settings, seed: int, clock: Callable[[], datetime] = system_clock,
                                lang: str | None = None, *, planning: Callable[[float], None] | None = None,
                                first_plan_seconds: float | None = None) -> DemoDatabase:
    """Migrate the database; load the demo factory into it when it is empty (in ``lang``: its
    users' language and step names) and plan it for ``first_plan_seconds`` (default
    :data:`~scheduler_core.services.admin.DEMO_FIRST_PLAN_SECONDS`; ``planning`` is called first,
    with them). An earlier demo run's factory clock may be ahead of the real one:
    continue from its newest plan."""
    from scheduler_core.services.admin import DEMO_FIRST_PLAN_SECONDS, load_demo

    seconds = DEMO_FIRST_PLAN_SECONDS if first_plan_seconds is None else first_plan_seconds

    async with open_services(settings, migrate=True, clock=clock) as svc:
        created = True
        try:
            await load_demo(svc, seed, lang=lang, plan_seconds=seconds,
                            on_plan=None if planning is None else lambda: planning(seconds))
        except Conflict as exc:
            if exc.code != "database_not_empty":
                raise
            created = False
        async with svc.uow() as uow:
            plan = await uow.plans.current()
            machines = await uow.master.machines()
            calendars = await uow.master.calendars()
            tz = await uow.master.timezone()
    now = clock()
    start = max(now, plan.created) if plan is not None else now
    return DemoDatabase(created, _next_working(start, [calendars[m.calendar] for m in machines
                                                       if m.calendar in calendars], tz), tz)


def _next_working(at: datetime, calendars: list[WorkCalendar], tz: str) -> datetime:
    """``at``, or when the factory is closed then (a night, a Sunday), the next shift's start:
    a demo started at midnight shows a working floor at once instead of hours of night."""
    grid = TimeGrid.starting(at, tz)
    starts = [s for cal in calendars if (s := cal.first_working(grid, at, at + timedelta(days=7))) is not None]
    return min(starts) if starts else at


class ShopFloor(Protocol):
    """Something that moves the factory up to ``now`` through the use cases and says what it did."""

    async def step(self, now: datetime) -> list[FloorEvent]: ...


def simulator_context(make: Callable[[Services], ShopFloor], tick: timedelta,
                      on_event: Callable[[datetime, list[FloorEvent]], Awaitable[None] | None] | None = None,
                      ) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that steps the shop floor every ``tick`` of real time;
    ``on_event`` gets what each step did (default: logged)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        svc = app[SERVICES]
        floor = make(svc)
        task = asyncio.create_task(_run(svc, floor, tick.total_seconds(), on_event), name="demo-shop-floor")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return ctx


async def _run(svc: Services, floor: ShopFloor, every: float,
               on_event: Callable[[datetime, list[FloorEvent]], Awaitable[None] | None] | None) -> None:
    while True:
        await asyncio.sleep(every)
        now = svc.now()
        try:
            events = await floor.step(now)
        except asyncio.CancelledError:
            raise
        except Exception:  # a background loop: one bad step must not stop the demo; it is logged whole
            log.exception("shop-floor simulator step failed at %s", now.isoformat())
            continue
        if not events:
            continue
        if on_event is None:
            for event in events:
                log.info("%s", event)
            continue
        result = on_event(now, events)
        if result is not None:
            await result
