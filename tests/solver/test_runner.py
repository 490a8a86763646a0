"""P6: a solve always answers within its deadline plus one second, with a valid plan."""

import os
import time

from scheduler_core.planning.problem import Assignment, Solution, SolveStatus
from scheduler_core.planning.runner import RunSettings, plan
from scheduler_core.planning.validate import violations
from tests.builders import make_problem


def hanging_solver(problem, time_limit, workers, seed, hint):
    time.sleep(3600)


def crashing_solver(problem, time_limit, workers, seed, hint):
    os._exit(9)  # a native crash: the process vanishes without a word


def invalid_solver(problem, time_limit, workers, seed, hint):
    # everything at time 0 on machine 0: overlaps and precedence broken
    return Solution(tuple(Assignment(op.job, op.index, 0, 0, op.modes[0].duration) for op in problem.all_ops()),
                    SolveStatus.OPTIMAL, "liar")


def raising_solver(problem, time_limit, workers, seed, hint):
    raise RuntimeError("boom")


PROBLEM = make_problem(
    [[{0: 3, 1: 4}, {1: 2}], [{1: 3}, {0: 2}], [{0: 4}, {0: 1, 1: 1}]],
    due=[5, 6, 7], objective="weighted_tardiness",
)


def test_hanging_solver_is_killed_and_the_heuristic_answers_within_deadline_plus_one_second():
    t0 = time.monotonic()
    result = plan(PROBLEM, RunSettings(deadline=1.5), solver=hanging_solver)
    elapsed = time.monotonic() - t0
    print(f"hang: answered in {elapsed:.2f}s for deadline 1.5s, status={result.status.value}")
    assert elapsed <= 1.5 + 1.0
    assert result.status is SolveStatus.FALLBACK
    assert violations(PROBLEM, result) == []


def test_crashing_solver_process_falls_back_to_a_valid_plan():
    result = plan(PROBLEM, RunSettings(deadline=1.5), solver=crashing_solver)
    assert result.status is SolveStatus.FALLBACK
    assert violations(PROBLEM, result) == []


def test_solver_exception_falls_back():
    result = plan(PROBLEM, RunSettings(deadline=1.0), solver=raising_solver)
    assert result.status is SolveStatus.FALLBACK
    assert violations(PROBLEM, result) == []


def test_invalid_solver_plan_is_never_returned():
    result = plan(PROBLEM, RunSettings(deadline=1.0), solver=invalid_solver)
    assert result.method != "liar"
    assert violations(PROBLEM, result) == []


def test_real_solver_answers_in_time_and_is_no_worse_than_the_heuristic():
    from scheduler_core.planning import heuristic
    from scheduler_core.planning.evaluate import score

    t0 = time.monotonic()
    result = plan(PROBLEM, RunSettings(deadline=2.0))
    assert time.monotonic() - t0 <= 3.0
    assert violations(PROBLEM, result) == []
    h = heuristic.best_plan(PROBLEM, 0.2)
    assert score(PROBLEM, result).key("weighted_tardiness") <= score(PROBLEM, h).key("weighted_tardiness")
