"""The API's use-case flows end to end: assess -> confirm / reject (single use, stale plans
re-assessed), progress reports and machine stops re-plan, filters and paging, plan per machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.api.conftest import Api
from tests.builders import at


async def plan_version(api: Api) -> int:
    return int((await api.get("/api/v1/plan", "mia")).json["version"])


def rush(**kw: Any) -> dict[str, Any]:
    return {"kind": "insert", "customer": "ACME", "product": "P", "quantity": 30,
            "due": at(hours=5).isoformat(), "rush": True, **kw}


async def test_rush_insertion_is_assessed_then_confirmed_once(api: Api) -> None:
    v0 = await plan_version(api)
    proposal = await api.post("/api/v1/changes", "sam", json=rush())
    assert proposal.status == 201
    p = proposal.json
    ref = p["subject"]
    assert p["kind"] == "insert" and p["base_version"] == v0 and p["impact"]["subject"][0]["ref"] == ref
    assert await plan_version(api) == v0  # nothing changed yet
    assert (await api.get(f"/api/v1/orders/{ref}", "mia")).status == 404
    outcome = await api.post("/api/v1/changes/confirm", "sam", json={"token": p["token"]})
    assert outcome.status == 200 and outcome.json["applied"] is True and outcome.json["version"] == v0 + 1
    order = (await api.get(f"/api/v1/orders/{ref}", "alice")).json  # ACME's new order, visible to alice
    assert order["quantity"] == 30 and order["eta"] is not None and order["plan_version"] == v0 + 1
    again = await api.post("/api/v1/changes/confirm", "sam", json={"token": p["token"]})
    assert again.status == 409 and again.json["error"]["code"] == "change_gone"


async def test_a_material_date_is_assessed_confirmed_and_shown_with_the_order(api: Api) -> None:
    from scheduler_core.services.changes import ChangeMaterial
    from scheduler_core.services.codec import change_from_dict, change_to_dict

    assert change_from_dict(change_to_dict(ChangeMaterial("SO-1", None))) == ChangeMaterial("SO-1", None)
    ready = at(days=2)
    p = (await api.post("/api/v1/changes", "sam", json={"kind": "material", "ref": "SO-103",
                                                        "ready": ready.isoformat()})).json
    assert p["kind"] == "material" and datetime.fromisoformat(p["subject_eta"]) > ready
    assert (await api.post("/api/v1/changes/confirm", "sam", json={"token": p["token"]})).json["applied"] is True
    order = (await api.get("/api/v1/orders/SO-103", "mia")).json
    assert datetime.fromisoformat(order["material_ready"]) == ready
    assert all(datetime.fromisoformat(s["start"]) >= ready for s in order["steps"])
    bad = await api.post("/api/v1/changes", "sam", json={"kind": "material", "ref": "SO-103",
                                                         "ready": at(days=4000).isoformat()})
    assert bad.status == 400 and bad.json["error"]["code"] == "date_too_far"


async def test_a_rejected_proposal_cannot_be_confirmed(api: Api) -> None:
    p = (await api.post("/api/v1/changes", "mia", json={"kind": "due", "ref": "SO-102",
                                                        "due": at(days=4).isoformat()})).json
    assert (await api.post("/api/v1/changes/reject", "mia", json={"token": p["token"]})).json == {"rejected": True}
    late = await api.post("/api/v1/changes/confirm", "mia", json={"token": p["token"]})
    assert late.status == 409
    due = datetime.fromisoformat((await api.get("/api/v1/orders/SO-102", "mia")).json["due"])
    assert due == at(7) and due != at(days=4)  # as seeded


async def test_a_proposal_made_on_an_old_plan_goes_in_when_it_still_says_the_same(api: Api) -> None:
    p = (await api.post("/api/v1/changes", "sam", json={"kind": "quantity", "ref": "SO-103", "quantity": 80})).json
    assert (await api.post("/api/v1/progress", "otto", json={"ref": "SO-100", "good": 10})).status == 200
    outcome = (await api.post("/api/v1/changes/confirm", "sam", json={"token": p["token"]})).json
    assert outcome["applied"] is True and outcome["rebased"] is True
    assert (await api.get("/api/v1/orders/SO-103", "bob")).json["quantity"] == 80


async def test_a_proposal_made_on_an_old_plan_is_assessed_again_when_it_no_longer_holds(api: Api) -> None:
    p = (await api.post("/api/v1/changes", "sam", json={"kind": "quantity", "ref": "SO-103", "quantity": 80})).json
    assert datetime.fromisoformat(p["subject_eta"]) <= datetime.fromisoformat(p["subject_due"])  # shown on time
    down = {"until": at(days=20).isoformat()}
    assert (await api.post("/api/v1/machines/M1/down", "otto", json=down)).status == 200
    outcome = (await api.post("/api/v1/changes/confirm", "sam", json={"token": p["token"]})).json
    assert outcome["applied"] is False and outcome["rebased"] is False and outcome["proposal"]["restated"] is True
    assert (await api.get("/api/v1/orders/SO-103", "bob")).json["quantity"] != 80
    fresh = outcome["proposal"]["token"]
    assert fresh != p["token"]
    applied = (await api.post("/api/v1/changes/confirm", "sam", json={"token": fresh})).json
    assert applied["applied"] is True
    assert (await api.get("/api/v1/orders/SO-103", "bob")).json["quantity"] == 80


async def test_a_stop_planned_ahead_is_listed_kept_out_of_the_plan_and_called_off(api: Api) -> None:
    stop = {"start": at(6).isoformat(), "end": at(9).isoformat(), "reason": "maintenance"}
    assert (await api.post("/api/v1/machines/M2/stops", "otto", json=stop)).status == 201
    (m2,) = [x for x in (await api.get("/api/v1/machines", "mia")).json["machines"] if x["id"] == "M2"]
    assert m2["down"] is False and [d["reason"] for d in m2["downtime"]] == ["maintenance"]
    (row,) = [r for r in (await api.get("/api/v1/plan", "mia")).json["machines"] if r["machine"] == "M2"]
    ops = row["operations"]
    assert ops and not any(datetime.fromisoformat(o["start"]) < at(9) and datetime.fromisoformat(o["end"]) > at(6)
                           for o in ops)
    assert (await api.post("/api/v1/machines/M2/stops", "bob", json=stop)).status == 403  # a customer may not
    assert (await api.post("/api/v1/machines/M2/stops/cancel", "otto", json={"start": stop["start"]})).status == 200
    (m2,) = [x for x in (await api.get("/api/v1/machines", "mia")).json["machines"] if x["id"] == "M2"]
    assert m2["downtime"] == []


async def test_progress_report_replans_and_shows_in_the_order(api: Api) -> None:
    v0 = await plan_version(api)
    update = (await api.post("/api/v1/progress", "otto", json={"ref": "so100", "good": 60, "step": 1})).json
    assert update["version"] == v0 + 1
    rec = update["recorded"]
    assert (rec["ref"], rec["step"], rec["good"], rec["done"], rec["finished"], rec["closed"]) == ("SO-100", 1, 60, 60,
                                                                                                True, [])
    order = (await api.get("/api/v1/orders/SO-100", "alice")).json
    assert [s["state"] for s in order["steps"]] == ["done", "planned"] and order["status"] == "in_progress"
    assert order["current_step"] == 2 and 0 < order["progress"] < 1


async def test_progress_on_a_later_step_says_which_earlier_steps_it_closed(api: Api) -> None:
    update = (await api.post("/api/v1/progress", "otto", json={"ref": "SO-101", "good": 5, "step": 2})).json
    rec = update["recorded"]
    assert (rec["step"], rec["done"], rec["finished"]) == (2, 5, False)
    assert [c["step"] for c in rec["closed"]] == [1] and rec["closed"][0]["name"]
    order = (await api.get("/api/v1/orders/SO-101", "mia")).json
    assert order["steps"][0]["state"] == "done"


async def test_machine_stop_and_restart(api: Api) -> None:
    until = at(hours=6).isoformat()
    down = await api.post("/api/v1/machines/M2/down", "otto", json={"reason": "spindle", "until": until})
    assert down.status == 200 and down.json["back_by"] is None  # its end is known
    machines = {m["id"]: m for m in (await api.get("/api/v1/machines", "otto")).json["machines"]}
    assert machines["M2"]["down"] is True and machines["M1"]["down"] is False
    assert machines["M2"]["downtime"][-1]["reason"] == "spindle"
    plan = (await api.get("/api/v1/plan?machine=M2", "mia")).json
    assert [r["machine"] for r in plan["machines"]] == ["M2"]
    assert all(op["start"] >= at(hours=6) or op["fixed"] for op in _ops(plan))
    assert (await api.post("/api/v1/machines/M2/up", "otto")).status == 200
    machines = {m["id"]: m for m in (await api.get("/api/v1/machines", "otto")).json["machines"]}
    assert machines["M2"]["down"] is False
    open_ended = await api.post("/api/v1/machines/M1/down", "otto", json={"reason": "alarm"})
    assert datetime.fromisoformat(open_ended.json["back_by"]) == at(hours=4)  # what the plan counts on


def _ops(plan: dict[str, Any]) -> list[Any]:
    return [{**op, "start": datetime.fromisoformat(op["start"])} for row in plan["machines"]
            for op in row["operations"]]


async def test_order_filters_search_and_paging(api: Api) -> None:
    vip = (await api.get("/api/v1/orders?vip=true", "mia")).json
    assert [o["ref"] for o in vip["orders"]] == ["SO-101"] and vip["total"] == 1
    bolt = (await api.get("/api/v1/orders?q=bolt", "mia")).json
    assert {o["ref"] for o in bolt["orders"]} == {"SO-101", "SO-103", "SO-105"}
    pages = [(await api.get(f"/api/v1/orders?limit=4&offset={k}", "mia")).json for k in (0, 4)]
    assert [p["total"] for p in pages] == [6, 6] and [len(p["orders"]) for p in pages] == [4, 2]
    assert {o["ref"] for p in pages for o in p["orders"]} == {f"SO-{n}" for n in range(100, 106)}
    mine = (await api.get("/api/v1/orders", "sam")).json  # sam owns every seeded order
    assert mine["total"] == 6
    late = (await api.get("/api/v1/orders?late=true", "mia")).json["orders"]
    on_time = (await api.get("/api/v1/orders?late=false", "mia")).json["orders"]
    assert len(late) + len(on_time) == 6 and all(o["late_by_minutes"] > 0 for o in late)
    # every seeded order is promised on Monday 23 Nov (factory time), from 11:00 to 21:00
    assert (await api.get("/api/v1/orders?due_by=2026-11-22", "mia")).json["total"] == 0
    due = (await api.get("/api/v1/orders?due_by=2026-11-23", "mia")).json
    assert due["total"] == 6 and [o["ref"] for o in due["orders"]] == [f"SO-{n}" for n in range(100, 106)]
    assert [o["due"] for o in due["orders"]] == sorted(o["due"] for o in due["orders"])  # soonest first


async def test_plan_lists_every_machine_and_every_active_order(api: Api) -> None:
    plan = (await api.get("/api/v1/plan", "otto")).json
    assert [r["machine"] for r in plan["machines"]] == ["M1", "M2"]
    assert {o["ref"] for o in plan["orders"]} == {f"SO-{n}" for n in range(100, 106)}
    ops = [op for r in plan["machines"] for op in r["operations"]]
    assert len(ops) == 12 and all(op["step"] in (1, 2) for op in ops)


async def test_promise_and_kpis(api: Api) -> None:
    quote = (await api.post("/api/v1/promise", "sam", json={"product": "P", "quantity": 20})).json
    assert datetime.fromisoformat(quote["with_priority"]) <= datetime.fromisoformat(quote["undisturbed"])
    assert quote["quantity"] == 20 and "delayed" in quote["impact"]
    middle = quote["without_lateness"]
    assert middle is None or datetime.fromisoformat(middle) < datetime.fromisoformat(quote["undisturbed"])
    k = (await api.get("/api/v1/kpis?days=7", "mia")).json
    assert k["open_orders"] == 6 and k["bottleneck"] in ("M1", "M2")
    assert (datetime.fromisoformat(k["until"]) - datetime.fromisoformat(k["since"])).days == 7


async def test_late_orders_in_a_list_carry_their_reason(api: Api) -> None:
    until = at(days=2).isoformat()  # M1 stops for two days: every order waits for it
    assert (await api.post("/api/v1/machines/M1/down", "otto", json={"reason": "spindle", "until": until})).status == 200
    orders = (await api.get("/api/v1/orders", "mia")).json["orders"]
    late = [o for o in orders if o["late_by_minutes"] > 0]
    assert late and all(o["cause"] is not None and o["cause"]["kind"] for o in late)
    assert all(o["cause"] is None for o in orders if o["late_by_minutes"] == 0)
    assert any(o["cause"]["machine"] == "M1" for o in late)
