"""HTTP-level behaviour: language negotiation, an outage answered as JSON 500, and two
simultaneous confirmations of one proposal (exactly one applies, P4)."""

from __future__ import annotations

import asyncio
from types import TracebackType

import aiohttp
import pytest

from bot.settings import Settings
from bot.web.app import init_app
from scheduler_core.services.api_tokens import issue_token
from scheduler_core.services.context import Services
from scheduler_core.services.ports import Role, User
from tests.api.conftest import Api, serve
from tests.builders import at

EN = "You are not allowed to do this."
ZH = "您没有权限执行此操作。"


@pytest.mark.parametrize("who, header, query, expected", [
    ("alice", "zh-TW,en;q=0.5", "", ZH),
    ("alice", "fr-FR, zh;q=0.9, en;q=0.8", "", ZH),
    ("alice", "en;q=0.3, zh-Hans;q=0.8", "", ZH),
    ("alice", "", "", EN),  # alice's own language is English
    ("lin", "", "", ZH),  # lin's is Chinese
    ("lin", "de, *", "", ZH),
    ("lin", "en-GB", "", EN),
    ("lin", "zh", "?lang=en", EN),
])
async def test_language_negotiation(api: Api, who: str, header: str, query: str, expected: str) -> None:
    """?lang wins, then the first supported Accept-Language tag by q, then the user's language."""
    async with api.shop.svc.uow(write=True) as uow:
        await uow.users.add(User(0, "lin", Role.CUSTOMER, "Lin", "ACME", "zh_Hans"))
        await uow.commit()
    token = (await issue_token(api.shop.svc, api.shop.admin, who)).token
    reply = await api.get(f"/api/v1/kpis{query}", None, token=token, headers={"Accept-Language": header})
    assert reply.status == 403 and reply.json["error"]["message"] == expected


class _DownUnitOfWork:
    async def __aenter__(self) -> _DownUnitOfWork:
        raise ConnectionError("database unavailable")

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None


class _DownDatabase:
    def __call__(self, *, write: bool = False) -> _DownUnitOfWork:
        return _DownUnitOfWork()


async def test_an_outage_is_a_json_500_in_the_callers_language(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    svc = Services(uow=_DownDatabase(), clock=api.shop.clock)  # type: ignore[arg-type]
    runner, base = await serve(init_app(Settings(telegram_token=None), services=svc))
    try:
        async with aiohttp.ClientSession() as http, http.get(
                f"{base}/api/v1/orders", headers={"Authorization": "Bearer pct_x", "Accept-Language": "zh"}) as r:
            assert r.status == 500 and r.content_type == "application/json"
            body = await r.json()
    finally:
        await runner.cleanup()
    assert body["error"]["code"] == "internal_error" and body["error"]["message"] == "服务端出错，请稍后重试。"
    assert "database unavailable" not in str(body)
    assert any("API GET /api/v1/orders failed" in rec.getMessage() for rec in caplog.records)


async def test_two_simultaneous_confirmations_apply_once(api: Api) -> None:
    for _ in range(5):
        p = (await api.post("/api/v1/changes", "sam", json={"kind": "due", "ref": "SO-103",
                                                            "due": at(days=8).isoformat()})).json
        v0 = p["base_version"]
        a, b = await asyncio.gather(api.post("/api/v1/changes/confirm", "sam", json={"token": p["token"]}),
                                    api.post("/api/v1/changes/confirm", "mia", json={"token": p["token"]}))
        assert sorted([a.status, b.status]) == [200, 409]
        winner = a if a.status == 200 else b
        assert winner.json["applied"] is True and winner.json["version"] == v0 + 1
        assert (await api.get("/api/v1/plan", "mia")).json["version"] == v0 + 1
