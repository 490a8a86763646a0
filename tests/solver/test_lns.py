"""The LNS on small sub-models (scheduler_core.planning.cpsat.local) and its use in solve()."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler_core.planning.cpsat import api, local
from scheduler_core.planning.cpsat.data import prepare
from scheduler_core.planning.cpsat.local import compact, local_lns
from scheduler_core.planning.evaluate import score
from scheduler_core.planning.heuristic import dispatch
from scheduler_core.planning.problem import (
    Assignment,
    Job,
    Mode,
    Objective,
    Op,
    Previous,
    Problem,
    Solution,
    SolveStatus,
)
from scheduler_core.planning.validate import violations

from .test_heuristic import problems


def key(problem: Problem, sol: Solution) -> tuple[int, ...]:
    return score(problem, sol).key(problem.objective)


def shop(n_jobs: int, seed: int, objective: Objective = "weighted_tardiness", previous: bool = False) -> Problem:
    """A flexible job shop with tight due dates: 4 machines in 2 groups."""
    rng = random.Random(seed)
    jobs = []
    for j in range(n_jobs):
        ops = []
        for k in range(3):
            group = (j + k) % 2
            modes = tuple(Mode(2 * group + i, rng.randint(3, 12)) for i in range(2))
            prev = Previous(modes[0].machine, 10 * j + 5 * k) if previous else None
            ops.append(Op(j, k, modes, previous=prev))
        jobs.append(Job(f"J{j}", tuple(ops), due=rng.randint(10, 6 * n_jobs), weight=rng.choice((1, 1, 5))))
    return Problem(tuple(jobs), ("A1", "A2", "B1", "B2"), objective=objective)


def test_window_swap_fixes_a_late_heavy_job() -> None:
    """One machine, a light long job planned before a heavy short one that is then late: the
    only improvement is swapping the two, which the window neighbourhood finds."""
    jobs = (
        Job("light", (Op(0, 0, (Mode(0, 50),)),), due=100, weight=1),
        Job("heavy", (Op(1, 0, (Mode(0, 10),)),), due=10, weight=5),
    )
    p = Problem(jobs, ("M",), objective="weighted_tardiness")
    start = Solution((Assignment(0, 0, 0, 0, 50), Assignment(1, 0, 0, 50, 60)), SolveStatus.HEURISTIC)
    assert score(p, start).weighted_tardiness == 250
    res = local_lns(p, start, deadline=time.monotonic() + 5, seed=0, max_iterations=10)
    assert violations(p, res.best) == []
    assert score(p, res.best).weighted_tardiness == 0
    assert res.improvements >= 1


def test_improves_a_generated_shop_and_is_deterministic() -> None:
    p = shop(40, seed=3)
    start = dispatch(p, "fifo")
    res = local_lns(p, start, deadline=time.monotonic() + 30, seed=1, max_iterations=60)
    assert violations(p, res.best) == []
    assert key(p, res.best) < key(p, start)
    again = local_lns(p, start, deadline=time.monotonic() + 30, seed=1, max_iterations=60)
    assert again.best.assignments == res.best.assignments


@pytest.mark.parametrize("objective", ["weighted_tardiness", "factory", "makespan"])
def test_never_worse_than_the_start(objective: Objective) -> None:
    p = shop(30, seed=5, objective=objective, previous=objective == "factory")
    for rule in ("fifo", "atc"):
        start = dispatch(p, rule)  # type: ignore[arg-type]
        res = local_lns(p, start, deadline=time.monotonic() + 10, seed=2, max_iterations=30)
        assert violations(p, res.best) == []
        assert key(p, res.best) <= key(p, start)
        if key(p, res.best) == key(p, start):
            assert res.best is start


def test_hard_deadline_is_kept() -> None:
    p = shop(20, seed=9)
    start = dispatch(p, "edd")
    done = start.completion(len(p.jobs))
    jobs = tuple(
        Job(j.key, j.ops, j.release, j.due, j.weight, deadline=done[i]) if i % 3 == 0 else j
        for i, j in enumerate(p.jobs)
    )
    q = Problem(jobs, p.machines, objective="weighted_tardiness")
    res = local_lns(q, start, deadline=time.monotonic() + 10, seed=0, max_iterations=40)
    assert violations(q, res.best) == []


def test_compact_left_shifts_and_holds_published_places() -> None:
    jobs = (
        Job("a", (Op(0, 0, (Mode(0, 10),), previous=Previous(0, 40)),), due=0),
        Job("b", (Op(1, 0, (Mode(0, 10),), previous=Previous(0, 0)),), due=0),
    )
    p = Problem(jobs, ("M",), objective="factory", move_tolerance=5)
    plan = Solution((Assignment(0, 0, 0, 38, 48), Assignment(1, 0, 0, 60, 70)), SolveStatus.HEURISTIC)
    held = compact(p, plan)
    assert held is not None
    assert violations(p, held) == []
    # "a" holds its published place (within 5 of 40) so it moves down to 35 only; "b" was
    # moved anyway and goes right after it
    assert [(a.start, a.end) for a in held.assignments] == [(35, 45), (45, 55)]
    free = compact(p, plan, hold=False)
    assert free is not None
    assert [(a.start, a.end) for a in free.assignments] == [(0, 10), (10, 20)]
    assert score(p, held).moved <= score(p, plan).moved


def _two_jobs(a: tuple[tuple[int, int, int], ...], b: tuple[tuple[int, int, int], ...],
              deadline: int | None = None) -> tuple[Problem, Solution]:
    """Two jobs on machines 0 and 1, and a plan given as (machine, start, end) per operation."""
    jobs = tuple(
        Job(name, tuple(Op(j, k, (Mode(m, e - s),)) for k, (m, s, e) in enumerate(ops)), due=1000,
            deadline=deadline if j == 1 else None)
        for j, (name, ops) in enumerate((("a", a), ("b", b)))
    )
    plan = tuple(Assignment(j, k, m, s, e) for j, ops in enumerate((a, b)) for k, (m, s, e) in enumerate(ops))
    return Problem(jobs, ("M0", "M1"), objective="weighted_tardiness"), Solution(plan, SolveStatus.HEURISTIC)


def test_compact_pushes_right_what_starts_before_its_job_predecessor_ends() -> None:
    """a's second step starts even before its first (a sub-solution carried over to a plan that
    changed meanwhile can look like this): it goes right after it, and b behind it on M1."""
    p, plan = _two_jobs(((0, 20, 30), (1, 0, 10)), ((1, 10, 20),))
    assert violations(p, plan) != []
    out = compact(p, plan)
    assert out is not None and violations(p, out) == []
    assert [(a.machine, a.start, a.end) for a in out.assignments] == [(0, 0, 10), (1, 10, 20), (1, 20, 30)]


def test_compact_refuses_contradicting_sequences_and_broken_deadlines() -> None:
    # M0 runs b's second step before a's first, M1 runs a's second step before b's first:
    # with the job orders that is a cycle, no re-timing keeps both sequences
    p, plan = _two_jobs(((0, 20, 30), (1, 0, 10)), ((1, 10, 20), (0, 0, 10)))
    assert compact(p, plan) is None
    # b must end by 20 but queues behind a's second step, pushed right to 10-20
    p, plan = _two_jobs(((0, 0, 10), (1, 5, 15)), ((1, 15, 20),), deadline=20)
    assert compact(p, plan) is None


@pytest.mark.parametrize("objective", ["weighted_tardiness", "factory"])
def test_search_threads_share_one_plan(objective: Objective, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two search threads: every plan valid, hard deadlines kept, never worse than the start."""
    monkeypatch.setattr(local.os, "cpu_count", lambda: 2)  # two threads even on one core
    p = shop(40, seed=7, objective=objective, previous=objective == "factory")
    start = dispatch(p, "fifo")
    done = start.completion(len(p.jobs))
    jobs = tuple(
        Job(j.key, j.ops, j.release, j.due, j.weight, deadline=done[i]) if i % 4 == 0 else j
        for i, j in enumerate(p.jobs)
    )
    q = Problem(jobs, p.machines, objective=objective)
    res = local_lns(q, start, deadline=time.monotonic() + 30, workers=2, seed=3, max_iterations=200)
    assert res.iterations >= 200
    assert violations(q, res.best) == []
    assert key(q, res.best) < key(q, start)


