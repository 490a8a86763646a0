"""Sales flows: rush orders (插单) as a conversation or in one message, capable-to-promise,
date / quantity changes, cancellations and the late list.

Every change is assessed first (nothing changes), shown as an impact preview with Confirm /
Cancel buttons. Confirm carries the proposal's single-use token (expires with it); the click is
re-checked (the clicker's account and role), and a plan that moved on meanwhile gives a fresh
preview instead of a blind commit.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from scheduler_core.domain.model import DUE_HOUR, Order
from scheduler_core.services.change_flow import assess, confirm_change, promise, reject_change
from scheduler_core.services.changes import (
    MAX_QUANTITY,
    CancelOrder,
    Change,
    ChangeDue,
    ChangeMaterial,
    ChangePriority,
    ChangeQuantity,
    InsertOrder,
)
from scheduler_core.services.errors import InvalidInput, PermissionDenied, ServiceError
from scheduler_core.services.policy import can, require
from scheduler_core.services.ports import Actor, Role
from scheduler_core.services.refs import normalise_ref
from scheduler_core.services.status import current_plan, get_order_status, list_orders
from scheduler_core.services.views import ChangeProposal

from . import render
from .context import Ctx
from .intent import Intent, match_customer
from .types import Button, Reply

__all__ = [
    "DUE_TIME",
    "AnotherRequest",
    "cancel_command",
    "change_command",
    "change_due_action",
    "confirm_action",
    "late",
    "promise_command",
    "promise_pick_action",
    "reject_action",
    "run_change",
    "rush_command",
    "rush_message",
    "rush_set_action",
    "rush_text",
    "typed_decision",
]

DUE_TIME = time(DUE_HOUR, 0)
"""A date without a time means the end of that day's day shift, factory time."""

_SALES = (Role.SALES, Role.MANAGER, Role.ADMIN)
_FIELDS = ("customer", "product", "quantity", "date", "priority")


def _actor(ctx: Ctx, action: str) -> Actor:
    if ctx.actor is None:
        raise PermissionDenied("not_allowed")
    require(ctx.actor, action)
    return ctx.actor


async def _intent(ctx: Ctx, text: str) -> Intent:
    return await ctx.deps.understand(text, ctx.today())


def _due(ctx: Ctx, day: date) -> datetime:
    return datetime.combine(day, DUE_TIME, tzinfo=ctx.tz)


# --- the preview ---------------------------------------------------------------------------------------


def _preview(ctx: Ctx, p: ChangeProposal, *, edit: bool = False) -> list[Reply]:
    ttl = p.expires - ctx.now()
    minutes = max(1, round(ctx.waiting_time(ttl).total_seconds() / 60))
    tr = ctx.tr
    ok = ctx.button("✅ " + tr.gettext("Confirm"), "confirm", _SALES, single_use=True, ttl=ttl, token=p.token,
                    subject=p.subject)
    no = ctx.button("✖️ " + tr.gettext("Cancel"), "reject", _SALES, single_use=True, ttl=ttl, token=p.token,
                    subject=p.subject)
    ctx.memory[_PENDING] = {"token": p.token, "subject": p.subject, "expires": p.expires}
    ctx.remember_order(p.subject)
    return ctx.say(render.proposal(tr, ctx.tz, p, minutes=minutes), [ok, no], edit=edit)


_PENDING = "proposal"  # the last preview shown in this chat, which "确认" / "cancel" typed as a message decide
_CONFIRM_WORDS = re.compile(r"(?:好的?|ok|okay|yes|是的?|对)?[\s,，!！.。]*"
                            r"(?:确认|确定|确认执行|确认插单|就这样|执行|confirm(?:ed)?|go ahead|do it|apply it?)[\s!！.。]*",
                            re.IGNORECASE)
_REJECT_WORDS = re.compile(r"(?:取消|不要了|算了|放弃|不用了|不改了|不插了|cancel(?: it)?|no|never ?mind|forget it|abort|don'?t)"
                           r"[\s!！.。]*", re.IGNORECASE)


