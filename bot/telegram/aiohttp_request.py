"""PTB's network layer on aiohttp's client instead of httpx.

PTB's default ``HTTPXRequest`` spends most of a send's CPU time in httpx/httpcore (the
connection pool checks every pooled connection's socket on every request); at the chat's
load (150 updates/s, one send each) that was about half of the server's event loop. aiohttp
is already our server, and its client pool costs a fraction of that. Semantics follow
``HTTPXRequest``: form-encoded parameters (multipart when files are attached), the same
default timeouts, ``TimedOut`` / ``NetworkError`` for transport failures.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """``ApplicationBuilder().request(AiohttpRequest(...))``. ``pool_size``: connections at most."""

    def __init__(self, *, pool_size: int = 64, connect_timeout: float = 5.0, read_timeout: float = 5.0,
                 write_timeout: float = 5.0, media_write_timeout: float = 20.0) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=30),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else {}
        read = self._read_timeout if _default(read_timeout) else read_timeout
        write = (self._media_write_timeout if files else self._write_timeout) if _default(write_timeout) \
            else write_timeout
        connect = self._connect_timeout if _default(connect_timeout) else connect_timeout
        pool = None if _default(pool_timeout) else pool_timeout
        # aiohttp has no separate write timeout: a request may take connect + write + read at most
        total = None if None in (read, write, connect) else float(read) + float(write) + float(connect)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read,
                                        connect=None if pool is None or connect is None else pool + connect)
        data: Any
        if files:
            form = aiohttp.FormData()
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        else:
            data = fields
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _default(value: Any) -> bool:
    return isinstance(value, type(BaseRequest.DEFAULT_NONE))
