"""P7 over REST: bad input gets a clear JSON error with a stable code and a message in the
asker's language (zh and en), and changes nothing (the store's commit count stands still)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.builders import at

PAST = "2020-01-01T08:00:00+08:00"
FUTURE = at(days=7).isoformat()
CJK = re.compile(r"[\u4e00-\u9fff]")


def insert(**kw: Any) -> dict[str, Any]:
    return {"kind": "insert", "customer": "ACME", "product": "P", "quantity": 10, "due": FUTURE, **kw}


# (id, method, path, who, json body or raw bytes, status, code)
CORPUS: list[tuple[str, str, str, str, Any, int, str]] = [
    # malformed JSON and wrong shapes
    ("truncated-json", "POST", "/api/v1/changes", "sam", b'{"kind": "insert"', 400, "invalid_json"),
    ("not-json", "POST", "/api/v1/promise", "sam", b"quantity=5", 400, "invalid_json"),
    ("empty-body", "POST", "/api/v1/promise", "sam", b"", 422, "invalid_request"),
    ("array-body", "POST", "/api/v1/promise", "sam", b"[1, 2]", 422, "invalid_request"),
    ("binary-body", "POST", "/api/v1/progress", "otto", b"\xff\xfe\x00garbage", 400, "invalid_json"),
    ("unknown-field", "POST", "/api/v1/promise", "sam", {"product": "P", "quantity": 5, "rush": True}, 422,
     "invalid_request"),
    ("unknown-kind", "POST", "/api/v1/changes", "sam", {"kind": "teleport", "ref": "SO-100"}, 422,
     "invalid_request"),
    ("missing-kind", "POST", "/api/v1/changes", "sam", {"ref": "SO-100"}, 422, "invalid_request"),
    ("missing-field", "POST", "/api/v1/promise", "sam", {"product": "P"}, 422, "invalid_request"),
    # wrong types
    ("quantity-as-text", "POST", "/api/v1/promise", "sam", {"product": "P", "quantity": "10"}, 422,
     "invalid_request"),
    ("quantity-fraction", "POST", "/api/v1/promise", "sam", {"product": "P", "quantity": 10.5}, 422,
     "invalid_request"),
    ("quantity-bool", "POST", "/api/v1/promise", "sam", {"product": "P", "quantity": True}, 422,
     "invalid_request"),
    ("vip-as-text", "POST", "/api/v1/changes", "sam", insert(vip="yes"), 422, "invalid_request"),
    ("due-as-number", "POST", "/api/v1/changes", "sam", insert(due=1764000000), 422, "invalid_request"),
    ("due-without-zone", "POST", "/api/v1/changes", "sam", insert(due="2026-12-05T17:00:00"), 422,
     "invalid_request"),
    ("due-not-a-date", "POST", "/api/v1/changes", "sam", insert(due="next Tuesday"), 422, "invalid_request"),
    ("good-as-list", "POST", "/api/v1/progress", "otto", {"ref": "SO-100", "good": [5]}, 422, "invalid_request"),
    # quantities of 0, negative, huge
    ("quantity-zero", "POST", "/api/v1/changes", "sam", insert(quantity=0), 422, "invalid_request"),
    ("quantity-negative", "POST", "/api/v1/changes", "sam", {"kind": "quantity", "ref": "SO-100", "quantity": -5},
     422, "invalid_request"),
    ("quantity-huge", "POST", "/api/v1/promise", "sam", {"product": "P", "quantity": 10**12}, 422,
     "invalid_request"),
    ("quantity-astronomic", "POST", "/api/v1/promise", "sam", b'{"product": "P", "quantity": 1e400}', 422,
     "invalid_request"),
    ("quantity-bigint", "POST", "/api/v1/promise", "sam", {"product": "P", "quantity": 10**40}, 422,
     "invalid_request"),
    ("progress-nothing", "POST", "/api/v1/progress", "otto", {"ref": "SO-100", "good": 0}, 400,
     "quantity_not_positive"),
    ("progress-negative", "POST", "/api/v1/progress", "otto", {"ref": "SO-100", "good": -3}, 422,
     "invalid_request"),
    ("progress-far-too-many", "POST", "/api/v1/progress", "otto", {"ref": "SO-100", "good": 900_000}, 400,
     "quantity_too_large"),
    ("priority-out-of-range", "POST", "/api/v1/changes", "sam", {"kind": "priority", "ref": "SO-100",
                                                                 "priority": 101}, 422, "invalid_request"),
    # past dates
    ("insert-due-past", "POST", "/api/v1/changes", "sam", insert(due=PAST), 400, "due_in_past"),
    ("change-due-past", "POST", "/api/v1/changes", "sam", {"kind": "due", "ref": "SO-100", "due": PAST}, 400,
     "due_in_past"),
    ("down-until-past", "POST", "/api/v1/machines/M1/down", "otto", {"until": PAST}, 400, "bad_window"),
    ("planned-stop-past", "POST", "/api/v1/machines/M1/stops", "otto", {"start": PAST, "end": at(3).isoformat()},
     400, "stop_not_ahead"),
    ("planned-stop-backwards", "POST", "/api/v1/machines/M1/stops", "otto",
     {"start": at(5).isoformat(), "end": at(4).isoformat()}, 400, "bad_window"),
    ("planned-stop-naive", "POST", "/api/v1/machines/M1/stops", "otto",
     {"start": "2030-01-01T08:00:00", "end": "2030-01-01T12:00:00"}, 422, "invalid_request"),
    ("stop-too-long", "POST", "/api/v1/machines/M1/down", "otto", {"until": at(days=400).isoformat()}, 400,
     "stop_too_long"),
    ("planned-stop-too-long", "POST", "/api/v1/machines/M1/stops", "otto",
     {"start": at(5).isoformat(), "end": at(days=100).isoformat()}, 400, "stop_too_long"),
    ("cancel-no-such-stop", "POST", "/api/v1/machines/M1/stops/cancel", "otto", {"start": at(5).isoformat()}, 404,
     "stop_not_found"),
    # over-long text
    ("customer-too-long", "POST", "/api/v1/changes", "sam", insert(customer="C" * 65), 422, "invalid_request"),
    ("reason-too-long", "POST", "/api/v1/machines/M1/down", "otto", {"reason": "x" * 201}, 422,
     "invalid_request"),
    ("token-too-long", "POST", "/api/v1/changes/confirm", "sam", {"token": "t" * 101}, 422, "invalid_request"),
    ("query-too-long", "GET", "/api/v1/orders?q=" + "x" * 65, "sam", None, 422, "invalid_request"),
    ("body-too-large", "POST", "/api/v1/promise", "sam", b'{"product": "' + b"P" * 70_000 + b'"}', 413,
     "body_too_large"),
    # unknown ids
    ("unknown-order", "GET", "/api/v1/orders/SO-99999", "mia", None, 404, "order_not_found"),
    ("not-an-order-number", "GET", "/api/v1/orders/drop%20table", "mia", None, 404, "order_not_found"),
    ("change-unknown-order", "POST", "/api/v1/changes", "sam", {"kind": "cancel", "ref": "SO-99999"}, 404,
     "order_not_found"),
    ("change-bad-ref", "POST", "/api/v1/changes", "sam", {"kind": "cancel", "ref": "<b>100</b>"}, 400,
     "bad_order_ref"),
    ("insert-existing-ref", "POST", "/api/v1/changes", "sam", insert(ref="SO-100"), 400, "duplicate_order"),
    ("unknown-product", "POST", "/api/v1/promise", "sam", {"product": "NOPE", "quantity": 5}, 400,
     "unknown_product"),
    ("unknown-machine-down", "POST", "/api/v1/machines/NOPE/down", "otto", {}, 400, "unknown_machine"),
    ("unknown-machine-up", "POST", "/api/v1/machines/NOPE/up", "otto", None, 400, "unknown_machine"),
    ("unknown-step", "POST", "/api/v1/progress", "otto", {"ref": "SO-100", "good": 1, "step": 9}, 400,
     "unknown_step"),
    ("machine-wrong-step", "POST", "/api/v1/progress", "otto", {"ref": "SO-100", "good": 1, "step": 1,
                                                               "machine": "M2"}, 400, "machine_not_for_step"),
    ("progress-unknown-order", "POST", "/api/v1/progress", "otto", {"ref": "SO-99999", "good": 1}, 404,
     "order_not_found"),
    ("confirm-unknown-token", "POST", "/api/v1/changes/confirm", "sam", {"token": "not-a-token"}, 409,
     "change_gone"),
    ("reject-unknown-token", "POST", "/api/v1/changes/reject", "sam", {"token": "not-a-token"}, 409,
     "change_gone"),
    # query strings, language, endpoints, methods
    ("limit-zero", "GET", "/api/v1/orders?limit=0", "sam", None, 422, "invalid_request"),
    ("limit-text", "GET", "/api/v1/orders?limit=ten", "sam", None, 422, "invalid_request"),
    ("status-unknown", "GET", "/api/v1/orders?status=lost", "sam", None, 422, "invalid_request"),
    ("due-by-not-a-date", "GET", "/api/v1/orders?due_by=2026-13-01", "sam", None, 422, "invalid_request"),
    ("unknown-query", "GET", "/api/v1/kpis?since=yesterday", "mia", None, 422, "invalid_request"),
    ("days-huge", "GET", "/api/v1/kpis?days=99999999999999999999", "mia", None, 422, "invalid_request"),
    ("bad-lang", "GET", "/api/v1/orders?lang=klingon", "sam", None, 400, "bad_lang"),
    ("no-such-endpoint", "GET", "/api/v1/ordres", "sam", None, 404, "no_such_endpoint"),
    ("wrong-method", "DELETE", "/api/v1/orders/SO-100", "mia", None, 405, "method_not_allowed"),
    # credentials
    ("no-token", "GET", "/api/v1/orders", "", None, 401, "token_invalid"),
    ("garbage-token", "GET", "/api/v1/orders", "pct_garbage", None, 401, "token_invalid"),
    ("huge-token", "GET", "/api/v1/orders", "pct_" + "a" * 5000, None, 401, "token_invalid"),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
async def test_bad_input_gets_a_localized_json_error_and_changes_nothing(api: Api, case: tuple[Any, ...]) -> None:
    _, method, path, who, body, status, code = case
    commits = api.shop.svc.uow.commits  # type: ignore[attr-defined]
    messages = {}
    for lang in ("en", "zh"):
        kw: dict[str, Any] = {"headers": {"Accept-Language": lang}}
        if isinstance(body, bytes):
            kw["data"] = body
        elif body is not None:
            kw["json"] = body
        if who in api.tokens:
            reply = await api.call(method, path, who, **kw)
        else:
            reply = await api.call(method, path, None, token=who or None, **kw)
        assert reply.status == status, (lang, reply.status, reply.body[:400])
        assert reply.headers["Content-Type"].startswith("application/json")
        error = reply.json["error"]
        assert error["code"] == code and error["status"] == status
        assert error["message"] and "Traceback" not in error["message"] and "{" not in error["message"]
        messages[lang] = error["message"]
        if code == "invalid_request":
            assert error["details"] and all(d["field"] and d["message"] for d in error["details"])
    assert CJK.search(messages["zh"]) and not CJK.search(messages["en"]), messages
    assert api.shop.svc.uow.commits == commits, "bad input changed something"


async def test_field_problems_name_the_field_in_both_languages(api: Api) -> None:
    en = (await api.post("/api/v1/changes?lang=en", "sam", json=insert(quantity=0))).json["error"]
    zh = (await api.post("/api/v1/changes?lang=zh", "sam", json=insert(quantity=0))).json["error"]
    assert en["details"] == [{"field": "body.quantity", "code": "greater_than_equal",
                              "message": "body.quantity must be at least 1."}]
    assert zh["details"][0]["message"] == "body.quantity 不能小于 1。"
    assert en["message"] == "The request is not valid: body.quantity must be at least 1."


async def test_markup_in_free_text_comes_back_as_inert_json_text(api: Api) -> None:
    reason = '<script>alert("x")</script> & 停机'
    assert (await api.post("/api/v1/machines/M1/down", "otto", json={"reason": reason})).status == 200
    reply = await api.get("/api/v1/machines", "otto")
    assert reply.headers["Content-Type"].startswith("application/json")
    stops = {m["id"]: m["downtime"] for m in reply.json["machines"]}
    assert stops["M1"][-1]["reason"] == reason and stops["M1"][-1]["end"] is None
