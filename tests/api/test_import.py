"""``POST /api/v1/import/{kind}``: an import file's rows as JSON, all or nothing, then a re-plan;
every bad row a detail in the caller's language; managers and admins only."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.builders import TZ

GOOD = [["ref", "customer", "product", "quantity", "promised_date"],
        ["SO-900", "ACME", "P", 40, "2026-12-10"], ["SO-901", "Bolt", "P", 25, "2026-12-12 12:00"]]
BAD = [["订单号", "客户", "产品", "数量", "交期"],
       ["SO-900", "ACME", "P", 0, "2026-12-10"], ["SO-901", "Bolt", "XX-1", 25, "12/5/2026"]]


async def refs(api: Api) -> set[str]:
    async with api.shop.svc.uow() as uow:
        return {r.ref for r in await uow.orders.list()}


async def test_orders_are_imported_and_the_factory_re_planned(api: Api) -> None:
    r = await api.post("/api/v1/import/orders", "mia", json={"rows": GOOD})
    assert r.status == 200, r.body
    assert r.json["count"] == 2 and r.json["names"] == ["SO-900", "SO-901"] and r.json["rows"] == 2
    async with api.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None and plan.number == r.json["plan_version"]
    assert {"SO-900", "SO-901"} <= set(plan.schedule.etas())
    assert r.json["ignored_columns"] == []


async def test_columns_of_no_use_are_left_out_and_named(api: Api) -> None:
    rows = [["Order No.", "Customer Name", "Part Number", "Order Qty", "Delivery Date", "Remarks"],
            ["PO-77", "ACME", "P", 40, "2026-12-10", "call first"]]
    r = await api.post("/api/v1/import/orders", "mia", json={"rows": rows})
    assert r.status == 200, r.body
    assert r.json["names"] == ["PO-77"] and r.json["ignored_columns"] == ["Remarks"]


async def test_an_order_waiting_for_material_says_when_it_comes(api: Api) -> None:
    from datetime import datetime

    rows = [[*GOOD[0], "material_ready"], ["SO-902", "ACME", "P", 10, "2026-12-20", "2026-12-15"]]
    assert (await api.post("/api/v1/import/orders", "mia", json={"rows": rows})).status == 200
    order = (await api.get("/api/v1/orders/SO-902", "alice")).json
    ready = datetime.fromisoformat(order["material_ready"])
    assert ready == datetime(2026, 12, 15, tzinfo=TZ)  # a date alone: the start of that day, factory time
    assert all(datetime.fromisoformat(s["start"]) >= ready for s in order["steps"])


async def test_every_bad_row_is_a_detail_in_the_callers_language_and_nothing_is_written(api: Api) -> None:
    before = await refs(api)
    r = await api.post("/api/v1/import/orders?lang=zh", "admin", json={"rows": BAD})
    assert r.status == 400
    error = r.json["error"]
    assert error["code"] == "import_rejected" and "未导入任何数据" in error["message"]
    fields = [d["field"] for d in error["details"]]
    assert fields == ["body.rows[1].数量", "body.rows[2].产品", "body.rows[2].交期"]
    assert "数量至少为 1" in error["details"][0]["message"]
    assert await refs(api) == before


async def test_only_managers_and_admins_import_and_a_bad_kind_is_refused(api: Api) -> None:
    before = await refs(api)
    for who in ("sam", "otto", "alice"):
        r = await api.post("/api/v1/import/orders", who, json={"rows": GOOD})
        assert r.status == 403, who
    r = await api.post("/api/v1/import/shoes", "admin", json={"rows": GOOD})
    assert r.status == 400
    r = await api.post("/api/v1/import/orders", "admin", json={"rows": []})
    assert r.status == 422  # at least the header
    assert await refs(api) == before
