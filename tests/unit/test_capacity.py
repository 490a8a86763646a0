"""Machine load per day: an operation's work falls on the days its machine is open, because it
pauses over nights and Sundays; a closed day shows no load, never a made-up 100 %."""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler_core.domain.calendar import TWO_SHIFTS, Downtime
from scheduler_core.domain.model import Machine
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.services.load import busiest_machine, machine_time
from scheduler_core.services.overview import capacity
from tests.builders import NOW, TZ
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import Shop, seed_shop


async def _shop_with_m1_doing(op: PlannedOp) -> Shop:
    """The seeded shop with a two-shift machine M1 and a published plan of ``op`` alone."""
    uow = FakeUnitOfWorkFactory()
    shop = await seed_shop(uow)
    async with uow(write=True) as tx:
        await tx.master.save_calendar(TWO_SHIFTS)
        await tx.master.save_machine(Machine("M1", "M1", "G1", TWO_SHIFTS.name))
        await tx.plans.publish(Schedule((op,), NOW), "test", 0, NOW, {})
        await tx.commit()
    return shop


async def test_work_over_a_sunday_counts_on_the_open_days_only() -> None:
    # Saturday 20:00 to Monday 12:00: 4 working hours on Saturday, none on Sunday, 4 on Monday
    shop = await _shop_with_m1_doing(PlannedOp("SO-100", 1, "cut", "M1", datetime(2026, 11, 28, 20, tzinfo=TZ),
                                               datetime(2026, 11, 30, 12, tzinfo=TZ), 60, 480))
    view = await capacity(shop.svc, shop.manager, days=8)
    days = [d.date().isoformat() for d in view.days]
    m1 = next(r for r in view.machines if r.machine == "M1")
    load = dict(zip(days, m1.load, strict=True))
    assert load["2026-11-28"] == 240 / 960
    assert load["2026-11-29"] is None  # Sunday: closed, and nothing planned on it
    assert load["2026-11-30"] == 240 / 960
    assert all(v is None or v <= 1.0 for v in m1.load)


async def test_today_counts_from_now_on() -> None:
    # NOW is Monday 08:00; the clock moves on to 12:00 and M1 is busy for the 12 hours left of its day
    shop = await _shop_with_m1_doing(PlannedOp("SO-100", 1, "cut", "M1", datetime(2026, 11, 23, 12, tzinfo=TZ),
                                               datetime(2026, 11, 24, 0, tzinfo=TZ), 60, 720))
    shop.clock.advance(hours=4)
    view = await capacity(shop.svc, shop.manager, days=2)
    m1 = next(r for r in view.machines if r.machine == "M1")
    assert m1.load[0] == 1.0  # full for the rest of the day, not 12 of 16 hours
    assert view.bottleneck == "M1"


async def test_a_stop_until_further_notice_counts_as_the_plan_assumed_it() -> None:
    # M1 (two shifts) stopped at Monday 08:00 with no end: the plan made then counts on it back at
    # 12:00 and has 8 h of work from 12:00 to 20:00. Its day is 12 of 16 h open, and the next days
    # are open as usual (before: down for the whole week, every day "full" and the total 0 %)
    shop = await _shop_with_m1_doing(PlannedOp("SO-100", 1, "cut", "M1", datetime(2026, 11, 23, 12, tzinfo=TZ),
                                               datetime(2026, 11, 23, 20, tzinfo=TZ), 60, 480))
    async with shop.svc.uow(write=True) as tx:
        await tx.shopfloor.set_downtime([Downtime("M1", NOW, None, "alarm")])
        await tx.commit()
    view = await capacity(shop.svc, shop.manager, days=3)
    m1 = next(r for r in view.machines if r.machine == "M1")
    assert m1.load == (480 / 720, 0.0, 0.0)
    assert m1.total == 480 / (720 + 960 + 960)


async def test_the_capacity_page_and_the_key_figures_name_the_same_bottleneck() -> None:
    # M1 and M2 (two shifts) are full all week; M2's queue goes on for two more days
    uow = FakeUnitOfWorkFactory()
    shop = await seed_shop(uow)
    monday = datetime(2026, 11, 23, 8, tzinfo=TZ)
    ops = (PlannedOp("SO-100", 1, "cut", "M1", monday, datetime(2026, 11, 29, 0, tzinfo=TZ), 60, 6 * 960),
           PlannedOp("SO-101", 1, "cut", "M2", monday, datetime(2026, 12, 2, 0, tzinfo=TZ), 60, 8 * 960))
    async with uow(write=True) as tx:
        await tx.master.save_calendar(TWO_SHIFTS)
        for m in ("M1", "M2"):
            await tx.master.save_machine(Machine(m, m, "G1", TWO_SHIFTS.name))
        await tx.plans.publish(Schedule(ops, NOW), "test", 0, NOW, {})
        await tx.commit()
    view = await capacity(shop.svc, shop.manager, days=6)
    assert [r.total for r in view.machines if r.machine in ("M1", "M2")] == [1.0, 1.0]
    assert view.bottleneck == "M2"
    async with shop.svc.uow() as tx:
        times = await machine_time(tx)
        plan = await tx.plans.current()
    assert plan is not None
    assert busiest_machine(plan.schedule, NOW, timedelta(days=6), times) == ("M2", 1.0)
