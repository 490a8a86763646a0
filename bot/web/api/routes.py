"""The REST API's endpoints: each handler parses nothing and decides nothing; it calls one use
case and renders its view. ``ROUTES`` is the table the router and the OpenAPI document share."""

from __future__ import annotations

from datetime import timedelta

from scheduler_core.domain.model import Order, OrderStatus
from scheduler_core.services.change_flow import assess, confirm_change, promise, reject_change
from scheduler_core.services.changes import (
    CancelOrder,
    Change,
    ChangeDue,
    ChangeMaterial,
    ChangePriority,
    ChangeQuantity,
    InsertOrder,
)
from scheduler_core.services.importing import Table, import_table
from scheduler_core.services.kpi import kpis
from scheduler_core.services.machines import list_machines
from scheduler_core.services.order_search import OrderFilter, find_orders
from scheduler_core.services.policy import require
from scheduler_core.services.refs import normalise_ref
from scheduler_core.services.shopfloor import (
    cancel_stop,
    machine_down,
    machine_up,
    plan_stop,
    report_progress,
)
from scheduler_core.services.status import current_plan, get_order_status

from . import models as m
from .framework import Call, Route

__all__ = ["ROUTES"]


async def _me(call: Call) -> m.Me:
    return m.Me.of(call.actor)


async def _list_orders(call: Call) -> m.OrderList:
    q: m.OrdersQuery = call.query
    statuses = None if q.status == "active" else (
        frozenset(OrderStatus) if q.status == "all" else frozenset({OrderStatus(q.status)}))
    page = await find_orders(call.svc, call.actor, OrderFilter(statuses, q.customer, q.late, q.at_risk, q.vip, q.q,
                                                               q.limit, q.offset, q.due_by))
    return m.OrderList(orders=[m.OrderSummary.of(x) for x in page.lines], total=page.total)


async def _get_order(call: Call) -> m.OrderDetail:
    return m.OrderDetail.of(await get_order_status(call.svc, call.actor, call.path("ref")))


async def _get_order_status(call: Call) -> m.OrderStatusOut:
    return m.OrderStatusOut.of(await get_order_status(call.svc, call.actor, call.path("ref")))


async def _get_plan(call: Call) -> m.PlanOut:
    return m.PlanOut.of(await current_plan(call.svc, call.actor), call.query.machine)


async def _list_machines(call: Call) -> m.MachineList:
    return m.MachineList(machines=[m.MachineOut.of(x) for x in await list_machines(call.svc, call.actor)])


async def _stop_machine(call: Call) -> m.PlanUpdateOut:
    body: m.MachineDownIn = call.body
    return m.PlanUpdateOut.of(await machine_down(call.svc, call.actor, call.path("machine"), body.reason, body.until))


async def _plan_stop(call: Call) -> m.PlanUpdateOut:
    body: m.PlannedStopIn = call.body
    return m.PlanUpdateOut.of(await plan_stop(call.svc, call.actor, call.path("machine"), body.start, body.end,
                                              body.reason))


async def _cancel_stop(call: Call) -> m.PlanUpdateOut:
    body: m.StopRefIn = call.body
    return m.PlanUpdateOut.of(await cancel_stop(call.svc, call.actor, call.path("machine"), body.start))


async def _restart_machine(call: Call) -> m.PlanUpdateOut:
    return m.PlanUpdateOut.of(await machine_up(call.svc, call.actor, call.path("machine")))


async def _assess_change(call: Call) -> m.Proposal:
    require(call.actor, "assess_change")  # before reading the body's refs: a customer learns nothing
    return m.Proposal.of(await assess(call.svc, call.actor, await _change(call, call.body.root)))


async def _change(call: Call, c: m.InsertIn | m.DueIn | m.QuantityIn | m.CancelIn | m.PriorityIn) -> Change:
    if isinstance(c, m.InsertIn):
        if c.ref is not None:
            ref = normalise_ref(c.ref)
        else:
            async with call.svc.uow() as uow:
                ref = await uow.orders.next_ref()
        return InsertOrder(Order(ref, c.customer, c.product, c.quantity, c.due, vip=c.vip, rush=c.rush,
                                 priority=c.priority, created=call.svc.now()))
    ref = await call.svc.order_ref(c.ref)
    if isinstance(c, m.DueIn):
        return ChangeDue(ref, c.due)
    if isinstance(c, m.QuantityIn):
        return ChangeQuantity(ref, c.quantity)
    if isinstance(c, m.CancelIn):
        return CancelOrder(ref)
    if isinstance(c, m.MaterialIn):
        return ChangeMaterial(ref, c.ready)
    return ChangePriority(ref, c.priority, c.vip, c.rush)


async def _confirm_change(call: Call) -> m.Outcome:
    return m.Outcome.of(await confirm_change(call.svc, call.actor, call.body.token))


async def _reject_change(call: Call) -> m.Rejected:
    await reject_change(call.svc, call.actor, call.body.token)
    return m.Rejected()


async def _promise(call: Call) -> m.PromiseOut:
    return m.PromiseOut.of(await promise(call.svc, call.actor, call.body.product, call.body.quantity))


