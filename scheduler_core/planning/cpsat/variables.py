"""CP-SAT variables: one start/end per free operation, one optional interval per mode.

Names carry the job key, operation index and machine name, e.g. ``start[SO-1042/2]``,
``on[SO-1042/2@M3]``, so a model dump or a solver log reads like the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..problem import Op
from .data import ModelData

__all__ = ["ModeVar", "OpVars", "PauseVar", "Variables", "create_variables", "paused_run", "working_domain"]


@dataclass(frozen=True, slots=True)
class PauseVar:
    """A pause ``[start, end)`` of the mode's machine within the operation's reach: ``after``
    is true iff the operation starts after it, ``before`` iff it ends after it (so it waits
    through it iff ``before`` and not ``after``)."""

    start: int
    end: int
    after: cp_model.IntVar
    before: cp_model.IntVar


@dataclass(frozen=True, slots=True)
class ModeVar:
    """Running ``op`` on ``machine`` for ``duration`` working minutes: present iff ``on`` is
    true. On a machine with pauses in the operation's reach, ``end`` and ``size`` are
    variables (``size`` = ``duration`` plus the pauses waited through, see ``pauses``);
    otherwise ``end`` is ``start + duration``."""

    machine: int
    duration: int
    on: cp_model.IntVar
    interval: cp_model.IntervalVar
    end: cp_model.LinearExprT
    size: cp_model.IntVar | int
    pauses: tuple[PauseVar, ...] = ()


@dataclass(frozen=True, slots=True)
class OpVars:
    """The decision variables of one free operation."""

    op: Op
    start: cp_model.IntVar
    end: cp_model.IntVar
    modes: tuple[ModeVar, ...]
    size: cp_model.LinearExpr | int  # the chosen mode's duration (a constant if all modes agree)
    interval: cp_model.IntervalVar  # the main interval [start, end), whichever mode runs it


@dataclass(frozen=True, slots=True)
class Variables:
    """All operation variables, keyed by ``(job, op index)``."""

    ops: dict[tuple[int, int], OpVars]


def paused_run(
    model: cp_model.CpModel,
    start: cp_model.IntVar,
    duration: int,
    reach: tuple[tuple[int, int], ...],
    lo: int,
    hi: int,
    on: cp_model.IntVar | None,
    name: str = "",
) -> tuple[cp_model.IntervalVar, cp_model.IntVar, cp_model.IntVar, tuple[PauseVar, ...]]:
    """``duration`` working minutes from ``start`` on a machine whose pauses ``reach`` lie
    between the earliest start ``lo`` and the latest end ``hi``: its interval (optional with
    ``on``), end (a working minute or a pause's first), size (the duration and the pauses
    waited through) and a :class:`PauseVar` per pause; :func:`~.constraints.tie_pauses` ties
    them. The full model and the neighbourhood search's sub-models make them alike."""
    size = model.new_int_var(duration, duration + sum(b - a for a, b in reach), f"size[{name}]" if name else "")
    end = model.new_int_var_from_domain(working_domain(reach, lo + duration, max(lo + duration, hi), 1),
                                        f"end[{name}]" if name else "")
    interval = (model.new_interval_var(start, size, end, f"run[{name}]" if name else "") if on is None
                else model.new_optional_interval_var(start, size, end, on, f"run[{name}]" if name else ""))
    marks = tuple(PauseVar(a, b, model.new_bool_var(f"after[{name}#{a}]" if name else ""),
                           model.new_bool_var(f"before[{name}#{a}]" if name else "")) for a, b in reach)
    return interval, end, size, marks


def working_domain(pauses: tuple[tuple[int, int], ...], lo: int, hi: int, shift: int) -> cp_model.Domain:
    """``[lo, hi]`` without the pauses' insides: where work may start (``shift`` 0: not from a
    pause's first minute on) or end (``shift`` 1: at a pause's first minute, not after it)."""
    out: list[list[int]] = []
    cur = lo
    for a, b in pauses:
        if a + shift > cur:
            out.append([cur, min(a + shift - 1, hi)])
        cur = max(cur, b)
        if cur > hi:
            break
    if cur <= hi:
        out.append([cur, hi])
    out = [w for w in out if w[0] <= w[1]]
    return cp_model.Domain.from_intervals(out) if out else cp_model.Domain(lo, hi)


def op_label(data: ModelData, op: Op) -> str:
    """``<job key>/<op index>``: the readable id used in variable names."""
    return f"{data.problem.jobs[op.job].key}/{op.index}"


def create_variables(model: cp_model.CpModel, data: ModelData) -> Variables:
    """Create start, end, mode literals and intervals for every free operation.

    Each mode's optional interval shares the operation's start variable; the main interval
    ``[start, start + size)`` is the operation whatever its mode, with ``size`` linked to
    the chosen mode's duration in :func:`~.constraints.add_duration_of_chosen_mode`. A mode
    on a machine with pauses between the operation's earliest start and latest end has its
    own end and size, and a :class:`PauseVar` per such pause, tied together in
    :func:`~.constraints.add_pauses`. Domains already respect the heads and tails of
    :class:`ModelData`; the rules stay explicit in :mod:`.constraints`.
    """
    names = data.problem.machines
    out: dict[tuple[int, int], OpVars] = {}
    for op in data.free:
        key = (op.job, op.index)
        label = op_label(data, op)
        lo = data.head[key]
        hi = data.horizon - data.tail[key]
        dmin = op.min_duration
        dmax = max(m.duration for m in op.modes)
        start = model.new_int_var(lo, max(lo, hi - dmin), f"start[{label}]")
        end = model.new_int_var(lo + dmin, max(lo + dmin, hi), f"end[{label}]")
        modes = []
        longest = dmax
        for mode in op.modes:
            where = f"{label}@{names[mode.machine]}"
            on = model.new_constant(1) if len(op.modes) == 1 else model.new_bool_var(f"on[{where}]")
            reach = data.pauses_reached(op, mode)
            if not reach:
                if len(op.modes) == 1:
                    interval = model.new_fixed_size_interval_var(start, mode.duration, f"run[{where}]")
                else:
                    interval = model.new_optional_fixed_size_interval_var(start, mode.duration, on, f"run[{where}]")
                modes.append(ModeVar(mode.machine, mode.duration, on, interval, start + mode.duration, mode.duration))
                continue
            interval, m_end, m_size, marks = paused_run(model, start, mode.duration, reach, lo, hi,
                                                        None if len(op.modes) == 1 else on, where)
            longest = max(longest, mode.duration + sum(b - a for a, b in reach))
            modes.append(ModeVar(mode.machine, mode.duration, on, interval, m_end, m_size, marks))
        size: cp_model.LinearExpr | int = dmin
        if longest != dmin and any(m.pauses for m in modes):
            size = model.new_int_var(dmin, longest, f"size[{label}]")
        elif dmin != dmax:
            size = model.new_int_var_from_domain(
                cp_model.Domain.from_values(sorted({m.duration for m in op.modes})), f"size[{label}]"
            )
        main = model.new_interval_var(start, size, end, f"op[{label}]")
        out[key] = OpVars(op, start, end, tuple(modes), size, main)
    return Variables(out)
