"""Why an order is late, as data (rendered to plain words by the front ends)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["CauseKind", "LateCause"]

CauseKind = Literal["bottleneck", "machine_down", "inserted_order", "released_late", "not_enough_time", "past_due"]


@dataclass(frozen=True, slots=True)
class LateCause:
    """The main reason an order misses its promised date.

    * ``bottleneck``: it waits longest at ``machine`` behind ``orders`` (the queue ahead);
    * ``machine_down``: ``machine`` is stopped until ``until`` while the order waits for it;
    * ``inserted_order``: rush orders ``orders`` were put ahead of it on ``machine``;
    * ``released_late``: material arrives (``until``) too late to finish even alone;
    * ``not_enough_time``: its remaining work alone does not fit before the promised date;
    * ``past_due``: the promised date has already passed (the ETA is the earliest it can be).

    ``others`` counts the orders involved that are not named: a customer is told how many
    orders are ahead, never which (:meth:`for_customer`).
    """

    kind: CauseKind
    machine: str | None = None
    orders: tuple[str, ...] = ()
    until: datetime | None = None
    wait: timedelta = timedelta(0)
    others: int = 0

    @property
    def order_count(self) -> int:
        """How many orders are involved, named or not."""
        return len(self.orders) + self.others

    def for_customer(self) -> LateCause:
        """The cause as a customer may read it: the other orders counted, not named (P1: a
        customer sees only their own orders, and which rush order went first is the factory's
        business)."""
        return replace(self, orders=(), others=self.order_count) if self.orders else self
