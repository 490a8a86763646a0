"""The use cases the simulator batches: recording without re-planning, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler_core.domain.generate import FactorySpec, generate_factory
from scheduler_core.domain.model import Order
from scheduler_core.services.context import Services
from scheduler_core.services.errors import InvalidInput
from scheduler_core.services.intake import record_order
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import SYSTEM
from scheduler_core.services.shopfloor import (
    record_machine_down,
    record_machine_up,
    record_progress,
    replan_now,
)
from scheduler_core.simulation import SimClock, make_scenario, seed_storage
from tests.fakes import FakeUnitOfWorkFactory

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


async def _services():
    factory = generate_factory(FactorySpec(machines=4, groups=3, products=2, orders=5, seed=2, machine_down=False,
                                           started_share=0.0, late_share=0.0), START)
    uow = FakeUnitOfWorkFactory()
    clock = SimClock(START + timedelta(hours=9))
    svc = Services(uow=uow, clock=clock, planning=PlanSettings(deadline=0.5, isolate=False))
    await seed_storage(uow, make_scenario(factory, START, 1, 1))
    await replan_now(svc, SYSTEM, "start")
    return svc, factory


async def test_recording_events_does_not_replan_until_asked() -> None:
    svc, factory = await _services()
    order = factory.orders[0]
    rec = await record_progress(svc, SYSTEM, order.ref, 1)
    ref, step = rec.ref, rec.step
    await record_machine_down(svc, SYSTEM, factory.machines[0].id, "test")
    await record_machine_up(svc, SYSTEM, factory.machines[0].id)
    new = Order("SO-9001", "ACME", order.product, 10, START + timedelta(days=5))
    await record_order(svc, SYSTEM, new)
    async with svc.uow() as u:
        assert (await u.plans.current()).number == 1  # nothing re-planned yet
        assert (await u.shopfloor.progress())[(ref, step)].done == 1
        assert await u.orders.get("SO-9001") is not None
    update = await replan_now(svc, SYSTEM, "batch")
    assert update.version == 2
    async with svc.uow() as u:
        assert (await u.plans.current()).schedule.for_order("SO-9001")


@pytest.mark.parametrize(("change", "code"), [
    ({"quantity": 0}, "quantity_not_positive"),
    ({"quantity": 2_000_000}, "quantity_too_large"),
    ({"product": "NOPE"}, "unknown_product"),
    ({"ref": "SO-1001"}, "duplicate_order"),
    ({"due": datetime(2026, 12, 1, 18, 0)}, "bad_date"),
])
async def test_record_order_refuses_bad_input_and_writes_nothing(change: dict, code: str) -> None:
    svc, factory = await _services()
    fields = {"ref": "SO-9002", "customer": "ACME", "product": factory.orders[0].product, "quantity": 5,
              "due": START + timedelta(days=3), **change}
    async with svc.uow() as u:
        before = len(await u.orders.list())
    with pytest.raises(InvalidInput) as err:
        await record_order(svc, SYSTEM, Order(**fields))
    assert err.value.code == code
    async with svc.uow() as u:
        assert len(await u.orders.list()) == before
