"""``paichan solve``: plan one benchmark instance file and print the plan.

The heuristic warm start gets ``min(10 %, 1 s)`` of the budget, CP-SAT (hinted with it)
the rest; the printed plan has passed :func:`~scheduler_core.planning.validate.assert_valid`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from scheduler_core.benchmarks.catalog import load
from scheduler_core.planning import heuristic
from scheduler_core.planning.cpsat import solve
from scheduler_core.planning.evaluate import score
from scheduler_core.planning.problem import Problem, Solution, SolveStatus
from scheduler_core.planning.validate import assert_valid

__all__ = ["Planned", "plan_instance", "register", "solution_json"]

FORMATS = ("fjs", "jsp", "taillard", "wt")
HEURISTIC_SHARE = 0.1
HEURISTIC_CAP = 1.0


@dataclass(frozen=True, slots=True)
class Planned:
    """A validated plan with its headline value and the CLI status word."""

    solution: Solution
    value: int
    status: str
    seconds: float


def _status_word(status: SolveStatus) -> str:
    if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.INFEASIBLE):
        return str(status.value)
    return "fallback"


def plan_instance(problem: Problem, *, time_limit: float, workers: int = 1, seed: int = 0) -> Planned:
    """Heuristic warm start (``min(10 %, 1 s)``), then CP-SAT with the rest of the time.

    When CP-SAT brings no plan, the heuristic plan is the answer (status ``fallback``).
    The plan is validated before it is returned.
    """
    t0 = time.monotonic()
    warm = heuristic.best_plan(problem, min(HEURISTIC_SHARE * time_limit, HEURISTIC_CAP), seed)
    rest = max(0.0, time_limit - (time.monotonic() - t0))
    sol = solve(problem, time_limit=rest, workers=workers, seed=seed, hint=warm)
    if not sol.assignments:
        sol = Solution(warm.assignments, SolveStatus.FALLBACK, f"{warm.method} (cpsat: {sol.method})")
    assert_valid(problem, sol)
    value = score(problem, sol).value(problem.objective)
    return Planned(sol, value, _status_word(sol.status), time.monotonic() - t0)


def solution_json(problem: Problem, planned: Planned) -> dict[str, Any]:
    """The JSON document of ``paichan solve --json`` (machine numbers as in the file)."""
    sol = planned.solution
    ops = [
        {"job": a.job, "op": a.op, "machine": int(problem.machines[a.machine]), "start": a.start, "end": a.end}
        for a in sorted(sol.assignments, key=lambda a: (a.job, a.op))
    ]
    return {
        "instance": problem.name,
        "objective": "makespan" if problem.objective == "makespan" else "weighted_tardiness",
        "value": planned.value,
        "status": planned.status,
        "lower_bound": sol.lower_bound,
        "seconds": round(planned.seconds, 3),
        "method": sol.method,
        "operations": ops,
    }


def run(args: argparse.Namespace) -> int:
    try:
        if args.jobs is not None and args.jobs < 1:
            raise ValueError(f"--jobs must be at least 1, not {args.jobs}")
        problem = load(args.file, args.format, args.instance, args.jobs)
    except (OSError, ValueError) as exc:
        print(f"paichan solve: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    planned = plan_instance(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    doc = solution_json(problem, planned)
    if args.json:
        print(json.dumps(doc))
        return 0
    lb = doc["lower_bound"]
    print(f"{doc['instance']}: {doc['objective']} {doc['value']} ({doc['status']}"
          f"{f', lower bound {lb}' if lb is not None else ''}) in {doc['seconds']:.1f} s, "
          f"{len(doc['operations'])} operations, method {doc['method']}")  # fmt: skip
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("solve", help="plan one benchmark instance file", description=__doc__)
    p.add_argument("file", help="instance file")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--instance", type=int, default=1, help="1-based instance in a multi-instance file (taillard, wt)")
    p.add_argument("--jobs", type=int, default=None,
                   help="wt: jobs per instance (default: the number in the file name, as in wt40.txt)")
    p.add_argument("--time-limit", type=float, required=True, help="seconds, heuristic included")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object with the plan")
    p.set_defaults(func=run)
