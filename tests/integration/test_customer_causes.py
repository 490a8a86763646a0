"""Why-late reasons as customers see them: the orders ahead are counted, never named (P1)."""

from __future__ import annotations

from scheduler_core.services.notifications import NotifySettings, watch_delays
from scheduler_core.services.shopfloor import replan_now
from scheduler_core.services.status import get_order_status, list_orders
from tests.builders import at, make_order
from tests.seed import seed_shop


async def test_a_customer_is_told_how_many_orders_are_ahead_not_which(uow_factory):
    # six orders due at once on two machines: most wait behind the others, ACME's behind Bolt's VIP one
    orders = [make_order(f"SO-{100 + i}", quantity=60, due=at(3), customer="ACME" if i % 2 == 0 else "Bolt",
                         vip=i == 1) for i in range(6)]
    shop = await seed_shop(uow_factory, orders)
    await replan_now(shop.svc)
    bolt = {o.ref for o in orders if o.customer == "Bolt"}
    staff = {line.ref: line.cause for line in await list_orders(shop.svc, shop.manager) if line.cause is not None}
    named = {ref: c for ref, c in staff.items() if ref not in bolt and set(c.orders) & bolt}
    assert named, staff  # the factory sees which of Bolt's orders an ACME order waits behind

    mine = {line.ref: line.cause for line in await list_orders(shop.svc, shop.alice) if line.cause is not None}
    assert set(named) <= set(mine)
    for ref, cause in mine.items():
        assert cause.orders == () and cause.order_count == staff[ref].order_count, (ref, cause)
        view = await get_order_status(shop.svc, shop.alice, ref)
        assert view.cause is not None and view.cause.orders == ()
        assert view.cause.order_count == staff[ref].order_count
        assert (await get_order_status(shop.svc, shop.manager, ref)).cause == staff[ref]

    await watch_delays(shop.svc, NotifySettings(timezone="Asia/Shanghai"))
    async with shop.svc.uow() as uow:
        queued = await uow.outbox.pending(1000)
    told = [n for n in queued if n.kind == "delay" and n.recipient == f"user:{shop.alice.user_id}"]
    to_sales = {n.payload["ref"]: n.payload["cause"] for n in queued if n.kind == "delay_sales"}
    assert {n.payload["ref"] for n in told} >= set(named)
    for n in told:
        cause = n.payload["cause"]
        assert cause["orders"] == [] and cause["others"] == staff[n.payload["ref"]].order_count, cause
    assert any(set(to_sales[ref]["orders"]) & bolt for ref in named)  # the salesperson may know which
