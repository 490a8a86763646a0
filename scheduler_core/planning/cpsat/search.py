"""Running CP-SAT: one full solve, and a large-neighbourhood search (LNS) around it.

The LNS keeps a current plan and repeatedly frees part of it (a time window, a few jobs,
or a few machines) while the rest keeps its machine and its order on the machine, then
lets CP-SAT re-optimise the freed part for a short time, starting from the current plan
(hinted) with the objective capped at the current value. It needs no problem-specific
knowledge and respects every rule, since each sub-problem is the full model plus
constraints.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..evaluate import score
from ..problem import Assignment, Solution, SolveStatus
from .model import Built, Phase
from .solution import add_hints, extract

__all__ = ["LnsResult", "Outcome", "lns", "new_solver", "quiet_solver", "run"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one CP-SAT call found."""

    assignments: tuple[Assignment, ...] | None
    status: cp_model.CpSolverStatus
    bound: float | None

    @property
    def complete(self) -> bool:
        """The search finished: optimal, or proven infeasible."""
        return self.status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)


def quiet_solver() -> cp_model.CpSolver:
    """A CP-SAT solver that leaves Ctrl-C (SIGINT) to the process.

    By default CP-SAT installs its own SIGINT handler for each solve and, when the solve
    ends, resets SIGINT to the system default, which terminates the process. A solver
    process that ignores Ctrl-C (its parent decides when it stops) would then die on the
    next Ctrl-C, and a process that turns it into ``KeyboardInterrupt`` would lose that.
    """
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False
    return solver


def new_solver(*, time_limit: float, workers: int, seed: int, log: bool) -> cp_model.CpSolver:
    """A CP-SAT solver with our parameters.

    ``num_workers=workers`` and ``random_seed=seed``: one worker with a fixed seed searches
    deterministically (results vary only when the wall-clock limit cuts the search).
    """
    solver = quiet_solver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.001, time_limit)
    p.num_workers = max(1, workers)
    p.random_seed = seed
    p.log_search_progress = log
    return solver


def run(
    model: cp_model.CpModel, built: Built, *, time_limit: float, workers: int, seed: int, log: bool
) -> Outcome:
    """Solve ``model`` (``built.model`` or a clone with extra constraints) once."""
    solver = new_solver(time_limit=time_limit, workers=workers, seed=seed, log=log)
    status = solver.solve(model)
    found = extract(solver, built) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    bound = solver.best_objective_bound if found is not None else None
    return Outcome(found, status, bound)


@dataclass(frozen=True, slots=True)
class LnsResult:
    """The best plan the LNS saw (by the problem's objective key) and its counters."""

    best: Solution
    iterations: int
    improvements: int


_GROW = 1.25  # neighbourhood size factor after a sub-problem was solved to optimality


def _neighbourhood(kind: str, built: Built, current: Solution, frac: float, rng: random.Random) -> set[tuple[int, int]]:
    """The free operations to relax, about ``frac`` of them, chosen by ``kind``."""
    keys = list(built.variables.ops)
    placed = current.by_op()
    want = max(2, round(frac * len(keys)))
    if kind == "window":  # consecutive operations in start order: a time window
        order = sorted(keys, key=lambda k: (placed[k].start, placed[k].machine, k))
        i = rng.randrange(0, max(1, len(order) - want + 1))
        return set(order[i : i + want])
    if kind == "jobs":
        by_job: dict[int, list[tuple[int, int]]] = {}
        for k in keys:
            by_job.setdefault(k[0], []).append(k)
        jobs = list(by_job)
        rng.shuffle(jobs)
        out: set[tuple[int, int]] = set()
        for j in jobs:
            if len(out) >= want:
                break
            out.update(by_job[j])
        return out
    # machines: everything currently on a few machines (free to move to other machines)
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for k in keys:
        by_machine.setdefault(placed[k].machine, []).append(k)
    machines = sorted(by_machine)
    rng.shuffle(machines)
    chosen: set[tuple[int, int]] = set()
    for m in machines:
        if len(chosen) >= want:
            break
        chosen.update(by_machine[m])
    return chosen


