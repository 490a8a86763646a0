"""P1 over REST: a customer sees only their own orders; an unknown order and another customer's
order get the same answer, byte for byte (the order number itself aside, which the asker typed)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, Reply

OWN = {"alice": {"SO-100", "SO-102", "SO-104"}, "bob": {"SO-101", "SO-103", "SO-105"}}
CUSTOMER = {"alice": "ACME", "bob": "Bolt"}
PATHS = ("/api/v1/orders/{ref}", "/api/v1/orders/{ref}/status")
LANGS = ({}, {"Accept-Language": "zh-CN,zh;q=0.9"}, {"Accept-Language": "en-US"})
_VARYING = {"Date", "Server"}


def masked(reply: Reply, ref: str) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers with the asked order number replaced (and Date, Server dropped)."""
    headers = {k: v for k, v in reply.headers.items() if k not in _VARYING}
    return reply.status, reply.body.replace(ref.encode(), b"{REF}"), headers


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_order_number_sweep_foreign_equals_unknown_byte_for_byte(api: Api, who: str) -> None:
    answered = 0
    for path in PATHS:
        for headers in LANGS:
            ghost = masked(await api.get(path.format(ref="SO-999"), who, headers=headers), "SO-999")
            assert ghost[0] == 404
            for n in range(100, 130):  # every order of the shop and unknown numbers of the same length
                ref = f"SO-{n}"
                reply = await api.get(path.format(ref=ref), who, headers=headers)
                answered += 1
                if ref in OWN[who]:
                    assert reply.status == 200 and reply.json["customer"] == CUSTOMER[who]
                else:
                    assert masked(reply, ref) == ghost, (who, path, ref)
                    assert b"ACME" not in reply.body and b"Bolt" not in reply.body
    assert answered == 2 * 3 * 30


@pytest.mark.parametrize("who, foreign", [("alice", "101"), ("bob", "100")])
async def test_other_spellings_of_a_foreign_order_are_not_found_either(api: Api, who: str, foreign: str) -> None:
    ghost_digits = "9" * len(foreign)
    for spelling in ("SO-{n}", "so{n}", "{n}", "订单{n}", "%23{n}"):
        theirs = await api.get("/api/v1/orders/" + spelling.format(n=foreign), who)
        ghost = await api.get("/api/v1/orders/" + spelling.format(n=ghost_digits), who)
        assert theirs.status == ghost.status == 404
        assert theirs.body.replace(f"SO-{foreign}".encode(), b"R") == ghost.body.replace(
            f"SO-{ghost_digits}".encode(), b"R")


@pytest.mark.parametrize("who, other", [("alice", "Bolt"), ("bob", "ACME")])
async def test_list_filters_reveal_nothing_about_other_customers(api: Api, who: str, other: str) -> None:
    nobody = await api.get("/api/v1/orders?status=all&customer=Nobody", who)
    theirs = await api.get(f"/api/v1/orders?status=all&customer={other}", who)
    assert theirs.status == 200 and theirs.body == nobody.body == b'{"orders":[],"total":0}'
    for q in (other, "SO-10", "P"):
        found = (await api.get(f"/api/v1/orders?status=all&q={q}", who)).json["orders"]
        assert {o["customer"] for o in found} <= {CUSTOMER[who]}


@pytest.mark.parametrize("who, foreign", [("alice", "SO-101"), ("bob", "SO-100")])
async def test_state_changing_calls_on_a_foreign_order_look_like_on_an_unknown_one(api: Api, who: str,
                                                                                  foreign: str) -> None:
    commits = api.shop.svc.uow.commits  # type: ignore[attr-defined]
    for path, body in (("/api/v1/changes", {"kind": "cancel", "ref": "{ref}"}),
                       ("/api/v1/progress", {"ref": "{ref}", "good": 1})):
        theirs = await api.post(path, who, json={k: v.format(ref=foreign) if isinstance(v, str) else v
                                                  for k, v in body.items()})
        ghost = await api.post(path, who, json={k: v.format(ref="SO-999") if isinstance(v, str) else v
                                                 for k, v in body.items()})
        assert theirs.status == ghost.status == 403
        assert theirs.body == ghost.body
    assert api.shop.svc.uow.commits == commits
