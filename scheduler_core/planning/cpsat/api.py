"""The public entry points: :func:`solve` (tuned, hinted, with LNS) and :func:`solve_plain`.

Time budget of :func:`solve` (all within ``time_limit`` wall seconds, model building
included):

* single-phase objectives (makespan, weighted tardiness): a full CP-SAT solve for
  ``FULL_SHARE`` of the budget (it often proves optimality on small instances and stops
  early), then LNS (:func:`.search.lns`) for the rest;
* ``factory``: phase 1 (weighted tardiness) gets half of the budget, phase 2 (moved
  operations, then flow time, with weighted tardiness capped at the phase-1 value) the
  rest, including whatever phase 1 did not use; each phase splits its share as above and
  is hinted with the best plan so far.

Large due-date problems (at least :data:`.local.LOCAL_MIN_OPS` free operations, objective
``weighted_tardiness`` or ``factory``) skip the full model, which CP-SAT cannot even
presolve in a few seconds at that size: the whole budget goes to the LNS on small
sub-models of :func:`.local.local_lns`, from the hint (or, without one, the best
dispatching rule). Its acceptance test is the full lexicographic key, so both levels of
``factory`` are optimised at once. So do due-date problems with machines that pause (see
:mod:`..pauses`) once the full model would tie more than :data:`FULL_PAUSES` (mode, pause)
pairs: there every operation needs a pair of literals for each pause between its earliest
start and the horizon (55,000 for 214 operations of a factory on two calendars, 2.6 s to
build), in a sub-model only for the pauses within its reach.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from .. import heuristic
from ..evaluate import score
from ..problem import Problem, Solution, SolveStatus
from ..validate import violations
from .data import prepare
from .local import LOCAL_MIN_OPS, local_lns
from .model import build, phases
from .search import ceil_bound, lns, run
from .solution import add_hints

__all__ = ["FULL_SHARE", "solve", "solve_plain"]

FULL_SHARE = 0.3
"""Share of a phase's time given to the full CP-SAT solve before the LNS takes over."""

FULL_PAUSES = 500
"""At most this many (mode, pause) pairs (:meth:`.data.ModelData.pauses_in_reach`) in the
full model of a factory whose machines pause; more, and it is searched on sub-models."""

_PHASE1_SHARE = 0.5  # factory objective: share of the budget for weighted tardiness


def _usable_hint(problem: Problem, hint: Solution | None) -> Solution | None:
    if hint is None or len(hint.assignments) != problem.n_ops:
        return None
    return hint if not violations(problem, hint, limit=1) else None


def _better(problem: Problem, a: Solution, b: Solution | None) -> bool:
    """``a`` strictly better than ``b`` by the problem's objective key."""
    if b is None:
        return True
    obj = problem.objective
    return score(problem, a).key(obj) < score(problem, b).key(obj)


