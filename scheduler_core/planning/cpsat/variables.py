"""CP-SAT variables: one start/end per free operation, one optional interval per mode.

Names carry the job key, operation index and machine name, e.g. ``start[SO-1042/2]``,
``on[SO-1042/2@M3]``, so a model dump or a solver log reads like the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..problem import Op
from .data import ModelData

__all__ = ["ModeVar", "OpVars", "Variables", "create_variables"]


@dataclass(frozen=True, slots=True)
class ModeVar:
    """Running ``op`` on ``machine`` for ``duration``: present iff ``on`` is true."""

    machine: int
    duration: int
    on: cp_model.IntVar
    interval: cp_model.IntervalVar


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


def op_label(data: ModelData, op: Op) -> str:
    """``<job key>/<op index>``: the readable id used in variable names."""
    return f"{data.problem.jobs[op.job].key}/{op.index}"


def create_variables(model: cp_model.CpModel, data: ModelData) -> Variables:
    """Create start, end, mode literals and intervals for every free operation.

    Each mode's optional interval shares the operation's start variable; the main interval
    ``[start, start + size)`` is the operation whatever its mode, with ``size`` linked to
    the chosen mode's duration in :func:`~.constraints.add_duration_of_chosen_mode`. Domains already respect the heads
    and tails of :class:`ModelData`; the rules stay explicit in :mod:`.constraints`.
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
        for mode in op.modes:
            where = f"{label}@{names[mode.machine]}"
            if len(op.modes) == 1:
                on = model.new_constant(1)
                interval = model.new_fixed_size_interval_var(start, mode.duration, f"run[{where}]")
            else:
                on = model.new_bool_var(f"on[{where}]")
                interval = model.new_optional_fixed_size_interval_var(start, mode.duration, on, f"run[{where}]")
            modes.append(ModeVar(mode.machine, mode.duration, on, interval))
        size: cp_model.LinearExpr | int = dmin
        if dmin != dmax:
            size = model.new_int_var_from_domain(
                cp_model.Domain.from_values(sorted({m.duration for m in op.modes})), f"size[{label}]"
            )
        main = model.new_interval_var(start, size, end, f"op[{label}]")
        out[key] = OpVars(op, start, end, tuple(modes), size, main)
    return Variables(out)
