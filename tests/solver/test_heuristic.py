"""Dispatching rules, repair and local search of scheduler_core.planning.heuristic."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler_core.planning.evaluate import count_moved, score
from scheduler_core.planning.heuristic import RULES, best_plan, dispatch, improve, repair
from scheduler_core.planning.problem import (
    Assignment,
    Fixed,
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
from scheduler_core.services.changes import latest_insertion


def one_op_job(j: int, machine: int, duration: int, **kw: int | None) -> Job:
    return Job(f"J{j}", (Op(j, 0, (Mode(machine, duration),)),), **kw)  # type: ignore[arg-type]


def single_machine(
    durations: list[int],
    dues: Sequence[int | None] | None = None,
    weights: Sequence[int] | None = None,
    objective: Objective = "weighted_tardiness",
    **kw: object,
) -> Problem:
    n = len(durations)
    dues = dues or [None] * n
    weights = weights or [1] * n
    jobs = tuple(one_op_job(j, 0, durations[j], due=dues[j], weight=weights[j]) for j in range(n))
    return Problem(jobs, ("M",), objective=objective, **kw)  # type: ignore[arg-type]


def starts(sol: Solution) -> dict[tuple[int, int], int]:
    return {(a.job, a.op): a.start for a in sol.assignments}


def key(problem: Problem, sol: Solution) -> tuple[int, ...]:
    return score(problem, sol).key(problem.objective)


# ---------------------------------------------------------------- each rule binds


def test_blocked_window_pushes_operation_after_it() -> None:
    p = Problem((one_op_job(0, 0, 10),), ("M",), blocked=(((5, 20),),))
    sol = dispatch(p, "fifo")
    assert starts(sol)[(0, 0)] == 20
    assert sol.status is SolveStatus.HEURISTIC and sol.method == "fifo"
    assert violations(p, sol) == []


def test_a_zero_length_step_between_two_touching_busy_spans_keeps_the_next_step_out_of_the_window() -> None:
    # M0: blocked [1, 2). J3 fills [0, 1), so [0, 2) is busy as one span; J0's zero-length first step
    # sits at the point 1 between them, and its second step must wait for the window's end
    def z(j: int, k: int, d: int) -> Op:
        return Op(j, k, (Mode(0, d),))

    p = Problem((Job("J0", (z(0, 0, 0), z(0, 1, 1)), release=1), Job("J1", (z(1, 0, 0),)),
                 Job("J2", (z(2, 0, 0),)), Job("J3", (z(3, 0, 1),))),
                ("M0", "M1"), (((1, 2),), ((0, 1),)), "makespan", now=0)
    for rule in RULES:
        sol = dispatch(p, rule)
        assert violations(p, sol) == [], rule
        assert sol.by_op()[(0, 1)].start == 2, rule


def test_operation_fills_an_idle_gap_before_a_window() -> None:
    # [0, 10) fits before the window [15, 20); the second op must jump over it
    p = Problem((one_op_job(0, 0, 10), one_op_job(1, 0, 10)), ("M",), blocked=(((15, 20),),))
    sol = dispatch(p, "fifo")
    assert starts(sol) == {(0, 0): 0, (1, 0): 20}


def test_fixed_operation_is_kept_and_occupies_its_machine() -> None:
    fixed = Fixed(0, 0, 30)  # running since before now, and over a blocked window
    jobs = (
        Job("A", (Op(0, 0, (Mode(0, 30),), fixed=fixed), Op(0, 1, (Mode(1, 5),)))),
        one_op_job(1, 0, 10),
    )
    p = Problem(jobs, ("M0", "M1"), blocked=(((2, 4),), ()), now=10)
    for rule in RULES:
        sol = dispatch(p, rule)
        a = sol.by_op()
        assert (a[(0, 0)].machine, a[(0, 0)].start, a[(0, 0)].end) == (0, 0, 30)
        assert a[(0, 1)].start == 30  # after its fixed predecessor
        assert a[(1, 0)].start == 30  # machine 0 busy with the fixed op until 30
        assert violations(p, sol) == []


def test_release_and_now_are_respected() -> None:
    jobs = (Job("A", (Op(0, 0, (Mode(0, 5),)),), release=3), Job("B", (Op(1, 0, (Mode(1, 5),)),), release=12))
    p = Problem(jobs, ("M0", "M1"), now=7)
    for rule in RULES:
        s = starts(dispatch(p, rule))
        assert s == {(0, 0): 7, (1, 0): 12}


def test_earliest_completion_mode_is_chosen() -> None:
    op = Op(0, 0, (Mode(0, 50), Mode(1, 20)))
    p = Problem((Job("A", (op,)),), ("M0", "M1"), blocked=((), ((0, 10),)))
    a = dispatch(p, "fifo").by_op()[(0, 0)]
    assert (a.machine, a.start, a.end) == (1, 10, 30)


def test_edd_puts_earlier_due_first_and_fifo_keeps_release_order() -> None:
    p = single_machine([10, 10], dues=[100, 10])
    assert starts(dispatch(p, "edd")) == {(1, 0): 0, (0, 0): 10}
    assert starts(dispatch(p, "fifo")) == {(0, 0): 0, (1, 0): 10}


def test_edd_puts_jobs_without_due_last() -> None:
    p = single_machine([10, 10, 10], dues=[None, 50, 20])
    s = starts(dispatch(p, "edd"))
    assert s[(2, 0)] < s[(1, 0)] < s[(0, 0)]


def test_atc_prefers_high_weight() -> None:
    p = single_machine([10, 10], dues=[0, 0], weights=[1, 5])
    assert starts(dispatch(p, "atc")) == {(1, 0): 0, (0, 0): 10}
    assert starts(dispatch(p, "fifo")) == {(0, 0): 0, (1, 0): 10}


def test_job_precedence_is_respected() -> None:
    job = Job("A", (Op(0, 0, (Mode(0, 10),)), Op(0, 1, (Mode(1, 5),)), Op(0, 2, (Mode(0, 5),))))
    p = Problem((job,), ("M0", "M1"))
    sol = dispatch(p, "atc")
    s = starts(sol)
    assert s == {(0, 0): 0, (0, 1): 10, (0, 2): 15}


# ---------------------------------------------------------------- repair


def rush_problem(with_previous: bool) -> Problem:
    # jobs 0, 1, 2 were planned back to back on M0 in the order 2, 0, 1; job 3 is a rush order
    planned = {2: 0, 0: 10, 1: 20}
    jobs = []
    for j in range(3):
        prev = Previous(0, planned[j]) if with_previous else None
        jobs.append(Job(f"J{j}", (Op(j, 0, (Mode(0, 10),), previous=prev),), due=100))
    jobs.append(Job("RUSH", (Op(3, 0, (Mode(0, 5), Mode(1, 50))),), due=5, weight=10))
    return Problem(tuple(jobs), ("M0", "M1"), objective="factory")


def test_repair_puts_priority_job_first_and_keeps_sequence() -> None:
    p = rush_problem(with_previous=False)
    order = Solution(
        (Assignment(2, 0, 0, 0, 10), Assignment(0, 0, 0, 10, 20), Assignment(1, 0, 0, 20, 30)),
        SolveStatus.HEURISTIC,
    )
    sol = repair(p, order, priority_jobs=frozenset({3}))
    assert violations(p, sol) == []
    a = sol.by_op()
    assert (a[(3, 0)].machine, a[(3, 0)].start) == (0, 0)  # earliest possible completion
    s = starts(sol)
    assert s[(2, 0)] < s[(0, 0)] < s[(1, 0)]  # sequence kept
    assert [s[(2, 0)], s[(0, 0)], s[(1, 0)]] == [5, 15, 25]  # right-shifted by exactly 5
    assert sol.method == "repair"


def test_repair_without_order_uses_previous_and_schedules_missing_ops() -> None:
    p = rush_problem(with_previous=True)
    sol = repair(p)  # the rush job has no previous place: dispatched after the others
    assert violations(p, sol) == []
    s = starts(sol)
    assert s[(2, 0)] < s[(0, 0)] < s[(1, 0)]
    assert s[(2, 0)] == 0 and s[(0, 0)] == 10
    assert score(p, sol).moved == 0


def test_repair_only_right_shifts_as_needed() -> None:
    # a gap in the old plan absorbs the rush job: the later operation does not move
    jobs = (
        one_op_job(0, 0, 10, due=50),
        one_op_job(1, 0, 10, due=100),
        Job("RUSH", (Op(2, 0, (Mode(0, 5),)),), release=10, due=15, weight=5),
    )
    p = Problem(jobs, ("M",), objective="factory")
    order = Solution((Assignment(0, 0, 0, 0, 10), Assignment(1, 0, 0, 40, 50)), SolveStatus.HEURISTIC)
    sol = repair(p, order, priority_jobs=frozenset({2}))
    s = starts(sol)
    assert s[(2, 0)] == 10 and s[(0, 0)] == 0
    assert s[(1, 0)] in (15, 40)  # never pushed later than planned
    assert violations(p, sol) == []


def test_repair_with_vanished_machine_uses_best_mode() -> None:
    p = Problem((Job("A", (Op(0, 0, (Mode(1, 5),)),)),), ("M0", "M1"))
    order = Solution((Assignment(0, 0, 0, 0, 5),), SolveStatus.HEURISTIC)
    sol = repair(p, order)
    assert sol.by_op()[(0, 0)].machine == 1 and violations(p, sol) == []


# ---------------------------------------------------------------- improve


def test_improve_single_machine_reaches_brute_force_optimum() -> None:
    rng = random.Random(3)
    for _ in range(3):
        n = 6
        dur = [rng.randint(1, 20) for _ in range(n)]
        due = [rng.randint(0, 60) for _ in range(n)]
        w = [rng.randint(1, 10) for _ in range(n)]
        p = single_machine(dur, due, w)
        opt = min(
            sum(
                w[j] * max(0, c - due[j])
                for j, c in zip(perm, itertools.accumulate(dur[j] for j in perm), strict=True)
            )
            for perm in itertools.permutations(range(n))
        )
        sol = best_plan(p, 0.5)
        assert violations(p, sol) == []
        assert score(p, sol).weighted_tardiness == opt


def test_improve_is_never_worse_and_usually_better() -> None:
    rng = random.Random(7)
    jobs = []
    for j in range(8):
        ops = tuple(
            Op(j, k, tuple(Mode(m, rng.randint(1, 9)) for m in rng.sample(range(3), rng.randint(1, 2))))
            for k in range(3)
        )
        jobs.append(Job(f"J{j}", ops, due=rng.randint(5, 30), weight=rng.randint(1, 4)))
    objectives: tuple[Objective, ...] = ("makespan", "weighted_tardiness", "factory")
    for objective in objectives:
        p = Problem(tuple(jobs), ("A", "B", "C"), objective=objective)
        start = dispatch(p, "fifo")
        better = improve(p, start, time_limit=5.0, seed=1, max_iterations=300)
        assert violations(p, better) == []
        assert key(p, better) <= key(p, start)
        again = improve(p, start, time_limit=5.0, seed=1, max_iterations=300)
        assert again.assignments == better.assignments  # deterministic with an iteration cap


def test_best_plan_is_valid_and_no_worse_than_any_rule() -> None:
    p = rush_problem(with_previous=True)
    sol = best_plan(p, 0.2)
    assert violations(p, sol) == []
    assert all(key(p, sol) <= key(p, dispatch(p, r)) for r in RULES)


# ---------------------------------------------------------------- property


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_m = draw(st.integers(1, 3))
    blocked = []
    for _ in range(n_m):
        windows = []
        t = 0
        for _ in range(draw(st.integers(0, 3))):
            t += draw(st.integers(0, 15))
            length = draw(st.integers(1, 10))
            windows.append((t, t + length))
            t += length
        blocked.append(tuple(windows))
    pauses = []  # a machine's time off inside the axis: work waits through it
    for _ in range(n_m):
        windows, t = [], 0
        for _ in range(draw(st.integers(0, 3)) if draw(st.booleans()) else 0):
            t += draw(st.integers(1, 15))
            length = draw(st.integers(1, 12))
            windows.append((t, t + length))
            t += length
        pauses.append(tuple(windows))
    now = draw(st.integers(0, 10))
    free_at = [draw(st.integers(0, 5)) for _ in range(n_m)]  # cursor placing fixed work
    jobs = []
    for j in range(draw(st.integers(1, 5))):
        ops = []
        for k in range(draw(st.integers(1, 4))):
            machines = draw(st.lists(st.integers(0, n_m - 1), min_size=1, max_size=n_m, unique=True))
            modes = tuple(Mode(m, draw(st.integers(0, 8))) for m in machines)  # 0: as in benchmark files
            fixed = previous = None
            leading = k == 0 or ops[-1].fixed is not None  # only a job's leading ops are fixed
            if leading and modes[0].duration > 0 and draw(st.integers(0, 4)) == 0:
                m = modes[0].machine
                start = free_at[m] + draw(st.integers(0, 3))
                fixed = Fixed(m, start, start + modes[0].duration)
                free_at[m] = fixed.end
            elif draw(st.booleans()):
                previous = Previous(draw(st.sampled_from(machines)), draw(st.integers(0, 40)))
            ops.append(Op(j, k, modes, fixed=fixed, previous=previous))
        due = draw(st.none() | st.integers(0, 40))
        jobs.append(
            Job(
                f"J{j}", tuple(ops), release=draw(st.integers(0, 10)), due=due, weight=draw(st.integers(1, 5))
            )
        )
    objectives: list[Objective] = ["makespan", "weighted_tardiness", "factory"]
    objective = draw(st.sampled_from(objectives))
    return Problem(tuple(jobs), tuple(f"M{m}" for m in range(n_m)), tuple(blocked), objective, now=now,
                   pauses=tuple(pauses))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3))
def test_every_plan_is_valid(p: Problem, seed: int) -> None:
    plans = [dispatch(p, rule) for rule in RULES]
    for sol in plans:
        assert violations(p, sol) == [], sol
    start = plans[seed % 3]
    better = improve(p, start, time_limit=2.0, seed=seed, max_iterations=40)
    assert violations(p, better) == []
    assert key(p, better) <= key(p, start)
    for sol in (
        repair(p, start, priority_jobs=frozenset({0})),
        repair(p),
        repair(p, Solution(start.assignments[::2], SolveStatus.HEURISTIC), rule="edd"),
        best_plan(p, 0.02, seed=seed),
    ):
        assert violations(p, sol) == [], sol


def test_repair_places_pinned_priority_operations_where_asked() -> None:
    # the rush job pinned at 20 on M0 (as late as its due date allows) instead of first
    jobs = (
        one_op_job(0, 0, 10, due=100),
        one_op_job(1, 0, 10, due=100),
        one_op_job(2, 0, 10, due=100),
        Job("RUSH", (Op(3, 0, (Mode(0, 5), Mode(1, 50))),), due=25, weight=10),
    )
    p = Problem(jobs, ("M0", "M1"), objective="factory")
    order = Solution(
        (Assignment(0, 0, 0, 0, 10), Assignment(1, 0, 0, 10, 20), Assignment(2, 0, 0, 20, 30)),
        SolveStatus.HEURISTIC,
    )
    sol = repair(p, order, priority_jobs=frozenset({3}), pinned={(3, 0): (0, 20)})
    assert violations(p, sol) == []
    s = starts(sol)
    assert s[(3, 0)] == 20 and sol.by_op()[(3, 0)].machine == 0
    assert s[(0, 0)] == 0 and s[(1, 0)] == 10  # those before it do not move
    assert s[(2, 0)] == 25


def test_a_rush_order_placed_as_late_as_its_date_allows_moves_only_what_follows_it() -> None:
    # three published jobs back to back on M0; the rush (due 260) fits only on M0
    queued = [Job(f"J{j}", (Op(j, 0, (Mode(0, 100),), previous=Previous(0, 100 * j)),), due=1000) for j in range(3)]
    jobs = (*queued, Job("RUSH", (Op(3, 0, (Mode(0, 50),)),), due=260, weight=10))
    p = Problem(jobs, ("M0",), objective="factory")
    latest = latest_insertion(p, 3)
    assert latest is not None and violations(p, latest) == []
    s = starts(latest)
    assert s[(3, 0)] + 50 <= 260  # on time
    assert s[(0, 0)] == 0 and s[(1, 0)] == 100  # the work before it keeps its place
    first = repair(p, None, priority_jobs=frozenset({3}))
    assert count_moved(p, latest) == 1 < count_moved(p, first) == 3
    no_date = Problem((*queued, Job("RUSH", jobs[3].ops)), ("M0",), objective="factory")
    assert latest_insertion(no_date, 3) is None


def three_machine_shop(seed: int, n_jobs: int, objective: Objective = "weighted_tardiness") -> Problem:
    """``n_jobs`` jobs of 3 operations on random machines of 3, due dates and weights random."""
    rng = random.Random(seed)
    jobs = [
        Job(f"J{j}", tuple(Op(j, k, (Mode(rng.randrange(3), rng.randint(2, 9)),)) for k in range(3)),
            due=rng.randint(10, 120), weight=rng.choice((1, 5)))
        for j in range(n_jobs)
    ]
    return Problem(tuple(jobs), ("A", "B", "C"), objective=objective)


def test_best_plan_tries_more_atc_look_aheads_on_due_date_problems() -> None:
    p = three_machine_shop(11, 30)
    sol = best_plan(p, 1.0)
    assert violations(p, sol) == []
    assert all(key(p, sol) <= key(p, dispatch(p, r)) for r in RULES)


def test_best_plan_without_time_runs_only_the_first_rule() -> None:
    # a large shop can spend the whole budget on one dispatch: ATC (look-ahead 1) first for due dates
    from scheduler_core.planning import heuristic

    p = three_machine_shop(5, 20)
    sol = best_plan(p, 0.0)
    rule, k = heuristic._DUE_DATE_TRIES[0]
    assert (rule, k) == ("atc", 1.0)
    assert sol.method == "atc(k=1)" and sol.assignments == heuristic._dispatch(heuristic._Shop(p), rule, k).assignments
    mk = three_machine_shop(5, 20, objective="makespan")
    assert best_plan(mk, 0.0).assignments == dispatch(mk, "fifo").assignments


class _Ticks:
    """A clock that advances one tick per reading: cuts a dispatch after a chosen number of steps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 40), st.sampled_from(["fifo", "edd", "atc"]))
def test_a_dispatch_cut_short_at_any_step_still_gives_a_valid_plan(p: Problem, steps: int, rule: str) -> None:
    # past ``until``, the rest is placed by operation due date without the rule (bounded time)
    from scheduler_core.planning import heuristic as h

    ticks = _Ticks()
    old = h.time.perf_counter
    h.time.perf_counter = ticks  # type: ignore[assignment]
    try:
        sol = h._dispatch(h._Shop(p), rule, until=float(steps))
    finally:
        h.time.perf_counter = old  # type: ignore[assignment]
    assert violations(p, sol) == [], sol
    assert len(sol.assignments) == p.n_ops
    if steps == 0 and any(op.fixed is None for op in p.all_ops()):
        assert sol.method.endswith("cut short")  # cut before the rule placed anything


def test_best_plan_past_its_hard_end_answers_with_a_cut_dispatch() -> None:
    p = three_machine_shop(3, 30)
    import time

    sol = best_plan(p, 1.0, until=time.perf_counter() - 1)
    assert violations(p, sol) == [] and sol.method.startswith("atc(k=1), cut short")
    assert "cut" not in best_plan(p, 1.0).method
