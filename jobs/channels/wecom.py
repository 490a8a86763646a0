"""WeCom (企业微信) group robot: webhook ``.../cgi-bin/webhook/send?key=KEY``, markdown
messages (4096 bytes at most), pictures as ``image`` messages (base64 + md5). A robot takes
20 messages a minute; errcode 45009 means "too fast"."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from scheduler_core.reports.notify import Rendered

from . import Permanent, RetryLater, Transient
from ._http import JsonPoster

__all__ = ["WeComChannel", "markdown_body"]

_MAX_BYTES = 4096
_TOO_FAST = {45009}
_SERVER = {-1}


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def markdown_body(message: Rendered) -> dict[str, object]:
    return {"msgtype": "markdown", "markdown": {"content": _cut(message.markdown, _MAX_BYTES)}}


class WeComChannel:
    name = "wecom"

    def __init__(self, robots: Mapping[str, str], *, timeout: float = 10.0, too_fast_retry: float = 60.0) -> None:
        """``robots``: robot name -> webhook URL."""
        self.robots = dict(robots)
        self._http = JsonPoster(timeout)
        self.too_fast_retry = too_fast_retry  # seconds to wait after a "too fast" answer

    def lane(self, address: str) -> str:
        return address  # "wecom:<robot>": each robot has its own 20/min

    def cost(self, message: Rendered) -> int:
        return 1 + len(message.pictures)

    async def send(self, address: str, message: Rendered) -> None:
        url = self.robots.get(address.removeprefix("wecom:"))
        if url is None:
            raise Permanent(f"no WeCom robot {address!r} in the notification config")
        await self._post(url, markdown_body(message))
        for pic in message.pictures:
            await self._post(url, {"msgtype": "image", "image": {"base64": base64.b64encode(pic.png).decode(),
                                                                  "md5": hashlib.md5(pic.png).hexdigest()}})

    async def _post(self, url: str, body: dict[str, object]) -> None:
        answer = await self._http.post(url, body)
        code = int(answer.get("errcode", 0) or 0)
        if code == 0:
            return
        if code in _TOO_FAST:
            raise RetryLater(f"wecom {code}: {answer.get('errmsg')}", self.too_fast_retry)
        if code in _SERVER:
            raise Transient(f"wecom {code}: {answer.get('errmsg')}")
        raise Permanent(f"wecom {code}: {answer.get('errmsg')}")

    async def close(self) -> None:
        await self._http.close()