def _fix_rest(model: cp_model.CpModel, built: Built, current: Solution, relaxed: set[tuple[int, int]]) -> None:
    """Operations not relaxed keep their machine and their order on it."""
    placed = current.by_op()
    per_machine: dict[int, list[tuple[int, int, tuple[int, int]]]] = {}
    for key, ov in built.variables.ops.items():
        if key in relaxed:
            continue
        a = placed[key]
        if len(ov.modes) > 1:
            mode = next(m for m in ov.modes if m.machine == a.machine)
            model.add(mode.on == 1)
        per_machine.setdefault(a.machine, []).append((a.start, a.end, key))  # a zero-length one first
    for seq in per_machine.values():
        seq.sort()
        for (_, _, first), (_, _, then) in zip(seq, seq[1:], strict=False):
            model.add(built.variables.ops[first].end <= built.variables.ops[then].start)


def lns(
    built: Built,
    phase: Phase,
    start: Solution,
    *,
    deadline: float,
    workers: int,
    seed: int,
    log: bool,
) -> LnsResult:
    """Improve ``start`` (complete, valid) on ``phase`` until ``deadline`` (monotonic).

    ``built.model`` must already minimise ``phase.expr``. Neighbourhood kinds take turns;
    each kind's size adapts: it grows after a sub-problem was solved to optimality and
    shrinks after one timed out. A new plan replaces the current one when its phase value
    is no worse (equal values let the search drift across plateaus); the best plan by the
    problem's full objective key is returned.
    """
    problem = built.data.problem
    objective = problem.objective
    rng = random.Random(seed)
    kinds = ["window", "jobs"]
    if len({m.machine for ov in built.variables.ops.values() for m in ov.modes}) > 1:
        kinds.append("machines")
    frac = dict.fromkeys(kinds, 0.2)
    n = len(built.variables.ops)
    min_frac = min(1.0, 2.0 / max(1, n))
    total = max(0.0, deadline - time.monotonic())
    sub_limit = min(1.0, max(0.05, total / 40))
    current = best = start
    cur_value = phase.value(score(problem, current))
    best_key = score(problem, best).key(objective)
    iterations = improvements = 0
    while n > 0 and deadline - time.monotonic() > 0.02:
        kind = kinds[iterations % len(kinds)]
        iterations += 1
        relaxed = _neighbourhood(kind, built, current, frac[kind], rng)
        add_hints(built.model, built, current)
        sub = built.model.clone()
        _fix_rest(sub, built, current, relaxed)
        sub.add(phase.expr <= cur_value)
        if phase.tie_break is not None:
            sub.minimize(phase.expr * phase.tie_break[1] + phase.tie_break[0])
        remaining = deadline - time.monotonic()
        out = run(sub, built, time_limit=min(sub_limit, remaining), workers=workers, seed=seed + iterations, log=False)
        if out.complete:
            frac[kind] = min(1.0, frac[kind] * _GROW)
        else:
            frac[kind] = max(min_frac, frac[kind] / _GROW)
        if out.assignments is None:
            continue
        cand = Solution(out.assignments, SolveStatus.FEASIBLE, "cpsat-lns")
        sc = score(problem, cand)
        value = phase.value(sc)
        if value < cur_value or (value == cur_value and sc.key(objective) <= score(problem, current).key(objective)):
            if value < cur_value:
                improvements += 1
                if log:
                    print(f"lns {phase.name}: {cur_value} -> {value} ({kind}, {len(relaxed)} ops)")
            current, cur_value = cand, value
            if sc.key(objective) < best_key:
                best, best_key = cand, sc.key(objective)
    return LnsResult(best, iterations, improvements)


def ceil_bound(bound: float | None) -> int | None:
    """An integer lower bound from CP-SAT's (float) objective bound."""
    if bound is None or math.isinf(bound) or math.isnan(bound):
        return None
    return math.ceil(bound - 1e-6)
