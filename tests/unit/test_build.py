"""The problem builder: progress, frozen horizon, downtime and calendars become axis rules."""

from datetime import datetime, timedelta

from scheduler_core.domain.calendar import TWO_SHIFTS, Downtime
from scheduler_core.domain.check import check_schedule
from scheduler_core.domain.model import Progress
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.planning import heuristic
from scheduler_core.planning.build import build_problem, to_schedule
from scheduler_core.planning.evaluate import score
from scheduler_core.planning.validate import violations
from tests.builders import NOW, at, make_factory, make_order


def test_finished_steps_are_left_out_and_running_step_is_pinned_with_remaining_quantity():
    order = make_order("SO-1", quantity=100)
    progress = {
        ("SO-1", 0): Progress("SO-1", 0, 100, "M1", at(-5), at(-3)),
        ("SO-1", 1): Progress("SO-1", 1, 40, "M2", at(-1), None),
    }
    factory = make_factory([order], progress=progress)
    built = build_problem(factory, NOW)
    (job,) = built.problem.jobs
    assert len(job.ops) == 1 and built.steps[0] == (1,)
    fixed = job.ops[0].fixed
    assert fixed is not None and built.machine_ids[fixed.machine] == "M2"
    assert (fixed.start, fixed.end) == (0, 60)  # 60 units left at 1 min/unit, setup done
    assert built.quantities[0] == (60,)


def test_published_step_inside_frozen_horizon_stays_and_later_ones_are_free():
    orders = [make_order("SO-1"), make_order("SO-2")]
    factory = make_factory(orders)
    published = Schedule(
        (
            PlannedOp("SO-1", 0, "step1", "M1", at(1), at(2), 60, 60),
            PlannedOp("SO-1", 1, "step2", "M2", at(2), at(3), 60, 60),
            PlannedOp("SO-2", 0, "step1", "M1", at(5), at(6), 60, 60),
        ),
        NOW,
    )
    built = build_problem(factory, NOW, published, frozen_minutes=4 * 60)
    ops1 = built.problem.jobs[0].ops
    assert ops1[0].fixed is not None and ops1[0].fixed.start == 60
    assert ops1[1].fixed is not None  # starts at 2h, predecessor pinned and ends in time
    assert built.problem.jobs[1].ops[0].fixed is None  # 5h is outside the frozen horizon
    assert built.problem.jobs[1].ops[0].previous is not None


def test_a_step_that_cannot_keep_its_place_frees_the_steps_behind_it_on_its_machine():
    # M1 was to run SO-1, SO-2, SO-3 from 08:00. At 08:10 nothing is reported started: SO-1
    # must start late, and SO-2 / SO-3 follow it in sequence instead of staying as walls
    # that would send SO-1 behind them (two hours later).
    orders = [make_order(f"SO-{i}", product="Q") for i in (1, 2, 3)]
    factory = make_factory(orders, routings={"Q": [[("M1", 0, 1.0)]]})
    published = Schedule(
        tuple(PlannedOp(f"SO-{i}", 0, "step1", "M1", at(i - 1), at(i), 60, 60) for i in (1, 2, 3)), NOW
    )
    later = NOW + timedelta(minutes=10)
    built = build_problem(factory, later, published, frozen_minutes=4 * 60)
    assert [job.ops[0].fixed for job in built.problem.jobs] == [None, None, None]
    plan = heuristic.repair(built.problem)
    starts = {built.refs[a.job]: a.start for a in plan.assignments}
    assert starts == {"SO-1": 0, "SO-2": 60, "SO-3": 120}  # the published sequence, 10 min later
    assert score(built.problem, plan).moved == 0
    # with SO-1 reported started, the others keep their places
    progress = {("SO-1", 0): Progress("SO-1", 0, 10, "M1", NOW, None)}
    built = build_problem(make_factory(orders, routings={"Q": [[("M1", 0, 1.0)]]}, progress=progress), later,
                          published, frozen_minutes=4 * 60)
    fixed = [job.ops[0].fixed for job in built.problem.jobs]
    assert fixed[1] is not None and fixed[2] is not None and fixed[1].start == 50


def test_a_thawed_step_thaws_its_job_successors_and_their_machines():
    # SO-1: M1 08:00-09:00 (overdue at 08:10), then M2 09:00-10:00; SO-2 on M2 10:00-11:00.
    orders = [make_order("SO-1"), make_order("SO-2", product="R")]
    factory = make_factory(orders, routings={"P": [[("M1", 0, 1.0)], [("M2", 0, 1.0)]], "R": [[("M2", 0, 1.0)]]})
    published = Schedule((
        PlannedOp("SO-1", 0, "step1", "M1", at(0), at(1), 60, 60),
        PlannedOp("SO-1", 1, "step2", "M2", at(1), at(2), 60, 60),
        PlannedOp("SO-2", 0, "step1", "M2", at(2), at(3), 60, 60),
    ), NOW)
    built = build_problem(factory, NOW + timedelta(minutes=10), published, frozen_minutes=4 * 60)
    assert all(op.fixed is None for job in built.problem.jobs for op in job.ops)
    built = build_problem(factory, NOW, published, frozen_minutes=4 * 60)
    assert all(op.fixed is not None for job in built.problem.jobs for op in job.ops)