_OFFER = "booking"  # the booking buttons of the last capable-to-promise answer, which "book it" typed presses
_OFFER_TTL = timedelta(minutes=10)
_BOOK_WORDS = re.compile(r"(?:好的?|行|可以|没问题|ok|okay|yes|yeah|yep|sure|fine|great|alright|perfect)?[\s,，!！.。]*"
                         r"(?:please\s+|那就|就)?(?:book (?:it|that|them|the order)|(?:let'?s )?go (?:for it|ahead)|do it|"
                         r"place (?:it|the order)|order it|put it in|take it|下单|下吧|安排吧|安排|就这么办|订了|接了|接单|"
                         r"(?:rush|expedite) it|插单吧|插单|插吧|优先吧)(?:\s+please)?[\s!！.。吧]*", re.IGNORECASE)
_FIRST_WORDS = re.compile(r"rush|expedite|priority|first|插单|插|优先|加急", re.IGNORECASE)


async def typed_decision(ctx: Ctx, text: str) -> list[Reply] | None:
    """"确认" / "confirm" or "取消" / "cancel" typed after an impact preview does what its buttons
    do, for that preview while it is valid; "book it" / "下单" after a capable-to-promise answer
    presses its booking button (the rush one when the words say so, else the only one, else
    asks which); None when ``text`` is no such word or nothing waits."""
    confirm = _CONFIRM_WORDS.fullmatch(text.strip())
    pending = ctx.memory.get(_PENDING)
    waiting = pending is not None and pending["expires"] > ctx.now() and ctx.actor is not None \
        and can(ctx.actor, "assess_change")
    if not waiting or not (confirm or _REJECT_WORDS.fullmatch(text.strip())):  # a preview waiting decides first
        return await _typed_booking(ctx, text) if _BOOK_WORDS.fullmatch(text.strip()) else None
    assert pending is not None
    args = {"token": pending["token"], "subject": pending["subject"]}
    return await (confirm_action(ctx, args, edit=False) if confirm else reject_action(ctx, args, edit=False))


async def run_change(ctx: Ctx, change: Change) -> list[Reply]:
    actor = _actor(ctx, "assess_change")
    await_msg = await assess(ctx.svc, actor, change)
    return _preview(ctx, await_msg)


async def confirm_action(ctx: Ctx, args: dict[str, Any], *, edit: bool = True) -> list[Reply]:
    """Confirm pressed (or typed, ``edit=False``: the answer is a new message)."""
    actor = _actor(ctx, "confirm_change")
    _forget_pending(ctx, str(args["token"]))
    result = await confirm_change(ctx.svc, actor, str(args["token"]))
    if result.applied:
        ctx.deps.forget()
        return ctx.say(render.outcome(ctx.tr, ctx.tz, result, str(args.get("subject", ""))), edit=edit)
    assert result.proposal is not None
    return _preview(ctx, result.proposal, edit=edit)


async def reject_action(ctx: Ctx, args: dict[str, Any], *, edit: bool = True) -> list[Reply]:
    """Cancel pressed (or typed)."""
    actor = _actor(ctx, "assess_change")
    _forget_pending(ctx, str(args["token"]))
    await reject_change(ctx.svc, actor, str(args["token"]))
    text = render.fill(ctx.tr.gettext("Cancelled: nothing was changed for {ref}."), ref=args.get("subject", ""))
    return ctx.say("✖️ " + text, edit=edit)


async def _typed_booking(ctx: Ctx, text: str) -> list[Reply] | None:
    offer = ctx.memory.get(_OFFER)
    if offer is None or offer["expires"] <= ctx.now() or ctx.actor is None or not can(ctx.actor, "assess_change"):
        return None
    options: list[dict[str, Any]] = offer["options"]
    first = [o for o in options if o["args"]["priority"]]
    chosen = first[0] if first and _FIRST_WORDS.search(text) else options[0] if len(options) == 1 else None
    if chosen is None:  # two ways to book it, the words say neither: the buttons again
        return ctx.say(render.esc(ctx.tr.gettext("Which one? Press a button.")),
                       *[[ctx.button(o["label"], "promise_book", _SALES, **o["args"])] for o in options])
    return await promise_book_action(ctx, chosen["args"])


