"""Customer flows: where is my order, my orders, complaints, talk to a person, survey answers.

Staff use ``status`` and ``orders`` too (they see every order; customers only their own, P1).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from scheduler_core.reports.i18n import Tr
from scheduler_core.services.errors import InvalidInput, PermissionDenied, ServiceError
from scheduler_core.services.feedback import record_complaint, record_survey_answer
from scheduler_core.services.policy import can
from scheduler_core.services.ports import Actor, Notification, Role
from scheduler_core.services.refs import normalise_ref
from scheduler_core.services.status import get_order_status, list_orders
from scheduler_core.services.views import OrderLine, OrderStatusView

from . import render
from .buttons import SURVEY_PREFIX, request_data
from .context import Ctx
from .intent import match_customer
from .types import Button, Reply

__all__ = [
    "ask_by_action",
    "complain",
    "complain_command",
    "human",
    "orders",
    "status",
    "status_action",
    "survey_click",
    "survey_comment",
    "survey_skip",
]

_PICK = 8  # order buttons offered at most


def _actor(ctx: Ctx) -> Any:
    if ctx.actor is None:
        raise PermissionDenied("not_allowed")
    return ctx.actor


def _order_buttons(ctx: Ctx, refs: list[str]) -> list[list[Button]]:
    buttons = [ctx.button(ref, "status", None, ref=ref) for ref in refs[:_PICK]]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def _order_list(ctx: Ctx, actor: Actor, lines: list[OrderLine], title: str, *, limit: int,
                      **how: Any) -> list[Reply]:
    """``lines`` under ``title``: the first ``limit`` shown (the customer beside each for staff),
    the rest counted, with a button per order shown; ``how``: more of :func:`render.order_lines`."""
    shown = lines[:limit]
    text = render.order_lines(ctx.tr, ctx.tz, shown, title=title, show_customer=actor.role is not Role.CUSTOMER,
                              names=await ctx.deps.product_labels(),
                              more=len(lines) - len(shown), **how)
    return ctx.say(text, *_order_buttons(ctx, [line.ref for line in shown]))


async def status(ctx: Ctx, args: str, *, late_only: bool = False, products: tuple[str, ...] = (),
                 by: date | None = None, customer: str | None = None) -> list[Reply]:
    """``/status [REF]``: one order's status; without a reference the only open order, or buttons.
    ``late_only`` ("why is my order late"): the late ones among them, when there are any;
    ``products`` ("where is my bracket order"): those of these products, when there are any;
    ``by`` ("我的货能不能下周一前到", "will my order be here by Friday"): which are planned to be
    finished by the end of that day, the others counted; ``customer``: staff asking about one
    customer's orders ("Bosch的单子下周能交吗")."""
    actor = _actor(ctx)
    ref = args.strip()
    if ref:
        return _status_view(ctx, await get_order_status(ctx.svc, actor, await ctx.deps.order_ref(ref)), by=by)
    lines = await list_orders(ctx.svc, actor, limit=50, customer=customer)  # a customer's own only (P1)
    lines = [line for line in lines if line.product in products] or lines
    if late_only and lines:
        late = [line for line in lines if line.late_by > timedelta(0)]
        if not late:
            text = render.esc(ctx.tr.gettext("None of your open orders is late: each is planned to make its date."))
            return ctx.say(text, *_order_buttons(ctx, [line.ref for line in lines]))
        lines = late
        if len(late) > 1:  # "why are my orders late": each with its reason, then the buttons to pick one
            return ctx.say(render.late_orders(ctx.tr, ctx.tz, late, ctx.tr.gettext("Late orders")),
                           *_order_buttons(ctx, [line.ref for line in late]))
    if len(lines) == 1:
        return _status_view(ctx, await get_order_status(ctx.svc, actor, lines[0].ref), by=by)
    if not lines:
        return ctx.say(render.esc(ctx.tr.gettext("You have no open orders.")))
    if by is not None:
        return await _ready_by(ctx, actor, lines, by)
    # the orders to pick from, each with its ETA and whether it makes its date (late first): a
    # customer with many orders sees at once which one to ask about, without knowing its number
    title = ctx.tr.gettext("Which order? Pick one or send its number, e.g. /status {ref}").format(ref=lines[0].ref)
    return await _order_list(ctx, actor, lines, title, limit=_PICK)


