"""Local fakes of every delivery service, on 127.0.0.1 only.

One aiohttp app serves the Bot API subset the relay uses (getMe, sendMessage, sendPhoto), a
WeCom group robot, a DingTalk custom robot (checks the HMAC-SHA256 URL signature) and a
Feishu custom bot (checks the signature in the body); :class:`FakeSmtp` is an aiosmtpd
server. Each checks the format it receives and can inject faults: scripted ones
(:meth:`FakeServices.inject`) or random ones (``random_faults``).

Faults: ``("429", seconds)`` rate limited with retry_after; ``("500",)`` server error;
``("timeout", seconds)`` answer only after that long (then an error); ``("403",)`` blocked by
the user; ``("400",)`` bad request.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from typing import Any

from aiohttp import web

from bot.web.local import serve_locally

__all__ = ["FakeServices", "FakeSmtp", "Received", "free_port"]

Fault = tuple[Any, ...]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """A message the fake accepted (answered 2xx): ``service``, who it was for, what it said."""

    service: str
    target: str
    kind: str  # text | photo | markdown | image | card | email
    body: dict[str, Any]
    at: float


@dataclass
class FakeServices:
    token: str = "123456:TEST-token"
    dingtalk_secrets: dict[str, str] = field(default_factory=lambda: {"plant": "SECdingtalk"})
    feishu_secrets: dict[str, str] = field(default_factory=lambda: {"board": "feishu-secret"})
    random_faults: dict[str, tuple[float, float]] = field(default_factory=dict)  # service -> (p429, p5xx)
    retry_after: int = 1
    latency: float = 0.0
    seed: int = 0
    received: list[Received] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (service, why): format errors
    faults_sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: int = 0
    on_receive: Any = None  # optional callback(Received), e.g. to kill a process mid-send
    blocked_chats: set[int] = field(default_factory=set)
    on_get_me: Any = None  # optional callback(): the relay is about to send its first message

    def __post_init__(self) -> None:
        self._script: dict[str, list[Fault]] = defaultdict(list)
        self._rng = random.Random(self.seed)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._message_id = 0

    # --- addresses -----------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def telegram_base_url(self) -> str:
        return f"{self.base}/bot"

    def wecom_webhook(self, name: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={name}"

    def dingtalk_webhook(self, name: str) -> str:
        return f"{self.base}/robot/send?access_token={name}"

    def feishu_webhook(self, name: str) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{name}"

    # --- control -------------------------------------------------------------------------
    def inject(self, service: str, *faults: Fault) -> None:
        """The next requests to ``service`` get these faults, in order."""
        self._script[service].extend(faults)

    def of(self, service: str, target: str | None = None) -> list[Received]:
        return [r for r in self.received if r.service == service and (target is None or r.target == target)]

    async def start(self) -> FakeServices:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._telegram)
        app.router.add_post("/cgi-bin/webhook/send", self._wecom)
        app.router.add_post("/robot/send", self._dingtalk)
        app.router.add_post("/open-apis/bot/v2/hook/{name}", self._feishu)
        self._runner, self.port = await serve_locally(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeServices:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- faults --------------------------------------------------------------------------
    async def _fault(self, service: str) -> Fault | None:
        self.requests += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        fault: Fault | None
        if self._script[service]:
            fault = self._script[service].pop(0)
        else:
            p429, p5xx = self.random_faults.get(service, (0.0, 0.0))
            x = self._rng.random()
            fault = ("429", self.retry_after) if x < p429 else ("500",) if x < p429 + p5xx else None
        if fault is not None:
            self.faults_sent[f"{service}:{fault[0]}"] += 1
            if fault[0] == "timeout":
                await asyncio.sleep(float(fault[1]))
        return fault

    def _record(self, r: Received) -> None:
        self.received.append(r)
        if self.on_receive is not None:
            self.on_receive(r)

    # --- Telegram Bot API ----------------------------------------------------------------
    async def _telegram(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        if method == "getMe":
            if self.on_get_me is not None:
                self.on_get_me()
            return web.json_response({"ok": True, "result": {
                "id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "paichan", "username": "paichan_bot",
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}})
        if method not in ("sendMessage", "sendPhoto"):
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        form = await request.post()
        try:
            chat_id = int(str(form["chat_id"]))
        except (KeyError, ValueError):
            self.rejected.append(("telegram", "chat_id"))
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                                     status=400)
        fault = ("403",) if chat_id in self.blocked_chats else await self._fault("telegram")
        if fault is not None:
            if fault[0] == "403":
                self.blocked_chats.add(chat_id)  # a user who blocked the bot stays blocked
            return self._telegram_fault(fault)
        body: dict[str, Any] = {}
        if method == "sendMessage":
            text = str(form.get("text", ""))
            if not text or len(text) > 4096:
                self.rejected.append(("telegram", "text length"))
                return web.json_response({"ok": False, "error_code": 400,
                                          "description": "Bad Request: message text is empty or too long"}, status=400)
            body["text"] = text
            if "reply_markup" in form:
                markup = json.loads(str(form["reply_markup"]))
                datas = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
                if any(len(d.encode()) > 64 for d in datas):
                    self.rejected.append(("telegram", "callback_data > 64 bytes"))
                    return web.json_response({"ok": False, "error_code": 400,
                                              "description": "Bad Request: BUTTON_DATA_INVALID"}, status=400)
                body["buttons"] = datas
            kind = "text"
        else:
            photo = form.get("photo")
            data = photo.file.read() if isinstance(photo, web.FileField) else b""
            if not data.startswith(b"\x89PNG"):
                self.rejected.append(("telegram", "photo is not a PNG"))
                return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: bad photo"},
                                         status=400)
            body["bytes"] = len(data)
            body["caption"] = str(form.get("caption", ""))
            kind = "photo"
        self._record(Received("telegram", str(chat_id), kind, body, time.monotonic()))
        self._message_id += 1
        result: dict[str, Any] = {"message_id": self._message_id, "date": int(time.time()),
                                  "chat": {"id": chat_id, "type": "private"}}
        if kind == "text":
            result["text"] = body["text"]
        else:
            result["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 10, "height": 10}]
        return web.json_response({"ok": True, "result": result})

    def _telegram_fault(self, fault: Fault) -> web.Response:
        code = fault[0]
        if code == "429":
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": f"Too Many Requests: retry after {fault[1]}",
                                      "parameters": {"retry_after": int(fault[1])}}, status=429)
        if code == "403":
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"}, status=403)
        if code == "400":
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: can't parse entities"}, status=400)
        return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)

    # --- WeCom group robot ---------------------------------------------------------------
    async def _wecom(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        body = await request.json()
        fault = await self._fault("wecom")
        if fault is not None:
            return self._robot_fault(fault, ("errcode", 45009, "errmsg"))
        mtype = body.get("msgtype")
        if mtype == "markdown":
            content = body.get("markdown", {}).get("content", "")
            if not content or len(content.encode()) > 4096:
                self.rejected.append(("wecom", "markdown content"))
                return web.json_response({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
        elif mtype == "image":
            raw = base64.b64decode(body["image"]["base64"])
            if hashlib.md5(raw).hexdigest() != body["image"]["md5"]:
                self.rejected.append(("wecom", "image md5"))
                return web.json_response({"errcode": 301019, "errmsg": "media md5 not match"})
        else:
            self.rejected.append(("wecom", f"msgtype {mtype}"))
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        self._record(Received("wecom", key, mtype, body, time.monotonic()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _robot_fault(self, fault: Fault, shape: tuple[str, int, str]) -> web.Response:
        code_key, too_fast, msg_key = shape
        if fault[0] == "429":
            return web.json_response({code_key: too_fast, msg_key: "send too fast"})
        if fault[0] == "400":
            return web.json_response({code_key: 40035, msg_key: "invalid parameter"})
        if fault[0] == "403":
            return web.json_response({"error": "forbidden"}, status=403)
        return web.json_response({"error": "server error"}, status=500)

    # --- DingTalk custom robot -----------------------------------------------------------
    async def _dingtalk(self, request: web.Request) -> web.Response:
        name = request.query.get("access_token", "")
        secret = self.dingtalk_secrets.get(name)
        if secret is not None:
            ts = request.query.get("timestamp", "")
            sign = request.query.get("sign", "")
            expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if not ts.isdigit() or abs(int(ts) - time.time() * 1000) > 3600_000 or sign != expected:
                self.rejected.append(("dingtalk", "sign"))
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        body = await request.json()
        fault = await self._fault("dingtalk")
        if fault is not None:
            return self._robot_fault(fault, ("errcode", 130101, "errmsg"))
        md = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            self.rejected.append(("dingtalk", "markdown"))
            return web.json_response({"errcode": 40035, "errmsg": "missing markdown title or text"})
        self._record(Received("dingtalk", name, "markdown", body, time.monotonic()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # --- Feishu custom bot ---------------------------------------------------------------
    async def _feishu(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await request.json()
        secret = self.feishu_secrets.get(name)
        if secret is not None:
            ts = str(body.get("timestamp", ""))
            key = f"{ts}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if not ts.isdigit() or abs(int(ts) - time.time()) > 3600 or body.get("sign") != expected:
                self.rejected.append(("feishu", "sign"))
                return web.json_response({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
        fault = await self._fault("feishu")
        if fault is not None:
            return self._robot_fault(fault, ("code", 9499, "msg"))
        card = body.get("card") or {}
        if body.get("msg_type") != "interactive" or not card.get("elements"):
            self.rejected.append(("feishu", "card"))
            return web.json_response({"code": 9499 + 1, "msg": "Bad Request"})
        self._record(Received("feishu", name, "card", body, time.monotonic()))
        return web.json_response({"code": 0, "msg": "success", "data": {}})


class _SmtpHandler:
    def __init__(self, owner: FakeSmtp) -> None:
        self.owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self.owner.script.pop(0) if self.owner.script else None
        if fault is None and self.owner.p_fail:
            fault = ("451",) if self.owner.rng.random() < self.owner.p_fail else None
        if fault is not None:
            self.owner.faults_sent += 1
            return "451 4.3.0 try again later" if fault[0] in ("451", "500") else "550 5.1.1 no such user"
        msg = message_from_bytes(envelope.content, policy=email_policy.default)
        for rcpt in envelope.rcpt_tos:
            self.owner.messages.append((rcpt, msg))
        return "250 OK"


class FakeSmtp:
    """An aiosmtpd server on 127.0.0.1 that keeps the messages (and can refuse some)."""

    def __init__(self, *, p_fail: float = 0.0, seed: int = 0) -> None:
        self.messages: list[tuple[str, Message]] = []
        self.script: list[Fault] = []
        self.p_fail = p_fail
        self.rng = random.Random(seed)
        self.faults_sent = 0
        self.port = free_port()
        from aiosmtpd.controller import Controller

        self._controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> FakeSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, rcpt: str) -> list[Message]:
        return [m for r, m in self.messages if r == rcpt]
