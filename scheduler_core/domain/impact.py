"""What a change does to deliveries: two plans compared, as data the front ends render.

The same :class:`ImpactReport` feeds chat, REST and the dashboard.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Order
from .schedule import Schedule

__all__ = ["ImpactReport", "OrderImpact", "compare_plans"]

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class OrderImpact:
    """One order's ETA before and after. ``old_eta`` None: the order is new (or re-entered)."""

    ref: str
    customer: str
    vip: bool
    due: datetime
    old_eta: datetime | None
    new_eta: datetime | None

    @property
    def change(self) -> timedelta:
        """Positive when the order now finishes later."""
        if self.old_eta is None or self.new_eta is None:
            return _ZERO
        return self.new_eta - self.old_eta

    @property
    def late_by(self) -> timedelta:
        return max(_ZERO, self.new_eta - self.due) if self.new_eta else _ZERO

    @property
    def was_late_by(self) -> timedelta:
        return max(_ZERO, self.old_eta - self.due) if self.old_eta else _ZERO

    @property
    def newly_late(self) -> bool:
        """On time before, late now: the customer must be told."""
        return self.late_by > _ZERO and self.was_late_by == _ZERO and self.old_eta is not None

    @property
    def tardiness_added(self) -> timedelta:
        return self.late_by - self.was_late_by


@dataclass(frozen=True, slots=True)
class ImpactReport:
    """Old vs new plan for every order whose ETA changed (plus the subject orders).

    ``orders``: VIP first, then by how much later they finish. ``subject``: the orders the
    change is about (the rush order, the changed order); they are reported separately.
    """

    subject: tuple[OrderImpact, ...]
    orders: tuple[OrderImpact, ...]
    moved_ops: int
    conflict_machine: str | None
    threshold: timedelta
    resequenced_ops: int = 0
    """Operations that changed machine or place in their machine's sequence: the fewest that
    must be re-slotted in the shop floor's dispatch lists (time shifts alone do not count)."""

    @property
    def delayed(self) -> tuple[OrderImpact, ...]:
        """Orders finishing later by more than the threshold, VIP first."""
        return tuple(o for o in self.orders if o.change > self.threshold)

    @property
    def improved(self) -> tuple[OrderImpact, ...]:
        return tuple(o for o in self.orders if o.change < -self.threshold)

    @property
    def newly_late(self) -> tuple[OrderImpact, ...]:
        return tuple(o for o in self.orders if o.newly_late)

    @property
    def tardiness_added(self) -> timedelta:
        return sum((o.tardiness_added for o in self.orders), _ZERO)

    def weighted_tardiness_added(self, weights: Mapping[str, int]) -> float:
        """Added lateness in hours times each order's weight."""
        return sum(weights.get(o.ref, 1) * o.tardiness_added.total_seconds() / 3600 for o in self.orders)

    @property
    def vip_delayed(self) -> tuple[OrderImpact, ...]:
        return tuple(o for o in self.delayed if o.vip)


def compare_plans(
    old: Schedule,
    new: Schedule,
    orders: Mapping[str, Order],
    *,
    subject: frozenset[str] = frozenset(),
    threshold: timedelta = timedelta(minutes=1),
    tolerance: timedelta = timedelta(minutes=30),
) -> ImpactReport:
    """Compare two plans of the same factory.

    Args:
        old: the published plan.
        new: the proposed plan.
        orders: order data by ref (due dates, customers, VIP); the new plan's view of them.
        subject: refs the change is about; reported in ``subject``, not among the slips.
        threshold: an ETA change at or below it is noise, not a change.
        tolerance: an operation counts as moved when its machine changes or its start
            shifts by more than this.
    """
    old_eta, new_eta = old.etas(), new.etas()
    impacts: list[OrderImpact] = []
    subj: list[OrderImpact] = []
    for ref in sorted(set(old_eta) | set(new_eta)):
        order = orders.get(ref)
        if order is None:
            continue
        imp = OrderImpact(ref, order.customer, order.vip, order.due, old_eta.get(ref), new_eta.get(ref))
        if ref in subject:
            subj.append(imp)
        elif imp.old_eta is not None and imp.new_eta is not None and abs(imp.change) > threshold:
            impacts.append(imp)
    impacts.sort(key=lambda i: (not i.vip, -i.change.total_seconds(), i.ref))

    moved = 0
    pushed: dict[str, float] = {}
    slipped = {i.ref for i in impacts}
    for op in new.ops:
        was = old.place(op.ref, op.step)
        if was is None or op.ref in subject:
            continue
        shift = (op.start - was.start).total_seconds()
        if was.machine != op.machine or abs(shift) > tolerance.total_seconds():
            moved += 1
        if shift > 0 and op.ref in slipped:
            pushed[op.machine] = pushed.get(op.machine, 0.0) + shift
    conflict = max(pushed, key=lambda m: pushed[m]) if pushed else None
    return ImpactReport(tuple(subj), tuple(impacts), moved, conflict, threshold, _resequenced(old, new, subject))


def _resequenced(old: Schedule, new: Schedule, subject: frozenset[str]) -> int:
    """Operations of both plans that changed machine, plus, per machine, those outside the
    longest run kept in the same relative order (longest increasing subsequence)."""
    old_at = {(op.ref, op.step): op for op in old.ops if op.ref not in subject}
    changed = 0
    per_machine: dict[str, list[tuple[datetime, tuple[str, int]]]] = {}
    for op in new.ops:
        key = (op.ref, op.step)
        was = old_at.get(key)
        if was is None:
            continue
        if was.machine != op.machine:
            changed += 1
            continue
        per_machine.setdefault(op.machine, []).append((op.start, key))
    old_rank = {k: i for i, k in enumerate(sorted(old_at, key=lambda k: (old_at[k].start, k)))}
    for ops in per_machine.values():
        seq = [old_rank[k] for _, k in sorted(ops)]
        changed += len(seq) - _lis_length(seq)
    return changed


def _lis_length(seq: list[int]) -> int:
    tails: list[int] = []
    for x in seq:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)
