"""The shop floor as the simulator runs it: operators follow the published plan.

Each machine works in its calendar's shifts, minus its breakdowns. When it is free it takes
the first operation of the published plan's sequence on that machine that can start (its
previous step finished, not taken elsewhere); it runs for the routing's time on that machine
x the operation's noise factor. This module only keeps the floor's state; the engine reports
what happens through the use cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler_core.domain.model import Factory, Progress
from scheduler_core.domain.schedule import PlannedOp

__all__ = ["Floor", "Running"]

Key = tuple[str, int]


@dataclass
class Running:
    """An operation on a machine: ``todo`` units in ``total`` working minutes; ``worked`` so far;
    ``reported`` units already reported (报工) of this run."""

    ref: str
    step: int
    machine: str
    todo: int
    total: float
    worked: float = 0.0
    reported: int = 0

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.worked)

    def units_done(self) -> int:
        """Good units finished so far (whole units, never all before the end)."""
        if self.total <= 0:
            return self.todo
        return min(self.todo - 1, int(self.todo * self.worked / self.total))


@dataclass
class Floor:
    """Which operations are finished, which run where."""

    factory: Factory
    finished: set[Key] = field(default_factory=set)
    running: dict[str, Running] = field(default_factory=dict)
    taken: set[Key] = field(default_factory=set)
    done_before: dict[Key, int] = field(default_factory=dict)
    busy_minutes: float = 0.0

    @classmethod
    def from_progress(cls, factory: Factory, progress: dict[Key, Progress], noise: dict[Key, float]) -> Floor:
        floor = cls(factory)
        orders = {o.ref: o for o in factory.orders}
        for key, p in sorted(progress.items()):
            if p.finished is not None:
                floor.finished.add(key)
                floor.taken.add(key)
            elif p.machine is not None and p.done > 0 and p.machine not in floor.running:
                order = orders[key[0]]
                todo = max(1, order.quantity - p.done)
                floor.done_before[key] = p.done
                floor.start(key, p.machine, todo, noise.get(key, 1.0))
        return floor

    def minutes(self, key: Key, machine: str, todo: int) -> float:
        product = self._product[key[0]]
        alt = next(a for a in self.factory.routings[product].steps[key[1]].alternatives if a.machine == machine)
        return float(alt.minutes(todo))

    def __post_init__(self) -> None:
        self._qty: dict[str, int] = {o.ref: o.quantity for o in self.factory.orders}
        self._product: dict[str, str] = {o.ref: o.product for o in self.factory.orders}
        self._steps: dict[str, int] = {p: len(r.steps) for p, r in self.factory.routings.items()}

    def add_order(self, ref: str, product: str, quantity: int) -> None:
        self._qty[ref] = quantity
        self._product[ref] = product

    def quantity(self, ref: str) -> int:
        return self._qty[ref]

    def steps(self, ref: str) -> int:
        return self._steps[self._product[ref]]

    def start(self, key: Key, machine: str, todo: int, noise: float) -> Running:
        run = Running(key[0], key[1], machine, todo, self.minutes(key, machine, todo) * noise)
        self.running[machine] = run
        self.taken.add(key)
        return run

    def ready(self, op: PlannedOp) -> bool:
        """Can ``op`` start now: known, not taken, its previous step finished."""
        key = (op.ref, op.step)
        if key in self.taken or op.ref not in self._qty:
            return False
        return op.step == 0 or (op.ref, op.step - 1) in self.finished

    def next_for(self, sequence: list[PlannedOp]) -> PlannedOp | None:
        """The first operation of a machine's published sequence that can start."""
        for op in sequence:
            if self.ready(op):
                return op
        return None

    def order_finished(self, ref: str) -> bool:
        return all((ref, k) in self.finished for k in range(self.steps(ref)))
