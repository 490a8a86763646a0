"""The planning problem and its solution, in integer minutes on one time axis.

Everything the planners (CP-SAT model, dispatching rules, local search) see is here. The
axis is *working time*: for a factory it is the union of its machines' shifts with
non-working time cut out (see :mod:`scheduler_core.planning.axis`), so an operation that
pauses over a night shift or a holiday is one contiguous interval on the axis. For a
textbook benchmark the axis is plain time.

Rules every plan must satisfy (checked independently by :mod:`.validate`):

* each operation runs once, on one of its modes' machines, for that mode's duration in
  that machine's working minutes: it neither starts nor ends inside one of the machine's
  pauses and waits through those between (a machine with none: ``end = start + duration``);
* operation ``k`` of a job starts no earlier than operation ``k-1`` ends, and the first
  operation no earlier than the job's release, and every free operation no earlier
  than its own ``earliest``;
* a machine runs one operation at a time and none inside its blocked windows;
* a fixed operation (finished, running or frozen work) keeps its machine, start and end;
  only a job's leading operations can be fixed (a fixed operation's predecessor is fixed);
* a job with a ``deadline`` completes by then (hard; ``due`` stays soft).

Due dates are soft: tardiness is measured, never forbidden.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Literal

from .pauses import NO_PAUSES, Pauses

__all__ = [
    "Assignment",
    "Fixed",
    "Job",
    "Mode",
    "Objective",
    "Op",
    "Previous",
    "Problem",
    "Solution",
    "SolveStatus",
]

Objective = Literal["makespan", "weighted_tardiness", "factory"]
"""What a planner minimises.

* ``makespan``: the end of the last operation (J||Cmax, FJ||Cmax benchmarks).
* ``weighted_tardiness``: sum of weight * max(0, completion - due).
* ``factory``: lexicographic (1) weighted tardiness, (2) operations moved against the
  published plan, (3) total flow time (sum of job completion - release).
"""


class _Pickled:
    """Pickles as a call of its constructor with its fields: several times faster than the
    default for slotted dataclasses (a problem of thousands of operations goes to the solver
    process, and its plan comes back, within the plan's deadline)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        cls = type(self)
        get = _FIELDS_OF.get(cls)
        if get is None:
            get = _FIELDS_OF[cls] = attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]
        return (cls, get(self))


_FIELDS_OF: dict[type, attrgetter[Any]] = {}


@dataclass(frozen=True, slots=True)
class Mode(_Pickled):
    """One way to run an operation: on ``machine`` (index into ``Problem.machines``)
    for ``duration`` axis minutes (>= 0; zero only in benchmark files such as orb07: a zero-length
    operation takes no time but may not sit strictly inside another one on its machine)."""

    machine: int
    duration: int


@dataclass(frozen=True, slots=True)
class Fixed(_Pickled):
    """Work that must stay where it is (finished, running or inside the frozen horizon)."""

    machine: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Previous(_Pickled):
    """Where the published plan had this operation; moving it costs stability."""

    machine: int
    start: int


@dataclass(frozen=True, slots=True)
class Op(_Pickled):
    """Operation ``index`` of job ``job``: runs in exactly one of ``modes``."""

    job: int
    index: int
    modes: tuple[Mode, ...]
    fixed: Fixed | None = None
    previous: Previous | None = None
    name: str = ""
    earliest: int = 0  # no earlier start than this (an operation moved by hand: "not before T")

    def duration_on(self, machine: int) -> int | None:
        for mode in self.modes:
            if mode.machine == machine:
                return mode.duration
        return None

    @property
    def min_duration(self) -> int:
        return min(m.duration for m in self.modes)


