"""Between plans and the model: read a plan off a solver, write a plan as hints."""

from __future__ import annotations

from ortools.sat.python import cp_model

from ..problem import Assignment, Solution
from .model import Built

__all__ = ["add_hints", "extract"]


def extract(solver: cp_model.CpSolver, built: Built) -> tuple[Assignment, ...]:
    """The plan of the solver's current solution: free operations from the variables,
    fixed operations as they are."""
    out: list[Assignment] = []
    for job in built.data.problem.jobs:
        for op in job.ops:
            if op.fixed is not None:
                f = op.fixed
                out.append(Assignment(op.job, op.index, f.machine, f.start, f.end))
                continue
            ov = built.variables.ops[(op.job, op.index)]
            mode = next(m for m in ov.modes if solver.boolean_value(m.on))
            out.append(Assignment(op.job, op.index, mode.machine, int(solver.value(ov.start)), int(solver.value(ov.end))))
    return tuple(out)


def add_hints(model: cp_model.CpModel, built: Built, solution: Solution) -> None:
    """Hint every decision and helper variable with ``solution``'s values (a full hint
    lets CP-SAT start from it at once). ``model`` is ``built.model`` or a clone of it."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    placed = solution.by_op()
    problem = built.data.problem
    for key, ov in built.variables.ops.items():
        a = placed.get(key)
        if a is None:
            continue
        model.add_hint(ov.start, a.start)
        model.add_hint(ov.end, a.end)
        if isinstance(ov.size, cp_model.IntVar):
            model.add_hint(ov.size, a.end - a.start)
        if len(ov.modes) > 1:
            for mode in ov.modes:
                model.add_hint(mode.on, mode.machine == a.machine)
        for mode in ov.modes:  # the mode that runs it as planned; another as if without a pause
            if not mode.pauses:
                continue
            runs = mode.machine == a.machine
            end = a.end if runs else a.start + mode.duration
            for p in mode.pauses:
                model.add_hint(p.after, a.start >= p.end)
                model.add_hint(p.before, (end if runs else a.start) >= p.end)
            if isinstance(mode.size, cp_model.IntVar):
                model.add_hint(mode.size, end - a.start)
            if isinstance(mode.end, cp_model.IntVar):
                model.add_hint(mode.end, end)
    completion = solution.completion(len(problem.jobs))
    op_ends = {ov.end.index for ov in built.variables.ops.values()}
    for j, c in built.done.items():
        if isinstance(c, cp_model.IntVar) and c.index not in op_ends:
            model.add_hint(c, completion[j])
    if built.makespan is not None:
        model.add_hint(built.makespan, max(completion, default=0))
    if built.wt is not None:
        by_key = {job.key: j for j, job in enumerate(problem.jobs)}
        for job_key, t in built.wt.helpers.items():
            job = problem.jobs[by_key[job_key]]
            model.add_hint(t, max(0, completion[by_key[job_key]] - (job.due or 0)))
    if built.moved is not None:
        tol = problem.move_tolerance
        for name, kept in built.moved.helpers.items():
            j, k = (int(x) for x in name.split("/"))
            prev = problem.jobs[j].ops[k].previous
            a = placed.get((j, k))
            ok = prev is not None and a is not None and a.machine == prev.machine and abs(a.start - prev.start) <= tol
            model.add_hint(kept, ok)

