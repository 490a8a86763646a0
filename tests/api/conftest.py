"""REST API fixtures: the real aiohttp app (``init_app``, Telegram off) on 127.0.0.1 with an
ephemeral port, over the seeded shop (in-memory fake storage unless a test says otherwise),
planned once, and one API token per role issued through the use case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.settings import Settings
from bot.web.app import init_app
from bot.web.local import serve_locally
from scheduler_core.services.api_tokens import authenticate, issue_token
from scheduler_core.services.ports import UnitOfWorkFactory
from scheduler_core.services.shopfloor import replan_now
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import Shop, seed_shop

ROLES = ("admin", "mia", "sam", "otto", "alice", "bob")  # admin, manager, sales, operator, 2 customers


@dataclass
class Reply:
    status: int
    body: bytes
    headers: Any

    @property
    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Api:
    shop: Shop
    base: str
    http: aiohttp.ClientSession
    tokens: dict[str, str]

    async def call(self, method: str, path: str, who: str | None = "admin", *, json: Any = None,
                   data: bytes | str | None = None, headers: dict[str, str] | None = None,
                   token: str | None = None) -> Reply:
        h = dict(headers or {})
        secret = token if token is not None else (self.tokens[who] if who else None)
        if secret is not None:
            h["Authorization"] = f"Bearer {secret}"
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        async with self.http.request(method, self.base + path, json=json, data=data, headers=h,
                                     allow_redirects=False) as resp:
            return Reply(resp.status, await resp.read(), resp.headers)

    async def get(self, path: str, who: str | None = "admin", **kw: Any) -> Reply:
        return await self.call("GET", path, who, **kw)

    async def post(self, path: str, who: str | None = "admin", **kw: Any) -> Reply:
        return await self.call("POST", path, who, **kw)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner, port = await serve_locally(app)
    return runner, f"http://127.0.0.1:{port}"


async def planned_shop(uow: UnitOfWorkFactory | None = None) -> Shop:
    shop = await seed_shop(uow or FakeUnitOfWorkFactory())
    await replan_now(shop.svc)
    return shop


async def role_tokens(shop: Shop) -> dict[str, str]:
    """A token per role, each used once (its first use records ``last_used``, a commit; while the
    test clock stands still no later request writes anything)."""
    tokens = {name: (await issue_token(shop.svc, shop.admin, name, name="tests")).token for name in ROLES}
    for token in tokens.values():
        await authenticate(shop.svc, token)
    return tokens


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    shop = await planned_shop()
    tokens = await role_tokens(shop)
    runner, base = await serve(init_app(Settings(telegram_token=None), services=shop.svc))
    async with aiohttp.ClientSession() as http:
        yield Api(shop, base, http, tokens)
    await runner.cleanup()
