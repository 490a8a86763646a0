"""Objective values of a solution, computed the same way for every planner."""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, Solution

__all__ = ["Score", "score"]


@dataclass(frozen=True, slots=True, order=True)
class Score:
    """Objective components. Ordering follows the problem's objective via :meth:`key`."""

    weighted_tardiness: int
    moved: int
    flow_time: int
    makespan: int
    tardy_jobs: int

    def key(self, objective: str) -> tuple[int, ...]:
        """Lexicographic comparison key for ``objective`` (smaller is better)."""
        if objective == "makespan":
            return (self.makespan, self.flow_time)
        if objective == "weighted_tardiness":
            return (self.weighted_tardiness, self.flow_time)
        return (self.weighted_tardiness, self.moved, self.flow_time)

    def value(self, objective: str) -> int:
        """The headline value: makespan or weighted tardiness."""
        return self.makespan if objective == "makespan" else self.weighted_tardiness


def score(problem: Problem, solution: Solution) -> Score:
    """Compute every objective component of ``solution`` (assumed complete)."""
    completion = solution.completion(len(problem.jobs))
    wt = tardy = flow = 0
    for j, job in enumerate(problem.jobs):
        if not job.ops:
            continue
        c = completion[j]
        flow += c - job.release
        if job.due is not None and c > job.due:
            wt += job.weight * (c - job.due)
            tardy += 1
    moved = count_moved(problem, solution)
    makespan = max((a.end for a in solution.assignments), default=0)
    return Score(wt, moved, flow, makespan, tardy)


def count_moved(problem: Problem, solution: Solution) -> int:
    """Operations placed on another machine or shifted by more than the tolerance."""
    placed = solution.by_op()
    moved = 0
    for job in problem.jobs:
        for op in job.ops:
            if op.previous is None or op.fixed is not None:
                continue
            a = placed.get((op.job, op.index))
            if a is None:
                continue
            if a.machine != op.previous.machine or abs(a.start - op.previous.start) > problem.move_tolerance:
                moved += 1
    return moved