async def _report_progress(call: Call) -> m.PlanUpdateOut:
    b: m.ProgressIn = call.body
    return m.PlanUpdateOut.of(await report_progress(call.svc, call.actor, b.ref, b.good, step=b.step, scrap=b.scrap,
                                                    machine=b.machine, finished=b.finished))


async def _get_kpis(call: Call) -> m.KpiOut:
    now = call.svc.now()
    return m.KpiOut.of(await kpis(call.svc, call.actor, since=now - timedelta(days=call.query.days), until=now))


async def _import_table(call: Call) -> m.ImportOut:
    body: m.ImportIn = call.body
    table = Table.from_numbered(enumerate(body.rows, start=1))
    result = await import_table(call.svc, call.actor, call.path("kind"), table)
    return m.ImportOut(kind=result.kind, rows=len(table.rows), count=result.count, names=list(result.names),
                       plan_version=result.plan_version, late_orders=result.late_orders,
                       ignored_columns=list(result.ignored))


REF = {"ref": "order number, e.g. SO-1042 (also 1042, so1042, 订单1042)"}
MACHINE = {"machine": "machine id, e.g. CNC-1"}

ROUTES: list[Route] = [
    Route("GET", "/v1/me", _me, "Who the token belongs to", "account", m.Me),
    Route("GET", "/v1/orders", _list_orders, "Orders, late and at risk first, with filters and search", "orders",
          m.OrderList, "list_orders", query=m.OrdersQuery,
          description="A customer sees only their own orders; sales their customers' orders; other staff all."),
    Route("GET", "/v1/orders/{ref}", _get_order, "One order: operations, ETA against the promise, why late",
          "orders", m.OrderDetail, "view_order", path_params=REF,
          description="An unknown order and another customer's order get the same 404, byte for byte."),
    Route("GET", "/v1/orders/{ref}/status", _get_order_status, "Where an order is: progress, ETA, why late",
          "orders", m.OrderStatusOut, "view_order", path_params=REF),
    Route("GET", "/v1/plan", _get_plan, "The current plan: operations per machine and every order's ETA", "plan",
          m.PlanOut, "view_plan", query=m.PlanQuery),
    Route("GET", "/v1/machines", _list_machines, "Machines with their stops", "machines", m.MachineList,
          "view_plan"),
    Route("POST", "/v1/machines/{machine}/down", _stop_machine, "A machine stopped: record it and re-plan",
          "machines", m.PlanUpdateOut, "machine_state", body=m.MachineDownIn, path_params=MACHINE),
    Route("POST", "/v1/machines/{machine}/up", _restart_machine, "A machine runs again: record it and re-plan",
          "machines", m.PlanUpdateOut, "machine_state", path_params=MACHINE),
    Route("POST", "/v1/machines/{machine}/stops", _plan_stop, "Plan a stop ahead (maintenance): record it and "
          "re-plan", "machines", m.PlanUpdateOut, "machine_state", body=m.PlannedStopIn, path_params=MACHINE,
          status=201, description="A stop in force now is left as it is; GET /v1/machines lists the stops."),
    Route("POST", "/v1/machines/{machine}/stops/cancel", _cancel_stop, "Call off a planned stop that has not "
          "started, then re-plan", "machines", m.PlanUpdateOut, "machine_state", body=m.StopRefIn,
          path_params=MACHINE),
    Route("POST", "/v1/changes", _assess_change, "Assess a change (rush insertion, due date, quantity, cancel, "
          "priority): the impact and a single-use token; nothing changes yet", "changes", m.Proposal,
          "assess_change", body=m.ChangeIn, status=201),
    Route("POST", "/v1/changes/confirm", _confirm_change, "Confirm an assessed change (applies it if the plan has "
          "not moved on; otherwise returns a fresh proposal)", "changes", m.Outcome, "confirm_change",
          body=m.TokenIn),
    Route("POST", "/v1/changes/reject", _reject_change, "Cancel an assessed change", "changes", m.Rejected,
          "assess_change", body=m.TokenIn),
    Route("POST", "/v1/promise", _promise, "Capable-to-promise: how soon can we make N of a product", "changes",
          m.PromiseOut, "promise", body=m.PromiseIn),
    Route("POST", "/v1/progress", _report_progress, "Report progress (报工) on a step of an order, then re-plan",
          "shop floor", m.PlanUpdateOut, "report_progress", body=m.ProgressIn),
    Route("POST", "/v1/import/{kind}", _import_table, "Import orders, routings, machines or calendars, all or "
          "nothing, then re-plan", "import", m.ImportOut, "import_data", body=m.ImportIn,
          path_params={"kind": "orders, routings, machines or calendars"},
          description="The rows of an import file as JSON (the first row names the columns). Every row is checked "
          "first; if any is bad, the answer is 400 with one detail per problem (field rows[N].column) and nothing "
          "is written. Then the factory is re-planned once with the import's deadline."),
    Route("GET", "/v1/kpis", _get_kpis, "Lead time, on-time and delay rates, complaints, satisfaction, bottleneck",
          "kpis", m.KpiOut, "kpis", query=m.KpiQuery),
]