@dataclass(frozen=True, slots=True)
class Job(_Pickled):
    """A chain of operations (an order's routing). ``due`` None means no due date.

    ``deadline`` is a HARD latest completion (None: none). Planners use it only when the
    caller has shown it can be met (e.g. a rush order that fits when put first).
    """

    key: str
    ops: tuple[Op, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1
    deadline: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """A (flexible) job shop on one time axis.

    Attributes:
        jobs: the jobs; ``jobs[j].ops[k].job == j`` and ``.index == k``.
        machines: machine names, index = machine number used in modes.
        blocked: per machine, sorted disjoint ``(start, end)`` windows no free operation may
            overlap (downtime).
        pauses: per machine, sorted disjoint ``(start, end)`` windows when it does not work
            but an operation on it waits and resumes (its calendar's time off inside the
            axis, see :mod:`.pauses`); empty: none on any machine.
        objective: what to minimise, see :data:`Objective`.
        now: no non-fixed operation may start before this axis minute.
        name: instance name, for reports.
        move_tolerance: a non-fixed operation with a ``previous`` place counts as moved when
            its machine changes or its start shifts by more than this many minutes.
    """

    jobs: tuple[Job, ...]
    machines: tuple[str, ...]
    blocked: tuple[tuple[tuple[int, int], ...], ...] = ()
    objective: Objective = "makespan"
    now: int = 0
    name: str = ""
    move_tolerance: int = 30
    pauses: tuple[tuple[tuple[int, int], ...], ...] = ()
    _pauses_of: tuple[Pauses, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.blocked:
            object.__setattr__(self, "blocked", tuple(() for _ in self.machines))
        if len(self.blocked) != len(self.machines):
            raise ValueError("blocked must have one entry per machine")
        if not self.pauses:
            object.__setattr__(self, "pauses", tuple(() for _ in self.machines))
        if len(self.pauses) != len(self.machines):
            raise ValueError("pauses must have one entry per machine")
        for j, job in enumerate(self.jobs):
            for k, op in enumerate(job.ops):
                if op.job != j or op.index != k:
                    raise ValueError(f"operation {op.job}/{op.index} stored at {j}/{k}")
                if not op.modes:
                    raise ValueError(f"operation {j}/{k} has no machine")
                for mode in op.modes:
                    if not 0 <= mode.machine < len(self.machines) or mode.duration < 0:
                        raise ValueError(f"operation {j}/{k} has a bad mode {mode}")
                if op.fixed is not None and k > 0 and job.ops[k - 1].fixed is None:
                    raise ValueError(f"operation {j}/{k} is fixed but its predecessor is not")

    @property
    def n_ops(self) -> int:
        return sum(len(job.ops) for job in self.jobs)

    def all_ops(self) -> list[Op]:
        return [op for job in self.jobs for op in job.ops]

    def machine_pauses(self) -> tuple[Pauses, ...]:
        """Each machine's :class:`~.pauses.Pauses`, built on first use and kept (not pickled)."""
        cached = self._pauses_of
        if cached is None:
            cached = tuple(Pauses(w) if w else NO_PAUSES for w in self.pauses)
            object.__setattr__(self, "_pauses_of", cached)  # frozen: a cache, not a value
        return cached

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) if f.name != "_pauses_of" else None for f in fields(self))

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for f, value in zip(fields(self), state, strict=True):
            object.__setattr__(self, f.name, value)


class SolveStatus(str, enum.Enum):
    """How a plan was obtained. Never an exception: outcomes are values."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    FALLBACK = "fallback"  # the solver failed or ran out of time: heuristic plan
    HEURISTIC = "heuristic"  # asked for a dispatching rule directly
    INFEASIBLE = "infeasible"  # only when fixed work itself conflicts


@dataclass(frozen=True, slots=True)
class Assignment(_Pickled):
    """Where and when one operation runs (axis minutes, end exclusive)."""

    job: int
    op: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class Solution:
    """A plan: one assignment per operation, plus how it was obtained."""

    assignments: tuple[Assignment, ...]
    status: SolveStatus
    method: str = ""
    lower_bound: int | None = None
    seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    def by_op(self) -> dict[tuple[int, int], Assignment]:
        return {(a.job, a.op): a for a in self.assignments}

    def completion(self, n_jobs: int) -> list[int]:
        """Completion (end of last operation) per job; 0 for a job without operations."""
        done = [0] * n_jobs
        for a in self.assignments:
            if a.end > done[a.job]:
                done[a.job] = a.end
        return done
