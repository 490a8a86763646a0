"""The factory as the planner sees it: frozen dataclasses, no I/O."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .calendar import Downtime, WorkCalendar

__all__ = [
    "DUE_HOUR",
    "RUSH_WEIGHT_FACTOR",
    "VIP_WEIGHT_FACTOR",
    "Alternative",
    "Factory",
    "Machine",
    "Order",
    "OrderStatus",
    "Progress",
    "Routing",
    "Step",
    "in_shop_order",
]

VIP_WEIGHT_FACTOR = 5
"""A VIP order's minute of lateness costs this many times a normal one's."""

RUSH_WEIGHT_FACTOR = 1000
"""A rush (插单) order's lateness dominates everybody else's: it is placed on time
whenever that is feasible at all."""


class OrderStatus(str, enum.Enum):
    OPEN = "open"  # accepted, not started
    IN_PROGRESS = "in_progress"
    DONE = "done"  # all operations finished, not yet delivered
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self in (OrderStatus.OPEN, OrderStatus.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class Machine:
    """A machine (resource); ``group`` is its machine group (e.g. "CNC")."""

    id: str
    name: str
    group: str
    calendar: str = "two-shifts"


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """``CNC-10`` after ``CNC-9``: digit runs compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def in_shop_order(machines: Iterable[Machine]) -> list[Machine]:
    """Machines as the shop lists them: by group, the groups in the order they first come in
    ``machines`` (as they were imported: cutting before welding before painting), and within
    a group by code, numbers as numbers (车床-2 before 车床-10). Gantt rows, the machines and
    capacity pages and the planner all use this order."""
    machines = list(machines)
    rank: dict[str, int] = {}
    for m in machines:
        rank.setdefault(m.group, len(rank))
    return sorted(machines, key=lambda m: (rank[m.group], _natural(m.id)))


@dataclass(frozen=True, slots=True)
class Alternative:
    """Run a step on ``machine`` taking ``setup`` minutes plus ``per_unit`` minutes per unit."""

    machine: str
    setup: float
    per_unit: float

    def minutes(self, quantity: int) -> int:
        """Working minutes to make ``quantity`` units (at least one minute)."""
        return max(1, round(self.setup + self.per_unit * quantity))


@dataclass(frozen=True, slots=True)
class Step:
    """One operation of a routing, with the machines that can do it."""

    name: str
    alternatives: tuple[Alternative, ...]

    def runs_on(self, machine: str | None) -> bool:
        """Whether ``machine`` is one of the machines that can do this step."""
        return any(a.machine == machine for a in self.alternatives)


@dataclass(frozen=True, slots=True)
class Routing:
    """The ordered operations that make a product. ``name``: what people call the product
    ("Bracket", "支架"; empty when the factory gave none), which several product codes may share."""

    product: str
    steps: tuple[Step, ...]
    name: str = ""


DUE_HOUR = 18
"""A promised date without a time means this hour of that day, factory time (when the day's
goods leave): imports, the chat's "by Dec 5" and date-only quotes alike."""


@dataclass(frozen=True, slots=True)
class Order:
    """A customer order for ``quantity`` of ``product`` promised for ``due``.

    ``priority`` is an extra weight multiplier (1 = normal); ``rush`` marks an inserted order
    (插单); ``release`` is when material is ready (None = now).
    """

    ref: str
    customer: str
    product: str
    quantity: int
    due: datetime
    vip: bool = False
    priority: int = 1
    rush: bool = False
    release: datetime | None = None
    status: OrderStatus = OrderStatus.OPEN
    created: datetime | None = None

    @property
    def weight(self) -> int:
        """Objective weight per minute of lateness."""
        w = max(1, self.priority)
        if self.vip:
            w *= VIP_WEIGHT_FACTOR
        if self.rush:
            w *= RUSH_WEIGHT_FACTOR
        return w

    def release_after(self, now: datetime) -> datetime | None:
        """When its material is there, if that is still to come after ``now`` (None: it may start)."""
        return self.release if self.release is not None and self.release > now else None


@dataclass(frozen=True, slots=True)
class Progress:
    """What the shop floor reported for step ``step`` of order ``ref`` (报工).

    ``done`` good units so far; ``finished`` when the step is complete; ``machine`` and
    ``started`` where and when it began (a started step is pinned to its machine).
    """

    ref: str
    step: int
    done: int
    machine: str | None = None
    started: datetime | None = None
    finished: datetime | None = None


def add_report(progress: dict[tuple[str, int], Progress], ref: str, step: int, good: int, machine: str | None,
               at: datetime, finished: bool = False, quantity: int | None = None) -> Progress:
    """Fold one report of ``good`` units on ``step`` of ``ref`` into ``progress`` (in place) and
    return the step's new state: ``done`` adds up, ``machine`` is the last report's, ``started``
    the first's; the step finishes by the ``finished`` flag, or when ``done`` reaches
    ``quantity`` (None: by the flag only). Work on a step means the steps before it are done:
    each of them not finished yet is closed at ``at``, with ``quantity`` units (or what it had)."""
    prev = progress.get((ref, step))
    done = (prev.done if prev else 0) + good
    started = prev.started if prev and prev.started else at
    end = prev.finished if prev else None
    if end is None and (finished or (quantity is not None and done >= quantity)):
        end = at
    new = progress[(ref, step)] = Progress(ref, step, done, machine, started, end)
    for k in range(step):
        p = progress.get((ref, k))
        if p is None or p.finished is None:
            progress[(ref, k)] = Progress(ref, k, quantity if quantity is not None else (p.done if p else 0),
                                          p.machine if p else None, p.started if p else None, at)
    return new


@dataclass(frozen=True)
class Factory:
    """Everything needed to plan: machines, calendars, routings, downtime, orders, progress."""

    timezone: str
    machines: tuple[Machine, ...]
    calendars: Mapping[str, WorkCalendar]
    routings: Mapping[str, Routing]
    orders: tuple[Order, ...]
    downtime: tuple[Downtime, ...] = ()
    progress: Mapping[tuple[str, int], Progress] = field(default_factory=dict)

    def machine(self, machine_id: str) -> Machine:
        for m in self.machines:
            if m.id == machine_id:
                return m
        raise KeyError(machine_id)

    def order(self, ref: str) -> Order:
        for o in self.orders:
            if o.ref == ref:
                return o
        raise KeyError(ref)

    def active_orders(self) -> tuple[Order, ...]:
        return tuple(o for o in self.orders if o.status.is_active)
