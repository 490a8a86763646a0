"""One test per CP-SAT rule, each on a 1-4 operation instance where that rule binds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scheduler_core.planning import heuristic
from scheduler_core.planning.cpsat import solve, solve_plain
from scheduler_core.planning.cpsat.data import prepare
from scheduler_core.planning.cpsat.model import build
from scheduler_core.planning.evaluate import score
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

OpSpec = dict[int, int]  # machine -> duration


def problem(
    jobs: Sequence[Sequence[OpSpec]],
    *,
    machines: int = 1,
    objective: Objective = "makespan",
    release: Sequence[int] = (),
    due: Sequence[int | None] = (),
    weight: Sequence[int] = (),
    blocked: Sequence[Sequence[tuple[int, int]]] = (),
    fixed: dict[tuple[int, int], Fixed] | None = None,
    previous: dict[tuple[int, int], Previous] | None = None,
    now: int = 0,
    move_tolerance: int = 30,
    pauses: Sequence[Sequence[tuple[int, int]]] = (),
) -> Problem:
    fixed, previous = fixed or {}, previous or {}
    js = tuple(
        Job(
            f"SO-{1040 + j}",
            tuple(
                Op(j, k, tuple(Mode(m, d) for m, d in spec.items()), fixed.get((j, k)), previous.get((j, k)))
                for k, spec in enumerate(ops)
            ),
            release[j] if release else 0,
            due[j] if due else None,
            weight[j] if weight else 1,
        )
        for j, ops in enumerate(jobs)
    )
    return Problem(
        js,
        tuple(f"M{i + 1}" for i in range(machines)),
        tuple(tuple(b) for b in blocked) if blocked else (),
        objective,
        now,
        "rule",
        move_tolerance,
        tuple(tuple(w) for w in pauses) if pauses else (),
    )


def plan(p: Problem, **kw: object) -> Solution:
    sol = solve(p, time_limit=5, workers=1, seed=0, **kw)  # type: ignore[arg-type]
    assert sol.assignments, sol.method
    assert violations(p, sol) == []
    return sol


def placed(sol: Solution, job: int, op: int = 0) -> Assignment:
    return sol.by_op()[(job, op)]


def test_release_delays_the_first_operation() -> None:
    sol = plan(problem([[{0: 3}]], release=[5]))
    assert placed(sol, 0).start == 5
    assert sol.status is SolveStatus.OPTIMAL and sol.lower_bound == 8


def test_a_hard_deadline_holds_against_weighted_tardiness() -> None:
    # both due at 3 on one machine; the heavier job first is best for weighted tardiness
    # (3 weighted minutes), but job 0 must end by 3: then job 1 waits (15)
    free = problem([[{0: 3}], [{0: 3}]], objective="weighted_tardiness", due=[3, 3], weight=[1, 5])
    assert placed(plan(free), 1).start == 0
    jobs = (replace(free.jobs[0], deadline=3), free.jobs[1])
    bound = replace(free, jobs=jobs)
    sol = plan(bound)
    assert placed(sol, 0).end == 3 and score(bound, sol).weighted_tardiness == 15


def test_no_free_operation_starts_before_now() -> None:
    sol = plan(problem([[{0: 3}], [{0: 2}]], now=7))
    assert min(a.start for a in sol.assignments) == 7
    assert score(problem([[{0: 3}], [{0: 2}]], now=7), sol).makespan == 12


def test_precedence_orders_the_operations_of_a_job() -> None:
    sol = plan(problem([[{0: 4}, {1: 3}]], machines=2))
    assert placed(sol, 0, 1).start == placed(sol, 0, 0).end == 4


def test_machine_runs_one_operation_at_a_time() -> None:
    sol = plan(problem([[{0: 4}], [{0: 3}]]))
    a, b = sorted(sol.assignments, key=lambda x: x.start)
    assert b.start >= a.end and b.end == 7


def test_zero_length_operation_may_not_sit_inside_another_one() -> None:
    # job 1 reaches M1 at 3 with an operation of no length; job 0 runs 10 minutes on M1.
    # Inside [0, 10) is not allowed (the benchmark checker reads it so too): either job 0
    # waits until 3 (makespan 13) or the empty operation waits until 10 (makespan 10).
    p = problem([[{0: 10}], [{1: 3}, {0: 0}]], machines=2)
    inside = Solution((Assignment(0, 0, 0, 0, 10), Assignment(1, 0, 1, 0, 3), Assignment(1, 1, 0, 5, 5)),
                      SolveStatus.FEASIBLE, "hand")  # fmt: skip
    assert any("overlap" in v for v in violations(p, inside))
    sol = plan(p)
    assert placed(sol, 1, 1) == Assignment(1, 1, 0, 10, 10) and score(p, sol).makespan == 10
    for rule in ("fifo", "edd", "atc"):
        assert violations(p, heuristic.dispatch(p, rule)) == []
    assert violations(p, heuristic.best_plan(p, 0.2)) == []


def test_operation_avoids_a_blocked_window_it_does_not_fit_before() -> None:
    # 3 minutes of work, machine blocked in [2, 10): it cannot run in [0, 2)
    sol = plan(problem([[{0: 3}]], blocked=[[(2, 10)]]))
    assert placed(sol, 0).start == 10
    # 2 minutes fit before the window
    assert placed(plan(problem([[{0: 2}]], blocked=[[(2, 10)]])), 0).start == 0


def test_operation_waits_through_its_machines_pause_and_resumes() -> None:
    # M1 works [0, 100) and from 200 (a day-shift machine over a night the factory works):
    # 150 minutes started at 0 end at 250, not at 350 as if it had to wait for the morning
    p = problem([[{0: 150}, {1: 30}]], machines=2, pauses=[[(100, 200)], []], due=[280],
                objective="weighted_tardiness")
    sol = plan(p)
    assert (placed(sol, 0, 0).start, placed(sol, 0, 0).end) == (0, 250)
    assert placed(sol, 0, 1).start == 250
    for rule in heuristic.RULES:
        assert violations(p, heuristic.dispatch(p, rule)) == []
        assert heuristic.dispatch(p, rule).by_op()[(0, 0)].end == 250
    # it neither starts nor ends inside the pause: 100 minutes from 50 end at 250, not at 150
    late = problem([[{0: 100}]], pauses=[[(100, 200)]], release=[50])
    assert (placed(plan(late), 0).start, placed(plan(late), 0).end) == (50, 250)
    # where another machine has no pause, the operation goes there if it ends earlier
    flexible = problem([[{0: 150, 1: 200}]], machines=2, pauses=[[(100, 200)], []])
    assert placed(plan(flexible), 0).machine == 1 and placed(plan(flexible), 0).end == 200
    # a plan that counts the pause as working time, or starts in it, is refused; so is one
    # that gives the work more working minutes than it needs
    for start, end in ((0, 150), (120, 370)):
        bad = Solution((Assignment(0, 0, 0, start, end), Assignment(0, 1, 1, end, end + 30)), SolveStatus.FEASIBLE)
        assert any("inside pause" in v for v in violations(p, bad))
    long = Solution((Assignment(0, 0, 0, 0, 300), Assignment(0, 1, 1, 300, 330)), SolveStatus.FEASIBLE)
    assert any("lasts 200 working minutes, expected 150" in v for v in violations(p, long))


def test_fixed_operation_stays_and_free_work_goes_around_it() -> None:
    # fixed work in the past (before now) and inside a blocked window is a fact, not a conflict
    p = problem(
        [[{0: 5}], [{0: 3}], [{0: 4}]],
        fixed={(0, 0): Fixed(0, 1, 6), (2, 0): Fixed(0, 8, 12)},
        blocked=[[(9, 11)]],
        now=3,
    )
    sol = plan(p)
    assert placed(sol, 0) == Assignment(0, 0, 0, 1, 6)
    assert placed(sol, 2) == Assignment(2, 0, 0, 8, 12)
    assert placed(sol, 1).start == 12  # the gap [6, 8) is too short for 3 minutes


def test_free_operation_fills_the_gap_between_fixed_work() -> None:
    p = problem([[{0: 5}], [{0: 3}], [{0: 4}], [{0: 1}]], fixed={(0, 0): Fixed(0, 0, 5), (2, 0): Fixed(0, 8, 12)})
    sol = plan(p)
    assert score(p, sol).makespan == 13  # 3 in [5, 8), 1 in [12, 13)
    assert placed(sol, 1).start == 5


def test_overlapping_fixed_work_is_reported_infeasible() -> None:
    p = problem([[{0: 5}], [{0: 5}]], fixed={(0, 0): Fixed(0, 0, 5), (1, 0): Fixed(0, 3, 8)})
    sol = solve(p, time_limit=1)
    assert sol.status is SolveStatus.INFEASIBLE and sol.assignments == ()


def test_flexible_operation_chooses_the_machine_that_finishes_first() -> None:
    # two jobs, both can run on M1 (5) or M2 (6): one per machine beats 10 on the fast one
    sol = plan(problem([[{0: 5, 1: 6}], [{0: 5, 1: 6}]], machines=2))
    assert {a.machine for a in sol.assignments} == {0, 1}
    assert max(a.end for a in sol.assignments) == 6
    # a single operation takes its faster machine
    assert placed(plan(problem([[{0: 10, 1: 3}]], machines=2)), 0).machine == 1


def test_heavier_tardy_job_goes_first() -> None:
    p = problem([[{0: 5}], [{0: 5}]], objective="weighted_tardiness", due=[5, 5], weight=[1, 3])
    sol = plan(p)
    assert placed(sol, 1).end == 5
    assert score(p, sol).weighted_tardiness == 5 and sol.lower_bound == 5


def test_job_without_due_date_adds_no_tardiness() -> None:
    p = problem([[{0: 5}], [{0: 5}]], objective="weighted_tardiness", due=[None, 5], weight=[9, 1])
    sol = plan(p)
    assert placed(sol, 1).end == 5 and score(p, sol).weighted_tardiness == 0


def factory_pair(tolerance: int) -> Problem:
    """A (10 min) then B (2 min) were published; flow time prefers B first."""
    return problem(
        [[{0: 10}], [{0: 2}]],
        objective="factory",
        previous={(0, 0): Previous(0, 0), (1, 0): Previous(0, 10)},
        move_tolerance=tolerance,
    )


def test_factory_keeps_published_plan_within_tolerance_and_then_minimises_flow() -> None:
    # tolerance 30: B at 0 and A at 2 are both within 30 of their published starts
    p = factory_pair(30)
    sol = plan(p)
    assert (placed(sol, 1).start, placed(sol, 0).start) == (0, 2)
    assert score(p, sol).moved == 0 and sol.status is SolveStatus.OPTIMAL


def test_factory_prefers_not_moving_over_flow_time_when_tolerance_is_tight() -> None:
    # tolerance 5: B first would move B by 10 minutes; keeping the plan costs flow time only
    p = factory_pair(5)
    sol = plan(p)
    assert (placed(sol, 0).start, placed(sol, 1).start) == (0, 10)
    assert score(p, sol).moved == 0 and score(p, sol).flow_time == 22


def test_factory_puts_tardiness_before_stability() -> None:
    p = problem(
        [[{0: 10}], [{0: 2}]],
        objective="factory",
        due=[None, 2],
        previous={(0, 0): Previous(0, 0), (1, 0): Previous(0, 10)},
        move_tolerance=5,
    )
    sol = plan(p)
    assert placed(sol, 1).start == 0 and score(p, sol).weighted_tardiness == 0 and score(p, sol).moved == 1


def test_returned_plan_is_never_worse_than_a_valid_hint() -> None:
    p = problem([[{0: 4, 1: 4}, {1: 3}], [{1: 2}, {0: 5}], [{0: 3, 1: 1}]], machines=2)
    hint = Solution(
        (Assignment(0, 0, 0, 0, 4), Assignment(0, 1, 1, 4, 7), Assignment(1, 0, 1, 0, 2),
         Assignment(1, 1, 0, 4, 9), Assignment(2, 0, 1, 2, 3)),
        SolveStatus.HEURISTIC,
    )  # fmt: skip
    assert violations(p, hint) == []
    sol = solve(p, time_limit=0.0, hint=hint)  # no time at all: the hint comes back
    assert score(p, sol).key("makespan") <= score(p, hint).key("makespan")
    assert sol.assignments and violations(p, sol) == []
    full = solve(p, time_limit=5, hint=hint)
    assert score(p, full).key("makespan") <= score(p, hint).key("makespan")


def test_invalid_hint_is_ignored() -> None:
    p = problem([[{0: 4}], [{0: 3}]])
    bad = Solution((Assignment(0, 0, 0, 0, 4), Assignment(1, 0, 0, 1, 4)), SolveStatus.HEURISTIC)
    sol = plan(p, hint=bad)
    assert score(p, sol).makespan == 7


def test_plain_model_follows_the_same_rules() -> None:
    p = problem([[{0: 3}, {1: 2}], [{1: 4}]], machines=2, release=[0, 1], blocked=[[], [(0, 1)]])
    sol = solve_plain(p, time_limit=5)
    assert violations(p, sol) == [] and sol.status is SolveStatus.OPTIMAL
    assert score(p, sol).makespan == 7


def test_variable_names_carry_job_op_and_machine() -> None:
    p = problem([[{0: 3, 1: 4}, {1: 2}]], machines=2)
    built = build(prepare(p), redundant=False)
    names = {v.name for v in built.model.proto.variables}
    assert {"start[SO-1040/0]", "end[SO-1040/1]", "on[SO-1040/0@M1]", "on[SO-1040/0@M2]"} <= names
