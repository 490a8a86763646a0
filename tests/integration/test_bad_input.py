"""P7: bad input to every use case gets a clear error code and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler_core.services.change_flow import assess, confirm_change, promise
from scheduler_core.services.changes import (
    CancelOrder,
    ChangeDue,
    ChangePriority,
    ChangeQuantity,
    InsertOrder,
)
from scheduler_core.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from scheduler_core.services.feedback import record_complaint, record_delivery, record_survey_answer
from scheduler_core.services.linking import create_link_code, redeem_link_code
from scheduler_core.services.shopfloor import machine_down, replan_now, report_progress
from scheduler_core.services.status import get_order_status
from tests.builders import NOW, make_order
from tests.seed import seed_shop

MARKUP = '<script>alert("x")</script><b>'


async def snapshot(uow):
    async with uow() as tx:
        plan = await tx.plans.current()
        return (
            [(r.order, r.sales, r.delivered) for r in await tx.orders.list()],
            plan.number if plan else 0,
            await tx.outbox.count(),
            await tx.shopfloor.progress(),
            await tx.shopfloor.downtime(),
            len(await tx.changes.list()),
            len(await tx.feedback.complaints()),
            len(await tx.audit.list(limit=10_000)),
        )


def corpus(shop):
    s, sales, op, alice = shop.svc, shop.sales, shop.operator, shop.alice
    past = NOW - timedelta(days=1)
    return [
        ("status, over-long ref", lambda: get_order_status(s, alice, "9" * 5000), NotFound),
        ("status, markup ref", lambda: get_order_status(s, alice, MARKUP), NotFound),
        ("status, foreign order", lambda: get_order_status(s, alice, "SO-101"), NotFound),
        ("rush, zero quantity", lambda: assess(s, sales, InsertOrder(make_order("SO-900", quantity=0))), InvalidInput),
        ("rush, negative quantity", lambda: assess(s, sales, InsertOrder(make_order("SO-900", quantity=-3))),
         InvalidInput),
        ("rush, huge quantity", lambda: assess(s, sales, InsertOrder(make_order("SO-900", quantity=10**12))),
         InvalidInput),
        ("rush, past date", lambda: assess(s, sales, InsertOrder(make_order("SO-900", due=past))), InvalidInput),
        ("rush, unknown product", lambda: assess(s, sales, InsertOrder(make_order("SO-900", product=MARKUP))),
         InvalidInput),
        ("rush, duplicate ref", lambda: assess(s, sales, InsertOrder(make_order("SO-100"))), InvalidInput),
        ("change date, past", lambda: assess(s, sales, ChangeDue("SO-100", past)), InvalidInput),
        ("change quantity, zero", lambda: assess(s, sales, ChangeQuantity("SO-100", 0)), InvalidInput),
        ("change, unknown order", lambda: assess(s, sales, CancelOrder("SO-4242")), NotFound),
        ("priority out of range", lambda: assess(s, sales, ChangePriority("SO-100", priority=10**6)), InvalidInput),
        ("confirm, forged token", lambda: confirm_change(s, sales, "forged" + "x" * 40), Conflict),
        ("confirm, markup token", lambda: confirm_change(s, sales, MARKUP), Conflict),
        ("promise, zero", lambda: promise(s, sales, "P", 0), InvalidInput),
        ("promise, unknown product", lambda: promise(s, sales, MARKUP, 10), InvalidInput),
        ("report, negative", lambda: report_progress(s, op, "SO-100", -1), InvalidInput),
        ("report, huge", lambda: report_progress(s, op, "SO-100", 10**9), InvalidInput),
        ("report, unknown order", lambda: report_progress(s, op, "SO-4242", 5), NotFound),
        ("report, bad ref", lambda: report_progress(s, op, MARKUP, 5), InvalidInput),
        ("report, unknown machine", lambda: report_progress(s, op, "SO-100", 5, machine="M9"), InvalidInput),
        ("machine down, unknown", lambda: machine_down(s, op, MARKUP), InvalidInput),
        ("machine down, over-long reason", lambda: machine_down(s, op, "M1", "x" * 5000), InvalidInput),
        ("complaint, over-long", lambda: record_complaint(s, alice, "x" * 5000), InvalidInput),
        ("complaint, empty", lambda: record_complaint(s, alice, "   \u0000  "), InvalidInput),
        ("survey, score 0", lambda: record_survey_answer(s, alice, "SO-100", 0), InvalidInput),
        ("survey, no survey", lambda: record_survey_answer(s, alice, "SO-100", 4), Conflict),
        ("delivery, unknown", lambda: record_delivery(s, sales, "SO-4242"), NotFound),
        ("link code, unknown user", lambda: create_link_code(s, shop.admin, MARKUP), NotFound),
        ("redeem, markup code", lambda: redeem_link_code(s, MARKUP, channel="telegram", external_id=1,
                                                         private_chat=True), InvalidInput),
    ]


@pytest.fixture
async def shop(uow_factory):
    s = await seed_shop(uow_factory)
    await replan_now(s.svc)
    return s


async def test_bad_input_is_refused_with_a_code_and_changes_nothing(shop):
    refused = 0
    for name, call, kind in corpus(shop):
        before = await snapshot(shop.svc.uow)
        with pytest.raises(ServiceError) as err:
            await call()
        assert isinstance(err.value, kind), f"{name}: {type(err.value).__name__} {err.value.code}"
        assert err.value.code and all(len(str(v)) <= 64 for v in err.value.params.values()), name  # no long echo
        assert await snapshot(shop.svc.uow) == before, f"{name} changed something"
        refused += 1
    print(f"P7 corpus: {refused} bad inputs refused, 0 changes")
