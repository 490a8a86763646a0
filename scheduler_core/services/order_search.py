"""Use case: order lists with filters and search (the API's and the web app's order table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler_core.domain.model import OrderStatus

from .context import Services
from .ports import Actor
from .status import list_orders
from .views import OrderLine

__all__ = ["OrderFilter", "OrderPage", "find_orders"]

_ZERO = timedelta(0)
_ALL = 1_000_000


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """``statuses`` None: the active ones (open, in progress, done); ``text`` matches ref,
    customer or product, case-insensitively; the booleans filter when not None; ``due_by``:
    only the orders promised by the end of that day (factory time), soonest first."""

    statuses: frozenset[OrderStatus] | None = None
    customer: str | None = None
    late: bool | None = None
    at_risk: bool | None = None
    vip: bool | None = None
    text: str | None = None
    limit: int = 50
    offset: int = 0
    due_by: date | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    lines: tuple[OrderLine, ...]
    total: int


async def find_orders(svc: Services, actor: Actor, f: OrderFilter) -> OrderPage:
    """The orders ``actor`` may see (a customer: their own; sales: their customers'), late and
    at risk first (with ``due_by``: soonest promise first), filtered, then one page of them."""
    active = f.statuses is None or f.statuses <= {OrderStatus.OPEN, OrderStatus.IN_PROGRESS, OrderStatus.DONE}
    lines = await list_orders(svc, actor, include_closed=not active, limit=_ALL, due_by=f.due_by)
    needle = f.text.casefold() if f.text else None
    picked = [
        x for x in lines
        if (f.statuses is None or x.status in f.statuses)
        and (f.customer is None or x.customer == f.customer)
        and (f.late is None or (x.late_by > _ZERO) == f.late)
        and (f.at_risk is None or x.at_risk == f.at_risk)
        and (f.vip is None or x.vip == f.vip)
        and (needle is None or any(needle in s.casefold() for s in (x.ref, x.customer, x.product)))
    ]
    return OrderPage(tuple(picked[f.offset:f.offset + f.limit]), len(picked))
