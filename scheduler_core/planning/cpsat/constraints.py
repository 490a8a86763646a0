"""The scheduling rules as CP-SAT constraints: one function per rule.

The first seven are the rules of :mod:`scheduler_core.planning.problem` (checked again by
:mod:`scheduler_core.planning.validate`); the ``redundant_*`` ones add nothing a plan must
satisfy beyond them, they only give the solver stronger bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from .data import ModelData
from .variables import PauseVar, Variables

__all__ = [
    "add_deadline",
    "add_duration_of_chosen_mode",
    "add_exactly_one_mode",
    "add_machine_no_overlap",
    "add_pauses",
    "add_precedence",
    "add_release_and_now",
    "redundant_machine_load",
    "redundant_shop_cumulative",
    "tie_pauses",
]


def add_exactly_one_mode(model: cp_model.CpModel, variables: Variables) -> None:
    """Each operation runs in exactly one of its modes (on one eligible machine)."""
    for ov in variables.ops.values():
        if len(ov.modes) > 1:
            model.add_exactly_one(m.on for m in ov.modes)


def add_duration_of_chosen_mode(model: cp_model.CpModel, variables: Variables) -> None:
    """An operation lasts the duration of its chosen mode: ``end = start + duration``, or,
    on a machine with pauses in reach, the end of that mode (see :func:`add_pauses`).

    The main interval already ties ``end = start + size``; here ``size`` follows the mode.
    """
    for ov in variables.ops.values():
        if any(m.pauses for m in ov.modes):
            for m in ov.modes:
                tie = model.add(ov.end == m.end)
                if len(ov.modes) > 1:
                    tie.only_enforce_if(m.on)
        elif len(ov.modes) > 1 and not isinstance(ov.size, int):
            model.add(ov.size == sum(m.duration * m.on for m in ov.modes))


def add_pauses(model: cp_model.CpModel, variables: Variables) -> None:
    """On a machine with pauses (its calendar's time off inside the factory's working time)
    an operation waits through them: it neither starts nor ends inside one, and it lasts its
    working minutes plus the pauses between its start and its end.

    For each pause in reach, ``after`` says the operation starts at or after its end (else
    before its start) and ``before`` that it ends at or after its end (else by its start).
    """
    for ov in variables.ops.values():
        for mode in ov.modes:
            if mode.pauses:
                tie_pauses(model, ov.start, mode.end, mode.size, mode.duration, mode.pauses,
                           None if len(ov.modes) == 1 else mode.on)


def tie_pauses(model: cp_model.CpModel, start: cp_model.LinearExprT, end: cp_model.LinearExprT,
               size: cp_model.LinearExprT, duration: int, pauses: Sequence[PauseVar],
               on: cp_model.IntVar | None) -> None:
    """The constraints of :func:`add_pauses` for one mode (``on``: its literal, None when it
    is the operation's only mode); the neighbourhood search's sub-models use them too."""
    when = [] if on is None else [on]
    for p in pauses:
        model.add(start <= p.start - 1).only_enforce_if([~p.after, *when])
        model.add(start >= p.end).only_enforce_if([p.after, *when])
        model.add(end <= p.start).only_enforce_if([~p.before, *when])
        model.add(end >= p.end).only_enforce_if([p.before, *when])
        model.add_implication(p.after, p.before)
    for earlier, later in zip(pauses, pauses[1:], strict=False):
        model.add_implication(later.after, earlier.after)
        model.add_implication(later.before, earlier.before)
    model.add(size == duration + sum((p.end - p.start) * (p.before - p.after) for p in pauses))


def add_precedence(model: cp_model.CpModel, data: ModelData, variables: Variables) -> None:
    """Operation ``k`` of a job starts no earlier than operation ``k-1`` ends.

    Applies to every free operation; its predecessor's end is a constant when the
    predecessor is fixed. A fixed operation is a fact and gets no constraint (as in
    :func:`~scheduler_core.planning.validate.violations`).
    """
    for job in data.problem.jobs:
        for prev, op in zip(job.ops, job.ops[1:], strict=False):
            if op.fixed is not None:
                continue
            start = variables.ops[(op.job, op.index)].start
            if prev.fixed is not None:
                model.add(start >= prev.fixed.end)
            else:
                model.add(variables.ops[(prev.job, prev.index)].end <= start)


def add_release_and_now(model: cp_model.CpModel, data: ModelData, variables: Variables) -> None:
    """A job's first operation starts at or after the job's release, no free operation
    starts before ``problem.now`` (fixed operations may lie in the past), and none before its
    own ``earliest`` (an operation moved by hand)."""
    problem = data.problem
    for ov in variables.ops.values():
        bound = max(problem.now, ov.op.earliest)
        if ov.op.index == 0:
            bound = max(bound, problem.jobs[ov.op.job].release)
        model.add(ov.start >= bound)


def add_deadline(model: cp_model.CpModel, data: ModelData, variables: Variables) -> None:
    """A job with a hard ``deadline`` completes by then: each of its free operations ends at or
    before it (its due date stays soft; the deadline is set only where the caller has a plan
    that meets it)."""
    for ov in variables.ops.values():
        deadline = data.problem.jobs[ov.op.job].deadline
        if deadline is not None:
            model.add(ov.end <= deadline)


def add_machine_no_overlap(model: cp_model.CpModel, data: ModelData, variables: Variables) -> None:
    """A machine runs one operation at a time, never inside its blocked windows and never
    over fixed work.

    Blocked windows and fixed operations enter each machine's NoOverlap as fixed intervals,
    merged first: a fixed operation may lie inside a blocked window (it is a fact), and
    only free operations must avoid both.
    """
    names = data.problem.machines
    per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in names]
    for ov in variables.ops.values():
        for mode in ov.modes:
            per_machine[mode.machine].append(mode.interval)
    for m, intervals in enumerate(per_machine):
        if not intervals:
            continue
        for s, e in data.forbidden[m]:
            if s >= data.horizon:
                continue  # after every free operation's latest end: cannot bind
            intervals.append(model.new_fixed_size_interval_var(s, e - s, f"blocked[{names[m]}@{s}]"))
        if len(intervals) > 1:
            model.add_no_overlap(intervals)


def redundant_shop_cumulative(model: cp_model.CpModel, data: ModelData, variables: Variables) -> None:
    """Redundant: at any time at most ``#machines`` operations run in the whole shop.

    Only useful when operations have several eligible machines (the per-machine NoOverlaps
    then reason about each machine's optional intervals separately).
    """
    ops = list(variables.ops.values())
    if not any(len(ov.modes) > 1 for ov in ops):
        return
    used = sorted({m.machine for ov in ops for m in ov.modes})
    model.add_cumulative([ov.interval for ov in ops], [1] * len(ops), len(used))


def redundant_machine_load(
    model: cp_model.CpModel, data: ModelData, variables: Variables, makespan: cp_model.IntVar
) -> None:
    """Redundant (makespan only): the makespan is at least each machine's earliest possible
    start plus the work assigned to it, and at least the shop's total work spread over all
    machines."""
    per_machine: dict[int, list[tuple[int, int, cp_model.IntVar]]] = {}
    for key, ov in variables.ops.items():
        for mode in ov.modes:
            per_machine.setdefault(mode.machine, []).append((data.head[key], mode.duration, mode.on))
    for entries in per_machine.values():
        earliest = min(h for h, _, _ in entries)
        model.add(makespan >= earliest + sum(d * on for _, d, on in entries))
    if len(per_machine) > 1:
        earliest_all = min((data.head[k] for k in variables.ops), default=0)
        total: Sequence[cp_model.LinearExprT] = [ov.size for ov in variables.ops.values()]
        model.add(len(per_machine) * (makespan - earliest_all) >= sum(total))