async def _ready_by(ctx: Ctx, actor: Actor, lines: list[OrderLine], by: date) -> list[Reply]:
    """Of ``lines``, those planned to be finished by the end of ``by``; the others counted."""
    tr = ctx.tr
    end = datetime.combine(by, time.max, tzinfo=ctx.tz)
    when = render.day(tr, ctx.tz, by)
    ready = [line for line in lines if line.eta is not None and line.eta <= end]
    if not ready:
        title = tr.gettext("None of these {n} open orders is planned to be finished by {date}:", n=len(lines), date=when)
    else:
        title = tr.gettext("Planned to be finished by {date}: {ready} of {n} open orders", ready=len(ready),
                           n=len(lines), date=when)
    return await _order_list(ctx, actor, ready or lines, title, limit=_PICK)


async def status_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    return _status_view(ctx, await get_order_status(ctx.svc, _actor(ctx), str(args.get("ref", ""))))


def _status_view(ctx: Ctx, view: OrderStatusView, *, by: date | None = None) -> list[Reply]:
    """One order's status; "it" in the next messages is that order. ``by`` ("can SO-1441 arrive
    before Dec 20?", "we need it by Dec 20"): whether it is planned to be finished by the end of
    that day comes first; when it is not, a customer may pass the day on to their sales contact,
    and staff who may change orders, asked for a day before the promise, may see the impact of
    promising it for that day, each by a button."""
    ctx.remember_order(view.ref)
    text = render.order_status(ctx.tr, ctx.tz, view)
    verdict = render.ready_by(ctx.tr, ctx.tz, view, by) if by is not None else None
    if by is None or verdict is None:
        return ctx.say(text)
    answer, ready = verdict
    buttons: list[Button] = []
    when = render.day(ctx.tr, ctx.tz, by)
    actor = _actor(ctx)
    if not ready and actor.role is Role.CUSTOMER:
        buttons.append(ctx.button(ctx.tr.gettext("Ask for it by {date}", date=when), "ask_by", None,
                                  single_use=True, ref=view.ref, by=by.isoformat()))
    elif not ready and can(actor, "assess_change") and by < view.due.astimezone(ctx.tz).date():
        # a day before the promise: what pulling the order in would do (on or after it, the order is late)
        buttons.append(ctx.button(ctx.tr.gettext("Promise it for {date}: impact first", date=when), "change_due",
                                  None, ref=view.ref, by=by.isoformat()))
    return ctx.say(answer + "\n" + text, buttons)


async def ask_by_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    """"Ask for it by Dec 20" pressed by a customer: the day passed on to their sales contact."""
    when = render.day(ctx.tr, ctx.tz, date.fromisoformat(str(args["by"])))
    return await human(ctx, ctx.tr.gettext("{ref}: needed by {date}", ref=str(args["ref"]), date=when),
                       request="change_date", ref=str(args["ref"]))


