"""End-to-end chat fixtures: our real aiohttp server (webhook -> inbox -> PTB -> handlers) on
127.0.0.1 talking to the fake Bot API; the shop's storage is the in-memory fake unless a test
says otherwise. Tests POST updates and read what the fake Bot API received."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.settings import Settings
from bot.web.app import PROCESSOR, init_app
from bot.web.local import serve_locally
from scheduler_core.domain.model import Order
from scheduler_core.services.linking import create_link_code
from scheduler_core.services.ports import Actor, UnitOfWorkFactory
from scheduler_core.services.shopfloor import replan_now
from tests.fake_telegram import BOT_ID, BOT_USERNAME, Call, FakeTelegram
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import Shop, seed_shop

SECRET = "e2e-secret-token"
TOKEN = "123456:TEST-TOKEN"

# numeric Telegram account ids of the shop's people
TG = {"alice": 1001, "bob": 1002, "sam": 2001, "otto": 3001, "mia": 4001}

_ids = itertools.count(10_000)


def message_update(user: int, text: str, *, chat: int | None = None, lang: str = "en", chat_type: str = "private",
                   update_id: int | None = None, forwarded: bool = False) -> dict[str, Any]:
    uid = update_id if update_id is not None else next(_ids)
    msg: dict[str, Any] = {
        "message_id": uid, "date": int(time.time()),
        "chat": {"id": chat if chat is not None else user, "type": chat_type},
        "from": {"id": user, "is_bot": False, "first_name": f"U{user}", "language_code": lang},
        "text": text,
    }
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if forwarded:
        msg["forward_origin"] = {"type": "user", "date": int(time.time()),
                                 "sender_user": {"id": 999, "is_bot": False, "first_name": "X"}}
    return {"update_id": uid, "message": msg}


def click_update(user: int, data: str, *, message_id: int = 1, lang: str = "en",
                 update_id: int | None = None) -> dict[str, Any]:
    uid = update_id if update_id is not None else next(_ids)
    return {"update_id": uid, "callback_query": {
        "id": str(uid), "chat_instance": "ci", "data": data,
        "from": {"id": user, "is_bot": False, "first_name": f"U{user}", "language_code": lang},
        "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": user, "type": "private"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "paichan", "username": BOT_USERNAME},
                    "text": "..."}}}


@dataclass
class Chat:
    """The server under test and the fake Telegram it talks to."""

    shop: Shop
    tg: FakeTelegram
    app: web.Application
    url: str
    http: aiohttp.ClientSession
    langs: dict[int, str] = field(default_factory=dict)

    async def post(self, update: dict[str, Any], *, secret: str = SECRET, raw: bytes | None = None) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        async with self.http.post(self.url, json=None if raw is not None else update, data=raw,
                                  headers=headers) as resp:
            return resp.status

    async def settle(self) -> None:
        await self.app[PROCESSOR].idle()

    async def send(self, update: dict[str, Any]) -> list[Call]:
        """POST ``update``, wait until it is processed; the calls it caused."""
        before = len(self.tg.calls)
        assert await self.post(update) == 200
        await self.settle()
        return self.tg.calls[before:]

    async def say(self, user: int, text: str, **kw: Any) -> list[Call]:
        """What the bot answered ``user`` (sends and edits) to ``text``."""
        kw.setdefault("lang", self.langs.get(user, "en"))
        return [c for c in await self.send(message_update(user, text, **kw)) if c.method in
                ("sendMessage", "editMessageText", "sendPhoto")]

    async def click(self, user: int, data: str, **kw: Any) -> list[Call]:
        kw.setdefault("lang", self.langs.get(user, "en"))
        return [c for c in await self.send(click_update(user, data, **kw)) if c.method in
                ("sendMessage", "editMessageText", "sendPhoto")]

    async def link(self, actor: Actor, tg_id: int, lang: str = "en") -> list[Call]:
        code, _ = await create_link_code(self.shop.svc, self.shop.admin, actor.username)
        self.langs[tg_id] = lang
        return await self.say(tg_id, f"/start {code}", lang=lang)


async def start_chat(shop: Shop, tg: FakeTelegram) -> tuple[web.AppRunner, web.Application, str]:
    settings = Settings(telegram_token=TOKEN, telegram_base_url=tg.base_url, telegram_webhook_secret=SECRET,
                        telegram_webhook_url=None)
    app = init_app(settings, services=shop.svc, send_rate=0)
    runner, port = await serve_locally(app)
    return runner, app, f"http://127.0.0.1:{port}/telegram/webhook"


@contextlib.asynccontextmanager
async def chat_with_orders(tg: FakeTelegram, orders: Sequence[Order]) -> AsyncIterator[Chat]:
    """A chat on the seeded shop with these ``orders`` instead of its own, planned, nobody linked."""
    shop = await planned_shop(orders=orders)
    runner, app, url = await start_chat(shop, tg)
    try:
        async with aiohttp.ClientSession() as http:
            yield Chat(shop, tg, app, url, http)
    finally:
        await runner.cleanup()


async def planned_shop(uow: UnitOfWorkFactory | None = None, orders: Sequence[Order] | None = None) -> Shop:
    shop = await seed_shop(uow or FakeUnitOfWorkFactory(), orders)
    await replan_now(shop.svc)
    return shop


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram(TOKEN).start()
    yield fake
    await fake.close()


@pytest.fixture
async def shop() -> Shop:
    return await planned_shop()


@pytest.fixture
async def chat(shop: Shop, tg: FakeTelegram) -> AsyncIterator[Chat]:
    runner, app, url = await start_chat(shop, tg)
    async with aiohttp.ClientSession() as http:
        yield Chat(shop, tg, app, url, http)
    await runner.cleanup()


@pytest.fixture
async def linked(chat: Chat) -> Chat:
    """Everybody linked: alice (ACME) in Chinese, bob (Bolt), sam (sales), otto (operator), mia (manager) in English."""
    s = chat.shop
    await chat.link(s.alice, TG["alice"], "zh-hans")
    for name, actor in (("bob", s.bob), ("sam", s.sales), ("otto", s.operator), ("mia", s.manager)):
        await chat.link(actor, TG[name], "en")
    return chat
