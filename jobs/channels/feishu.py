"""Feishu / Lark (飞书) custom bot: webhook ``.../open-apis/bot/v2/hook/ID``; with "签名校验"
the body carries ``timestamp`` (seconds) and ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
msg=b""))``. Messages are interactive cards with one markdown element. Codes 9499 and 11232
mean "too many requests"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scheduler_core.reports.notify import Rendered

from . import Permanent, RetryLater, Transient
from ._http import JsonPoster

__all__ = ["FeishuBot", "FeishuChannel", "feishu_sign"]

_TOO_FAST = {9499, 11232, 11233}
_SERVER = {-1, 500}


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """The ``sign`` field of a Feishu bot request."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class FeishuBot:
    webhook: str
    secret: str | None = None


class FeishuChannel:
    name = "feishu"

    def __init__(self, bots: Mapping[str, FeishuBot], *, timeout: float = 10.0, too_fast_retry: float = 10.0,
                 clock_s: Callable[[], int] = lambda: int(time.time())) -> None:
        self.bots = dict(bots)
        self._http = JsonPoster(timeout)
        self.too_fast_retry = too_fast_retry  # seconds to wait after a "too fast" answer
        self._clock_s = clock_s

    def lane(self, address: str) -> str:
        return address

    def cost(self, message: Rendered) -> int:
        return 1

    def body(self, bot: FeishuBot, message: Rendered) -> dict[str, Any]:
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": message.title[:100]}},
                "elements": [{"tag": "markdown", "content": message.markdown[:8000]}],
            },
        }
        if bot.secret:
            ts = self._clock_s()
            body = {"timestamp": str(ts), "sign": feishu_sign(ts, bot.secret), **body}
        return body

    async def send(self, address: str, message: Rendered) -> None:
        bot = self.bots.get(address.removeprefix("feishu:"))
        if bot is None:
            raise Permanent(f"no Feishu bot {address!r} in the notification config")
        answer = await self._http.post(bot.webhook, self.body(bot, message))
        code = int(answer.get("code", answer.get("StatusCode", 0)) or 0)
        if code == 0:
            return
        if code in _TOO_FAST:
            raise RetryLater(f"feishu {code}: {answer.get('msg')}", self.too_fast_retry)
        if code in _SERVER:
            raise Transient(f"feishu {code}: {answer.get('msg')}")
        raise Permanent(f"feishu {code}: {answer.get('msg')}")

    async def close(self) -> None:
        await self._http.close()
