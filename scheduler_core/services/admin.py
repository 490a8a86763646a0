"""Use cases for the administrator: create users, and load the demo factory.

``load_demo`` writes the demo of :mod:`scheduler_core.domain.history` (its docstring states
the model of the past: lateness, complaints and survey scores) into an EMPTY database in one
unit of work, with a demo user for every role, then publishes a first plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from scheduler_core.domain.generate import in_language
from scheduler_core.domain.history import (
    DEMO_CUSTOMERS,
    DEMO_CUSTOMERS_EN,
    DEMO_PRODUCT_NAMES,
    DEMO_PRODUCT_NAMES_EN,
    DemoHistory,
    demo_history,
)
from scheduler_core.domain.model import OrderStatus
from scheduler_core.reports.i18n import Lang, resolve_lang

from .accounts import hash_password
from .context import Services
from .errors import Conflict, InvalidInput
from .importing import FieldError, parse_name
from .policy import require
from .ports import (
    SYSTEM,
    Actor,
    AuditEntry,
    ChatIdentity,
    Complaint,
    OrderRecord,
    ProgressEvent,
    Role,
    Survey,
    UnitOfWork,
    User,
)
from .shopfloor import replan_now

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoSummary",
    "DemoUser",
    "UserView",
    "create_user",
    "demo_logins",
    "list_users",
    "load_demo",
    "parse_role",
    "validate_username",
]

DEMO_PASSWORD = "paichan-demo"
"""The web login password of every demo user (documented in the README; a demo, not a secret)."""

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


def validate_username(username: str) -> str:
    """The canonical (lower-case) username.

    Rules: 3-32 characters, ASCII letters, digits, ``.``, ``_``, ``-``, starting with a letter
    (it is typed in commands and shown in chats, so nothing that can be confused or spoofed).

    Raises:
        InvalidInput: ``bad_username``.
    """
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise InvalidInput("bad_username", username=(username or "")[:40])
    return name


def parse_role(role: Role | str) -> Role:
    """``"sales"`` -> :attr:`Role.SALES`; raises ``InvalidInput("bad_role")``."""
    if isinstance(role, Role):
        return role
    try:
        return Role((role or "").strip().lower())
    except ValueError as exc:
        raise InvalidInput("bad_role", role=(role or "")[:40], roles=", ".join(r.value for r in Role)) from exc


def _lang(lang: str) -> Lang:
    try:
        return resolve_lang(lang, {})
    except ValueError as exc:
        raise InvalidInput("bad_lang", lang=lang[:20]) from exc


async def create_user(
    svc: Services,
    actor: Actor,
    username: str,
    role: Role | str,
    display_name: str = "",
    customer: str | None = None,
    lang: str = "zh_Hans",
) -> User:
    """Create a user (admins only). A customer user needs ``customer`` (the name on its
    orders); staff have none.

    Raises:
        PermissionDenied: not an admin.
        InvalidInput: ``bad_username``, ``bad_role``, ``bad_lang``, ``customer_required``,
            ``customer_not_allowed``, ``duplicate_user``, or a bad display / customer name.
    """
    require(actor, "manage_users")
    name = validate_username(username)
    the_role = parse_role(role)
    language = _lang(lang)
    try:
        shown = parse_name(display_name, required=False) or name
        company = parse_name(customer, required=False) or None
    except FieldError as exc:
        raise InvalidInput(exc.code, **exc.params) from exc
    if the_role is Role.CUSTOMER and company is None:
        raise InvalidInput("customer_required")
    if the_role is not Role.CUSTOMER and company is not None:
        raise InvalidInput("customer_not_allowed", role=the_role.value)
    now = svc.now()
    async with svc.uow(write=True) as uow:
        if await uow.users.by_username(name) is not None:
            raise InvalidInput("duplicate_user", username=name)
        user = await uow.users.add(User(0, name, the_role, shown, company, language))
        await uow.audit.add(AuditEntry(now, actor.user_id, "create_user", name, None,
                                       {"role": the_role.value, "customer": company}))
        await uow.commit()
    return user


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as the users page lists them: whether they can log in on the web and which chats
    are linked to them."""

    user: User
    has_password: bool
    chats: tuple[str, ...]  # channels with an active linked chat account, e.g. ("telegram",)


async def list_users(svc: Services, actor: Actor) -> list[UserView]:
    """Every user, staff first by role, then customers by company (admins only)."""
    require(actor, "manage_users")
    order = {r: i for i, r in enumerate((Role.ADMIN, Role.MANAGER, Role.SALES, Role.OPERATOR, Role.CUSTOMER))}
    async with svc.uow() as uow:
        users = await uow.users.everyone()
        channels = await uow.identities.active_channels()
    out = [UserView(u, has_password, tuple(sorted(channels.get(u.id, set()) - {"web"}))) for u, has_password in users]
    out.sort(key=lambda v: (order[v.user.role], v.user.customer or "", v.user.username))
    return out