def _forget_pending(ctx: Ctx, token: str) -> None:
    memory = ctx.memory
    if memory.get(_PENDING, {}).get("token") == token:
        del memory[_PENDING]


# --- rush: one message or a short conversation ------------------------------------------------------------


async def rush_command(ctx: Ctx, args: str) -> list[Reply]:
    """``/rush`` asks step by step; ``/rush ACME P-100 500 12-05`` goes straight to the preview."""
    _actor(ctx, "assess_change")
    if not args.strip():
        ctx.start_session({"flow": "rush"})
        return await _ask(ctx)
    return await rush_message(ctx, await _intent(ctx, "rush " + args))


async def rush_message(ctx: Ctx, intent: Intent, answers: dict[str, Any] | None = None) -> list[Reply]:
    """A rush asked in one message; what is missing is asked for. ``answers``: those given so far
    in the rush questions, which the message's details replace."""
    _actor(ctx, "assess_change")
    state: dict[str, Any] = {**(answers or {}), "flow": "rush"}
    customers = await ctx.deps.customers()
    if intent.customer:
        name = _match(intent.customer, customers)
        if name:
            state["customer"] = name
    if intent.product:
        _set_product(state, await ctx.deps.products_called(intent.product))
    if intent.quantity is not None:
        state["quantity"] = intent.quantity
    if intent.date is not None:
        state["date"] = intent.date.isoformat()
    if intent.priority:  # 插单 / rush: put first; a plain new order is asked whether to
        state["priority"] = True
    return await _go_on(ctx, state)


async def _go_on(ctx: Ctx, state: dict[str, Any]) -> list[Reply]:
    """Keep the rush answers in ``state`` (a bad one dropped, and said why) and ask the next
    question, or assess when all are there."""
    problem = _check(ctx, state)
    ctx.start_session(state)
    return (problem or []) + await _ask(ctx)


def _set_product(state: dict[str, Any], codes: tuple[str, ...]) -> None:
    """The rush's product: the one ``codes`` holds, or those it may be for the question to offer
    ("Bracket": BR-1 or BR-2); nothing for none."""
    if len(codes) == 1:
        state["product"] = codes[0]
        state.pop("product_choices", None)
    elif codes:
        state["product_choices"] = list(codes)


def _match(value: str, known: tuple[str, ...]) -> str | None:
    v = value.strip().casefold()
    for k in known:
        if k.casefold() == v:
            return k
    return None


def _check(ctx: Ctx, state: dict[str, Any]) -> list[Reply] | None:
    """Drop a bad answer from ``state`` and say why (P7: zero, negative, huge, past)."""
    tr = ctx.tr
    q = state.get("quantity")
    if q is not None and not 1 <= int(q) <= MAX_QUANTITY:
        state.pop("quantity")
        exc: ServiceError = (InvalidInput("quantity_not_positive", quantity=q) if int(q) < 1
                             else InvalidInput("quantity_too_large", quantity=q, limit=MAX_QUANTITY))
        return ctx.say(render.error(tr, exc))
    d = state.get("date")
    if d is not None and date.fromisoformat(d) < ctx.today():
        state.pop("date")
        return ctx.say(render.error(tr, InvalidInput("due_in_past", due=date.fromisoformat(d))))
    return None


