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


def test_problem_and_plan_cross_the_process_boundary_unchanged():
    # they pickle as constructor calls: every field, including the optional ones, must survive
    import pickle

    from scheduler_core.planning.problem import Fixed, Job, Mode, Op, Previous, Problem

    ops = (Op(0, 0, (Mode(0, 5), Mode(1, 7)), fixed=Fixed(1, 0, 7), name="cut"),
           Op(0, 1, (Mode(1, 3),), previous=Previous(1, 9), name="weld", earliest=8))
    p = Problem((Job("SO-1", ops, release=2, due=20, weight=5, deadline=40),), ("M0", "M1"),
                blocked=((), ((30, 40),)), objective="factory", now=3, name="n", move_tolerance=15)
    sol = Solution((Assignment(0, 0, 1, 0, 7), Assignment(0, 1, 1, 9, 12)), SolveStatus.FEASIBLE, "m",
                   lower_bound=4, seconds=0.5, stats={"x": 1.0})
    q, back = pickle.loads(pickle.dumps((p, sol)))
    assert q == p and back == sol
    assert q.jobs[0].ops[1].previous == Previous(1, 9) and q.jobs[0].ops[1].earliest == 8


def test_a_shop_too_large_to_dispatch_in_time_still_answers_within_deadline_plus_one_second(monkeypatch):
    # the dispatching rule itself is cut at the deadline plus a grace (here none: at once) and
    # the rest placed by operation due date, so P6 holds whatever the size
    from datetime import UTC, datetime

    from scheduler_core.planning import runner

    monkeypatch.setattr(runner, "_CUT_GRACE", 0.0)

    from scheduler_core.domain.generate import FactorySpec, generate_factory
    from scheduler_core.planning.build import build_problem

    now = datetime(2026, 11, 23, tzinfo=UTC)
    factory = generate_factory(FactorySpec(orders=300, seed=1, machine_down=False, late_share=0.0), now)
    problem = build_problem(factory, now).problem
    t0 = time.monotonic()
    result = plan(problem, RunSettings(deadline=0.05))
    elapsed = time.monotonic() - t0
    print(f"cut: answered in {elapsed:.2f}s for deadline 0.05s, method={result.method}")
    assert elapsed < 1.05
    assert "cut short" in result.method and violations(problem, result) == []


def test_without_time_to_search_the_callers_best_valid_plan_is_the_answer():
    from scheduler_core.planning import heuristic

    given = heuristic.dispatch(PROBLEM, "fifo")
    liar = invalid_solver(PROBLEM, 0, 1, 0, None)
    result = plan(PROBLEM, RunSettings(deadline=0.1), candidates=(liar, given), solver=hanging_solver)
    assert result.assignments == given.assignments and result.method == "fifo"
    # nothing valid from the caller: the rules answer as usual
    result = plan(PROBLEM, RunSettings(deadline=0.1), candidates=(liar,), solver=hanging_solver)
    assert violations(PROBLEM, result) == [] and result.method != "liar"


_IGNORES_CTRL_C = """
import os, signal, time
from scheduler_core.planning import heuristic
from scheduler_core.planning.cpsat import solve
from scheduler_core.planning.cpsat.local import local_lns
from tests.solver.test_runner import PROBLEM
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the planner's solver processes do
solve(PROBLEM, time_limit=0.5)  # the full model and its LNS
local_lns(PROBLEM, heuristic.dispatch(PROBLEM, "fifo"), deadline=time.monotonic() + 0.2)  # small sub-models
os.kill(os.getpid(), signal.SIGINT)
time.sleep(0.2)
print("still running")
"""


def test_a_solver_process_that_ignores_ctrl_c_survives_it_after_solving():
    # CP-SAT's own Ctrl-C handling would reset SIGINT to "terminate" after each solve: a
    # Ctrl-C on the demo then killed a running solver process ("solver process died")
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", _IGNORES_CTRL_C], cwd=root, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "still running"
