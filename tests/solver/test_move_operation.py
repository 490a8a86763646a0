"""Moving one operation by hand (a Gantt drag): its machine and earliest start become rules,
the planners keep them, and the validator checks them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler_core.domain.check import check_schedule
from scheduler_core.planning import heuristic
from scheduler_core.planning.cpsat import solve
from scheduler_core.planning.problem import Assignment, Job, Mode, Op, Problem, Solution, SolveStatus
from scheduler_core.planning.validate import violations
from scheduler_core.services.changes import ChangeError, MoveOperation, assess_change
from scheduler_core.services.codec import change_from_dict, change_to_dict
from scheduler_core.services.planning import PlanSettings, replan
from tests.builders import NOW, at, make_factory, make_order

FAST = PlanSettings(deadline=1.5, workers=1, seed=0)


def one_op(earliest: int) -> Problem:
    """One operation of 10 minutes that could start at 0; ``earliest`` binds."""
    op = Op(0, 0, (Mode(0, 10),), earliest=earliest, name="J0/0")
    return Problem((Job("J0", (op,)),), ("M0",), objective="makespan")


def test_cpsat_starts_an_operation_no_earlier_than_its_earliest():
    sol = solve(one_op(25), time_limit=5, workers=1, seed=0)
    a = sol.assignments[0]
    assert a.start == 25 and a.end == 35
    assert violations(one_op(25), sol) == []


def test_dispatching_rule_keeps_the_earliest_start():
    sol = heuristic.dispatch(one_op(40), "fifo")
    assert sol.assignments[0].start == 40


def test_validator_refuses_a_start_before_the_earliest():
    early = Solution((Assignment(0, 0, 0, 0, 10),), SolveStatus.FEASIBLE)
    assert any("earliest" in v for v in violations(one_op(5), early))


def test_move_puts_the_step_on_the_chosen_machine_not_before_the_chosen_time():
    # P: step 1 on M1 or M3, step 2 on M2. Two orders; SO-2's first step is dragged to M3 at +9 h.
    routings = {"P": [[("M1", 0, 1.0), ("M3", 0, 1.0)], [("M2", 0, 1.0)]]}
    factory = make_factory([make_order("SO-1", due=at(days=3)), make_order("SO-2", due=at(days=3))],
                           machines=("M1", "M2", "M3"), routings=routings)
    published = replan(factory, NOW, None, replace(FAST, frozen_minutes=0)).schedule
    before = published.place("SO-2", 0)
    assert before is not None
    target = at(9)
    machine = "M3" if before.machine == "M1" else "M1"
    a = assess_change(factory, NOW, published, MoveOperation("SO-2", 0, machine, target),
                      replace(FAST, frozen_minutes=0))
    moved = a.result.schedule.place("SO-2", 0)
    assert moved is not None
    assert moved.machine == machine
    assert moved.start >= target
    assert moved.start - target < timedelta(minutes=1)  # nothing else holds it back
    eta = a.subject
    assert eta is not None and eta.eta > published.eta("SO-2")  # the ETA follows the move
    assert check_schedule(a.factory, a.result.schedule) == []
    assert [i.ref for i in a.impact.subject] == ["SO-2"]
    assert a.impact.subject[0].change > timedelta(0)
    assert "SO-1" not in {o.ref for o in a.impact.delayed}


def test_move_to_a_machine_that_cannot_do_the_step_is_refused():
    factory = make_factory([make_order("SO-1")])
    published = replan(factory, NOW, None, FAST).schedule
    with pytest.raises(ChangeError) as err:
        assess_change(factory, NOW, published, MoveOperation("SO-1", 0, "M2", at(5)), FAST)
    assert err.value.code == "machine_not_for_step"
    with pytest.raises(ChangeError) as err:
        assess_change(factory, NOW, published, MoveOperation("SO-1", 5, "M1", at(5)), FAST)
    assert err.value.code == "unknown_step"


def test_a_frozen_step_cannot_be_moved():
    factory = make_factory([make_order("SO-1")])
    published = replan(factory, NOW, None, FAST).schedule  # step 1 starts now: inside the frozen 4 h
    with pytest.raises(ChangeError) as err:
        assess_change(factory, NOW, published, MoveOperation("SO-1", 0, "M1", at(5)), FAST)
    assert err.value.code == "step_fixed"


def test_move_round_trips_through_its_stored_form():
    m = MoveOperation("SO-7", 1, "M2", at(3))
    assert change_from_dict(change_to_dict(m)) == m
