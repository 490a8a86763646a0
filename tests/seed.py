"""Seed a small factory through the ports (works on the fake and on real databases)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler_core.domain.model import Machine, Order, Routing
from scheduler_core.services.context import Services
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import Actor, OrderRecord, Role, UnitOfWorkFactory, User
from tests.builders import ALWAYS, NOW, at, make_factory, make_order


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Shop:
    svc: Services
    clock: Clock
    admin: Actor
    manager: Actor
    sales: Actor
    operator: Actor
    alice: Actor  # customer user of customer "ACME"
    bob: Actor  # customer user of customer "Bolt"


FAST = PlanSettings(deadline=1.0, workers=1, seed=0, isolate=False)


async def seed_shop(uow: UnitOfWorkFactory, orders: Sequence[Order] | None = None, *,
                    settings: PlanSettings = FAST) -> Shop:
    """Two machines, product P (M1 then M2, 1 min/unit), six orders of two customers, users of
    every role; nothing planned yet."""
    orders = list(orders) if orders is not None else [
        make_order(f"SO-{100 + i}", quantity=60, due=at(3 + 2 * i), customer="ACME" if i % 2 == 0 else "Bolt",
                   vip=i == 1)
        for i in range(6)
    ]
    factory = make_factory(orders)
    async with uow(write=True) as tx:
        await tx.master.set_timezone(factory.timezone)
        await tx.master.save_calendar(ALWAYS)
        for m in factory.machines:
            await tx.master.save_machine(Machine(m.id, m.name, m.group, ALWAYS.name))
        for r in factory.routings.values():
            await tx.master.save_routing(Routing(r.product, r.steps))
        users = {}
        for name, role, customer in [("admin", Role.ADMIN, None), ("mia", Role.MANAGER, None),
                                     ("sam", Role.SALES, None), ("otto", Role.OPERATOR, None),
                                     ("alice", Role.CUSTOMER, "ACME"), ("bob", Role.CUSTOMER, "Bolt")]:
            users[name] = await tx.users.add(User(0, name, role, name.title(), customer, "en"))
        for o in orders:
            await tx.orders.add(OrderRecord(o, sales="sam"))
        await tx.commit()
    clock = Clock()
    svc = Services(uow=uow, clock=clock, planning=settings)
    a = {k: Actor.of(v) for k, v in users.items()}
    return Shop(svc, clock, a["admin"], a["mia"], a["sam"], a["otto"], a["alice"], a["bob"])
