"""A live shop floor and its customers for a running paichan (``paichan demo``).

:class:`ShopFloorDriver` plays operators, maintenance and sales against real services with
any clock (an accelerated one in a demo). Every ``step(now)``:

1. reports progress (报工) on the work the current plan has running: the units a step would
   have made by ``now`` at its planned pace, and completion of steps whose planned end has
   passed (only when the step before is finished: the floor follows the plan's order);
2. repairs machines whose repair time has come, and with ``breakdown_chance`` stops a
   working machine for an exponential repair time (mean ``mttr_hours``);
3. with ``order_chance`` takes a new order, and with ``rush_chance`` a rush request (插单),
   which is assessed and confirmed when paichan can make its date, rejected otherwise;
4. re-plans once if anything was recorded.

All of it goes through the use cases (``record_progress``, ``record_machine_down`` /
``record_machine_up``, ``record_order``, ``assess`` / ``confirm_change`` / ``reject_change``,
``replan_now``); ``step`` returns a :class:`FloorEvent` (what happened, as data, with its line
in either language) per thing it did. Randomness comes only
from the ``random.Random`` it is given, so a seed repeats a demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler_core.domain.model import Order
from scheduler_core.reports.i18n import N_, Tr
from scheduler_core.services.change_flow import assess, confirm_change, reject_change
from scheduler_core.services.changes import InsertOrder
from scheduler_core.services.context import Services
from scheduler_core.services.intake import record_order
from scheduler_core.services.ports import SYSTEM, Actor
from scheduler_core.services.shopfloor import (
    record_machine_down,
    record_machine_up,
    record_progress,
    replan_now,
)

__all__ = ["DriverSettings", "FloorEvent", "ShopFloorDriver"]


_LINES = {
    "progress": N_("{ref} step {step} on {machine}: {units}/{quantity} units"),
    "finished": N_("{ref} step {step} finished on {machine} ({units} units)"),
    "repaired": N_("{machine} repaired"),
    "breakdown": N_("{machine} broke down (repair in about {hours} h)"),
    "order": N_("new order {ref}: {quantity} x {product} for {customer}"),
    "rush_accepted": N_("rush order {ref} accepted: {quantity} x {product}"),
    "rush_declined": N_("rush request {ref} declined: cannot make its date"),
}


@dataclass(frozen=True, slots=True)
class FloorEvent:
    """One thing the floor did. ``kind``: progress (a running step's routine report), finished,
    repaired, breakdown, order, rush_accepted or rush_declined; ``step`` is 1-based, ``units``
    those reported, ``hours`` the expected repair time."""

    kind: str
    ref: str = ""
    step: int = 0
    machine: str = ""
    units: int = 0
    quantity: int = 0
    product: str = ""
    customer: str = ""
    hours: float = 0.0

    def text(self, tr: Tr) -> str:
        """The event as one line in ``tr``'s language."""
        return tr.gettext(_LINES[self.kind], ref=self.ref, step=self.step, machine=self.machine,
                          units=tr.number(self.units), quantity=tr.number(self.quantity), product=self.product,
                          customer=self.customer, hours=tr.number(self.hours, decimals=1))


@dataclass(frozen=True, slots=True)
class DriverSettings:
    """Chances are per ``step`` call; quantities and dates of new orders are uniform."""

    breakdown_chance: float = 0.05
    mttr_hours: float = 2.0
    order_chance: float = 0.2
    rush_chance: float = 0.05
    quantity: tuple[int, int] = (50, 400)
    due_days: tuple[float, float] = (5.0, 15.0)
    rush_days: tuple[float, float] = (1.0, 3.0)


_PROTECTED_EVENTS = frozenset({"progress", "finished", "repaired", "rush_declined"})
"""Floor events that take nothing from the shop: the re-plan after them is protected
(:func:`replan_now`'s ``gives_more``)."""


@dataclass
class ShopFloorDriver:
    """Drive ``services`` like a shop floor and its customers would (see the module docstring)."""

    services: Services
    rng: random.Random
    settings: DriverSettings = field(default_factory=DriverSettings)
    actor: Actor = SYSTEM
    repairs: dict[str, datetime] = field(default_factory=dict)
    made: dict[tuple[str, int], tuple[float, datetime]] = field(default_factory=dict)
    """Per running step: the units the floor has made (a fraction of the unit in progress
    included) and when it counted them last."""

    async def step(self, now: datetime) -> list[FloorEvent]:
        """Advance the floor to ``now`` (the services' clock should read ``now`` too)."""
        lines: list[FloorEvent] = []
        lines += await self._progress(now)
        lines += await self._machines(now)
        lines += await self._orders(now)
        if lines:
            # reports and repairs only: protected, as the chat's reports are (nobody later than published)
            await replan_now(self.services, SYSTEM, "shop floor",
                             gives_more=all(e.kind in _PROTECTED_EVENTS for e in lines))
        return lines

    async def _progress(self, now: datetime) -> list[FloorEvent]:
        async with self.services.uow() as uow:
            plan = await uow.plans.current()
            progress = await uow.shopfloor.progress()
            orders = {r.ref: r.order for r in await uow.orders.active()}
        if plan is None:
            return []
        lines: list[FloorEvent] = []
        for op in sorted(plan.schedule.ops, key=lambda o: (o.start, o.ref, o.step)):
            order = orders.get(op.ref)
            if order is None or op.start > now or op.machine in self.repairs:
                continue
            p = progress.get((op.ref, op.step))
            if p is not None and p.finished is not None:
                continue
            if op.step > 0:
                prev = progress.get((op.ref, op.step - 1))
                if prev is None or prev.finished is None:
                    continue
            done = p.done if p is not None else 0
            machine = p.machine if p is not None and p.machine else op.machine
            key = (op.ref, op.step)
            if op.end <= now:
                good = max(1, order.quantity - done)
                await record_progress(self.services, self.actor, op.ref, good, step=op.step + 1, machine=machine,
                                      finished=True)
                lines.append(FloorEvent("finished", op.ref, op.step + 1, machine, good, order.quantity))
                self.made.pop(key, None)
                continue
            # The floor keeps to the plan: what is left of the step (the unit in progress counted
            # in part) is made at the pace that ends it when the current plan says; whole units
            # are reported.
            made, since = self.made.get(key, (float(done), op.start))
            made = max(made, float(done))  # reported by someone else meanwhile
            if op.end > since:
                made += (order.quantity - made) * min(1.0, (now - since) / (op.end - since))
            self.made[key] = (made, now)
            target = min(order.quantity - 1, int(made))
            if target - done >= 1:
                await record_progress(self.services, self.actor, op.ref, target - done, step=op.step + 1,
                                      machine=machine)
                lines.append(FloorEvent("progress", op.ref, op.step + 1, machine, target, order.quantity))
        return lines

    async def _machines(self, now: datetime) -> list[FloorEvent]:
        lines: list[FloorEvent] = []
        for machine, until in sorted(self.repairs.items()):
            if until <= now:
                await record_machine_up(self.services, self.actor, machine)
                del self.repairs[machine]
                lines.append(FloorEvent("repaired", machine=machine))
        if self.rng.random() < self.settings.breakdown_chance:
            async with self.services.uow() as uow:
                machines = [m.id for m in await uow.master.machines() if m.id not in self.repairs]
            if machines:
                machine = self.rng.choice(machines)
                hours = self.rng.expovariate(1.0 / self.settings.mttr_hours)
                self.repairs[machine] = now + timedelta(hours=max(0.25, hours))
                await record_machine_down(self.services, self.actor, machine, "breakdown")
                lines.append(FloorEvent("breakdown", machine=machine, hours=hours))
        return lines

    async def _orders(self, now: datetime) -> list[FloorEvent]:
        lines: list[FloorEvent] = []
        s = self.settings
        for rush in (False, True):
            if self.rng.random() >= (s.rush_chance if rush else s.order_chance):
                continue
            async with self.services.uow() as uow:
                products = sorted(await uow.master.routings())
                customers = sorted({r.order.customer for r in await uow.orders.list(limit=500)}) or ["Walk-in"]
                ref = await uow.orders.next_ref()
            if not products:
                continue
            lo, hi = s.rush_days if rush else s.due_days
            due = (now + timedelta(days=self.rng.uniform(lo, hi))).replace(minute=0, second=0, microsecond=0)
            order = Order(ref, self.rng.choice(customers), self.rng.choice(products),
                          self.rng.randint(*s.quantity), due, rush=rush, created=now)
            if not rush:
                await record_order(self.services, self.actor, order)
                lines.append(FloorEvent("order", ref, quantity=order.quantity, product=order.product, customer=order.customer))
                continue
            proposal = await assess(self.services, self.actor, InsertOrder(order))
            if proposal.on_time_possible:
                await confirm_change(self.services, self.actor, proposal.token)
                lines.append(FloorEvent("rush_accepted", ref, quantity=order.quantity, product=order.product))
            else:
                await reject_change(self.services, self.actor, proposal.token)
                lines.append(FloorEvent("rush_declined", ref))
        return lines
