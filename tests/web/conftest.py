"""Web app fixtures: the real aiohttp application (pages, sessions, CSRF) over the in-memory
fake storage with the small seeded shop and a published plan, served on 127.0.0.1 by aiohttp's
test server; one logged-out browser-like client per test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.web.app import init_app
from scheduler_core.services.accounts import hash_password
from scheduler_core.services.shopfloor import replan_now
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import Shop, seed_shop

PASSWORD = "correct-horse-9"
HASH = hash_password(PASSWORD)  # once: argon2 is slow on purpose
USERS = ("admin", "mia", "sam", "otto", "alice", "bob")
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass
class Web:
    shop: Shop
    client: TestClient

    async def csrf(self, path: str = "/login") -> str:
        async with self.client.get(path) as resp:
            m = _CSRF.search(await resp.text())
        assert m, f"no CSRF token on {path}"
        return m.group(1)

    async def login(self, username: str, password: str = PASSWORD, lang: str = "en") -> int:
        async with self.client.get(f"/lang?to={lang}&next=/login"):
            pass
        token = await self.csrf("/login")
        async with self.client.post("/login", data={"username": username, "password": password, "_csrf": token},
                                    allow_redirects=False) as resp:
            return resp.status

    async def text(self, path: str) -> tuple[int, str]:
        async with self.client.get(path, allow_redirects=False) as resp:
            return resp.status, await resp.text()


@pytest.fixture
async def web() -> AsyncIterator[Web]:
    uow = FakeUnitOfWorkFactory()
    shop = await seed_shop(uow)
    await replan_now(shop.svc, shop.admin, "test")
    async with uow(write=True) as tx:
        for name in USERS:
            user = await tx.users.by_username(name)
            assert user is not None
            await tx.users.set_password_hash(user.id, HASH)
        await tx.commit()
    app = init_app(Settings(secret_key="test-secret-key-of-the-web-app"), services=shop.svc)
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    try:
        yield Web(shop, client)
    finally:
        await client.close()