async def orders(ctx: Ctx, args: str = "", *, customer: str | None = None, due_by: date | None = None,
                 vip_only: bool = False) -> list[Reply]:
    """``/orders``: open orders, late and at risk first. Staff may name a customer, in full or
    by a short form (``/orders ACME``, "精工的订单"); a customer sees their own (P1). With
    ``due_by`` ("今天有哪些单要交", "what's due this week"): the orders promised by the end of
    that day, soonest first, each with its promised date. ``vip_only`` ("VIP订单有哪些"): the VIP ones."""
    actor = _actor(ctx)
    tr = ctx.tr
    if actor.role is Role.CUSTOMER:
        customer = None
    elif args.strip() and customer is None:
        known = await ctx.deps.customers()
        customer = match_customer(args, known)
        if customer is None:  # a part of a name, when it is one customer's only ("/orders river")
            part = args.strip().casefold()
            near = [c for c in known if part in c.casefold()]
            if len(near) == 1:
                customer = near[0]
            elif near:
                return ctx.say(render.fill(tr.gettext("“{name}” could be {names}: which one?"),
                                           name=args.strip(), names=tr.listing(near, limit=12)))
            else:
                return ctx.say(render.fill(tr.gettext("No customer matches “{name}”. Customers: {names}"),
                                           name=args.strip(), names=tr.listing(known, limit=12)))
    if due_by is not None:
        return await _due_orders(ctx, actor, customer, due_by)
    lines = await list_orders(ctx.svc, actor, limit=100_000 if vip_only else 20, customer=customer)
    if vip_only:
        vip = [line for line in lines if line.vip]
        return await _order_list(ctx, actor, vip, tr.gettext("Open VIP orders ({n})", n=len(vip)), limit=20)
    if actor.role is Role.CUSTOMER:
        title = tr.gettext("Your open orders")
    elif customer:
        title = tr.gettext("Open orders of {customer}", customer=customer)
    else:
        title = tr.gettext("Open orders")
    return await _order_list(ctx, actor, lines, title, limit=20)


_DUE_SHOWN = 20


async def _due_orders(ctx: Ctx, actor: Actor, customer: str | None, day: date) -> list[Reply]:
    tr = ctx.tr
    lines = await list_orders(ctx.svc, actor, limit=100_000, customer=customer, due_by=day)  # all: they are counted
    when = render.day(tr, ctx.tz, day)
    if actor.role is Role.CUSTOMER:
        title = tr.gettext("Your orders due by {date}", date=when)
    elif customer:
        title = tr.gettext("Orders of {customer} due by {date}", customer=customer, date=when)
    else:
        title = tr.gettext("Orders due by {date}", date=when)
    return await _order_list(ctx, actor, lines, f"{title} ({len(lines)})", limit=_DUE_SHOWN, show_due=True,
                       empty=tr.gettext("No open order is promised by then."))


async def complain(ctx: Ctx, text: str, ref: str | None = None) -> list[Reply]:
    """Record a complaint; the use case alerts the sales owner and the managers. Staff record a
    customer's complaint by its order; without one it is asked for (nothing is recorded)."""
    actor = _actor(ctx)
    if actor.role is not Role.CUSTOMER and ref is None:
        return ctx.say(render.esc(ctx.tr.gettext("Which order is the complaint about? Write e.g. /complain SO-1042 "
                                                 "arrived damaged")))
    cid = await record_complaint(ctx.svc, actor, text, ref)
    tr = ctx.tr
    msg = tr.gettext("We are sorry. Your complaint #{id} is recorded and your sales contact and our managers have "
                     "been told; someone will contact you soon.", id=cid)
    return ctx.say("🙏 " + render.esc(msg))


async def complain_command(ctx: Ctx, args: str) -> list[Reply]:
    text = args.strip()
    if not text:
        return ctx.say(render.esc(ctx.tr.gettext("Please write what went wrong after the command, e.g. "
                                                 "/complain SO-1042 arrived damaged")))
    ref = _leading_ref(text)
    return await complain(ctx, text, ref)


def _leading_ref(text: str) -> str | None:
    """The order number a complaint starts with, as typed (the service reads a number alone in
    the factory's own numbering), or None."""
    first = text.split(maxsplit=1)[0]
    try:
        normalise_ref(first)
    except InvalidInput:
        return None
    return first if any(ch.isdigit() for ch in first) else None