def test_an_error_in_a_search_thread_is_raised_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("sub-model broke")

    monkeypatch.setattr(local, "_sub_model", broken)
    monkeypatch.setattr(local.os, "cpu_count", lambda: 2)
    p = shop(20, seed=2)
    with pytest.raises(RuntimeError, match="sub-model broke"):
        local_lns(p, dispatch(p, "fifo"), deadline=time.monotonic() + 10, workers=2, seed=0)


def test_late_jobs_that_gave_nothing_are_picked_less_often() -> None:
    index = SimpleNamespace(late=[(0, 100), (1, 100), (2, 100)])
    pick = local._Picker({0: 1 / 16})
    rng = random.Random(0)
    counts = Counter(pick.late_job(index, rng) for _ in range(3000))  # type: ignore[arg-type]
    assert counts[1] > 5 * counts[0] and counts[2] > 5 * counts[0] and counts[0] > 0
    assert len(pick.picked) == 3000
    assert local._Picker({}).late_job(SimpleNamespace(late=[]), rng) is None  # type: ignore[arg-type]


def test_solve_uses_the_small_model_lns_on_large_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "LOCAL_MIN_OPS", 50)
    p = shop(40, seed=4, objective="factory", previous=True)
    hint = dispatch(p, "atc")
    sol = api.solve(p, time_limit=1.0, seed=0, hint=hint)
    assert violations(p, sol) == []
    assert sol.method in ("cpsat-lns", "cpsat (hint kept)")
    assert sol.stats["lns_iterations"] > 0
    assert key(p, sol) <= key(p, hint)
    no_hint = api.solve(p, time_limit=1.0, seed=0)
    assert violations(p, no_hint) == []
    assert no_hint.status is SolveStatus.FEASIBLE


