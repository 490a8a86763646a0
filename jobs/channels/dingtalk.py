"""DingTalk (钉钉) custom robot: webhook ``.../robot/send?access_token=TOKEN`` with the
"加签" signature: ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``
with ``timestamp`` in milliseconds, both added to the URL. Markdown messages (title + text);
pictures cannot be uploaded through a robot, so the summary's text says where to find them.
errcode 130101 means "more than 20 a minute"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scheduler_core.reports.notify import Rendered

from . import Permanent, RetryLater, Transient
from ._http import JsonPoster

__all__ = ["DingTalkChannel", "DingTalkRobot", "dingtalk_sign"]

_TOO_FAST = {130101, 410100}
_SERVER = {-1}


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """The URL-encoded signature of a DingTalk robot request."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


@dataclass(frozen=True)
class DingTalkRobot:
    webhook: str
    secret: str | None = None


class DingTalkChannel:
    name = "dingtalk"

    def __init__(self, robots: Mapping[str, DingTalkRobot], *, timeout: float = 10.0, too_fast_retry: float = 60.0,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.robots = dict(robots)
        self._http = JsonPoster(timeout)
        self.too_fast_retry = too_fast_retry  # seconds to wait after a "too fast" answer
        self._clock_ms = clock_ms

    def lane(self, address: str) -> str:
        return address

    def cost(self, message: Rendered) -> int:
        return 1

    def url(self, robot: DingTalkRobot) -> str:
        if not robot.secret:
            return robot.webhook
        ts = self._clock_ms()
        sep = "&" if "?" in robot.webhook else "?"
        return f"{robot.webhook}{sep}timestamp={ts}&sign={dingtalk_sign(ts, robot.secret)}"

    async def send(self, address: str, message: Rendered) -> None:
        robot = self.robots.get(address.removeprefix("dingtalk:"))
        if robot is None:
            raise Permanent(f"no DingTalk robot {address!r} in the notification config")
        body = {"msgtype": "markdown", "markdown": {"title": message.title[:64], "text": message.markdown[:5000]}}
        answer = await self._http.post(self.url(robot), body)
        code = int(answer.get("errcode", 0) or 0)
        if code == 0:
            return
        if code in _TOO_FAST:
            raise RetryLater(f"dingtalk {code}: {answer.get('errmsg')}", self.too_fast_retry)
        if code in _SERVER:
            raise Transient(f"dingtalk {code}: {answer.get('errmsg')}")
        raise Permanent(f"dingtalk {code}: {answer.get('errmsg')}")

    async def close(self) -> None:
        await self._http.close()
