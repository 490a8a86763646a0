"""Model data: everything the CP-SAT model needs, derived once from the :class:`Problem`.

No ortools here: plain numbers (heads, tails, horizon, forbidden windows per machine).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler_core.domain.calendar import merge_intervals

from ..pauses import Pauses
from ..problem import Mode, Op, Problem

__all__ = ["ModelData", "prepare"]

OpKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ModelData:
    """Derived data for one model.

    Attributes:
        problem: the problem.
        free: the operations the solver places (not fixed), in job order.
        fixed: the fixed operations (constants).
        head: earliest start of each free operation (release, ``now``, predecessors).
        tail: minimum work that must follow each free operation in its job.
        horizon: every end is at most this; large enough to hold an optimal plan.
        forbidden: per machine, sorted disjoint windows no free operation may overlap:
            blocked windows merged with the fixed operations on that machine.
        conflicts: fixed operations that overlap each other (the plan is then infeasible).
    """

    problem: Problem
    free: tuple[Op, ...]
    fixed: tuple[Op, ...]
    head: dict[OpKey, int]
    tail: dict[OpKey, int]
    horizon: int
    forbidden: tuple[tuple[tuple[int, int], ...], ...]
    conflicts: tuple[str, ...]

    def pauses_reached(self, op: Op, mode: Mode) -> tuple[tuple[int, int], ...]:
        """The pauses of ``mode``'s machine between ``op``'s earliest start and latest end, which
        a mode of any length must wait through if it spans them."""
        if mode.duration <= 0:
            return ()
        lo = self.head[(op.job, op.index)]
        hi = self.horizon - self.tail[(op.job, op.index)]
        return self.problem.machine_pauses()[mode.machine].within(lo, max(lo, hi))

    def pauses_in_reach(self) -> int:
        """How many (mode, pause) pairs the full model ties (:meth:`pauses_reached` of every mode)."""
        return sum(len(self.pauses_reached(op, mode)) for op in self.free for mode in op.modes)


def _fixed_conflicts(problem: Problem) -> tuple[str, ...]:
    per_machine: dict[int, list[tuple[int, int, OpKey]]] = {}
    for op in problem.all_ops():
        if op.fixed is not None:
            per_machine.setdefault(op.fixed.machine, []).append((op.fixed.start, op.fixed.end, (op.job, op.index)))
    found = []
    for m, lst in sorted(per_machine.items()):
        lst.sort()
        for a, b in zip(lst, lst[1:], strict=False):
            if b[0] < a[1]:
                found.append(f"fixed operations {a[2]} and {b[2]} overlap on machine {m}")
    return tuple(found)


def prepare(problem: Problem, upper_bound: int | None = None, cover: int | None = None) -> ModelData:
    """Derive heads, tails, forbidden windows and a safe horizon.

    Horizon: any plan can be left-shifted (without worsening a regular objective or the
    stability count) until every start is pinned by a constant (release, ``now``, a fixed
    end, a blocked-window end, a previous start), by the end of another operation or by the
    end of a pause of its machine. So an optimal plan ends by ``max(constants)`` plus the sum
    of the longest mode of every free op, plus the pauses (of any machine) on the way.
    ``upper_bound`` (e.g. a known plan's makespan, for the makespan objective) can only lower
    it, never below the earliest possible completion; ``cover`` (a known plan's last end,
    so that it can be hinted) can only raise it.
    """
    free = tuple(op for op in problem.all_ops() if op.fixed is None)
    fixed = tuple(op for op in problem.all_ops() if op.fixed is not None)

    head: dict[OpKey, int] = {}
    for job in problem.jobs:
        ready: int | None = None  # earliest end of the predecessor in the job
        for op in job.ops:
            if op.fixed is not None:
                ready = op.fixed.end
                continue
            lo = max(problem.now, job.release if op.index == 0 else 0, op.earliest)
            if ready is not None:
                lo = max(lo, ready)
            head[(op.job, op.index)] = lo
            ready = lo + op.min_duration
    tail: dict[OpKey, int] = {}
    for job in problem.jobs:
        after = 0
        for op in reversed(job.ops):
            if op.fixed is not None:
                after = 0  # nothing ties a free predecessor to a fixed op (as validate)
                continue
            tail[(op.job, op.index)] = after
            after += op.min_duration

    constants = [problem.now, 0]
    constants += [job.release for job in problem.jobs]
    constants += [op.earliest for op in free]
    constants += [op.fixed.end for op in fixed if op.fixed is not None]
    constants += [w[1] for windows in problem.blocked for w in windows]
    constants += [op.previous.start + problem.move_tolerance for op in free if op.previous is not None]
    # every instant of the left-shifted plan after the constants is some free operation's
    # work or a pause of some machine: the work plus the pauses of any machine it meets
    work = sum(max(m.duration for m in op.modes) for op in free)
    any_pause = Pauses(merge_intervals(w for windows in problem.pauses for w in windows))
    horizon = any_pause.finish(max(constants), work)
    earliest = max((head[(op.job, op.index)] + op.min_duration + tail[(op.job, op.index)] for op in free), default=0)
    if upper_bound is not None:
        horizon = max(min(horizon, upper_bound), earliest)
    if cover is not None:
        horizon = max(horizon, cover)

    forbidden = []
    for m in range(len(problem.machines)):
        windows = list(problem.blocked[m])
        windows += [(op.fixed.start, op.fixed.end) for op in fixed if op.fixed is not None and op.fixed.machine == m]
        forbidden.append(tuple(merge_intervals(windows)))

    return ModelData(problem, free, fixed, head, tail, horizon, tuple(forbidden), _fixed_conflicts(problem))