def solve(
    problem: Problem,
    *,
    time_limit: float,
    workers: int = 1,
    seed: int = 0,
    hint: Solution | None = None,
    log: bool = False,
) -> Solution:
    """Plan ``problem`` with CP-SAT within ``time_limit`` seconds.

    Args:
        problem: the problem; ``problem.objective`` says what to minimise.
        time_limit: wall-clock budget in seconds (model building included).
        workers: CP-SAT workers (threads). One worker with a fixed ``seed`` is
            deterministic whenever the search finishes before the limit.
        seed: random seed of CP-SAT and of the LNS.
        hint: a plan to start from (e.g. a dispatching rule's). A valid hint is never
            beaten by the returned plan's objective key: if nothing better is found, the
            hint comes back (status ``FEASIBLE``, method ``cpsat (hint kept)``).
        log: print CP-SAT's search log and LNS progress.

    Returns:
        A :class:`Solution`; ``OPTIMAL`` when every objective level was proven optimal.
        Without any plan, an empty solution with status ``INFEASIBLE`` (fixed work
        conflicts, or CP-SAT proved it) or ``FALLBACK`` (time ran out): the caller falls
        back to a heuristic. Never raises for solver outcomes.
    """
    t0 = time.monotonic()
    deadline = t0 + max(0.0, time_limit)
    given = _usable_hint(problem, hint)
    ub = cover = None
    if given is not None:
        cover = max((a.end for a in given.assignments), default=0)
        if problem.objective == "makespan":
            ub = score(problem, given).makespan
    data = prepare(problem, upper_bound=ub, cover=cover)
    if data.conflicts:
        return Solution((), SolveStatus.INFEASIBLE, "cpsat: " + data.conflicts[0], seconds=time.monotonic() - t0)
    if problem.objective != "makespan" and (
        len(data.free) >= LOCAL_MIN_OPS or (any(problem.pauses) and data.pauses_in_reach() > FULL_PAUSES)
    ):
        return _solve_large(problem, given, t0=t0, deadline=deadline, workers=workers, seed=seed, log=log)
    built = build(data, redundant=True)
    plist = phases(built)

    best = given
    lower_bound: int | None = None
    proven: list[bool] = []
    stats: dict[str, float] = {}
    for i, phase in enumerate(plist):
        last = i == len(plist) - 1
        now = time.monotonic()
        phase_end = deadline if last else now + (deadline - now) * _PHASE1_SHARE
        built.model.minimize(phase.expr)
        if best is not None:
            built.model.add(phase.expr <= phase.value(score(problem, best)))
            add_hints(built.model, built, best)
        else:
            built.model.clear_hints()  # type: ignore[no-untyped-call]
        out = run(built.model, built, time_limit=(phase_end - now) * FULL_SHARE, workers=workers, seed=seed, log=log)
        if out.assignments is None and best is None and not out.complete:
            # nothing yet: keep searching for a first plan with the rest of the phase
            out = run(built.model, built, time_limit=phase_end - time.monotonic(), workers=workers, seed=seed, log=log)
        if out.status == cp_model.INFEASIBLE and best is None:
            return Solution((), SolveStatus.INFEASIBLE, "cpsat: infeasible", seconds=time.monotonic() - t0)
        if out.assignments is not None:
            cand = Solution(out.assignments, SolveStatus.FEASIBLE, "cpsat")
            if _better(problem, cand, best):
                best = cand
        if best is None:
            break  # no plan at all: the caller falls back
        bound = ceil_bound(out.bound)
        if phase.headline and bound is not None:
            lower_bound = bound if lower_bound is None else max(lower_bound, bound)
        optimal = out.status == cp_model.OPTIMAL
        if not optimal and phase_end - time.monotonic() > 0.05:
            res = lns(built, phase, best, deadline=phase_end, workers=workers, seed=seed, log=log)
            stats[f"lns_iterations_{phase.name}"] = res.iterations
            stats[f"lns_improvements_{phase.name}"] = res.improvements
            if _better(problem, res.best, best):
                best = res.best
        if bound is not None and phase.value(score(problem, best)) <= bound:
            optimal = True
        proven.append(optimal)
        if not last:
            built.model.add(phase.expr <= phase.value(score(problem, best)))

    seconds = time.monotonic() - t0
    if best is None:
        return Solution((), SolveStatus.FALLBACK, "cpsat: no plan found in time", seconds=seconds)
    status = SolveStatus.OPTIMAL if len(proven) == len(plist) and all(proven) else SolveStatus.FEASIBLE
    method = "cpsat (hint kept)" if best is given else "cpsat"
    return Solution(best.assignments, status, method, lower_bound, seconds, stats)


def _solve_large(
    problem: Problem, given: Solution | None, *, t0: float, deadline: float, workers: int, seed: int, log: bool
) -> Solution:
    """Large due-date problems: LNS on small sub-models from the hint (see module doc)."""
    start = given
    if start is None:
        # no plan to start from: the best dispatching rule, with a small share of the time
        start = heuristic.best_plan(problem, min(1.0, 0.1 * max(0.0, deadline - t0)), seed=seed)
    res = local_lns(problem, start, deadline=deadline, workers=workers, seed=seed, log=log)
    stats = {"lns_iterations": float(res.iterations), "lns_improvements": float(res.improvements)}
    kept = res.best is start
    if kept and given is None:
        method = f"cpsat-lns ({start.method})"
    else:
        method = "cpsat (hint kept)" if kept else "cpsat-lns"
    return Solution(res.best.assignments, SolveStatus.FEASIBLE, method, None, time.monotonic() - t0, stats)


def solve_plain(problem: Problem, *, time_limit: float, workers: int = 1, seed: int = 0) -> Solution:
    """The textbook model, solved once: the baseline the benchmarks compare against.

    Same rules as :func:`solve`, but no hint, no redundant constraints, no LNS, no tuned
    parameters, the safe horizon, and a single phase on the headline objective (makespan,
    or weighted tardiness for ``weighted_tardiness`` and ``factory``).
    """
    t0 = time.monotonic()
    data = prepare(problem)
    if data.conflicts:
        return Solution((), SolveStatus.INFEASIBLE, "cpsat-plain: " + data.conflicts[0], seconds=time.monotonic() - t0)
    built = build(data, redundant=False)
    headline = phases(built)[0]
    built.model.minimize(headline.expr)
    out = run(built.model, built, time_limit=max(0.0, time_limit - (time.monotonic() - t0)),
              workers=workers, seed=seed, log=False)  # fmt: skip
    seconds = time.monotonic() - t0
    if out.assignments is None:
        status = SolveStatus.INFEASIBLE if out.status == cp_model.INFEASIBLE else SolveStatus.FALLBACK
        return Solution((), status, "cpsat-plain", seconds=seconds)
    status = SolveStatus.OPTIMAL if out.status == cp_model.OPTIMAL else SolveStatus.FEASIBLE
    return Solution(out.assignments, status, "cpsat-plain", ceil_bound(out.bound), seconds)

