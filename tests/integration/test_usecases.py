"""Use cases end to end on each store: the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from scheduler_core.services.change_flow import assess, confirm_change, promise, reject_change
from scheduler_core.services.changes import CancelOrder, ChangeDue, ChangeQuantity, InsertOrder
from scheduler_core.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from scheduler_core.services.feedback import record_complaint, record_delivery, record_survey_answer
from scheduler_core.services.kpi import kpis
from scheduler_core.services.linking import create_link_code, redeem_link_code
from scheduler_core.services.ports import Actor, Role, Survey
from scheduler_core.services.shopfloor import machine_down, machine_up, replan_now, report_progress
from scheduler_core.services.status import get_order_status, list_orders
from tests.builders import at, make_order
from tests.seed import seed_shop


async def counts(uow):
    async with uow() as tx:
        plan = await tx.plans.current()
        return {
            "orders": len(await tx.orders.list()),
            "plan": plan.number if plan else 0,
            "outbox": await tx.outbox.count(),
            "progress": len(await tx.shopfloor.progress()),
            "changes": len(await tx.changes.list()),
        }


@pytest.fixture
async def shop(uow_factory):
    s = await seed_shop(uow_factory)
    await replan_now(s.svc)
    return s


async def test_customer_sees_own_order_with_eta_and_steps(shop):
    view = await get_order_status(shop.svc, shop.alice, "so100")
    assert view.ref == "SO-100" and view.customer == "ACME"
    assert view.eta is not None and view.plan_version == 1
    assert [s.state for s in view.steps] == ["planned", "planned"]
    assert view.current is not None and view.current.step == 0


async def test_a_number_alone_is_one_of_the_factorys_own_numbering(uow_factory):
    """A factory numbering WO-...: "778" is WO-778 for the status, the history, reports and
    complaints (the CLI and the REST API pass the number as typed); SO-778 stays SO-778."""
    s = await seed_shop(uow_factory, [make_order(f"WO-{778 + i}", quantity=60, due=at(3 + i), customer="ACME")
                                      for i in range(3)])
    await replan_now(s.svc)
    assert (await get_order_status(s.svc, s.alice, "778")).ref == "WO-778"
    assert (await get_order_status(s.svc, s.manager, "#779")).ref == "WO-779"
    with pytest.raises(NotFound):
        await get_order_status(s.svc, s.manager, "SO-778")
    recorded = await report_progress(s.svc, s.operator, "780", 10)
    assert recorded.recorded.ref == "WO-780"
    await record_complaint(s.svc, s.alice, "late again", "778")
    async with uow_factory() as uow:
        assert [c.ref for c in await uow.feedback.complaints()] == ["WO-778"]


async def test_unknown_and_foreign_orders_get_the_same_answer(shop):
    """P1 sweep: every number a customer may try, own / foreign / unknown."""
    seen_own = 0
    for n in range(95, 115):
        for text in (f"SO-{n}", f"so{n}", f"订单{n}", str(n)):
            try:
                view = await get_order_status(shop.svc, shop.alice, text)
            except NotFound as exc:
                assert (exc.code, exc.params) == ("order_not_found", {"ref": f"SO-{n}"})
            else:
                assert view.customer == "ACME"
                seen_own += 1
    assert seen_own == 3 * 4


async def test_lists_follow_roles(shop):
    mine = await list_orders(shop.svc, shop.alice)
    assert {line.customer for line in mine} == {"ACME"} and len(mine) == 3
    assert len(await list_orders(shop.svc, shop.sales)) == 6
    assert len(await list_orders(shop.svc, shop.manager)) == 6


async def test_staff_narrow_the_list_to_one_customer(shop):
    assert {line.customer for line in await list_orders(shop.svc, shop.manager, customer="Bolt")} == {"Bolt"}
    assert len(await list_orders(shop.svc, shop.sales, customer="ACME")) == 3
    mine = await list_orders(shop.svc, shop.alice, customer="Bolt")  # a customer sees their own (P1)
    assert {line.customer for line in mine} == {"ACME"}
    other = Actor(99, Role.SALES, None, "sue", "en")  # a salesperson with no customers of their own
    with pytest.raises(PermissionDenied) as caught:
        await list_orders(shop.svc, other, customer="ACME")
    assert (caught.value.code, caught.value.params) == ("not_your_customer", {"customer": "ACME"})
    assert await list_orders(shop.svc, other, customer="Zeta") == []  # no such customer: nothing to hide


async def test_managers_see_late_then_at_risk_orders_first(uow_factory):
    orders = [make_order("SO-1", quantity=600, due=at(5)),  # late: 10 h of work on M1, then on M2
              make_order("SO-2", quantity=60, due=at(72)),  # days to spare
              make_order("SO-3", quantity=60, due=at(22.5))]  # within a day of its promise in any sequence
    s = await seed_shop(uow_factory, orders)
    await replan_now(s.svc)
    lines = await list_orders(s.svc, s.manager)
    by_ref = {line.ref: line for line in lines}
    assert by_ref["SO-1"].late_by > timedelta(0) and not by_ref["SO-1"].at_risk
    assert by_ref["SO-3"].at_risk and not by_ref["SO-2"].at_risk
    assert [line.ref for line in lines] == ["SO-1", "SO-3", "SO-2"]


async def test_customers_cannot_assess_changes(shop):
    with pytest.raises(PermissionDenied):
        await assess(shop.svc, shop.alice, CancelOrder("SO-100"))


async def test_assessment_commits_nothing_but_the_proposal(shop):
    before = await counts(shop.svc.uow)
    rush = make_order("SO-900", quantity=60, due=at(8), customer="Bolt", rush=True)
    proposal = await assess(shop.svc, shop.sales, InsertOrder(rush))
    after = await counts(shop.svc.uow)
    assert after == {**before, "changes": before["changes"] + 1}
    assert proposal.on_time_possible is True and proposal.subject_eta <= rush.due
    assert len(proposal.token) >= 20 and len(proposal.token.encode()) <= 64


async def test_confirm_applies_plan_order_audit_and_warnings_once(shop):
    rush = make_order("SO-900", quantity=120, due=at(12), customer="Bolt", rush=True)
    proposal = await assess(shop.svc, shop.sales, InsertOrder(rush))
    outcome = await confirm_change(shop.svc, shop.sales, proposal.token)
    assert outcome.applied and outcome.version == 2
    status = await get_order_status(shop.svc, shop.manager, "SO-900")
    assert status.eta is not None and status.eta <= rush.due
    async with shop.svc.uow() as tx:
        audit = await tx.audit.list(subject="SO-900")
        pending = await tx.outbox.pending(1000)
        rec = await tx.orders.get("SO-900")
    assert [e.action for e in audit] == ["confirm_insert"]
    assert rec is not None and rec.sales == "sam"
    newly_late = {i.ref for i in outcome.impact.newly_late}
    warned = {n.payload["ref"] for n in pending if n.kind == "delay"}
    assert warned == newly_late
    with pytest.raises(Conflict):
        await confirm_change(shop.svc, shop.sales, proposal.token)  # single use


async def test_a_proposal_confirmed_after_the_plan_moved_on_goes_in_when_it_still_says_the_same(shop):
    b = await assess(shop.svc, shop.sales, ChangeQuantity("SO-105", 90))
    assert b.impact.newly_late == () and b.subject_eta is not None and b.subject_due is not None and b.subject_eta <= b.subject_due
    await report_progress(shop.svc, shop.operator, "SO-100", 30)  # the floor moves the plan on
    async with shop.svc.uow() as tx:
        moved = (await tx.plans.current()).number
    assert moved > b.base_version
    outcome = await confirm_change(shop.svc, shop.sales, b.token)
    assert outcome.applied and outcome.rebased and outcome.version == moved + 1
    assert outcome.impact is not None and outcome.impact.newly_late == ()
    async with shop.svc.uow() as tx:
        assert (await tx.orders.get("SO-105")).order.quantity == 90
        assert (await tx.plans.current()).schedule.eta("SO-105") <= b.subject_due  # on time, as shown
        assert sum(p.done for p in (await tx.shopfloor.progress()).values()) == 30  # the report is kept
    with pytest.raises(Conflict):
        await confirm_change(shop.svc, shop.sales, b.token)  # single use


async def test_a_proposal_that_no_longer_says_the_same_is_assessed_again_not_applied(shop):
    b = await assess(shop.svc, shop.sales, ChangeQuantity("SO-105", 90))
    assert b.subject_eta is not None and b.subject_due is not None and b.subject_eta <= b.subject_due  # shown on time
    await machine_down(shop.svc, shop.operator, "M1", "jam", until=at(40))  # now it cannot be
    outcome = await confirm_change(shop.svc, shop.sales, b.token)
    assert not outcome.applied and outcome.proposal is not None and outcome.proposal.restated
    assert outcome.proposal.base_version > b.base_version and outcome.proposal.subject_eta > b.subject_due
    async with shop.svc.uow() as tx:
        assert (await tx.orders.get("SO-105")).order.quantity == 60  # not applied blindly
    assert (await confirm_change(shop.svc, shop.sales, outcome.proposal.token)).applied


async def test_rejected_or_expired_proposals_are_gone(shop):
    a = await assess(shop.svc, shop.sales, CancelOrder("SO-101"))
    await reject_change(shop.svc, shop.sales, a.token)
    with pytest.raises(Conflict):
        await confirm_change(shop.svc, shop.sales, a.token)
    b = await assess(shop.svc, shop.sales, CancelOrder("SO-101"))
    shop.clock.advance(minutes=11)
    with pytest.raises(Conflict):
        await confirm_change(shop.svc, shop.sales, b.token)


async def test_two_confirmations_on_the_same_plan_never_both_win(uow_factory):
    """P4: 50 trials of two different changes made on the same plan version, confirmed at once."""
    shop = await seed_shop(uow_factory)
    await replan_now(shop.svc)
    applied = restated = rebased = 0
    trials = 50
    for i in range(trials):
        a = await assess(shop.svc, shop.sales, ChangeDue("SO-100", at(30 + i)))
        b = await assess(shop.svc, shop.manager, ChangeDue("SO-101", at(60 + i)))
        assert a.base_version == b.base_version
        before = await counts(shop.svc.uow)
        ra, rb = await asyncio.gather(confirm_change(shop.svc, shop.sales, a.token),
                                      confirm_change(shop.svc, shop.manager, b.token))
        wins = [r for r in (ra, rb) if r.applied and not r.rebased]  # committed on the plan both were made on
        assert len(wins) == 1, (ra, rb)
        loser = rb if wins[0] is ra else ra
        if loser.applied:  # the loser's plan re-timed to the winner's, which it still agreed with
            assert loser.rebased and loser.version == wins[0].version + 1
            rebased += 1
        else:
            assert loser.proposal is not None and loser.proposal.restated
            restated += 1
        applied += 1
        after = await counts(shop.svc.uow)
        assert after["plan"] == before["plan"] + 1 + loser.applied
    print(f"P4 race: trials={trials} applied={applied} restated={restated} rebased={rebased} both_won=0")


async def test_progress_report_replans_and_bad_quantities_change_nothing(shop):
    update = await report_progress(shop.svc, shop.operator, "SO-100", 60)
    assert update.version == 2
    view = await get_order_status(shop.svc, shop.alice, "SO-100")
    assert view.steps[0].state == "done"
    before = await counts(shop.svc.uow)
    for good in (0, -5, 10**9):
        with pytest.raises(InvalidInput):
            await report_progress(shop.svc, shop.operator, "SO-100", good)
    with pytest.raises(NotFound):
        await report_progress(shop.svc, shop.operator, "SO-4242", 5)
    with pytest.raises(InvalidInput):
        await report_progress(shop.svc, shop.operator, "SO-100", 5, step=9)
    with pytest.raises(PermissionDenied):
        await report_progress(shop.svc, shop.alice, "SO-100", 5)
    assert await counts(shop.svc.uow) == before


def _protected_replans(shop, monkeypatch) -> list[bool]:
    """Whether each re-plan from now on is asked to be protected, in order."""
    asked: list[bool] = []
    run = shop.svc.replans.run

    async def spy(job, *, gives_more=False):
        asked.append(gives_more)
        return await run(job, gives_more=gives_more)

    monkeypatch.setattr(shop.svc.replans, "run", spy)
    return asked


async def test_a_report_replans_without_delaying_anyone_else(shop, monkeypatch):
    # a report, partial or finishing a step early, re-plans protected (nobody later than
    # published, or than every machine keeping its sequence), as after a machine comes back
    asked = _protected_replans(shop, monkeypatch)
    await report_progress(shop.svc, shop.operator, "SO-101", 10, step=1)
    await report_progress(shop.svc, shop.operator, "SO-101", 50, step=1)  # the rest: finished, before its end
    assert asked == [True, True]


async def test_a_report_from_a_machine_goes_to_the_step_that_machine_does(shop):
    # SO-101 (60 pieces) runs on M1, then M2. Reported from M1, or from nowhere, the units are
    # the first step's; from M2, the second step's, on M2, and the first step counts as done.
    await report_progress(shop.svc, shop.operator, "SO-101", 5, at_machine="M1")
    await report_progress(shop.svc, shop.operator, "SO-101", 5, at_machine="M9")  # no step of it: the first
    view = await get_order_status(shop.svc, shop.manager, "SO-101")
    assert [s.done for s in view.steps] == [10, 0]
    update = await report_progress(shop.svc, shop.operator, "SO-101", 10, at_machine="M2")
    assert update.recorded is not None and (update.recorded.step, update.recorded.machine) == (1, "M2")
    assert [k for k, _ in update.recorded.closed] == [0]
    view = await get_order_status(shop.svc, shop.manager, "SO-101")
    assert [s.done for s in view.steps] == [60, 10] and view.steps[0].state == "done"
    assert view.steps[1].machine == "M2"
    later = await report_progress(shop.svc, shop.operator, "SO-101", 5)  # the first open step is the second
    assert later.recorded is not None and later.recorded.step == 1 and not later.recorded.closed
    with pytest.raises(InvalidInput) as err:
        await report_progress(shop.svc, shop.operator, "SO-101", 5, step=1)
    assert err.value.code == "step_already_finished"
    view = await get_order_status(shop.svc, shop.manager, "SO-101")
    assert [s.done for s in view.steps] == [60, 15]


async def test_machine_stop_moves_etas_and_restart_brings_them_back(shop):
    before = await get_order_status(shop.svc, shop.manager, "SO-102")
    down = await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(10))
    during = await get_order_status(shop.svc, shop.manager, "SO-102")
    assert during.eta > before.eta and down.impact is not None and down.impact.delayed
    await machine_up(shop.svc, shop.operator, "M1")
    after = await get_order_status(shop.svc, shop.manager, "SO-102")
    assert after.eta < during.eta
    with pytest.raises(InvalidInput):
        await machine_down(shop.svc, shop.operator, "NOPE")


async def test_a_planned_stop_blocks_its_window_leaves_a_stop_in_force_and_can_be_called_off(shop):
    from datetime import date, time

    from scheduler_core.services.shopfloor import cancel_stop, first_working_minute, plan_stop

    await machine_down(shop.svc, shop.operator, "M1", "jam")  # down now, until further notice
    start = await first_working_minute(shop.svc, "M2", date(2026, 11, 24), time(12))
    assert start.astimezone(at(0).tzinfo).hour == 12  # the test shop always works
    update = await plan_stop(shop.svc, shop.operator, "M2", start, start + timedelta(hours=6), "maintenance")
    async with shop.svc.uow() as tx:
        stops = await tx.shopfloor.downtime()
        plan = await tx.plans.current()
    assert {(d.machine, d.end is None) for d in stops} == {("M1", True), ("M2", False)}  # the jam stays
    assert plan is not None and plan.number == update.version
    assert not any(op.machine == "M2" and op.start < start + timedelta(hours=6) and op.end > start
                   for op in plan.schedule.ops)
    with pytest.raises(InvalidInput):  # a planned stop starts later than now, and ends after it starts
        await plan_stop(shop.svc, shop.operator, "M2", at(-1), at(2))
    with pytest.raises(InvalidInput):
        await plan_stop(shop.svc, shop.operator, "M2", at(5), at(4))
    with pytest.raises(PermissionDenied):
        await plan_stop(shop.svc, shop.alice, "M2", at(5), at(6))
    with pytest.raises(NotFound):  # only a stop not begun yet is called off, and only one that exists
        await cancel_stop(shop.svc, shop.operator, "M1", next(d.start for d in stops if d.machine == "M1"))
    await cancel_stop(shop.svc, shop.operator, "M2", start)
    async with shop.svc.uow() as tx:
        assert [(d.machine, d.end) for d in await tx.shopfloor.downtime()] == [("M1", None)]


async def test_a_stop_planned_ahead_and_its_calling_off_re_plan_protected(shop, monkeypatch):
    # what the window displaces moves; nobody else finishes later (a breakdown re-plans freely)
    from scheduler_core.services.shopfloor import cancel_stop, plan_stop

    asked = _protected_replans(shop, monkeypatch)
    await plan_stop(shop.svc, shop.operator, "M2", at(3), at(5), "maintenance")
    await cancel_stop(shop.svc, shop.operator, "M2", at(3))
    await machine_down(shop.svc, shop.operator, "M1", "jam")
    assert asked == [True, True, False]


async def test_promise_gives_two_achievable_dates(shop):
    quote = await promise(shop.svc, shop.sales, "P", 120)
    assert quote.with_priority <= quote.undisturbed
    with pytest.raises(InvalidInput):
        await promise(shop.svc, shop.sales, "NOPE", 10)
    with pytest.raises(InvalidInput):
        await promise(shop.svc, shop.sales, "P", 0)


async def test_complaints_alert_managers_and_the_sales_owner(shop):
    cid = await record_complaint(shop.svc, shop.alice, "Still waiting! <b>unacceptable</b>", "SO-100")
    async with shop.svc.uow() as tx:
        alerts = [n for n in await tx.outbox.pending(100) if n.kind == "complaint"]
    assert {n.recipient for n in alerts} == {f"user:{shop.manager.user_id}", f"user:{shop.sales.user_id}"}
    assert all(n.payload["complaint"] == cid for n in alerts)
    with pytest.raises(NotFound):  # not her order: same answer as unknown
        await record_complaint(shop.svc, shop.alice, "where is it", "SO-101")
    with pytest.raises(InvalidInput):
        await record_complaint(shop.svc, shop.alice, "x" * 5000)


async def test_delivery_survey_and_kpis(shop):
    shop.clock.advance(hours=2)
    await record_delivery(shop.svc, shop.sales, "SO-100")
    async with shop.svc.uow(write=True) as tx:
        assert await tx.feedback.add_survey(Survey("SO-100", "ACME", shop.clock()))
        await tx.commit()
    await record_survey_answer(shop.svc, shop.alice, "SO-100", 2, "late again")
    with pytest.raises(Conflict):
        await record_survey_answer(shop.svc, shop.alice, "SO-100", 5)
    with pytest.raises(InvalidInput):
        await record_survey_answer(shop.svc, shop.bob, "SO-100", 9)
    await record_complaint(shop.svc, shop.alice, "late", "SO-100")
    k = await kpis(shop.svc, shop.manager)
    assert k.delivered == 1 and k.complaint_rate == 1.0
    assert k.satisfaction_avg == 2 and k.satisfaction_score == 25.0
    assert k.avg_lead_time_days is not None and k.bottleneck in {"M1", "M2"}
    async with shop.svc.uow() as tx:
        kinds = {n.kind for n in await tx.outbox.pending(100)}
    assert "low_score" in kinds


async def test_link_codes_are_single_use_expiring_and_private_only(shop):
    code, _ = await create_link_code(shop.svc, shop.admin, "alice")
    with pytest.raises(InvalidInput, match="link_private_only"):
        await redeem_link_code(shop.svc, code, channel="telegram", external_id=42, private_chat=False)
    user = await redeem_link_code(shop.svc, code, channel="telegram", external_id=42, private_chat=True)
    assert user.username == "alice"
    with pytest.raises(InvalidInput, match="link_invalid"):
        await redeem_link_code(shop.svc, code, channel="telegram", external_id=43, private_chat=True)
    late, _ = await create_link_code(shop.svc, shop.admin, "bob")
    shop.clock.advance(hours=25)
    with pytest.raises(InvalidInput, match="link_invalid"):
        await redeem_link_code(shop.svc, late, channel="telegram", external_id=44, private_chat=True)
    with pytest.raises(PermissionDenied):
        await create_link_code(shop.svc, shop.alice, "alice")
    async with shop.svc.uow() as tx:
        ident = await tx.identities.get("telegram", 42)
    assert ident is not None and ident.user_id == user.id


async def test_cancel_frees_capacity(shop):
    p = await assess(shop.svc, shop.manager, CancelOrder("SO-100"))
    out = await confirm_change(shop.svc, shop.manager, p.token)
    assert out.applied and not out.impact.delayed
    with pytest.raises(NotFound):
        await assess(shop.svc, shop.manager, CancelOrder("SO-100"))

