"""What every chat flow gets: the long-lived :class:`ChatDeps` and, per message, a :class:`Ctx`
with the sender's identity, role and language."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.domain.model import OrderStatus
from scheduler_core.reports.i18n import Lang, Tr, translator
from scheduler_core.services.context import Services
from scheduler_core.services.errors import InvalidInput
from scheduler_core.services.ports import Actor, ChatIdentity, Role
from scheduler_core.services.refs import DEFAULT_PREFIX, normalise_ref

from . import render
from .buttons import ButtonStore
from .intent import Intent, parse
from .session import Sessions
from .types import Button, Incoming, Reply

__all__ = ["ChatDeps", "Ctx", "lang_of"]


def lang_of(code: str | None) -> Lang:
    """A client's ``language_code`` (``zh-hans``, ``zh-CN``, ``en``, ``de`` ...) -> our language."""
    return "zh_Hans" if (code or "").lower().startswith("zh") else "en"


@dataclass
class ChatDeps:
    """Built once per process by the composition root."""

    svc: Services
    buttons: ButtonStore
    sessions: Sessions
    bot_name: str | None = None
    cache_seconds: float = 60.0
    _cache: dict[str, tuple[float, object]] = field(default_factory=dict)

    @classmethod
    def make(cls, svc: Services, *, bot_name: str | None = None) -> ChatDeps:
        return cls(svc, ButtonStore(svc.clock), Sessions(svc.clock), bot_name)

    async def _cached(self, key: str, load: object) -> object:
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.cache_seconds:
            return hit[1]
        value = await load()  # type: ignore[operator]
        self._cache[key] = (time.monotonic(), value)
        return value

    async def timezone(self) -> ZoneInfo:
        async def load() -> ZoneInfo:
            async with self.svc.uow() as uow:
                return ZoneInfo(await uow.master.timezone())
        tz = await self._cached("tz", load)
        assert isinstance(tz, ZoneInfo)
        return tz

    async def product_labels(self) -> dict[str, str]:
        """Every product code -> what people call it ("BR-1" -> "Bracket"; "" when it has no name),
        in code order."""
        async def load() -> dict[str, str]:
            async with self.svc.uow() as uow:
                routings = await uow.master.routings()
            return {code: routings[code].name for code in sorted(routings)}
        value = await self._cached("product_labels", load)
        assert isinstance(value, dict)
        return value

    async def products(self) -> tuple[str, ...]:
        """The product codes."""
        return tuple(await self.product_labels())

    async def products_called(self, text: str) -> tuple[str, ...]:
        """The products ``text`` names: the product of that code, else every product of that name
        ("Bracket" -> BR-1, BR-2), ignoring case; empty when none."""
        labels = await self.product_labels()
        key = text.strip().casefold()
        codes = tuple(c for c in labels if c.casefold() == key)
        return codes or tuple(c for c, name in labels.items() if name and name.casefold() == key)

    async def machines(self) -> tuple[str, ...]:
        async def load() -> tuple[str, ...]:
            async with self.svc.uow() as uow:
                return tuple(m.id for m in await uow.master.machines())
        value = await self._cached("machines", load)
        assert isinstance(value, tuple)
        return value

    async def machine_names(self) -> dict[str, str]:
        """Every name a machine goes by (its id, and its display name such as "激光切割1") -> id."""
        async def load() -> dict[str, str]:
            async with self.svc.uow() as uow:
                machines = await uow.master.machines()
            names = {m.name.strip(): m.id for m in machines if m.name and m.name.strip()}
            return names | {m.id: m.id for m in machines}  # an id wins over another machine's name
        value = await self._cached("machine_names", load)
        assert isinstance(value, dict)
        return value

    async def customers(self) -> tuple[str, ...]:
        async def load() -> tuple[str, ...]:
            async with self.svc.uow() as uow:
                records = await uow.orders.list()
            return tuple(sorted({r.order.customer for r in records}))
        value = await self._cached("customers", load)
        assert isinstance(value, tuple)
        return value

    async def order_prefixes(self) -> tuple[str, ...]:
        """The letters this factory's order numbers start with, the most used first ("WO" for
        WO-778); empty for a factory without orders."""
        async def load() -> tuple[str, ...]:
            async with self.svc.uow() as uow:
                return await uow.orders.prefixes()
        value = await self._cached("order_prefixes", load)
        assert isinstance(value, tuple)
        return value

    async def understand(self, text: str, today: date) -> Intent:
        """A chat message as :func:`~handlers.intent.parse` reads it with this factory's names."""
        labels = await self.product_labels()
        products = (*labels, *dict.fromkeys(name for name in labels.values() if name))  # codes, then names
        return parse(text, today=today, products=products, customers=await self.customers(),
                     machines=tuple(await self.machine_names()), order_prefixes=await self.order_prefixes())

    async def order_ref(self, text: str) -> str:
        """An order number as typed after a command, a number alone being one of the factory's
        main numbering ("/status 778" -> WO-778 where orders are WO-...); what is no order
        number as typed, for the use case to refuse."""
        prefixes = await self.order_prefixes()
        try:
            return normalise_ref(text, prefixes[0] if prefixes else DEFAULT_PREFIX)
        except InvalidInput:
            return text

    async def example_names(self, customer: str | None, *, staff: bool) -> dict[str, str]:
        """This factory's names for the placeholders of the help examples (product P-100,
        customer ACME, machine CNC-2, order SO-1042), so that an example works as written.
        The order is one of ``customer``'s own, or any order for ``staff`` only (P1)."""
        out: dict[str, str] = {}
        products, machines, customers = await self.products(), await self.machines(), await self.customers()
        if products:
            out["P-100"] = products[0]
        if machines:
            out["CNC-2"] = machines[0]
        if customers:
            out["ACME"] = customer or customers[0]
        if customer is None and not staff:
            return out
        async with self.svc.uow() as uow:
            records = await uow.orders.list(customer=customer, statuses=(OrderStatus.OPEN, OrderStatus.IN_PROGRESS))
        if records:
            out["SO-1042"] = min(r.ref for r in records)
        return out

    def forget(self) -> None:
        """Drop cached master data (after a change that may have added a customer)."""
        self._cache.clear()