# --- the demo -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    role: Role
    display_name: str
    customer: str | None = None


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` wrote."""

    seed: int
    timezone: str
    machines: int
    groups: int
    products: int
    customers: int
    open_orders: int
    late_open_orders: int
    delivered_orders: int
    complaints: int
    surveys: int
    survey_answers: int
    machine_down: str | None
    users: tuple[User, ...]
    plan_version: int | None
    late_in_plan: int | None


_SALES = ("sales.li", "sales.wang")
_OPERATORS = ("op.zhang", "op.chen")
_CUSTOMERS = 3

DEMO_LOGINS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMIN), ("manager", Role.MANAGER),
    *((name, Role.SALES) for name in _SALES), *((name, Role.OPERATOR) for name in _OPERATORS),
    *((f"customer{k}", Role.CUSTOMER) for k in range(1, _CUSTOMERS + 1)),
)
"""Every demo user's username and role; each logs in to the web app with :data:`DEMO_PASSWORD`."""


def demo_users(history: DemoHistory, lang: str | None = None) -> tuple[DemoUser, ...]:
    """Admin, manager, two sales (who own alternate customers), two operators, and a customer
    user for each of the three customers with the most open orders. The staff's names are in
    ``lang`` (zh: 周经理, en: Manager Zhou), or in both without it."""
    counts: dict[str, int] = {}
    for o in history.factory.orders:
        counts[o.customer] = counts.get(o.customer, 0) + 1
    top = sorted(counts, key=lambda c: (-counts[c], history.customers.index(c)))[:_CUSTOMERS]
    def name(zh: str, en: str) -> str:
        return zh if lang and lang.startswith("zh") else en if lang else f"{zh} {en}"

    users = [
        DemoUser("admin", Role.ADMIN, name("系统管理员", "Admin")),
        DemoUser("manager", Role.MANAGER, name("周经理", "Manager Zhou")),
        DemoUser(_SALES[0], Role.SALES, name("李销售", "Sales Li")),
        DemoUser(_SALES[1], Role.SALES, name("王销售", "Sales Wang")),
        DemoUser(_OPERATORS[0], Role.OPERATOR, name("张师傅", "Operator Zhang")),
        DemoUser(_OPERATORS[1], Role.OPERATOR, name("陈师傅", "Operator Chen")),
    ]
    for k, customer in enumerate(top, start=1):
        users.append(DemoUser(f"customer{k}", Role.CUSTOMER, customer, customer))
    return tuple(users)


def demo_logins(users: tuple[User, ...]) -> tuple[tuple[str, str, Role], ...]:
    """``(username, password, role)`` of each demo user, for ``paichan demo`` to print."""
    return tuple((u.username, DEMO_PASSWORD, u.role) for u in users)


def sales_owner(history: DemoHistory, customer: str) -> str:
    """The demo's sales owner of ``customer``: customers alternate between the two."""
    return _SALES[history.customers.index(customer) % len(_SALES)]


async def _is_empty(uow: UnitOfWork) -> bool:
    if await uow.master.machines() or await uow.master.routings() or await uow.orders.list(limit=1):
        return False
    for role in Role:
        if await uow.users.with_role(role):
            return False
    return await uow.plans.current() is None


DEMO_FIRST_PLAN_SECONDS = 10.0
"""How long the demo factory's first plan gets in ``paichan demo`` and ``paichan demo-data``, as a
factory's first plan (or the nightly one) would: with the 2 s of a re-plan it left about 17 more
orders late, which the first minutes of re-planning put right, so their customers were told
"late" and then "back on track"."""


async def load_demo(svc: Services, seed: int = 7, *, actor: Actor = SYSTEM, publish: bool = True,
                    lang: str | None = None, plan_seconds: float | None = None,
                    on_plan: Callable[[], None] | None = None) -> DemoSummary:
    """Write the demo factory and its past into an empty database, then publish a first plan.

    The data is a function of ``seed`` and ``svc.now()``: the same for the same pair. The plan
    is the solver's answer within its time budget, or within ``plan_seconds`` (a factory's first
    plan deserves the time a nightly one gets; ``on_plan`` is called just before); ``publish=False``
    skips it. ``lang`` (zh or
    en) is the language of the demo users and of the routings' step names ("焊接" or "Welding");
    in English the Chinese customers go by their English names ("Hengtong Hydraulics" for
    恒通液压). Without it the users speak Chinese and the step names are English. A customer's
    past complaints and survey comments are in its own language either way.

    Raises:
        PermissionDenied: not an admin.
        Conflict: ``database_not_empty``.
    """
    require(actor, "manage_users")
    now = svc.now()
    english = lang is not None and not lang.startswith("zh")
    history = demo_history(now, seed, customers=DEMO_CUSTOMERS_EN if english else DEMO_CUSTOMERS,
                           product_names=DEMO_PRODUCT_NAMES_EN if english else DEMO_PRODUCT_NAMES)
    language = _lang(lang) if lang else "zh_Hans"
    factory = in_language(history.factory, lang) if lang else history.factory
    tz = factory.timezone
    users_spec = demo_users(history, lang)
    password = hash_password(DEMO_PASSWORD)  # one hash for all: they share the documented password
    async with svc.uow(write=True) as uow:
        if not await _is_empty(uow):
            raise Conflict("database_not_empty")
        await uow.master.set_timezone(tz)
        for calendar in factory.calendars.values():
            await uow.master.save_calendar(calendar)
        for machine in factory.machines:
            await uow.master.save_machine(machine)
        for routing in factory.routings.values():
            await uow.master.save_routing(routing)
        await uow.shopfloor.set_downtime(factory.downtime)
        users: list[User] = []
        for u in users_spec:
            users.append(await uow.users.add(User(0, u.username, u.role, u.display_name, u.customer, language)))
            await uow.users.set_password_hash(users[-1].id, password)
            # each has a web chat: the warnings and surveys the demo sends wait there (no Telegram)
            await uow.identities.save(ChatIdentity("web", users[-1].id, users[-1].id, language))
        customer_user = {u.customer: u.id for u in users if u.customer}
        operators = [u.id for u in users if u.role is Role.OPERATOR]
        for d in history.delivered:
            await uow.orders.add(OrderRecord(d.order, sales_owner(history, d.order.customer), d.delivered))
        for o in factory.orders:
            await uow.orders.add(OrderRecord(o, sales_owner(history, o.customer)))
        await _write_progress(uow, history, operators)
        for c in history.complaints:
            await uow.feedback.add_complaint(Complaint(0, c.customer, c.ref, c.text, customer_user.get(c.customer, 0),
                                                       c.created))
        for s in history.surveys:
            await uow.feedback.add_survey(Survey(s.ref, s.customer, s.sent))
            if s.score is not None and s.answered is not None:
                await uow.feedback.answer_survey(s.ref, s.score, s.comment, s.answered)
        await uow.audit.add(AuditEntry(now, actor.user_id, "load_demo", f"seed {seed}", None,
                                       {"orders": len(factory.orders), "delivered": len(history.delivered)}))
        await uow.commit()
    version = late = None
    if publish:
        if on_plan is not None:
            on_plan()
        first = svc if plan_seconds is None else svc.planning_for(plan_seconds)
        update = await replan_now(first, SYSTEM, f"demo data (seed {seed})")
        version, late = update.version, update.late_orders
    return DemoSummary(
        seed=seed, timezone=tz, machines=len(factory.machines),
        groups=len({m.group for m in factory.machines}), products=len(factory.routings),
        customers=len({o.customer for o in factory.orders} | {d.order.customer for d in history.delivered}),
        open_orders=len(factory.orders),
        late_open_orders=sum(1 for o in factory.orders if o.due < now),
        delivered_orders=len(history.delivered), complaints=len(history.complaints),
        surveys=len(history.surveys), survey_answers=sum(1 for s in history.surveys if s.score is not None),
        machine_down=factory.downtime[0].machine if factory.downtime else None,
        users=tuple(users), plan_version=version, late_in_plan=late,
    )


async def _write_progress(uow: UnitOfWork, history: DemoHistory, operators: list[int]) -> None:
    """The generated 报工 as report rows: a finished step as two reports (its start and its
    end), a running one as one report of the units done so far."""
    orders = {o.ref: o for o in history.factory.orders}
    for k, ((ref, step), p) in enumerate(sorted(history.factory.progress.items())):
        if p.machine is None or p.started is None or p.done <= 0:
            continue
        who = operators[k % len(operators)] if operators else 0
        order = orders[ref]
        if p.finished is not None and order.status is not OrderStatus.DELIVERED:
            first = p.done // 2
            await uow.shopfloor.add_progress(ProgressEvent(ref, step, first, 0, p.machine, who, p.started))
            end = max(p.finished, p.started + timedelta(minutes=1))
            await uow.shopfloor.add_progress(ProgressEvent(ref, step, p.done - first, 0, p.machine, who, end,
                                                           finished=True))
        else:
            await uow.shopfloor.add_progress(ProgressEvent(ref, step, p.done, 0, p.machine, who, p.started))
