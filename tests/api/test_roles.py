"""Every endpoint x every role: the roles the policy allows get the documented success status and
a body of the documented shape; the others get 403 ``not_allowed`` and change nothing. The
expectations come from ``scheduler_core.services.policy.ACTIONS`` (the one place permissions are
decided), and a test fails when an endpoint has no sample request here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.web.api.routes import ROUTES
from scheduler_core.services.change_flow import assess
from scheduler_core.services.changes import ChangeDue
from scheduler_core.services.policy import ACTIONS
from scheduler_core.services.ports import Role
from tests.api.conftest import ROLES, Api
from tests.builders import at

ROLE_OF = {"admin": Role.ADMIN, "mia": Role.MANAGER, "sam": Role.SALES, "otto": Role.OPERATOR,
           "alice": Role.CUSTOMER, "bob": Role.CUSTOMER}
OWN = {"alice": "SO-100", "bob": "SO-101"}  # each customer's own order; staff use SO-100

Sample = Callable[[Api, str], Awaitable[tuple[str, str, Any]]]


async def _proposal_token(api: Api) -> str:
    return (await assess(api.shop.svc, api.shop.manager, ChangeDue("SO-104", at(days=6)))).token


def _ref(who: str) -> str:
    return OWN.get(who, "SO-100")


async def _confirm(api: Api, who: str) -> tuple[str, str, Any]:
    return "POST", "/api/v1/changes/confirm", {"token": await _proposal_token(api)}


async def _reject(api: Api, who: str) -> tuple[str, str, Any]:
    return "POST", "/api/v1/changes/reject", {"token": await _proposal_token(api)}


async def _import(api: Api, who: str) -> tuple[str, str, Any]:
    """One new order per caller, so that every allowed role's import goes in."""
    n = 900 + ROLES.index(who)
    return "POST", "/api/v1/import/orders", {"rows": [["ref", "customer", "product", "quantity", "promised_date"],
                                                      [f"SO-{n}", "ACME", "P", 10, at(days=9).date().isoformat()]]}


def _stop_start(who: str) -> str:
    return at(days=3, hours=ROLES.index(who)).isoformat()  # one stop per caller, none overlapping


async def _plan_stop(api: Api, who: str) -> tuple[str, str, Any]:
    start = _stop_start(who)
    return "POST", "/api/v1/machines/M2/stops", {"start": start, "end": at(days=3, hours=ROLES.index(who) + 0.5)
                                                 .isoformat(), "reason": "maintenance"}


async def _cancel_stop(api: Api, who: str) -> tuple[str, str, Any]:
    """A stop of the caller's own to call off (planned by the operator first)."""
    from datetime import datetime

    from scheduler_core.services.shopfloor import plan_stop

    start = datetime.fromisoformat(_stop_start(who)) + timedelta(days=1)
    await plan_stop(api.shop.svc, api.shop.operator, "M1", start, start + timedelta(minutes=30))
    return "POST", "/api/v1/machines/M1/stops/cancel", {"start": start.isoformat()}


def fixed(method: str, path: str, body: Any = None) -> Sample:
    async def sample(api: Api, who: str) -> tuple[str, str, Any]:
        return method, path.format(ref=_ref(who)), body
    return sample


SAMPLES: dict[str, Sample] = {
    "me": fixed("GET", "/api/v1/me"),
    "list_orders": fixed("GET", "/api/v1/orders?status=all&limit=5"),
    "get_order": fixed("GET", "/api/v1/orders/{ref}"),
    "get_order_status": fixed("GET", "/api/v1/orders/{ref}/status"),
    "get_plan": fixed("GET", "/api/v1/plan"),
    "list_machines": fixed("GET", "/api/v1/machines"),
    "stop_machine": fixed("POST", "/api/v1/machines/M2/down", {"reason": "belt torn"}),
    "restart_machine": fixed("POST", "/api/v1/machines/M2/up"),
    "plan_stop": _plan_stop,
    "cancel_stop": _cancel_stop,
    "assess_change": fixed("POST", "/api/v1/changes", {"kind": "due", "ref": "SO-100",
                                                      "due": at(days=9).isoformat()}),
    "confirm_change": _confirm,
    "reject_change": _reject,
    "promise": fixed("POST", "/api/v1/promise", {"product": "P", "quantity": 10}),
    "report_progress": fixed("POST", "/api/v1/progress", {"ref": "SO-100", "good": 5}),
    "get_kpis": fixed("GET", "/api/v1/kpis?days=7"),
    "import_table": _import,
}


def allowed(action: str | None, who: str) -> bool:
    return action is None or ROLE_OF[who] in ACTIONS[action]


def test_every_endpoint_has_a_sample_request() -> None:
    assert {r.operation_id for r in ROUTES} == set(SAMPLES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation_id)
async def test_each_role_gets_what_the_policy_says(api: Api, route: Any) -> None:
    sample = SAMPLES[route.operation_id]
    for who in ROLES:
        method, path, body = await sample(api, who)
        commits = api.shop.svc.uow.commits  # type: ignore[attr-defined]
        reply = await api.call(method, path, who, json=body)
        if allowed(route.action, who):
            assert reply.status == route.status, (who, reply.status, reply.body[:300])
            route.response.model_validate_json(reply.body)  # the documented shape
        else:
            assert reply.status == 403, (who, reply.status, reply.body[:300])
            assert reply.json["error"]["code"] == "not_allowed"
            assert api.shop.svc.uow.commits == commits, f"{who}: a refused call changed something"


async def test_the_matrix_covers_both_outcomes(api: Api) -> None:
    """Sanity of the matrix itself: some endpoints refuse some roles, every role may call something."""
    refused = {(r.operation_id, w) for r in ROUTES for w in ROLES if not allowed(r.action, w)}
    assert ("get_kpis", "alice") in refused and ("report_progress", "sam") in refused
    assert ("stop_machine", "otto") not in refused and ("assess_change", "sam") not in refused
    assert all(any(allowed(r.action, w) for r in ROUTES) for w in ROLES)


async def test_customers_list_only_their_own_orders(api: Api) -> None:
    for who, customer in (("alice", "ACME"), ("bob", "Bolt")):
        orders = (await api.get("/api/v1/orders?status=all&limit=500", who)).json["orders"]
        assert orders and {o["customer"] for o in orders} == {customer}
    everyone = (await api.get("/api/v1/orders?status=all&limit=500", "mia")).json
    assert {o["customer"] for o in everyone["orders"]} == {"ACME", "Bolt"} and everyone["total"] == 6
