"""A minimal fake Telegram Bot API on 127.0.0.1 for ``paichan bench chat``: it answers what the
bot calls and reports every send (chat id, arrival time) to ``on_send``. The tests' richer
fake, which records everything, is ``tests/fake_telegram.py``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..web.local import serve_locally

__all__ = ["FakeBotApi"]

_SENDS = frozenset({"sendMessage", "editMessageText", "sendPhoto"})


class FakeBotApi:
    def __init__(self, token: str, *, on_send: Callable[[int, float], None]) -> None:
        self.token = token
        self.on_send = on_send
        self._runner: web.AppRunner | None = None
        self._next = 1
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner, self.port = await serve_locally(app)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form: Any = await request.json() if request.content_type == "application/json" else await request.post()
        if method == "getMe":
            return web.json_response({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "bench",
                                                             "username": "bench_bot"}})
        if method in _SENDS:
            chat = int(form.get("chat_id", 0))
            self.on_send(chat, time.monotonic())
            self._next += 1
            return web.json_response({"ok": True, "result": {
                "message_id": self._next, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                "text": str(form.get("text", ""))}})
        return web.json_response({"ok": True, "result": True})
