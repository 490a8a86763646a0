"""Use cases on small factories: rush insertion, changes, capable-to-promise, events, why late."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.serialize import aggregate_progress
from scheduler_core.domain.calendar import Downtime
from scheduler_core.domain.check import check_schedule
from scheduler_core.domain.model import OrderStatus
from scheduler_core.services.changes import (
    CancelOrder,
    ChangeDue,
    ChangeError,
    ChangeQuantity,
    InsertOrder,
    apply_change,
    as_of_now,
    assess_change,
    promise_date,
)
from scheduler_core.services.events import MachineDown, ProgressReport, apply_event
from scheduler_core.services.planning import PlanSettings, replan
from tests.builders import NOW, at, make_factory, make_order

FAST = PlanSettings(deadline=1.5, workers=1, seed=0)


def shop(n: int = 6, spacing_h: float = 2.0):
    """n orders of 2 steps (M1 then M2, 60 min each), due dates spaced ``spacing_h`` apart."""
    orders = [make_order(f"SO-{i + 1}", quantity=60, due=at(2 + spacing_h * (i + 1)), customer=f"C{i % 3}",
                         vip=(i == 3)) for i in range(n)]
    return make_factory(orders)


def test_plan_is_valid_on_the_calendar_and_on_time_when_capacity_allows():
    factory = shop()
    result = replan(factory, NOW, None, FAST)
    assert check_schedule(factory, result.schedule) == []
    assert result.late == ()
    assert {e.ref for e in result.etas} == {o.ref for o in factory.orders}


def test_rush_order_is_placed_on_time_and_exactly_the_slipping_orders_are_reported():
    factory = shop()
    published = replan(factory, NOW, None, FAST).schedule
    rush = make_order("SO-99", quantity=60, due=at(7), customer="VIPCO", rush=True)  # frozen: 4 h
    a = assess_change(factory, NOW, published, InsertOrder(rush), FAST)
    assert a.on_time_possible is True
    assert a.subject is not None and a.subject.late_by == timedelta(0)
    assert a.subject.eta <= rush.due
    old, new = published.etas(), a.result.schedule.etas()
    slipped = {r for r in old if r in new and new[r] - old[r] > timedelta(minutes=1)}
    assert {o.ref for o in a.impact.delayed} == slipped
    assert slipped, "something had to make room"
    for o in a.impact.orders:
        assert o.old_eta == old[o.ref] and o.new_eta == new[o.ref]
    # VIP first in the report
    flags = [o.vip for o in a.impact.orders]
    assert flags == sorted(flags, reverse=True)
    assert check_schedule(a.factory, a.result.schedule) == []


def test_a_material_date_holds_the_order_back_and_an_earlier_one_delays_nobody():
    from scheduler_core.services.changes import ChangeMaterial

    factory = shop()
    published = replan(factory, NOW, None, FAST).schedule
    late = assess_change(factory, NOW, published, ChangeMaterial("SO-1", at(20)), FAST)
    assert late.factory.order("SO-1").release == at(20)
    ops = [op for op in late.result.schedule.ops if op.ref == "SO-1"]
    assert ops and min(op.start for op in ops) >= at(20)  # nothing of it before its material
    assert late.subject is not None and late.subject.late_by > timedelta(0)
    assert check_schedule(late.factory, late.result.schedule) == []
    held = late.factory
    back = assess_change(held, NOW, late.result.schedule, ChangeMaterial("SO-1", at(-1)), FAST)  # there already
    assert back.factory.order("SO-1").release is None
    old = late.result.schedule.etas()
    assert all(back.result.schedule.etas()[r] <= old[r] + timedelta(minutes=1) for r in old)  # nobody later
    with pytest.raises(ChangeError):
        assess_change(factory, NOW, published, ChangeMaterial("SO-1", at(days=4000)), FAST)


def test_infeasible_rush_order_gets_its_earliest_date_not_an_error():
    factory = shop()
    published = replan(factory, NOW, None, FAST).schedule
    rush = make_order("SO-99", quantity=600, due=at(1), rush=True)  # 20 h of work due in 1 h
    a = assess_change(factory, NOW, published, InsertOrder(rush), FAST)
    assert a.on_time_possible is False
    assert a.subject is not None and a.subject.late_by > timedelta(0)
    assert a.earliest is not None and a.subject.eta <= a.earliest + timedelta(minutes=1)


def test_capable_to_promise_dates_are_achievable():
    factory = shop()
    published = replan(factory, NOW, None, FAST).schedule
    quote = promise_date(factory, NOW, published, "P", 120, FAST)
    assert quote.with_priority <= quote.undisturbed
    # take the undisturbed date as the promise: the order makes it and nobody slips
    order = make_order("SO-50", quantity=120, due=quote.undisturbed)
    a = assess_change(factory, NOW, published, InsertOrder(order), FAST)
    assert a.subject is not None and a.subject.late_by == timedelta(0)
    assert all(o.late_by == timedelta(0) for o in a.result.etas)
    # the priority date is achievable as a rush order
    rush = make_order("SO-51", quantity=120, due=quote.with_priority, rush=True)
    b = assess_change(factory, NOW, published, InsertOrder(rush), FAST)
    assert b.subject is not None and b.subject.late_by == timedelta(0)


def test_cancellation_frees_capacity_and_nobody_is_later():
    factory = shop(8, spacing_h=1.0)
    published = replan(factory, NOW, None, FAST).schedule
    a = assess_change(factory, NOW, published, CancelOrder("SO-2"), FAST)
    assert "SO-2" not in a.result.schedule.refs()
    assert a.impact.delayed == ()


def test_a_change_that_asks_less_delays_nobody_even_where_a_reshuffle_would_pay():
    # one machine, published first come first served: SO-1 (10 min), then SO-2 (60, due at
    # 70, on time), then VIP SO-3 (60, due at 60, 70 min late). Without SO-1, putting SO-3
    # first would save 5 x 60 weighted minutes and cost SO-2 50 minutes of lateness: SO-2's
    # customer would be warned of a delay because somebody else cancelled. A change that
    # asks less of the shop may not do that: SO-2 keeps its place, SO-3 gains SO-1's time.
    minute = {"P": [[("M1", 0, 1.0)]]}
    orders = [make_order("SO-1", quantity=10, due=at(days=2)),
              make_order("SO-2", quantity=60, due=at(70 / 60)),
              make_order("SO-3", quantity=60, due=at(1), vip=True)]
    factory = make_factory(orders, machines=("M1",), routings=minute)
    settings = replace(FAST, frozen_minutes=0)
    published = replan(factory, NOW, None, replace(settings, rule="fifo")).schedule
    assert [published.etas()[r] for r in ("SO-2", "SO-3")] == [at(70 / 60), at(130 / 60)]
    for change in (CancelOrder("SO-1"), ChangeQuantity("SO-1", 5), ChangeDue("SO-1", at(days=3))):
        a = assess_change(factory, NOW, published, change, settings)
        assert a.impact.delayed == () and a.impact.newly_late == (), change
    a = assess_change(factory, NOW, published, CancelOrder("SO-1"), settings)
    assert a.result.eta_of("SO-2").eta == at(1) and a.result.eta_of("SO-3").eta == at(2)
    # a change that asks more is free to reshuffle: SO-3 ahead of SO-2 is the better plan
    a = assess_change(factory, NOW, published, ChangeQuantity("SO-1", 20), settings)
    assert a.result.eta_of("SO-3").eta < a.result.eta_of("SO-2").eta


def test_a_new_order_booked_where_it_fits_delays_nobody_a_reshuffle_would_pay_with():
    # as above, SO-3 (VIP, 70 min late) would gain 5 x 60 weighted minutes ahead of SO-2, at the
    # cost of 50 minutes of lateness to SO-2. A new order without priority (booked where it fits,
    # "Order it for …") may not be the occasion: SO-2 keeps its place; only a rush, or the
    # objective alone, reshuffles.
    minute = {"P": [[("M1", 0, 1.0)]]}
    orders = [make_order("SO-2", quantity=60, due=at(70 / 60)), make_order("SO-3", quantity=60, due=at(1), vip=True)]
    factory = make_factory(orders, machines=("M1",), routings=minute)
    settings = replace(FAST, frozen_minutes=0)
    published = replan(factory, NOW, None, replace(settings, rule="fifo")).schedule
    assert published.etas()["SO-2"] < published.etas()["SO-3"]
    booked = make_order("SO-9", quantity=10, due=at(days=3))
    a = assess_change(factory, NOW, published, InsertOrder(booked), settings)
    assert a.impact.delayed == () and a.result.eta_of("SO-2").eta == published.etas()["SO-2"], a.impact
    assert a.subject is not None and a.subject.late_by == timedelta(0)
    free = assess_change(factory, NOW, published, InsertOrder(booked), settings, protect_others=False)
    assert free.result.eta_of("SO-3").eta < free.result.eta_of("SO-2").eta  # the reshuffle it would pay for
    assert check_schedule(a.factory, a.result.schedule) == []


def test_a_preview_compares_with_the_plan_without_the_change_as_of_now():
    # published at 08:00; at 08:30 nothing has been reported, so every step is half an hour
    # behind the published plan. Cancelling the last order delays nobody: the preview must
    # not blame it for the half hour the time since publishing cost everybody.
    factory = shop(4, spacing_h=3.0)
    settings = replace(FAST, frozen_minutes=0)
    published = replan(factory, NOW, None, settings).schedule
    later = NOW + timedelta(minutes=30)
    before = as_of_now(factory, later, published, settings)
    drifted = {r for r, eta in before.etas().items() if eta - published.etas()[r] >= timedelta(minutes=30)}
    assert drifted == {"SO-1", "SO-2", "SO-3", "SO-4"}
    a = assess_change(factory, later, published, CancelOrder("SO-4"), settings)
    assert a.impact.delayed == ()
    rush = make_order("SO-99", quantity=60, due=at(4), rush=True)
    a = assess_change(factory, later, published, InsertOrder(rush), settings)
    new = a.result.schedule.etas()
    assert {o.ref for o in a.impact.delayed} == {r for r, eta in before.etas().items() if new[r] - eta > timedelta(minutes=1)}
    assert all(o.old_eta == before.etas()[o.ref] for o in a.impact.orders)


def test_a_machine_back_early_delays_nobody_when_the_replan_is_protected():
    # M1 stopped for 10 minutes at 08:00; published first come first served: SO-1, then SO-2
    # (due 09:20, on time at 09:20), then VIP SO-3 (due 09:00, 80 min late). The machine is
    # back at once: putting SO-3 before SO-2 would pay for the objective alone, and make SO-2
    # late. A re-plan after a machine came back (protect) keeps SO-2 where it was or earlier.
    minute = {"P": [[("M1", 0, 1.0)]]}
    orders = [make_order("SO-1", quantity=10, due=at(days=2)),
              make_order("SO-2", quantity=60, due=at(80 / 60)),
              make_order("SO-3", quantity=60, due=at(1), vip=True)]
    stopped = make_factory(orders, machines=("M1",), routings=minute,
                           downtime=(Downtime("M1", NOW, at(10 / 60)),))
    settings = replace(FAST, frozen_minutes=0)
    published = replan(stopped, NOW, None, replace(settings, rule="fifo")).schedule
    assert published.etas()["SO-2"] == at(80 / 60)
    back = replace(stopped, downtime=())
    alone = replan(back, NOW, published, settings)
    assert alone.eta_of("SO-2").eta > at(80 / 60)  # the objective alone: SO-2 made late
    kept = replan(back, NOW, published, settings, protect=True)
    for e in kept.etas:
        assert e.eta <= published.etas()[e.ref], e.ref
    assert kept.eta_of("SO-3").eta < published.etas()["SO-3"]  # the time freed still goes to somebody


async def test_a_replan_is_protected_only_when_every_request_it_serves_gives_more():
    import asyncio

    from scheduler_core.services.context import Coalescer

    runs: list[bool] = []
    gate = asyncio.Event()

    async def job(protect: bool) -> bool:
        runs.append(protect)
        await gate.wait()
        return protect

    c = Coalescer()
    first = asyncio.create_task(c.run(job, gives_more=True))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(c.run(job, gives_more=g)) for g in (True, False, True)]
    await asyncio.sleep(0)
    gate.set()
    assert await first is True
    assert [await w for w in waiting] == [False, False, False]  # one run serves all three
    assert runs == [True, False]
    assert await c.run(job, gives_more=True) is True and runs[-1] is True


def test_due_date_change_is_reported_for_the_subject_only():
    factory = shop()
    published = replan(factory, NOW, None, FAST).schedule
    a = assess_change(factory, NOW, published, ChangeDue("SO-6", at(30)), FAST)
    assert a.factory.order("SO-6").due == at(30)
    assert [s.ref for s in a.impact.subject] == ["SO-6"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (ChangeQuantity("SO-1", 0), "quantity_not_positive"),
        (ChangeQuantity("SO-1", -5), "quantity_not_positive"),
        (ChangeQuantity("SO-1", 10**9), "quantity_too_large"),
        (ChangeDue("SO-1", NOW - timedelta(days=1)), "due_in_past"),
        (CancelOrder("SO-404"), "unknown_order"),
        (InsertOrder(make_order("SO-1")), "duplicate_order"),
        (InsertOrder(make_order("SO-77", product="NOPE")), "unknown_product"),
    ],
)
def test_bad_changes_are_refused_with_a_code_and_change_nothing(change, code):
    factory = shop()
    before = factory.orders
    with pytest.raises(ChangeError) as err:
        apply_change(factory, change, NOW)
    assert err.value.code == code
    assert factory.orders == before


def test_progress_report_moves_etas_and_finishes_orders():
    factory = shop(2)
    f2 = apply_event(factory, ProgressReport("SO-1", 0, 60, "M1", at(1)))
    assert f2.progress[("SO-1", 0)].finished == at(1)
    f3 = apply_event(f2, ProgressReport("SO-1", 1, 60, "M2", at(2)))
    assert f3.order("SO-1").status is OrderStatus.DONE
    result = replan(f3, at(2), None, FAST)
    assert "SO-1" not in {op.ref for op in result.schedule.ops}


def test_machine_down_delays_and_explains():
    factory = shop(6, spacing_h=1.0)
    down = apply_event(factory, MachineDown("M1", NOW, at(8), "spindle"))
    result = replan(down, NOW, None, FAST)
    assert all(op.start >= at(8) for op in result.schedule.ops if op.machine == "M1")
    late = result.late
    assert late, "an 8 hour stop of the only first-step machine makes orders late"
    assert late[-1].cause is not None
    assert {e.cause.kind for e in late if e.cause} <= {"machine_down", "bottleneck", "not_enough_time"}
    assert any(e.cause and e.cause.kind == "machine_down" and e.cause.machine == "M1" for e in late)


def test_a_breakdown_report_replaces_the_stop_in_force_and_keeps_the_others():
    base = make_factory([make_order("SO-1", due=at(20))], downtime=[
        Downtime("M1", at(-2), at(10), "spindle"),  # in force now, known end
        Downtime("M1", at(30), at(34), "maintenance"),  # planned ahead
        Downtime("M2", at(-1), None, "no power"),  # another machine
    ])
    after = apply_event(base, MachineDown("M1", NOW, at(3), "spindle again: back in 3 hours"))
    assert sorted(after.downtime, key=lambda d: (d.machine, d.start)) == [
        Downtime("M1", at(-2), NOW, "spindle"),  # what was, until the report
        Downtime("M1", NOW, at(3), "spindle again: back in 3 hours"),
        Downtime("M1", at(30), at(34), "maintenance"),
        Downtime("M2", at(-1), None, "no power"),
    ]
    result = replan(after, NOW, None, FAST)
    assert min(op.start for op in result.schedule.ops if op.machine == "M1") == at(3)  # not at(10)
    # a stop until further notice is replaced too; a stop planned ahead is added beside the others
    again = apply_event(after, MachineDown("M1", at(1), None, "down again"))
    assert [d for d in again.downtime if d.machine == "M1" and (d.end is None or d.end > at(1))] == [
        Downtime("M1", at(30), at(34), "maintenance"), Downtime("M1", at(1), None, "down again")]
    planned = apply_event(base, MachineDown("M1", at(12), at(14), "oil", planned=True))
    assert len(planned.downtime) == len(base.downtime) + 1


def test_a_stop_over_the_night_or_of_minutes_is_not_why_an_order_is_late():
    from scheduler_core.domain.calendar import TWO_SHIFTS

    orders = [make_order(f"SO-{i}", quantity=300, due=at(6)) for i in range(1, 6)]  # 25 h of work from Monday 08:00
    base = make_factory(orders, routings={"P": [[("M1", 0, 1.0)]]}, machines=["M1"], calendar=TWO_SHIFTS)
    monday_night = NOW.replace(hour=0) + timedelta(days=1, hours=1)  # Tuesday 01:00-05:00: off shift
    for stop in (Downtime("M1", monday_night, monday_night + timedelta(hours=4)),
                 Downtime("M1", at(1), at(1) + timedelta(minutes=5))):
        result = replan(make_factory(orders, routings={"P": [[("M1", 0, 1.0)]]}, machines=["M1"],
                                     calendar=TWO_SHIFTS, downtime=[stop]), NOW, None, FAST)
        late = [e for e in result.etas if e.late_by > timedelta(0)]
        assert late and all(e.cause is not None and e.cause.kind != "machine_down" for e in late), stop
    # a stop of working hours is named
    stop = Downtime("M1", at(1), at(4))
    result = replan(apply_event(base, MachineDown("M1", stop.start, stop.end, "spindle")), NOW, None, FAST)
    assert any(e.cause is not None and e.cause.kind == "machine_down" for e in result.etas if e.late_by > timedelta(0))


def test_bottleneck_cause_names_the_queue_ahead():
    orders = [make_order(f"SO-{i}", quantity=120, due=at(3)) for i in range(1, 5)]
    factory = make_factory(orders, routings={"P": [[("M1", 0, 1.0)]]}, machines=["M1"])
    result = replan(factory, NOW, None, FAST)
    last = max(result.etas, key=lambda e: e.eta)
    assert last.cause is not None and last.cause.kind == "bottleneck"
    assert last.cause.machine == "M1" and len(last.cause.orders) == 3


def test_downtime_unrelated_machine_does_not_count(tmp_path):
    factory = make_factory([make_order("SO-1", due=at(1))], downtime=[Downtime("M2", at(10), at(12))])
    result = replan(factory, NOW, None, FAST)
    (eta,) = result.etas
    assert eta.cause is not None and eta.cause.kind == "not_enough_time"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 30), st.booleans()), min_size=1, max_size=8))
def test_reports_fold_the_same_in_the_use_case_and_in_the_database(reports):
    # what a report does to the factory (apply_event) and what the database makes of the same
    # reports when it is read again (aggregate_progress) agree: the plan and the status page see
    # one record; reports the use case refuses are not stored
    routings = {"P": [[("M1", 0, 1.0)], [("M2", 0, 1.0)], [("M1", 0, 1.0)]]}
    factory = make_factory([make_order("SO-1", quantity=40)], routings=routings)
    stored = []
    for i, (step, good, finished) in enumerate(reports):
        event = ProgressReport("SO-1", step, good, "M2" if step == 1 else "M1", at(i + 1), finished=finished)
        try:
            factory = apply_event(factory, event)
        except ChangeError:
            continue
        stored.append(("SO-1", step, good, event.machine, event.at, finished))
    assert factory.progress == aggregate_progress(stored, {"SO-1": 40})


def test_the_promise_that_makes_no_other_order_late_is_kept_and_a_day_earlier_is_not():
    # two tight orders first (1 h of slack each), then four with days of slack; 10 h per step.
    # With priority the new order would make the tight ones late; fitted into the gaps it waits
    # for everybody. In between: promised Wednesday 18:00 (at(58)) it runs after the tight ones and
    # the orders with slack absorb it; Tuesday 18:00 cannot be kept without making someone late.
    orders = [make_order("SO-1", quantity=600, due=at(21)), make_order("SO-2", quantity=600, due=at(31)),
              *(make_order(f"SO-{k}", quantity=600, due=at(days=10)) for k in range(3, 7))]
    factory = make_factory(orders)
    published = replan(factory, NOW, None, FAST).schedule
    assert all(e <= o.due for o in orders for e in [published.etas()[o.ref]])
    quote = promise_date(factory, NOW, published, "P", 600, FAST)
    assert quote.without_lateness == at(58)
    assert quote.with_priority < quote.without_lateness < quote.undisturbed
    kept = assess_change(factory, NOW, published, InsertOrder(make_order("SO-50", quantity=600, due=at(58), rush=True)),
                         FAST)
    assert kept.subject is not None and kept.subject.late_by == timedelta(0)
    assert all(e.late_by == timedelta(0) for e in kept.result.etas)  # nobody is late for it
    earlier = assess_change(factory, NOW, published,
                            InsertOrder(make_order("SO-51", quantity=600, due=at(34), rush=True)), FAST)
    assert any(e.late_by > timedelta(0) for e in earlier.result.etas)  # the rush order or another


def test_progress_reported_as_planned_does_not_push_the_plan_later():
    # Reports count whole units: the unit in progress is not in them. Re-planning each report as
    # if that unit had not begun put the step, and the step the frozen horizon holds behind it,
    # later by up to a unit each time, and they never came back (the demo's plan drifted 4
    # minutes per report). A floor that keeps to the plan now keeps the plan.
    factory = make_factory([make_order("SO-1", product="Q", quantity=100, due=at(days=1)),
                            make_order("SO-2", product="Q", quantity=200, due=at(days=3))],
                           routings={"Q": [[("M1", 0, 2.5)]]})
    plan = replan(factory, NOW, None, FAST).schedule
    first = plan.place("SO-1", 0)
    assert first.start == NOW and plan.place("SO-2", 0).start == first.end
    eta_2 = plan.eta("SO-2")
    for i in range(1, 16):
        now = at(i * 7 / 60)
        made = int((now - NOW).total_seconds() / 60 / 2.5)  # whole units made at the planned pace
        done = factory.progress.get(("SO-1", 0))
        factory = apply_event(factory, ProgressReport("SO-1", 0, made - (done.done if done else 0), "M1", now))
        plan = replan(factory, now, plan, FAST).schedule
        assert plan.place("SO-1", 0).end == first.end, i
    assert plan.eta("SO-2") == eta_2
    # a floor behind the plan still moves it: the unit in progress is then taken as not begun
    now = at(2)
    factory = apply_event(factory, ProgressReport("SO-1", 0, 1, "M1", now))
    left = 100 - factory.progress[("SO-1", 0)].done
    later = replan(factory, now, plan, FAST).schedule
    assert later.place("SO-1", 0).end == now + timedelta(minutes=round(2.5 * left)) > first.end


def _two_calendar_factory(n_orders: int, seed: int = 1):
    """Saws on days, ovens on nights, packing on days: work on a saw or an oven often outlasts a
    shift and waits through the machine's time off (its pauses) while the others work."""
    import random
    from datetime import time

    from scheduler_core.domain.calendar import Shift, WorkCalendar
    from scheduler_core.domain.model import Alternative, Machine, Routing, Step

    day = WorkCalendar("day", {d: (Shift(time(7, 30), time(11, 30)), Shift(time(12, 30), time(16, 30)))
                               for d in range(1, 6)})
    night = WorkCalendar("night", {d: (Shift(time(22, 0), time(6, 0)),) for d in range(1, 6)})
    machines = (Machine("SAW-1", "Saw 1", "saw", "day"), Machine("SAW-2", "Saw 2", "saw", "day"),
                Machine("OVEN-A", "Oven A", "oven", "night"), Machine("OVEN-B", "Oven B", "oven", "night"),
                Machine("PACK", "Pack", "pack", "day"))
    routings = {
        "Panel": Routing("Panel", (Step("cut", (Alternative("SAW-1", 30, 0.5), Alternative("SAW-2", 20, 0.6))),
                                   Step("cure", (Alternative("OVEN-A", 0, 2.0), Alternative("OVEN-B", 10, 1.5))),
                                   Step("pack", (Alternative("PACK", 5, 0.1),)))),
        "Beam": Routing("Beam", (Step("cut", (Alternative("SAW-2", 15, 1.0),)),
                                 Step("pack", (Alternative("PACK", 0, 0.2),)))),
    }
    rng = random.Random(seed)
    orders = [make_order(f"SO-{i + 1}", product=rng.choice(["Panel", "Panel", "Beam"]), quantity=rng.randint(20, 400),
                         due=at(days=rng.uniform(1, 2 + n_orders / 10)), vip=rng.random() < 0.2)
              for i in range(n_orders)]
    return replace(make_factory(orders), machines=machines, calendars={"day": day, "night": night}, routings=routings)