async def _ask(ctx: Ctx) -> list[Reply]:
    """Ask for the first missing answer, or assess when all are there."""
    state = ctx.session() or {"flow": "rush"}
    tr = ctx.tr
    stop = ctx.button(tr.gettext("Stop"), "rush_stop", _SALES)
    missing = next((f for f in _FIELDS if f not in state), None)
    if missing == "customer":
        mine = await _my_customers(ctx)
        rows = _grid([ctx.button(c, "rush_set", _SALES, field="customer", value=c) for c in mine[:8]])
        return ctx.say("⚡ " + render.esc(tr.gettext("Rush order: for which customer? Pick one or write the name.")),
                       *rows, [stop])
    if missing == "product":
        labels = await ctx.deps.product_labels()
        choices = state.get("product_choices")
        products = [str(p) for p in choices] if isinstance(choices, list) else list(labels)
        rows = _grid([ctx.button(render.product(p, labels.get(p, "")), "rush_set", _SALES, field="product", value=p)
                      for p in products[:8]])
        return ctx.say(render.fill(tr.gettext("Which product for {customer}? Pick one or write it."),
                                   customer=state["customer"]), *rows, [stop])
    if missing == "quantity":
        return ctx.say(render.fill(tr.gettext("How many {product}? (e.g. 500)"), product=state["product"]), [stop])
    if missing == "date":
        return ctx.say(render.esc(tr.gettext("Needed by which date? (e.g. 2026-12-05, Dec 5, 12月5日)")), [stop])
    if missing == "priority":
        yes = ctx.button(tr.gettext("Yes, put it first"), "rush_set", _SALES, field="priority", value=True)
        no = ctx.button(tr.gettext("No, fit it in"), "rush_set", _SALES, field="priority", value=False)
        return ctx.say(render.esc(tr.gettext("Put it ahead of other orders (rush)?")), [yes, no], [stop])
    ctx.end_session()
    return await _assess_rush(ctx, state)


