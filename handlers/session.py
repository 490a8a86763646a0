"""Short conversations (the /rush questions, a survey comment) and what a chat keeps between
messages (an operator's machine, the last impact preview): one small state per chat account.

Kept in memory while the process runs and in the database (``uow.chatstate``), so that a
restart or another chat worker continues the conversation: the chat loads an account's state
the first time this process sees it (:meth:`Sessions.load`) and stores it after a message that
changed it (:meth:`Sessions.save`). The order a chat is about ("it", "这个单") is a scratch value
kept in memory only: it changes with every status question, and losing it costs one "which
order?".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scheduler_core.services.ports import UnitOfWorkFactory

__all__ = ["Sessions"]

Key = tuple[str, int]


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__} in a chat's state")


def _decode(d: dict[str, Any]) -> object:
    return datetime.fromisoformat(d["$dt"]) if set(d) == {"$dt"} else d


@dataclass
class Sessions:
    clock: Callable[[], datetime]
    ttl: timedelta = timedelta(minutes=15)
    keep: timedelta = timedelta(days=30)
    """How long a chat's stored state outlives its last change (housekeeping deletes it then)."""
    _state: dict[Key, tuple[datetime, dict[str, Any]]] = field(default_factory=dict)
    _sticky: dict[Key, dict[str, Any]] = field(default_factory=dict)
    _scratch: dict[Key, dict[str, Any]] = field(default_factory=dict)
    _stored: dict[Key, str] = field(default_factory=dict)  # as last loaded or saved

    def get(self, channel: str, user: int) -> dict[str, Any] | None:
        """The conversation in progress (``{"flow": ..., ...}``), or None."""
        item = self._state.get((channel, user))
        if item is None:
            return None
        if item[0] <= self.clock():
            del self._state[(channel, user)]
            return None
        return item[1]

    def set(self, channel: str, user: int, state: dict[str, Any]) -> None:
        self._state[(channel, user)] = (self.clock() + self.ttl, state)
        if len(self._state) > 10_000:
            now = self.clock()
            for key in [k for k, (exp, _) in self._state.items() if exp <= now]:
                del self._state[key]

    def clear(self, channel: str, user: int) -> dict[str, Any] | None:
        item = self._state.pop((channel, user), None)
        return item[1] if item and item[0] > self.clock() else None

    def memory(self, channel: str, user: int) -> dict[str, Any]:
        """Small preferences kept between messages (an operator's machine, the last preview)."""
        return self._sticky.setdefault((channel, user), {})

    def scratch(self, channel: str, user: int) -> dict[str, Any]:
        """Like :meth:`memory`, in this process only."""
        return self._scratch.setdefault((channel, user), {})

    async def load(self, channel: str, user: int, uow: UnitOfWorkFactory) -> None:
        """The account's stored state, the first time this process sees the account."""
        key = (channel, user)
        if key in self._stored:
            return
        async with uow() as tx:
            stored = await tx.chatstate.get(channel, user)
        blob = json.loads(json.dumps(stored or {}), object_hook=_decode)
        if blob.get("state") is not None and blob.get("until") is not None and blob["until"] > self.clock():
            self._state[key] = (blob["until"], blob["state"])
        if blob.get("memory"):
            self._sticky[key] = {**blob["memory"], **self._sticky.get(key, {})}
        self._stored[key] = self._dump(key)

    async def save(self, channel: str, user: int, uow: UnitOfWorkFactory) -> None:
        """Store the account's state if a message changed it."""
        key = (channel, user)
        now = self._dump(key)
        if self._stored.get(key) == now:
            return
        async with uow(write=True) as tx:
            await tx.chatstate.put(channel, user, json.loads(now), self.clock() + self.keep)
            await tx.commit()
        self._stored[key] = now

    def _dump(self, key: Key) -> str:
        item = self._state.get(key)
        blob = {"state": item[1] if item else None, "until": item[0] if item else None,
                "memory": self._sticky.get(key) or {}}
        return json.dumps(blob, default=_encode, sort_keys=True)