@pytest.mark.parametrize("n_orders", [6, 120])  # the full model; the neighbourhood search (over 300 steps)
def test_a_factory_on_two_calendars_gets_a_valid_plan_no_worse_than_its_rules(n_orders: int):
    factory = _two_calendar_factory(n_orders)
    result = replan(factory, NOW, settings=replace(FAST, deadline=3.0))
    assert check_schedule(factory, result.schedule) == []
    assert result.method.startswith("cpsat"), result.method
    from scheduler_core.planning import heuristic
    from scheduler_core.planning.evaluate import score

    best_rule = min(score(result.built.problem, heuristic.dispatch(result.built.problem, r)).key("factory")
                    for r in heuristic.RULES)
    assert result.score.key("factory") <= best_rule
    spans = [op for op in result.schedule.ops if op.start.date() != op.end.date() and op.machine.startswith("SAW")]
    assert spans  # some saw work runs into the next day


def test_an_order_due_before_its_machine_next_works_is_late_for_want_of_time_not_a_queue():
    # due Saturday 09:00, planned Friday evening: the saw works again on Monday morning
    factory = _two_calendar_factory(0)
    friday_evening = at(days=4, hours=10)  # Friday 18:00
    beam = make_order("SO-8", product="Beam", quantity=1, due=at(days=5, hours=1))
    factory = replace(factory, orders=(beam,))
    result = replan(factory, friday_evening, settings=FAST)
    (eta,) = result.etas
    assert eta.late_by > timedelta(0) and eta.cause is not None
    assert eta.cause.kind == "not_enough_time"


def test_rush_orders_and_promises_in_a_factory_on_two_calendars():
    """The insertion candidates (rush first into the published plan's gaps, or as late as its
    date allows) and the promise dates wait through the machines' time off as the plan does."""
    factory = _two_calendar_factory(30)
    published = replan(factory, NOW, None, FAST).schedule
    quote = promise_date(factory, NOW, published, "Panel", 300, FAST)
    assert quote.with_priority <= quote.undisturbed
    rush = make_order("SO-99", product="Panel", quantity=300, due=quote.with_priority, rush=True)
    a = assess_change(factory, NOW, published, InsertOrder(rush), FAST)
    assert a.subject is not None and a.subject.late_by == timedelta(0)
    assert check_schedule(a.factory, a.result.schedule) == []
    calm = make_order("SO-98", product="Panel", quantity=300, due=quote.undisturbed)
    b = assess_change(factory, NOW, published, InsertOrder(calm), FAST)
    assert b.subject is not None and b.subject.late_by == timedelta(0)
    assert check_schedule(b.factory, b.result.schedule) == []
