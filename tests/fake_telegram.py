"""A fake Telegram Bot API on 127.0.0.1 (aiohttp) that records every call it receives.

python-telegram-bot talks to it through ``base_url`` (``PAICHAN_TELEGRAM_BASE_URL``):
``http://127.0.0.1:PORT/bot``. It answers getMe, sendMessage, editMessageText,
answerCallbackQuery, sendPhoto, setMyCommands, setWebhook, deleteWebhook, getWebhookInfo and
getUpdates (updates queued with :meth:`FakeTelegram.queue_update`) like the real one, and can
hold sends (``hold_sends``) to simulate a process killed in the middle of answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.web.local import serve_locally

__all__ = ["BOT_ID", "BOT_USERNAME", "Call", "FakeTelegram"]

BOT_ID = 700_000_001
BOT_USERNAME = "paichan_test_bot"
_SENDS = frozenset({"sendMessage", "editMessageText", "sendPhoto"})


@dataclass
class Call:
    """One request: the Bot API method, its parameters (JSON fields decoded) and when it came."""

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return rows

    def button(self, label_part: str) -> str:
        """The callback data of the first button whose label contains ``label_part``."""
        for row in self.buttons:
            for b in row:
                if label_part in b.get("text", ""):
                    return str(b["callback_data"])
        raise KeyError(f"no button {label_part!r} in {self.buttons}")


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._release = asyncio.Event()
        self._release.set()
        self._message_id = 1000
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.listeners: list[Callable[[Call], None]] = []
        self.held = 0  # sends waiting in hold_sends

    # --- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, self.port = await serve_locally(app)
        return self

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- fault injection -------------------------------------------------------------------------------
    def hold_sends(self) -> None:
        """From now on sends hang, unrecorded, until :meth:`release_sends`, then fail: a process
        killed while answering."""
        self._release.clear()

    def release_sends(self) -> None:
        self._release.set()

    # --- what was received -------------------------------------------------------------------------------
    def sent(self, chat_id: int | None = None, *, since: int = 0) -> list[Call]:
        """Messages sent or edited (to ``chat_id``), in order, from call index ``since``."""
        return [c for c in self.calls[since:] if c.method in _SENDS and (chat_id is None or c.chat_id == chat_id)]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the fake Bot API did not receive what was expected")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), min(left, 0.2))

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for ``getUpdates`` (polling)."""
        self.updates.append(update)
        self._new_update.set()

    # --- the API ---------------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        ctype = request.content_type
        if ctype == "application/json":
            params = await request.json()
        elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params, files

    def _message(self, chat_id: Any, **extra: Any) -> dict[str, Any]:
        self._message_id += 1
        return {"message_id": self._message_id, "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "paichan", "username": BOT_USERNAME},
                **extra}

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params, files = await self._params(request)
        if method in _SENDS and not self._release.is_set():
            self.held += 1
            self._new_call.set()
            await self._release.wait()
            # a held send never completes: its sender is gone (killed) by the time it is released
            return web.json_response({"ok": False, "error_code": 500, "description": "held"}, status=500)
        call = Call(method, params, time.monotonic(), files)
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        self._new_call.set()
        result: Any = True
        if method == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "paichan", "username": BOT_USERNAME,
                      "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        elif method == "sendMessage":
            result = self._message(params["chat_id"], text=params.get("text", ""))
        elif method == "editMessageText":
            result = self._message(params.get("chat_id", 1), text=params.get("text", ""))
            result["message_id"] = int(params.get("message_id", result["message_id"]))
        elif method == "sendPhoto":
            result = self._message(params["chat_id"], caption=params.get("caption", ""),
                                   photo=[{"file_id": "photo1", "file_unique_id": "u1", "width": 1600, "height": 900}])
        elif method == "getWebhookInfo":
            result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        elif method == "getUpdates":
            result = await self._get_updates(params)
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if self.updates or time.monotonic() >= deadline:
                return list(self.updates)
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))
