"""Server-side button tokens: callback data is written by the client and can be forged, so a
button carries only an opaque random token; what it does lives here.

Every click is re-checked: the token must exist, be unexpired, belong to the clicking account
(numeric id) and the clicker's current role must be one the button was made for. A
state-changing button is single-use: the first click takes it (a check-and-delete with no
``await`` in between, so two clicks at once cannot both win inside this process; in the
database, one conditional DELETE).

Buttons are kept in the database too (``uow.buttons``): the chat saves the ones a reply made
before the reply is sent (:meth:`ButtonStore.save`), and a click on a button this process does
not know (it restarted, or another worker made it) is looked up there. A Confirm pressed after
a restart still confirms.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scheduler_core.services.ports import Role, StoredButton, UnitOfWorkFactory

__all__ = ["PREFIX", "REQUEST_PREFIX", "SURVEY_PREFIX", "ButtonStore", "Click", "request_data", "survey_data"]

PREFIX = "b:"
SURVEY_PREFIX = "survey:"
"""``survey:<REF>:<score>``: the survey buttons the notification relay sends (``reports.notify``) without a store of its
own. Forging one gains nothing: the use case accepts a score only from the order's own
customer, once."""


def survey_data(ref: str, score: int) -> str:
    return f"{SURVEY_PREFIX}{ref}:{score}"


REQUEST_PREFIX = "req:"
"""``req:<outbox key>``: "See what it would do" on a customer's request passed on to staff
(``reports.notify`` puts it on the ``handover`` message). It names the outbox row, not what to
do: the click is honoured only from the row's own recipient, with a role that may assess
changes, and it runs the customer's words as that person would have typed them; forging one
gains nothing that typing does not."""


def request_data(key: str) -> str | None:
    """The button's callback data, or None when it would pass Telegram's limit of 64 bytes (the
    request then goes without the button, as written)."""
    data = REQUEST_PREFIX + key
    return data if len(data.encode()) <= 64 else None


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
    """Tokens in memory (oldest dropped beyond ``capacity``) and in the database."""

    clock: Callable[[], datetime]
    ttl: timedelta = timedelta(hours=12)
    capacity: int = 100_000
    _items: OrderedDict[str, Click] = field(default_factory=OrderedDict)
    _unsaved: dict[str, Click] = field(default_factory=dict)

    def make(self, owner: int, action: str, roles: Iterable[Role], *, single_use: bool = False,
             ttl: timedelta | None = None, **args: Any) -> str:
        """A new token (the callback data to put on the button, 18 bytes); saved by :meth:`save`."""
        token = secrets.token_urlsafe(12)
        click = Click(action, dict(args), owner, frozenset(roles), self.clock() + (ttl or self.ttl), single_use)
        self._items[token] = self._unsaved[token] = click
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return PREFIX + token

    async def save(self, uow: UnitOfWorkFactory) -> None:
        """Store the buttons made since the last call (before the reply showing them is sent)."""
        if not self._unsaved:
            return
        made = dict(self._unsaved)
        rows = [StoredButton(t, c.owner, c.action, c.args, tuple(sorted(r.value for r in c.roles)), c.expires,
                             c.single_use) for t, c in made.items()]
        async with uow(write=True) as tx:
            await tx.buttons.add(rows)
            await tx.commit()
        for t in made:  # made meanwhile stay for the next call; unsaved ones still work in this process
            self._unsaved.pop(t, None)

    async def take(self, data: str, clicker: int, role: Role | None, uow: UnitOfWorkFactory) -> Click | None:
        """The button's click if ``clicker`` with ``role`` may press it now; a single-use button
        is consumed. None for forged, foreign, expired or used tokens, or a role it was not for."""
        if not data.startswith(PREFIX) or len(data) > 64:
            return None
        token = data[len(PREFIX):]
        click = self._items.get(token)
        if click is None:
            async with uow() as tx:
                stored = await tx.buttons.get(token)
            if stored is None:
                return None
            click = Click(stored.action, dict(stored.args), stored.owner, frozenset(Role(r) for r in stored.roles),
                          stored.expires, stored.single_use)
        if click.expires <= self.clock():
            self._items.pop(token, None)
            return None
        if click.owner != clicker:
            return None
        if click.roles and (role is None or role not in click.roles):  # no roles: anyone, even unlinked
            return None
        if click.single_use:
            self._items.pop(token, None)
            if self._unsaved.pop(token, None) is not None:
                return click  # never stored
            async with uow(write=True) as tx:
                taken = await tx.buttons.take(token)
                await tx.commit()
            if not taken:  # another process took it first
                return None
        return click

    def drop(self, data: str) -> None:
        token = data[len(PREFIX):]
        self._items.pop(token, None)
        self._unsaved.pop(token, None)

    def __len__(self) -> int:
        return len(self._items)