def _grid(buttons: list[Button], width: int = 2) -> list[list[Button]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


async def _my_customers(ctx: Ctx) -> list[str]:
    assert ctx.actor is not None
    lines = await list_orders(ctx.svc, ctx.actor, include_closed=True, limit=200)
    seen: dict[str, None] = {}
    for line in lines:
        seen.setdefault(line.customer, None)
    return list(seen) or list(await ctx.deps.customers())


async def _assess_rush(ctx: Ctx, state: dict[str, Any]) -> list[Reply]:
    async with ctx.svc.uow() as uow:
        ref = await uow.orders.next_ref()
    order = Order(ref, str(state["customer"]), str(state["product"]), int(state["quantity"]),
                  _due(ctx, date.fromisoformat(str(state["date"]))), rush=bool(state["priority"]), created=ctx.now())
    return await run_change(ctx, InsertOrder(order))


async def rush_set_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    _actor(ctx, "assess_change")
    state = ctx.session()
    if state is None or state.get("flow") != "rush":
        return ctx.say(render.esc(ctx.tr.gettext("That question has expired; start again with /rush.")))
    if args["field"] == "product":
        _set_product(state, (str(args["value"]),))
    else:
        state[str(args["field"])] = args["value"]
    ctx.start_session(state)
    return await _ask(ctx)


async def rush_stop_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    ctx.end_session()
    return ctx.say(render.esc(ctx.tr.gettext("Stopped; nothing was changed.")), edit=True)


_QTY = re.compile(r"^\s*(\d[\d,]*)\s*(k|千)?\s*(件|个|pcs|pieces|units|套|台)?\s*$", re.IGNORECASE)
_NEG = re.compile(r"^\s*-\s*\d")


def _quantity(text: str) -> int | None:
    if _NEG.match(text):
        return -int(re.sub(r"\D", "", text) or 0)
    m = _QTY.match(text)
    if not m:
        return None
    n = int(m.group(1).replace(",", ""))
    return n * 1000 if m.group(2) else n


_STOP_WORDS = re.compile(r"(?:stop|quit|exit|abort|never ?mind|forget it|cancel|停|停止|退出|结束|算了|不用了|不要了|取消|不插了)"
                         r"[\s!！.。]*", re.IGNORECASE)
_YES = frozenset(("y", "yes", "是", "是的", "要", "对", "好", "ok"))

# what a message typed instead of an answer may parse as and still not ask for anything else
_NO_REQUEST = frozenset(("unknown", "rush", "help", "greeting", "thanks"))


class AnotherRequest(Exception):
    """A message typed during the rush questions that answers nothing but asks for something else
    ("SO-1320 到哪了", "取消 SO-1450"): the questions are over, nothing was changed, and the message
    is answered as any other free text, after :attr:`replies` (which say so)."""

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__("not an answer to the rush questions")
        self.replies = replies


async def rush_text(ctx: Ctx, text: str) -> list[Reply]:
    """An answer typed during the /rush conversation ("stop" / "算了" leaves it, "help" explains).

    Raises:
        AnotherRequest: ``text`` answers nothing but is a request of its own.
    """
    state = ctx.session() or {"flow": "rush"}
    tr = ctx.tr
    if _STOP_WORDS.fullmatch(text.strip()):
        return _stopped(ctx)
    intent = await _intent(ctx, text)
    if intent.intent == "help":
        return ctx.say(render.esc(tr.gettext("I am asking for a rush order step by step: answer the question, "
                                             "or press Stop (or write stop) to leave it."))) + await _ask(ctx)
    missing = next((f for f in _FIELDS if f not in state), None)
    if missing is None:
        return await _ask(ctx)
    answer = await _answer(ctx, missing, text)  # an answer as written wins over what else it may mean
    if answer is None:
        if intent.intent == "cancel" and intent.order is None:  # "取消这个插单", "cancel this rush"
            return _stopped(ctx)
        if intent.intent == "rush" and (intent.customer or intent.product or intent.quantity is not None
                                        or intent.date is not None):
            # a rush asked anew ("插单 ACME BR-1 200件 12月5日前"): its details replace the answers so far;
            # one for another customer starts afresh
            same = intent.customer is None or intent.customer == state.get("customer")
            return await rush_message(ctx, intent, dict(state) if same else None)
        if _another_request(intent, missing):
            ctx.end_session()
            raise AnotherRequest(ctx.say(render.esc(tr.gettext(
                "I have left the rush order questions; nothing was changed."))))
        answer = await _loose_answer(ctx, missing, text)
    if answer is None:
        if missing == "customer":
            wrong = render.fill(tr.gettext("I do not know a customer called {name}."), name=text[:60])
        elif missing == "product":
            wrong = render.error(tr, InvalidInput("unknown_product", product=text[:60]))
        elif missing == "quantity":
            wrong = render.fill(tr.gettext("{text} is not a quantity."), text=text[:60])
        else:
            wrong = render.error(tr, InvalidInput("bad_date", value=text[:60]))
        return ctx.say(wrong) + await _ask(ctx)
    if missing == "product":  # the product, or which of those so called (asked next)
        assert isinstance(answer, tuple)
        _set_product(state, answer)
    else:
        state[missing] = answer
    return await _go_on(ctx, state)


def _stopped(ctx: Ctx) -> list[Reply]:
    ctx.end_session()
    return ctx.say(render.esc(ctx.tr.gettext("Stopped; nothing was changed.")))


async def _answer(ctx: Ctx, field: str, text: str) -> object | None:
    """``text`` as the answer for ``field`` as written (a known name, a number, an ISO date, yes), or None."""
    if field == "customer":
        return _match(text, await ctx.deps.customers())
    if field == "product":  # the products it names (a name several share names them all)
        return await ctx.deps.products_called(text) or None
    if field == "quantity":
        return _quantity(text)
    if field == "date":
        day = _iso(text)
        return day.isoformat() if day is not None else None
    return True if text.strip().casefold() in _YES else None  # priority


async def _loose_answer(ctx: Ctx, field: str, text: str) -> object | None:
    """The answer for ``field`` in a text that is no request of its own: a customer or a product as
    the parser finds one (a short name no other customer shares, "恒通" for 恒通液压; a misspelt
    product), a date or a quantity as the parser reads one ("Dec 5", "12月5日", "下周三要"; "五百件",
    "要500件", "two thousand"); for the priority question anything but yes is no."""
    if field == "customer":
        return match_customer(text, await ctx.deps.customers())
    if field == "product":
        found = (await _intent(ctx, "/rush " + text)).product
        return (await ctx.deps.products_called(found) or None) if found else None
    if field == "date":
        day = (await _intent(ctx, "/rush " + text)).date
        return day.isoformat() if day is not None else None
    if field == "quantity":
        return (await _intent(ctx, "/rush " + text)).quantity
    return False if field == "priority" else None


def _another_request(intent: Intent, field: str) -> bool:
    """Whether ``intent``, typed instead of an answer for ``field``, asks for something else."""
    kind = intent.intent
    if kind in _NO_REQUEST:
        return False
    if kind == "expedite" and intent.order is None:
        return False  # "尽快" / "ASAP": as soon as possible, for this order
    if field == "customer" and kind == "list_orders" and intent.customer:
        return False  # "ACME公司", "for ACME": a customer's name with words around it
    # "delivery by Dec 5", "要在12月5日前发货": a date with words around it
    return not (field == "date" and intent.date is not None and intent.order is None)


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


# --- promise, change, cancel, late -------------------------------------------------------------------------


async def promise_command(ctx: Ctx, args: str, intent: Intent | None = None) -> list[Reply]:
    """``/promise PRODUCT QTY``: two dates, without disturbing anyone and with priority."""
    actor = _actor(ctx, "promise")
    intent = intent or await _intent(ctx, "/promise " + args)
    words = args.split()
    product = intent.product or (words[0] if words else None)
    nums = [w for w in words if w.lstrip("-").isdigit()]  # as written: a sign is kept (P7)
    qty = int(nums[-1]) if nums else intent.quantity
    labels = await ctx.deps.product_labels()
    if not product or qty is None:
        return ctx.say(render.esc(ctx.tr.gettext("Write the product and the quantity, e.g. /promise {product} 500")
                                  .format(product=next(iter(labels), "P-100"))))
    codes = await ctx.deps.products_called(product)
    if not codes and labels:  # say which products there are, rather than only "unknown"
        shown = next((w for w in words if w.casefold() == product.casefold()), product)  # as written
        return ctx.say("⚠️ " + render.esc(ctx.tr.gettext(
            "Unknown product {product}. The products are: {products}.", product=shown[:60],
            products=ctx.tr.listing([render.product(c, n) for c, n in labels.items()], limit=15))))
    asked = intent.date.isoformat() if intent.date is not None else None  # "...by Dec 2?": answered first
    if len(codes) > 1:  # "Bracket": one answer for the product asked about, chosen here
        rows = _grid([ctx.button(render.product(c, labels[c]), "promise_pick", _SALES, product=c, quantity=qty,
                                 asked=asked, customer=intent.customer) for c in codes[:8]])
        return ctx.say(render.fill(ctx.tr.gettext("Which {name}? Pick one."), name=labels[codes[0]]), *rows)
    return await _promise(ctx, actor, codes[0] if codes else product[:60], qty, asked, intent.customer)


async def promise_pick_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    """The product picked after a capable-to-promise question named several ("Bracket")."""
    actor = _actor(ctx, "promise")
    asked, customer = args.get("asked"), args.get("customer")
    return await _promise(ctx, actor, str(args["product"]), int(args["quantity"]), str(asked) if asked else None,
                          str(customer) if customer else None)


async def _promise(ctx: Ctx, actor: Actor, product: str, qty: int, asked: str | None = None,
                   customer: str | None = None) -> list[Reply]:
    """The two dates for ``qty`` of ``product`` (and whether the day ``asked``, ISO, can be
    promised), and for sales the buttons that book it (for ``customer`` when the question named
    one: "ACME needs 200 PH-200 by Dec 12, can we do it?")."""
    view = await promise(ctx.svc, actor, product, qty)
    by = _due(ctx, date.fromisoformat(asked)) if asked else None
    text = render.promise(ctx.tr, ctx.tz, view, (await ctx.deps.product_labels()).get(view.product, ""), by)
    if not can(actor, "assess_change"):
        return ctx.say(text)
    # the answer leads on to the order: for which customer is asked next, then its preview
    tr = ctx.tr

    options: list[dict[str, Any]] = []

    def book(label: str, when: datetime, first: bool) -> Button:
        day = _due_day(ctx, when)
        args: dict[str, Any] = {"product": view.product, "quantity": view.quantity, "date": day.isoformat(),
                                "priority": first, "customer": customer}
        options.append({"label": label.format(date=tr.date(_due(ctx, day))), "args": args})
        return ctx.button(options[-1]["label"], "promise_book", _SALES, **args)

    if by is not None and view.undisturbed <= by:  # the day asked fits as it is: the customer's day
        rows = [[book(tr.gettext("Order it for {date}"), by, False)]]
    else:
        rows = [[book(tr.gettext("Order it for {date}"), view.undisturbed, False)]]
        if by is not None and view.with_priority <= by:  # the day asked, with priority: the preview says whom it moves
            rows.insert(0, [book(tr.gettext("Rush it for {date}"), by, True)])
        elif view.with_priority < view.undisturbed:
            rows.append([book(tr.gettext("Rush it for {date}"), view.with_priority, True)])
    ctx.memory[_OFFER] = {"options": options, "expires": ctx.now() + _OFFER_TTL}  # "book it" typed presses one
    return ctx.say(text, *rows)


def _due_day(ctx: Ctx, when: datetime) -> date:
    """The first day whose promise time (:data:`DUE_TIME`) is not before ``when``."""
    day = when.astimezone(ctx.tz).date()
    return day if _due(ctx, day) >= when else day + timedelta(days=1)


async def promise_book_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    """From a capable-to-promise answer: the rush questions with the product, the quantity, the
    date and whether it goes first already answered (the customer is asked next, unless the question named one)."""
    _actor(ctx, "assess_change")
    ctx.memory.pop(_OFFER, None)  # booked: "do it" now confirms its preview
    state = {"flow": "rush", **{k: args[k] for k in ("product", "quantity", "date", "priority")}}
    if args.get("customer"):  # named in the question: only the preview is left
        state["customer"] = args["customer"]
    return await _go_on(ctx, state)  # the date may be in the past by now


async def change_command(ctx: Ctx, args: str, intent: Intent | None = None) -> list[Reply]:
    """``/change REF date 2026-12-05`` or ``/change REF qty 300``."""
    actor = _actor(ctx, "assess_change")
    free_text = intent is not None  # the message as written: its first word is no order number
    intent = intent or await _intent(ctx, "/change " + args)
    words = args.split()
    ref = intent.order or (words[0] if words and not free_text else None)
    usage = ctx.say(render.esc(ctx.tr.gettext("Write e.g. /change SO-1042 date 2026-12-05 or /change SO-1042 qty 300")))
    if not ref:
        return usage
    ref = normalise_ref(ref)
    lowered = args.casefold()
    wants_qty = intent.intent == "change_quantity" or any(k in lowered for k in ("qty", "quantity", "数量", "件"))
    if wants_qty and intent.quantity_change:  # "SO-1042 再加50件", "30 fewer": the order's quantity, changed by that
        view = await get_order_status(ctx.svc, actor, ref)
        return await run_change(ctx, ChangeQuantity(ref, view.quantity + intent.quantity_change))
    if wants_qty:
        nums = [w for w in words[1:] if w.lstrip("-").isdigit()]  # as written: a sign is kept (P7)
        qty = int(nums[-1]) if nums else intent.quantity
        if qty is None:
            return usage
        return await run_change(ctx, ChangeQuantity(ref, qty))
    day = intent.date or next((d for w in words[1:] if (d := _iso(w)) is not None), None)
    if day is None and intent.shift_days:  # "1042 推迟3天": the promised date, moved by that much
        view = await get_order_status(ctx.svc, actor, ref)
        return await run_change(ctx, ChangeDue(ref, view.due + timedelta(days=intent.shift_days)))
    if day is None:
        if intent.intent == "change_date":  # "1042 往后推": the order is known, the date is not
            return ctx.say(render.esc(ctx.tr.gettext(
                "To which date? For example: move {ref} to Dec 5", ref=ref)))
        return usage
    return await run_change(ctx, ChangeDue(ref, _due(ctx, day)))


async def change_due_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    """"Promise it for Dec 20: impact first" under an order asked about by a day it will not make:
    the promised date moved to that day, assessed like any change."""
    return await run_change(ctx, ChangeDue(normalise_ref(str(args["ref"])), _due(ctx, date.fromisoformat(str(args["by"])))))


async def material_message(ctx: Ctx, intent: Intent) -> list[Reply]:
    """"SO-1042 的物料推迟到周三" / "1042 来料到齐了": the order's material there from that day
    (00:00, its first shift) or now, assessed with its delivery impact like any change."""
    _actor(ctx, "assess_change")
    if not intent.order:
        return ctx.say(render.esc(ctx.tr.gettext(
            "Which order's material? For example: material for SO-1042 arrives Dec 5")))
    ready = datetime.combine(intent.date, time(0), tzinfo=ctx.tz) if intent.date is not None else None
    return await run_change(ctx, ChangeMaterial(normalise_ref(intent.order), ready))


async def cancel_command(ctx: Ctx, args: str, intent: Intent | None = None) -> list[Reply]:
    """``/cancel REF`` assesses the cancellation; ``/cancel`` alone stops a conversation."""
    if not args.strip() and (intent is None or intent.order is None):
        if ctx.end_session() is not None:
            return ctx.say(render.esc(ctx.tr.gettext("Stopped; nothing was changed.")))
        decided = await typed_decision(ctx, "cancel")  # "/cancel" after a preview: that preview
        if decided is not None:
            return decided
        return ctx.say(render.esc(ctx.tr.gettext("Write the order to cancel, e.g. /cancel SO-1042")))
    _actor(ctx, "assess_change")
    ref = intent.order if intent is not None and intent.order else args.split()[0]
    return await run_change(ctx, CancelOrder(normalise_ref(ref)))


async def expedite(ctx: Ctx, intent: Intent) -> list[Reply]:
    """"SO-1042 加急" / "expedite 1042": the impact of putting that order first, to confirm; "cancel
    the rush on SO-1042" / "1042不用加急了": of taking its priority back."""
    _actor(ctx, "assess_change")
    if intent.order is None:
        return ctx.say(render.esc(ctx.tr.gettext("Which order? For example: expedite SO-1042")))
    return await run_change(ctx, ChangePriority(intent.order, rush=not intent.lower))  # "cancel the rush": lowered


async def late(ctx: Ctx, args: str = "", *, customer: str | None = None, by_customer: bool = False,
               vip_only: bool = False, because: bool = False, because_of: str | None = None) -> list[Reply]:
    """Late orders: a salesperson's customers', or all for managers; one ``customer``'s when
    staff name one; ``by_customer`` ("哪个客户延误最多"): counted per customer; ``vip_only``:
    the VIP ones ("which VIP orders are late"); ``because`` ("which orders did SO-1451 delay"):
    those whose reason is order ``because_of`` going ahead of them (all of them when none is)."""
    if ctx.actor is None:
        raise PermissionDenied("not_allowed")
    tr = ctx.tr
    if ctx.actor.role is Role.CUSTOMER:
        customer, by_customer = None, False  # a customer's list is their own (P1)
    if customer is None and can(ctx.actor, "view_plan") and ctx.actor.role is not Role.SALES:
        rows: list[Any] = list((await current_plan(ctx.svc, ctx.actor)).etas)
        title = tr.gettext("Late orders")
    else:
        lines = await list_orders(ctx.svc, ctx.actor, limit=200, customer=customer)
        rows = [line for line in lines if line.late_by > timedelta(0)]
        title = tr.gettext("Late orders of {customer}", customer=customer) if customer else tr.gettext("Late orders")
    if vip_only:
        rows = [row for row in rows if row.vip]
        title = tr.gettext("Late VIP orders")
    if by_customer and customer is None:
        return ctx.say(render.late_by_customer(tr, rows, tr.gettext("Late orders by customer")))
    if because:
        if not because_of:
            return ctx.say(render.esc(tr.gettext("Which order? For example: which orders did SO-1451 delay")))
        ref = await ctx.deps.order_ref(because_of)
        made = [r for r in rows if getattr(r, "cause", None) is not None and r.cause.kind == "inserted_order"
                and ref in r.cause.orders]
        if made:
            return ctx.say(render.late_orders(tr, ctx.tz, made, tr.gettext("Late because {ref} went ahead of them",
                                                                         ref=ref)))
        return ctx.say(render.fill(tr.gettext("No late order is late because of {ref}."), ref=ref) + "\n"
                       + render.late_orders(tr, ctx.tz, rows, title))
    return ctx.say(render.late_orders(tr, ctx.tz, rows, title))
