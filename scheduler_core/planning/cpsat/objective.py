"""Objective terms: job completions, makespan, weighted tardiness, moved operations, flow.

Every term is computed the way :func:`scheduler_core.planning.evaluate.score` computes it,
so the solver's objective value equals the evaluated one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from .data import ModelData
from .variables import Variables, op_label

__all__ = [
    "Terms",
    "completions",
    "flow_time",
    "makespan",
    "moved_operations",
    "weighted_tardiness",
]

Expr = cp_model.LinearExpr | int
"""A linear expression or a constant (IntVar is a LinearExpr)."""


@dataclass(frozen=True, slots=True)
class Terms:
    """An objective term: its expression, an upper bound of its value, helper variables."""

    expr: Expr
    upper: int
    helpers: dict[str, cp_model.IntVar]


def completions(model: cp_model.CpModel, data: ModelData, variables: Variables) -> dict[int, Expr]:
    """Completion of each job with operations: the latest end among its operations.

    Only ends not dominated by a free successor count (a free operation ends after its
    predecessor), which is usually just the last operation's end.
    """
    out: dict[int, Expr] = {}
    for j, job in enumerate(data.problem.jobs):
        if not job.ops:
            continue
        consts: list[int] = []
        ends: list[cp_model.IntVar] = []
        for k, op in enumerate(job.ops):
            if k + 1 < len(job.ops) and job.ops[k + 1].fixed is None:
                continue
            if op.fixed is not None:
                consts.append(op.fixed.end)
            else:
                ends.append(variables.ops[(j, k)].end)
        if not ends:
            out[j] = max(consts)
        elif len(ends) == 1 and not consts:
            out[j] = ends[0]
        else:
            lo = max(consts, default=0)
            c = model.new_int_var(lo, max(lo, data.horizon), f"completion[{job.key}]")
            model.add_max_equality(c, [*ends, *consts])
            out[j] = c
    return out


def makespan(model: cp_model.CpModel, data: ModelData, done: dict[int, Expr]) -> cp_model.IntVar:
    """``makespan >= completion of every job`` (tight at the optimum)."""
    lo = max((c for c in done.values() if isinstance(c, int)), default=0)
    var = model.new_int_var(lo, max(lo, data.horizon), "makespan")
    for c in done.values():
        model.add(var >= c)
    return var


def weighted_tardiness(model: cp_model.CpModel, data: ModelData, done: dict[int, Expr]) -> Terms:
    """Sum of ``weight * max(0, completion - due)``; jobs without a due date add 0."""
    terms: list[Expr] = []
    helpers: dict[str, cp_model.IntVar] = {}
    upper = 0
    for j, c in done.items():
        job = data.problem.jobs[j]
        if job.due is None:
            continue
        if isinstance(c, int):
            late = max(0, c - job.due)
            terms.append(job.weight * late)
            upper += job.weight * late
            continue
        hi = max(0, data.horizon - job.due)
        if hi == 0:
            continue  # cannot be late within the horizon
        t = model.new_int_var(0, hi, f"tardiness[{job.key}]")
        model.add(t >= c - job.due)
        helpers[job.key] = t
        terms.append(job.weight * t)
        upper += job.weight * hi
    return Terms(sum(terms) if terms else 0, upper, helpers)


def flow_time(data: ModelData, done: dict[int, Expr]) -> Terms:
    """Total flow time: sum of ``completion - release`` over jobs with operations."""
    terms = [c - data.problem.jobs[j].release for j, c in done.items()]
    upper = sum(max(0, data.horizon - data.problem.jobs[j].release) for j in done)
    return Terms(sum(terms) if terms else 0, upper, {})


def moved_operations(model: cp_model.CpModel, data: ModelData, variables: Variables) -> Terms:
    """Operations moved against the published plan.

    A free operation with a ``previous`` place is *kept* iff it runs on
    ``previous.machine`` and starts within ``problem.move_tolerance`` of ``previous.start``;
    moved = not kept. ``kept`` only implies its conditions: minimising moved makes it true
    whenever they hold.
    """
    tol = data.problem.move_tolerance
    helpers: dict[str, cp_model.IntVar] = {}
    count = 0
    kept_lits: list[cp_model.IntVar] = []
    for key, ov in variables.ops.items():
        prev = ov.op.previous
        if prev is None:
            continue
        count += 1
        mode = next((m for m in ov.modes if m.machine == prev.machine), None)
        if mode is None:
            continue  # cannot stay on a machine it is no longer eligible for
        kept = model.new_bool_var(f"kept[{op_label(data, ov.op)}]")
        model.add_implication(kept, mode.on)
        model.add(ov.start >= prev.start - tol).only_enforce_if(kept)
        model.add(ov.start <= prev.start + tol).only_enforce_if(kept)
        helpers[f"{key[0]}/{key[1]}"] = kept
        kept_lits.append(kept)
    return Terms(count - sum(kept_lits) if kept_lits else count, count, helpers)
