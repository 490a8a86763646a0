"""The group robots' shared HTTP part: one aiohttp session, JSON POST, faults mapped."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from . import Permanent, RetryLater, Transient

__all__ = ["JsonPoster"]


class JsonPoster:
    def __init__(self, timeout: float = 10.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body``; the JSON answer of a 2xx, or the matching delivery error."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(url, json=body) as resp:
                if resp.status == 429:
                    after = resp.headers.get("Retry-After")
                    raise RetryLater(f"HTTP 429 from {resp.url.host}", float(after) if after else None)
                if resp.status >= 500:
                    raise Transient(f"HTTP {resp.status} from {resp.url.host}")
                if resp.status >= 400:
                    raise Permanent(f"HTTP {resp.status} from {resp.url.host}: {(await resp.text())[:200]}")
                data = await resp.json(content_type=None)
        except TimeoutError as exc:
            raise Transient("timeout", maybe_delivered=True) from exc
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as exc:
            raise Transient(f"connection: {exc}") from exc
        except ValueError as exc:
            raise Transient(f"not JSON: {exc}") from exc
        return data if isinstance(data, dict) else {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
