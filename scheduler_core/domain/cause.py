"""Why an order is late, as data (rendered to plain words by the front ends)."""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    kind: CauseKind
    machine: str | None = None
    orders: tuple[str, ...] = ()
    until: datetime | None = None
    wait: timedelta = timedelta(0)