def test_downtime_becomes_a_blocked_window_and_plans_go_around_it():
    factory = make_factory([make_order("SO-1")], downtime=[Downtime("M1", at(-1), at(3), "broken")])
    built = build_problem(factory, NOW)
    assert built.problem.blocked[0] == ((0, 180),)
    plan = heuristic.dispatch(built.problem, "edd")
    assert violations(built.problem, plan) == []
    schedule = to_schedule(built, plan)
    assert schedule.for_order("SO-1")[0].start >= at(3)
    assert check_schedule(factory, schedule) == []


def test_open_ended_stop_is_assumed_to_last_the_configured_time():
    factory = make_factory([make_order("SO-1")], downtime=[Downtime("M1", at(-1), None, "broken")])
    built = build_problem(factory, NOW, open_downtime_minutes=90)
    assert built.problem.blocked[0] == ((0, 90),)


def test_work_pauses_over_the_night_and_resumes_on_the_two_shift_calendar():
    # 1200 minutes on M1 starting Monday 08:00: 16 h Monday (until midnight), 4 h Tuesday
    factory = make_factory([make_order("SO-1", quantity=1200, due=at(days=3))], calendar=TWO_SHIFTS,
                           routings={"P": [[("M1", 0, 1.0)]]})
    built = build_problem(factory, NOW)
    plan = heuristic.dispatch(built.problem, "fifo")
    schedule = to_schedule(built, plan)
    (op,) = schedule.ops
    assert op.start == NOW
    assert op.end == NOW + timedelta(days=1, hours=4)
    assert check_schedule(factory, schedule) == []


def test_order_released_later_starts_no_earlier_than_its_release():
    factory = make_factory([make_order("SO-1", release=at(5))])
    built = build_problem(factory, NOW)
    assert built.problem.jobs[0].release == 300


def test_past_due_date_keeps_counting_lateness():
    factory = make_factory([make_order("SO-1", due=at(-2))])
    built = build_problem(factory, NOW)
    assert built.problem.jobs[0].due == -120


def test_plan_after_an_open_ended_stop_passes_the_calendar_check():
    from scheduler_core.services.planning import PlanSettings, replan

    orders = [make_order(f"SO-{i}", quantity=120) for i in range(4)]
    factory = make_factory(orders, calendar=TWO_SHIFTS, downtime=[Downtime("M1", at(-1), None, "broken")])
    result = replan(factory, NOW, None, PlanSettings(deadline=1.0, isolate=False, open_downtime_minutes=90))
    m1 = [op for op in result.schedule.ops if op.machine == "M1"]
    assert min(op.start for op in m1) == NOW + timedelta(minutes=90)
    assert check_schedule(factory, result.schedule, open_downtime=timedelta(minutes=90)) == []


def test_a_backlog_of_more_than_ten_years_of_serial_work_still_builds_and_plans():
    # the axis must hold the serial sum of the work (here about 13 years of two shifts on one
    # machine); it grows to it directly instead of giving up at ten years
    orders = [make_order(f"SO-{i}", quantity=40_000, due=at(days=30)) for i in range(60)]
    factory = make_factory(orders, machines=[f"M{i}" for i in range(1, 13)],
                           routings={"P": [[(f"M{i}", 0, 1.0) for i in range(1, 7)],
                                           [(f"M{i}", 0, 1.0) for i in range(7, 13)]]},
                           calendar=TWO_SHIFTS)
    built = build_problem(factory, NOW)
    assert built.axis.length >= 60 * 2 * 40_000
    plan = heuristic.dispatch(built.problem, "atc")
    assert violations(built.problem, plan) == []
    assert check_schedule(factory, to_schedule(built, plan)) == []


def test_calendars_without_working_time_are_refused_with_a_clear_error():
    import pytest

    from scheduler_core.domain.calendar import WorkCalendar
    from scheduler_core.planning.build import PlanningInputError

    never = WorkCalendar("never", {})
    with pytest.raises(PlanningInputError, match="too little working time"):
        build_problem(make_factory([make_order()], calendar=never), NOW)


def test_a_backlog_beyond_a_century_is_refused_not_overflowed():
    import pytest

    from scheduler_core.planning.build import PlanningInputError

    factory = make_factory([make_order(quantity=10**9)], calendar=TWO_SHIFTS)
    with pytest.raises(PlanningInputError, match="too little working time"):
        build_problem(factory, NOW)


