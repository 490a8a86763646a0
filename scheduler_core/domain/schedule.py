"""A plan in real time: which step of which order runs where and when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

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
        ends = [op.end for op in self.ops if op.ref == ref]
        if ends:
            return max(ends)
        return self.finished.get(ref)

    def for_order(self, ref: str) -> list[PlannedOp]:
        return sorted((op for op in self.ops if op.ref == ref), key=lambda o: o.step)

    def on_machine(self, machine: str) -> list[PlannedOp]:
        return sorted((op for op in self.ops if op.machine == machine), key=lambda o: o.start)

    def place(self, ref: str, step: int) -> PlannedOp | None:
        for op in self.ops:
            if op.ref == ref and op.step == step:
                return op
        return None

    def refs(self) -> set[str]:
        return {op.ref for op in self.ops} | set(self.finished)

    def with_version(self, version: int) -> Schedule:
        return Schedule(self.ops, self.created, version, self.method, self.status, dict(self.finished))

    @staticmethod
    def machines_of(ops: Iterable[PlannedOp]) -> list[str]:
        return sorted({op.machine for op in ops})
