"""CP-SAT on small public benchmark instances (one worker, seed 0)."""

from __future__ import annotations

from scheduler_core.benchmarks.catalog import DATA_DIR, load
from scheduler_core.planning import heuristic
from scheduler_core.planning.cpsat import solve, solve_plain
from scheduler_core.planning.evaluate import score
from scheduler_core.planning.problem import SolveStatus
from scheduler_core.planning.validate import assert_valid

FT06 = DATA_DIR / "jobshop" / "instances" / "ft06.txt"
MK01 = DATA_DIR / "flexible-jobshop" / "brandimarte" / "mk01.fjs"
WT40 = DATA_DIR / "weighted-tardiness" / "orlib" / "wt40.txt"


def test_ft06_reaches_its_optimum_55() -> None:
    p = load(FT06, "jsp")
    sol = solve(p, time_limit=5, workers=1, seed=0)
    assert_valid(p, sol)
    assert score(p, sol).makespan == 55
    assert sol.status is SolveStatus.OPTIMAL and sol.lower_bound == 55
    assert solve_plain(p, time_limit=5).lower_bound == 55


def test_mk01_gives_a_valid_plan_deterministically() -> None:
    p = load(MK01, "fjs")
    first = solve(p, time_limit=5, workers=1, seed=0)
    assert_valid(p, first)
    assert 40 <= score(p, first).makespan <= 42  # best known (optimal) is 40
    again = solve(p, time_limit=5, workers=1, seed=0)
    assert again.assignments == first.assignments


def test_small_weighted_tardiness_instance_with_heuristic_hint() -> None:
    p = load(WT40, "wt", 1)  # optimum 913
    hint = heuristic.best_plan(p, 0.3)
    sol = solve(p, time_limit=2, workers=1, seed=0, hint=hint)
    assert_valid(p, sol)
    value = score(p, sol).weighted_tardiness
    assert 913 <= value <= score(p, hint).weighted_tardiness
    assert value <= 913 * 1.05
    assert sol.lower_bound is not None and sol.lower_bound <= 913


def test_no_time_and_no_hint_falls_back_without_raising() -> None:
    p = load(DATA_DIR / "flexible-jobshop" / "brandimarte" / "mk10.fjs", "fjs")
    sol = solve(p, time_limit=0.0)
    assert sol.status in (SolveStatus.FALLBACK, SolveStatus.FEASIBLE)
    if sol.assignments:
        assert_valid(p, sol)
