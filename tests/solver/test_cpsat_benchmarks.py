"""CP-SAT on small public benchmark instances (one worker, seed 0)."""

from __future__ import annotations

import time

from scheduler_core.benchmarks.catalog import DATA_DIR, load
from scheduler_core.planning import heuristic
from scheduler_core.planning.cpsat import solve, solve_plain
from scheduler_core.planning.cpsat.data import prepare
from scheduler_core.planning.cpsat.model import build, phases
from scheduler_core.planning.cpsat.search import NEAR, STALL, run, should_stop
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


def test_the_full_search_hands_over_by_its_progress() -> None:
    # never before the minimum; then on as long as near the bound and still improving
    assert not should_stop(0.9, 0.9, 1.0, min_time=1.0)
    assert not should_stop(2.0, 0.1, NEAR / 2, min_time=1.0)
    assert should_stop(2.0, 0.1, NEAR * 2, min_time=1.0)  # far from its bound: the LNS takes over
    assert should_stop(2.0, STALL * 2.0, NEAR / 2, min_time=1.0)  # no better plan for a while
    # abz7 (20 jobs x 15 machines): far from its bound after 1 s, so the full solve hands over
    # to the LNS then instead of using its whole 8 s
    p = load(DATA_DIR / "jobshop" / "instances" / "abz7.txt", "jsp")
    built = build(prepare(p), redundant=True)
    built.model.minimize(phases(built)[0].expr)
    t0 = time.monotonic()
    out = run(built.model, built, time_limit=8.0, workers=1, seed=0, log=False, min_time=1.0)
    assert out.assignments is not None and not out.complete
    assert time.monotonic() - t0 < 6.0