def test_small_problems_keep_the_full_model() -> None:
    assert local.LOCAL_MIN_OPS >= 100
    p = shop(6, seed=1)
    sol = api.solve(p, time_limit=5.0, seed=0)
    assert sol.status is SolveStatus.OPTIMAL


def test_a_small_factory_whose_machines_pause_gets_the_full_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Few (mode, pause) pairs: the full model, which proves the plan optimal; many: sub-models."""
    base = shop(5, seed=2)
    day = ((60, 120), (180, 240), (300, 360), (420, 480))  # machine A1 works 60 minutes in 120
    p = replace(base, pauses=(day, (), (), ()))
    data = prepare(p)
    assert 0 < data.pauses_in_reach() <= api.FULL_PAUSES
    sol = api.solve(p, time_limit=5.0, seed=0)
    assert violations(p, sol) == [] and sol.status is SolveStatus.OPTIMAL and sol.method == "cpsat"
    assert any(a.machine == 0 for a in sol.assignments)  # the pausing machine is used, not avoided
    monkeypatch.setattr(api, "FULL_PAUSES", data.pauses_in_reach() - 1)
    hint = dispatch(p, "atc")
    local_sol = api.solve(p, time_limit=1.0, seed=0, hint=hint)
    assert violations(p, local_sol) == [] and local_sol.method in ("cpsat-lns", "cpsat (hint kept)")
    assert key(p, sol) <= key(p, local_sol)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3))
def test_every_lns_plan_is_valid(p: Problem, seed: int) -> None:
    start = dispatch(p, ("fifo", "edd", "atc")[seed % 3])  # type: ignore[arg-type]
    res = local_lns(p, start, deadline=time.monotonic() + 5, seed=seed, max_iterations=12)
    assert violations(p, res.best) == []
    assert key(p, res.best) <= key(p, start)
    for hold in (True, False):
        c = compact(p, start, hold=hold)
        assert c is not None
        assert violations(p, c) == []
        sc, ss = score(p, c), score(p, start)
        assert sc.weighted_tardiness <= ss.weighted_tardiness and sc.makespan <= ss.makespan
        if hold:
            assert sc.moved <= ss.moved


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(problems(), st.integers(0, 3))
def test_every_plan_of_two_search_threads_is_valid(monkeypatch: pytest.MonkeyPatch, p: Problem, seed: int) -> None:
    """Random small factories (fixed work, stops, releases, published places): sub-solutions carried
    over between threads still give valid plans, never worse than the start."""
    monkeypatch.setattr(local.os, "cpu_count", lambda: 2)  # two threads even on one core
    start = dispatch(p, ("fifo", "edd", "atc")[seed % 3])  # type: ignore[arg-type]
    res = local_lns(p, start, deadline=time.monotonic() + 5, workers=2, seed=seed, max_iterations=30)
    assert violations(p, res.best) == []
    assert key(p, res.best) <= key(p, start)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3))
def test_every_full_model_plan_is_valid_and_never_worse_than_its_hint(p: Problem, seed: int) -> None:
    """Random small factories (every objective, fixed work, stops, releases, published places,
    zero-length operations): the full CP-SAT model with its LNS returns a valid plan, never
    worse than the dispatching plan it was hinted with, and finds a plan without a hint too."""
    hint = dispatch(p, ("fifo", "edd", "atc")[seed % 3])  # type: ignore[arg-type]
    sol = api.solve(p, time_limit=0.5, workers=1, seed=seed, hint=hint)
    assert sol.assignments and violations(p, sol) == []
    assert key(p, sol) <= key(p, hint)
    alone = api.solve(p, time_limit=0.5, workers=1, seed=seed)
    assert alone.assignments and violations(p, alone) == []
