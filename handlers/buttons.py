"""Server-side button tokens: callback data is written by the client and can be forged, so a
button carries only an opaque random token; what it does lives here.

Every click is re-checked: the token must exist, be unexpired, belong to the clicking account
(numeric id) and the clicker's current role must be one the button was made for. A
state-changing button is single-use: the first click takes it (a check-and-delete with no
``await`` in between, so two clicks at once cannot both win inside this process).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scheduler_core.services.ports import Role

__all__ = ["PREFIX", "SURVEY_PREFIX", "ButtonStore", "Click", "survey_data"]

PREFIX = "b:"
SURVEY_PREFIX = "survey:"
"""``survey:<REF>:<score>``: the survey buttons the notification relay sends (``reports.notify``) without a store of its
own. Forging one gains nothing: the use case accepts a score only from the order's own
customer, once."""


def survey_data(ref: str, score: int) -> str:
    return f"{SURVEY_PREFIX}{ref}:{score}"


@dataclass(frozen=True, slots=True)
class Click:
    """What a button does: ``action`` with ``args``, for ``owner`` in one of ``roles``."""

    action: str
    args: dict[str, Any]
    owner: int
    roles: frozenset[Role]
    expires: datetime
    single_use: bool = False


@dataclass
class ButtonStore:
    """Tokens in memory, oldest dropped beyond ``capacity`` (a lost token answers "expired")."""

    clock: Callable[[], datetime]
    ttl: timedelta = timedelta(hours=12)
    capacity: int = 100_000
    _items: OrderedDict[str, Click] = field(default_factory=OrderedDict)

    def make(self, owner: int, action: str, roles: Iterable[Role], *, single_use: bool = False,
             ttl: timedelta | None = None, **args: Any) -> str:
        """A new token (the callback data to put on the button, 18 bytes)."""
        token = secrets.token_urlsafe(12)
        self._items[token] = Click(action, dict(args), owner, frozenset(roles), self.clock() + (ttl or self.ttl),
                                   single_use)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return PREFIX + token

    def take(self, data: str, clicker: int, role: Role | None) -> Click | None:
        """The button's click if ``clicker`` with ``role`` may press it now; a single-use button
        is consumed. None for forged, foreign, expired or used tokens, or a role it was not for."""
        if not data.startswith(PREFIX) or len(data) > 64:
            return None
        token = data[len(PREFIX):]
        click = self._items.get(token)
        if click is None:
            return None
        if click.expires <= self.clock():
            self._items.pop(token, None)
            return None
        if click.owner != clicker:
            return None
        if click.roles and (role is None or role not in click.roles):  # no roles: anyone, even unlinked
            return None
        if click.single_use:
            self._items.pop(token, None)
        return click

    def drop(self, data: str) -> None:
        self._items.pop(data[len(PREFIX):], None)

    def __len__(self) -> int:
        return len(self._items)