_ORDER = "order"
ORDER_MEMORY = timedelta(minutes=30)
"""How long "it" still means the order a chat was last about."""


@dataclass
class Ctx:
    """One incoming message with who sent it. ``actor`` None: the account is not linked."""

    deps: ChatDeps
    msg: Incoming
    lang: Lang
    actor: Actor | None
    identity: ChatIdentity | None
    tz: ZoneInfo

    @cached_property
    def tr(self) -> Tr:
        """The translator for this message, made once for its moment (every reply formats dates
        from the same now)."""
        return translator(self.lang).at(self.now())

    @property
    def svc(self) -> Services:
        return self.deps.svc

    @property
    def role(self) -> Role | None:
        return self.actor.role if self.actor else None

    def now(self) -> datetime:
        return self.deps.svc.now()

    async def help_text(self, intro: str | None, *, user: Actor | None = None, tr: Tr | None = None) -> str:
        """The help for ``user`` (default: the sender), its examples in this factory's names."""
        who = self.actor if user is None else user
        role = who.role if who is not None else None
        names: dict[str, str] = {}
        if who is not None:
            customer = who.customer if role is Role.CUSTOMER else None
            names = await self.deps.example_names(customer, staff=role is not Role.CUSTOMER)
        return render.help_text(tr or self.tr, role, intro=intro, names=names)

    def waiting_time(self, span: timedelta) -> timedelta:
        """``span`` of factory time as a person waits it: the demo's factory clock runs
        ``speed`` times faster than the wall clock (a rush proposal's 600 factory minutes are
        10 real ones); a real clock has no ``speed``."""
        speed = getattr(self.deps.svc.clock, "speed", 1.0)
        return span / speed if isinstance(speed, int | float) and speed > 0 else span

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()

    def button(self, label: str, action: str, roles: Iterable[Role] | None = None, *, single_use: bool = False,
               ttl: timedelta | None = None, **args: object) -> Button:
        """A button whose token only this account, in ``roles`` (default: its current role), may press;
        ``roles=()``: this account whatever its role, linked or not."""
        allowed = tuple(roles) if roles is not None else ((self.role,) if self.role else ())
        data = self.deps.buttons.make(self.msg.user_id, action, allowed, single_use=single_use, ttl=ttl, **args)
        return Button(label, data)

    def say(self, text: str, *rows: Iterable[Button], edit: bool = False) -> list[Reply]:
        return [Reply(text, tuple(tuple(r) for r in rows if r), edit=edit)]

    @property
    def memory(self) -> dict[str, Any]:
        """What this chat keeps between messages (stored, see :mod:`.session`): the operator's
        machine, the last impact preview."""
        return self.deps.sessions.memory(self.msg.channel, self.msg.user_id)

    def remember_order(self, ref: str) -> None:
        """The order this chat is about now: "it" or "这个单" in the next messages means it."""
        self.deps.sessions.scratch(self.msg.channel, self.msg.user_id)[_ORDER] = (ref, self.now())

    def order_memory(self) -> object:
        """What :meth:`remember_order` keeps now, to put back with :meth:`restore_order_memory`."""
        return self.deps.sessions.scratch(self.msg.channel, self.msg.user_id).get(_ORDER)

    def restore_order_memory(self, kept: object) -> None:
        scratch = self.deps.sessions.scratch(self.msg.channel, self.msg.user_id)
        if kept is None:
            scratch.pop(_ORDER, None)
        else:
            scratch[_ORDER] = kept

    def last_order(self) -> str | None:
        """The order the chat was about (:meth:`remember_order`), for :data:`ORDER_MEMORY` of a
        person's waiting time; None after that or when there was none."""
        kept = self.deps.sessions.scratch(self.msg.channel, self.msg.user_id).get(_ORDER)
        if kept is None or self.waiting_time(self.now() - kept[1]) > ORDER_MEMORY:
            return None
        return str(kept[0])

    def session(self) -> dict[str, object] | None:
        return self.deps.sessions.get(self.msg.channel, self.msg.user_id)

    def start_session(self, state: dict[str, object]) -> None:
        self.deps.sessions.set(self.msg.channel, self.msg.user_id, state)

    def end_session(self) -> dict[str, object] | None:
        return self.deps.sessions.clear(self.msg.channel, self.msg.user_id)
