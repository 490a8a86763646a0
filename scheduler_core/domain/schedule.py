"""A plan in real time: which step of which order runs where and when."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

__all__ = ["PlannedOp", "Schedule"]


@dataclass(frozen=True, slots=True)
class PlannedOp:
    """Step ``step`` of order ``ref`` on ``machine`` from ``start`` to ``end`` (pauses included).

    ``work_minutes`` is the machine time it needs; ``fixed`` marks running or frozen work.
    """

    ref: str
    step: int
    step_name: str
    machine: str
    start: datetime
    end: datetime
    quantity: int
    work_minutes: int
    fixed: bool = False


@dataclass(frozen=True)
class Schedule:
    """A plan version. ``created`` is the planning instant; ``finished`` holds, per order whose
    every step is already reported done, when it finished."""

    ops: tuple[PlannedOp, ...]
    created: datetime
    version: int = 0
    method: str = ""
    status: str = ""
    finished: dict[str, datetime] = field(default_factory=dict)

    def etas(self) -> dict[str, datetime]:
        """Planned completion per order (end of its last planned step)."""
        out: dict[str, datetime] = {}
        for op in self.ops:
            cur = out.get(op.ref)
            if cur is None or op.end > cur:
                out[op.ref] = op.end
        for ref, when in self.finished.items():
            out.setdefault(ref, when)
        return out

    def eta(self, ref: str) -> datetime | None:
        ops = self._by_order.get(ref)
        if ops:
            return max(op.end for op in ops)
        return self.finished.get(ref)

    def for_order(self, ref: str) -> list[PlannedOp]:
        """The order's planned steps in routing order."""
        return list(self._by_order.get(ref, ()))

    def on_machine(self, machine: str) -> list[PlannedOp]:
        """The machine's planned steps in start order."""
        return list(self._by_machine.get(machine, ()))

    def place(self, ref: str, step: int) -> PlannedOp | None:
        for op in self._by_order.get(ref, ()):
            if op.step == step:
                return op
        return None

    def ending_between(self, machine: str, lo: datetime, hi: datetime) -> list[PlannedOp]:
        """The machine's planned steps that end in ``[lo, hi]``, in start order."""
        ops = self._by_machine.get(machine, [])
        ends = self._machine_ends.get(machine)
        if ends is None:  # steps overlap (not a valid plan): look at each
            return [op for op in ops if lo <= op.end <= hi]
        return ops[bisect_left(ends, lo) : bisect_right(ends, hi)]

    def refs(self) -> set[str]:
        return {op.ref for op in self.ops} | set(self.finished)

    def with_version(self, version: int) -> Schedule:
        return Schedule(self.ops, self.created, version, self.method, self.status, dict(self.finished))

    @staticmethod
    def machines_of(ops: Iterable[PlannedOp]) -> list[str]:
        return sorted({op.machine for op in ops})

    # indexes, built on first use (a schedule is immutable); a use case asks for many orders
    @cached_property
    def _by_order(self) -> dict[str, list[PlannedOp]]:
        return _grouped(self.ops, lambda op: op.ref, lambda op: op.step)

    @cached_property
    def _by_machine(self) -> dict[str, list[PlannedOp]]:
        return _grouped(self.ops, lambda op: op.machine, lambda op: op.start)

    @cached_property
    def _machine_ends(self) -> dict[str, list[datetime] | None]:
        """Per machine, the ends of its steps in start order, where they are sorted too."""
        out: dict[str, list[datetime] | None] = {}
        for machine, ops in self._by_machine.items():
            ends = [op.end for op in ops]
            out[machine] = ends if all(a <= b for a, b in zip(ends, ends[1:])) else None
        return out


def _grouped(ops: Iterable[PlannedOp], group: Callable[[PlannedOp], str],
             order: Callable[[PlannedOp], Any]) -> dict[str, list[PlannedOp]]:
    out: dict[str, list[PlannedOp]] = {}
    for op in ops:
        out.setdefault(group(op), []).append(op)
    for lst in out.values():
        lst.sort(key=order)
    return out