def _day_and_night_factory(orders, downtime=()):
    """A saw on days (07:30-11:30, 12:30-16:30) and an oven on nights (22:00-06:00), Monday to
    Friday: each machine's calendar's time off inside the factory's working time is a pause."""
    from dataclasses import replace
    from datetime import time

    from scheduler_core.domain.calendar import Shift, WorkCalendar
    from scheduler_core.domain.model import Alternative, Machine, Routing, Step

    day = WorkCalendar("day", {d: (Shift(time(7, 30), time(11, 30)), Shift(time(12, 30), time(16, 30)))
                               for d in range(1, 6)})
    night = WorkCalendar("night", {d: (Shift(time(22, 0), time(6, 0)),) for d in range(1, 6)})
    panel = Routing("Panel", (Step("cut", (Alternative("SAW", 30, 0.5),)),
                              Step("cure", (Alternative("OVEN", 0, 2.0),))))
    base = make_factory(orders, downtime=downtime)
    return replace(base, machines=(Machine("SAW", "Saw", "saw", "day"), Machine("OVEN", "Oven", "oven", "night")),
                   calendars={"day": day, "night": night}, routings={"Panel": panel})


def test_work_longer_than_a_shift_waits_through_the_machines_time_off():
    # 1,000 panels: 530 minutes on a saw that works 480 a day, 2,000 on an oven that works 480 a night.
    # Before pauses, no gap of the saw was long enough and the plan fell off the end of the axis.
    order = make_order("SO-7", product="Panel", quantity=1000, due=at(days=10))
    factory = _day_and_night_factory([order])
    built = build_problem(factory, NOW)
    saw, oven = built.machine_ids.index("SAW"), built.machine_ids.index("OVEN")
    assert built.problem.pauses[saw] and built.problem.pauses[oven]  # each idle while the other works
    assert not built.problem.blocked[saw] and not built.problem.blocked[oven]
    for rule in heuristic.RULES:
        sol = heuristic.dispatch(built.problem, rule)
        assert violations(built.problem, sol) == []
        schedule = to_schedule(built, sol)
        assert check_schedule(factory, schedule) == []
    cut, cure = sorted(schedule.for_order("SO-7"), key=lambda op: op.step)
    assert (cut.start, cut.end) == (NOW, at(days=1) + timedelta(minutes=50))  # 450 today, 80 from 07:30 tomorrow
    assert cut.work_minutes == 530 and cure.work_minutes == 2000
    assert cure.start.hour == 22 and cure.start.date() == cut.end.date()  # the same day's night shift


def test_a_stop_during_a_machines_time_off_does_not_hold_up_work_that_waits_through_it():
    # the saw is stopped all night (when it does not work anyway): work still spans the night
    order = make_order("SO-7", product="Panel", quantity=1000, due=at(days=10))
    night_stop = Downtime("SAW", at(hours=9), at(hours=22))  # 17:00 to 06:00
    factory = _day_and_night_factory([order], downtime=(night_stop,))
    built = build_problem(factory, NOW)
    assert not built.problem.blocked[built.machine_ids.index("SAW")]
    sol = heuristic.dispatch(built.problem, "atc")
    schedule = to_schedule(built, sol)
    assert check_schedule(factory, schedule) == []
    cut = next(op for op in schedule.for_order("SO-7") if op.step == 0)
    assert cut.end.date() == (NOW + timedelta(days=1)).date()


def test_why_late_counts_a_wait_in_the_machines_own_hours_not_its_time_off():
    # the saw works days, the oven nights. X queued behind Y on the saw all Monday (450 working
    # minutes), so its cut ran into Tuesday and it met Tuesday's night shift on the oven, not
    # Monday's: a day late. On the oven it waited 13.5 hours, none of them the oven's working
    # time. The cause is the queue at the saw behind Y, not a queue at the oven.
    from scheduler_core.services.planning import explain_late

    mon = NOW.replace(hour=0, minute=0)

    def t(d: int, h: int, m: int = 0) -> datetime:
        return mon + timedelta(days=d, hours=h, minutes=m)

    x = make_order("SO-X", product="Panel", quantity=60, due=t(1, 1))  # alone: cut Mon 08:00, cured by Tue 00:00
    y = make_order("SO-Y", product="Panel", quantity=840, due=at(days=5))
    factory = _day_and_night_factory([x, y])
    built = build_problem(factory, NOW)
    schedule = Schedule((
        PlannedOp("SO-Y", 0, "cut", "SAW", t(0, 8), t(0, 16, 30), 840, 450),
        PlannedOp("SO-X", 0, "cut", "SAW", t(0, 16, 30), t(1, 8, 30), 60, 60),  # Tuesday 07:30-08:30
        PlannedOp("SO-X", 1, "cure", "OVEN", t(1, 22), t(2, 0), 60, 120),
        PlannedOp("SO-Y", 1, "cure", "OVEN", t(2, 0), t(5, 6), 840, 1680),
    ), NOW)
    cause = explain_late(x, schedule, built, factory)
    assert (cause.kind, cause.machine, cause.orders) == ("bottleneck", "SAW", ("SO-Y",))
    assert cause.wait == timedelta(hours=8, minutes=30)  # as it was: the calendar time it waited
