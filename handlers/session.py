"""Short conversations (the /rush questions, a survey comment, an operator's machine): one
small state per chat account, in memory, forgotten after ``ttl`` of silence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["Sessions"]


@dataclass
class Sessions:
    clock: Callable[[], datetime]
    ttl: timedelta = timedelta(minutes=15)
    _state: dict[tuple[str, int], tuple[datetime, dict[str, Any]]] = field(default_factory=dict)
    _sticky: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

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
        """Small preferences kept while the process runs (an operator's machine)."""
        return self._sticky.setdefault((channel, user), {})