async def human(ctx: Ctx, args: str = "", *, request: str | None = None, ref: str | None = None) -> list[Reply]:
    """Hand the conversation over to the customer's sales owner (or the managers). ``request``:
    ``args`` is something only staff may do (the intent: a new order, a quote, expedite, change
    or cancel order ``ref``), passed on as it was written, with a button that shows the staff
    member what it would do (:data:`handlers.buttons.REQUEST_PREFIX`)."""
    actor = _actor(ctx)
    tr = ctx.tr
    if actor.role is not Role.CUSTOMER:
        return ctx.say(render.esc(tr.gettext("You are staff: write to your colleagues directly.")))
    now = ctx.now()
    async with ctx.svc.uow(write=True) as uow:
        records = await uow.orders.list(customer=actor.customer) if actor.customer else []
        owners = Counter(r.sales for r in records if r.sales)
        targets = []
        name = None
        for username, _ in owners.most_common(1):
            owner = await uow.users.by_username(username)
            if owner is not None and owner.active:
                targets.append(owner)
                name = owner.display_name or owner.username
        if not targets:
            targets = list(await uow.users.with_role(Role.MANAGER))
        payload: dict[str, Any] = {"customer": actor.customer or "", "user": actor.user_id,
                                   "username": actor.username, "note": args.strip()[:500]}
        for user in targets:
            key = f"handover:{actor.user_id}:{user.id}:{now:%Y%m%d%H}"
            sent = payload
            if request:  # each request is passed on (the same words twice within the hour once)
                key += ":" + hashlib.sha256(payload["note"].encode()).hexdigest()[:12]
                sent = {**payload, "request": request, "ref": ref, "button": request_data(key)}
            await uow.outbox.add(Notification(key, "chat", f"user:{user.id}", "handover", sent, now, urgent=True))
        await uow.commit()
    if request and name:
        text = tr.gettext("Your sales contact {name} decides on that: I have passed your message on, and "
                          "{name} will get back to you.", name=name)
    elif request:
        text = tr.gettext("Our managers decide on that: I have passed your message on, and they will get back "
                          "to you.")
    elif name:
        text = tr.gettext("I have asked {name}, your sales contact, to get in touch with you.", name=name)
    else:
        text = tr.gettext("I have asked our managers to get in touch with you.")
    return ctx.say("🙋 " + render.esc(text))


# --- satisfaction survey -------------------------------------------------------------------------------


def _survey_text(tr: Tr, score: int) -> str:
    return tr.gettext("Thank you for your score {score}/5! Would you like to add a comment? Just write it, or "
                      "press the button.", score=score)


async def survey_click(ctx: Ctx, data: str) -> list[Reply]:
    """``survey:REF:score`` from the survey message: keep the score, offer a comment."""
    _actor(ctx)
    ref_text, _, score_text = data[len(SURVEY_PREFIX):].rpartition(":")
    ref = normalise_ref(ref_text)
    if not score_text.isdigit() or not 1 <= int(score_text) <= 5:
        raise InvalidInput("bad_score", score=score_text[:5])
    # check now that it is this customer's open survey, so a forged button learns nothing new
    await get_order_status(ctx.svc, ctx.actor, ref)  # type: ignore[arg-type]
    score = int(score_text)
    await flush_survey(ctx)
    ctx.start_session({"flow": "survey", "ref": ref, "score": score})
    skip = ctx.button(ctx.tr.gettext("No comment"), "survey_skip", None, single_use=True)
    return [Reply(render.esc(_survey_text(ctx.tr, score)), ((skip,),), edit=True)]


async def flush_survey(ctx: Ctx) -> None:
    """A score waiting for its comment is recorded without one (the user moved on)."""
    state = ctx.session()
    if state and state.get("flow") == "survey":
        ctx.end_session()
        with contextlib.suppress(ServiceError):  # answered meanwhile: the new request goes on
            await record_survey_answer(ctx.svc, _actor(ctx), str(state["ref"]), int(str(state["score"])), None)


async def survey_comment(ctx: Ctx, text: str) -> list[Reply]:
    state = ctx.end_session() or {}
    await record_survey_answer(ctx.svc, _actor(ctx), str(state["ref"]), int(str(state["score"])), text)
    return ctx.say("🙏 " + render.esc(ctx.tr.gettext("Thank you, your answer and comment are recorded.")))


async def survey_skip(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    state = ctx.session()
    if not state or state.get("flow") != "survey":
        return [Reply(render.esc(ctx.tr.gettext("Thank you, your answer is recorded.")), edit=True)]
    ctx.end_session()
    await record_survey_answer(ctx.svc, _actor(ctx), str(state["ref"]), int(str(state["score"])), None)
    return [Reply(render.esc(ctx.tr.gettext("Thank you, your answer is recorded.")), edit=True)]
