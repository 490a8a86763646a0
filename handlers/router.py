"""One entry point for every chat message and button click: who is it (numeric account id ->
linked user), which flow, and the ONE place a use case's error becomes a polite reply."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from scheduler_core.reports.i18n import Lang
from scheduler_core.services.errors import InvalidInput, NotFound, ServiceError
from scheduler_core.services.policy import can
from scheduler_core.services.ports import Actor, Role
from scheduler_core.services.refs import MAX_TEXT

from . import customer, linking, manager, operator, render, sales
from .buttons import PREFIX, REQUEST_PREFIX, SURVEY_PREFIX
from .context import ChatDeps, Ctx, lang_of
from .intent import Intent, fold, written_language
from .types import MAX_INPUT, Incoming, Reply

__all__ = ["COMMANDS", "ChatRouter"]

log = logging.getLogger(__name__)

Command = Callable[[Ctx, str], Awaitable[list[Reply]]]
Action = Callable[[Ctx, dict[str, Any]], Awaitable[list[Reply]]]

COMMANDS: dict[str, Command] = {
    "start": linking.start,
    "help": linking.help_command,
    "language": linking.language_command,
    "lang": linking.language_command,
    "status": customer.status,
    "orders": customer.orders,
    "complain": customer.complain_command,
    "human": customer.human,
    "rush": sales.rush_command,
    "promise": sales.promise_command,
    "change": sales.change_command,
    "cancel": sales.cancel_command,
    "late": sales.late,
    "report": operator.report_command,
    "down": operator.down_command,
    "up": operator.up_command,
    "kpi": manager.kpi,
    "gantt": manager.gantt,
    "summary": manager.summary,
    "daily": manager.daily,
}
_OPEN = frozenset({"start", "help", "language", "lang"})  # usable before linking

ACTIONS: dict[str, Action] = {
    "lang": linking.language_action,
    "status": customer.status_action,
    "ask_by": customer.ask_by_action,
    "change_due": sales.change_due_action,
    "survey_skip": customer.survey_skip,
    "confirm": sales.confirm_action,
    "reject": sales.reject_action,
    "rush_set": sales.rush_set_action,
    "promise_book": sales.promise_book_action,
    "promise_pick": sales.promise_pick_action,
    "rush_stop": sales.rush_stop_action,
    "machine": operator.machine_action,
    "machine_menu": operator.machine_menu_action,
    "op_pick": operator.op_pick_action,
    "report": operator.report_action,
    "stop_cancel": operator.stop_cancel_action,
}

# what a customer may ask for but only staff may do: passed on to their sales contact
_REQUESTS = frozenset({"rush", "promise", "change_date", "change_quantity", "cancel", "expedite", "material"})

# free-text intents of the staff -> the permission they need (others get the help text)
_STAFF_INTENTS: dict[str, str] = {
    "report_progress": "report_progress", "machine_down": "machine_state", "machine_up": "machine_state",
    "machine_queue": "report_progress", "machine_status": "view_plan",
    "kpi": "kpis", "summary": "kpis", "gantt": "kpis",
}  # fmt: skip

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+(.*))?$", re.DOTALL)


def _bare_number(ref: str, text: str) -> bool:
    """Whether ``ref``'s number stands alone in ``text`` ("done 120", not "SO-120 done", "#120",
    "订单120"): then it may be a count of units rather than an order."""
    prefix, _, number = ref.rpartition("-")
    if not number.isdigit():
        return False
    digits, said = str(int(number)), fold(text)
    named = r"(?:(?<![a-z])" + re.escape(prefix.lower()) + r"|#|订单|单号|编号|order|no\.)"
    return re.search(named + r"\s*[-#:：.]?\s*0*" + digits + r"(?!\d)", said) is None \
        and re.search(r"(?<!\d)" + digits + r"(?!\d)", said) is not None


def _expired(ctx: Ctx) -> list[Reply]:
    """A button that no longer works here (unknown, expired, or not this person's)."""
    said = ctx.tr.gettext("This button has expired. Please ask again.")
    return [Reply(render.esc(said), toast=said)]


class ChatRouter:
    """``await router.handle(incoming)`` -> the replies to send."""

    def __init__(self, deps: ChatDeps) -> None:
        self.deps = deps

    async def context(self, msg: Incoming) -> Ctx:
        """Who sent ``msg``: the account's link (numeric id only, P2), user, role and language."""
        svc = self.deps.svc
        async with svc.uow() as uow:
            found = await uow.identities.get_with_user(msg.channel, msg.user_id)  # one statement
        ident, user = found if found is not None else (None, None)
        if ident is not None and not ident.active:
            user = None
        tz = await self.deps.timezone()
        if ident is None or user is None or not user.active:
            return Ctx(self.deps, msg, lang_of(msg.language_code), None, None, tz)
        lang: Lang = "zh_Hans" if ident.lang == "zh_Hans" else "en"
        actor = Actor(user.id, user.role, user.customer, user.username, lang)
        return Ctx(self.deps, msg, lang, actor, ident, tz)

    async def handle(self, msg: Incoming) -> list[Reply]:
        try:
            ctx = await self.context(msg)
        except Exception:
            log.exception("cannot resolve the sender of a chat message")
            raise
        uow, sessions = self.deps.svc.uow, self.deps.sessions
        try:
            await sessions.load(msg.channel, msg.user_id, uow)
        except Exception:  # the conversation goes on from what this process knows
            log.exception("cannot load the chat's conversation state")
        ctx, followed = await self._follow_language(ctx)
        replies = await self._polite(ctx, self._dispatch(ctx))
        if followed and ctx.identity is not None and not any(r.commands for r in replies):
            replies = linking.language_followed(ctx, replies)  # not after "说中文", which says it itself
        try:  # before the replies that show them are sent
            await self.deps.buttons.save(uow)
            await sessions.save(msg.channel, msg.user_id, uow)
        except Exception:  # they still work in this process; a restart would forget them
            log.exception("cannot store the chat's buttons or conversation state")
        return replies

    @staticmethod
    async def _follow_language(ctx: Ctx) -> tuple[Ctx, bool]:
        """A customer's message written plainly in the other language than the chat's (not a
        command, not a button) is answered in it, and the account keeps it (delay warnings and
        surveys too), until they choose a language themselves ("/language", "说中文", the web
        page's switch). Staff keep their language: they mix both in their daily work ("SO-1042
        完成 30", "M1 停机" among English ones) and switch with "中文" / "English"."""
        text = ctx.msg.text or ""
        if ctx.msg.button is not None or not ctx.msg.private or _COMMAND.match(text.strip()):
            return ctx, False
        if ctx.actor is not None and ctx.actor.role is not Role.CUSTOMER:
            return ctx, False
        if ctx.identity is not None and ctx.identity.lang_chosen:
            return ctx, False
        written = written_language(text)
        if written is None or written == ctx.lang:
            return ctx, False
        await linking.remember_language(ctx, written, chosen=False)
        actor = replace(ctx.actor, lang=written) if ctx.actor is not None else None
        return replace(ctx, lang=written, actor=actor), True

    @staticmethod
    async def _polite(ctx: Ctx, replies: Awaitable[list[Reply]]) -> list[Reply]:
        """``replies``, or the polite reply for a use case's error."""
        try:
            return await replies
        except ServiceError as exc:
            return ctx.say(render.error(ctx.tr, exc))

    async def _dispatch(self, ctx: Ctx) -> list[Reply]:
        msg = ctx.msg
        if msg.button is not None:
            return await self._button(ctx, msg.button)
        text = (msg.text or "").strip()
        if not text:
            return linking.not_linked(ctx) if ctx.actor is None else await linking.help_command(ctx)
        if len(text) > min(MAX_INPUT, MAX_TEXT):
            raise InvalidInput("text_too_long", limit=MAX_INPUT)
        m = _COMMAND.match(text)
        if m:
            name, args = m.group(1).lower(), (m.group(2) or "").strip()
            command = COMMANDS.get(name)
            if command is None:
                return await self._unknown(ctx)
            if ctx.actor is None and name not in _OPEN:
                return linking.not_linked(ctx)
            if not msg.private and name not in ("start", "help"):
                return ctx.say(render.esc(ctx.tr.gettext("Please talk to me in a private chat.")))
            flow = (ctx.session() or {}).get("flow")
            if flow == "survey":
                await customer.flush_survey(ctx)
            elif flow == "rush" and name not in ("cancel", "rush", "help", "language", "lang"):
                ctx.end_session()  # another command ends the /rush questions
            return await command(ctx, args)
        if ctx.actor is None:
            return linking.not_linked(ctx)
        if not msg.private:
            return []  # group chatter is not for us; order data is never shown in groups
        state = ctx.session()
        if state is not None:
            if state.get("flow") == "rush":
                try:
                    return await sales.rush_text(ctx, text)
                except sales.AnotherRequest as other:  # the questions are over: the message as any other
                    return other.replies + await self._polite(ctx, self._free_text(ctx, text))
            if state.get("flow") == "survey":
                return await customer.survey_comment(ctx, text)
        decided = await sales.typed_decision(ctx, text)  # "确认" / "cancel" after an impact preview
        if decided is not None:
            return decided
        return await self._free_text(ctx, text)

    async def _button(self, ctx: Ctx, data: str) -> list[Reply]:
        if not ctx.msg.private:
            return [Reply(render.esc(ctx.tr.gettext("Please talk to me in a private chat.")))]
        if data.startswith(SURVEY_PREFIX) and len(data) <= 64:
            if ctx.actor is None:
                return linking.not_linked(ctx)
            return await customer.survey_click(ctx, data)
        if data.startswith(REQUEST_PREFIX) and len(data) <= 64:
            return await self._request(ctx, data[len(REQUEST_PREFIX):])
        click = await self.deps.buttons.take(data, ctx.msg.user_id, ctx.role, self.deps.svc.uow) \
            if data.startswith(PREFIX) else None
        if click is None or click.action not in ACTIONS:
            return _expired(ctx)
        return await ACTIONS[click.action](ctx, click.args)

    async def _request(self, ctx: Ctx, key: str) -> list[Reply]:
        """"See what it would do" on a customer's request passed on (``handover``): their words,
        run as this staff member would have typed them; a new order is answered as a promise
        question for that customer (the dates without disturbing anyone and with priority, and
        the buttons that book it), as a rush preview would put it first unasked."""
        if ctx.actor is None:
            return linking.not_linked(ctx)
        async with self.deps.svc.uow() as uow:
            item = await uow.outbox.get(key)
        n = item.notification if item is not None else None
        if n is None or n.kind != "handover" or n.recipient != f"user:{ctx.actor.user_id}" \
                or not can(ctx.actor, "assess_change"):
            return _expired(ctx)
        note = str(n.payload.get("note") or "")
        intent = await self.deps.understand(note, ctx.today())
        if intent.intent in ("rush", "promise") or n.payload.get("request") in ("rush", "promise"):
            intent = replace(intent, intent="promise", customer=intent.customer or str(n.payload.get("customer") or "") or None)
        elif not intent.order and n.payload.get("ref"):
            intent = replace(intent, order=str(n.payload["ref"]))
        return await self.route_intent(ctx, intent, note)

    async def _free_text(self, ctx: Ctx, text: str) -> list[Reply]:
        intent = await self.deps.understand(text, ctx.today())
        if intent.back and (last := ctx.last_order()) is not None:  # "can it be earlier", "这个单到哪了", "能提前吗"
            intent = replace(intent, order=last)
        return await self.route_intent(ctx, intent, text)

    async def route_intent(self, ctx: Ctx, intent: Intent, text: str) -> list[Reply]:
        kept = ctx.order_memory()
        if intent.order:
            ctx.remember_order(intent.order)
        try:
            return await self._route_intent(ctx, intent, text)
        except NotFound:  # "it" goes on meaning the order before, not one unknown (or not theirs)
            ctx.restore_order_memory(kept)
            raise

    async def _route_intent(self, ctx: Ctx, intent: Intent, text: str) -> list[Reply]:
        kind = intent.intent
        if kind in _REQUESTS and ctx.actor is not None and ctx.actor.role is Role.CUSTOMER:
            if intent.back and not intent.order:  # "can it be earlier" with no order talked about: which?
                return await customer.status(ctx, "")
            # a customer cannot change the plan: their sales contact gets the message as written
            # (with the order "it" stands for)
            return await customer.human(ctx, f"{intent.order}: {text}" if intent.back and intent.order else text,
                                        request=kind, ref=intent.order)
        if kind == "expedite":
            return await sales.expedite(ctx, intent)
        if kind == "report_progress" and intent.scrap and ctx.actor is not None and ctx.actor.role is Role.CUSTOMER:
            return await customer.complain(ctx, text, intent.order)  # "SO-1042 到货20件报废了": their goods
        if kind == "report_progress" and intent.order and intent.quantity is None:
            # "SO-1042 焊完了": the floor is asked how many before anything is recorded; to anyone
            # else (a customer's "SO-1042 is done") it is a question about the order
            if ctx.actor is not None and can(ctx.actor, "report_progress"):
                return await operator.step_done(ctx, intent.order, step=intent.step, work=intent.work,
                                                scrap=intent.scrap or 0, bare=_bare_number(intent.order, text))
            return await customer.status(ctx, intent.order)
        if kind == "gantt" and intent.machine is None and ctx.actor is not None and not can(ctx.actor, "kpis") \
                and can(ctx.actor, "report_progress"):
            kind, intent = "machine_queue", replace(intent, intent="machine_queue")  # the floor's plan: their machine's
        staff = _STAFF_INTENTS.get(kind)
        if staff is not None:
            if ctx.actor is None or not can(ctx.actor, staff):  # "停机" from a customer: not theirs to say
                return ctx.say(await ctx.help_text(ctx.tr.gettext(
                    "That is not part of your role here. This is what you can do.")))
            return await self._staff_intent(ctx, intent, text)
        # staff asking about one customer's orders ("ACME的订单怎么样了", "精工有几个单晚了")
        named = intent.customer if ctx.actor is not None and ctx.actor.role is not Role.CUSTOMER else None
        if named and (kind == "late_orders" or (kind == "order_status" and not intent.order and intent.late)):
            return await sales.late(ctx, customer=named)
        if named and kind == "order_status" and not intent.order and intent.date is not None:
            return await customer.status(ctx, "", by=intent.date, customer=named)  # "Bosch的单子下周能交吗"
        if named and (kind == "list_orders" or (kind == "order_status" and not intent.order)):
            return await customer.orders(ctx, customer=named, due_by=intent.date if kind == "list_orders" else None)
        if kind == "order_status":
            products = await self.deps.products_called(intent.product) if intent.product else ()
            return await customer.status(ctx, intent.order or "", late_only=intent.late, products=products,
                                         by=intent.date)
        if kind == "list_orders":
            return await customer.orders(ctx, due_by=intent.date, vip_only=intent.vip)
        if kind == "late_orders":
            return await sales.late(ctx, by_customer=intent.by_customer, vip_only=intent.vip, because=intent.because,
                                    because_of=intent.order)
        if kind == "complaint":
            return await customer.complain(ctx, text, intent.order)
        if kind == "complaints":
            return await manager.complaints(ctx)
        if kind == "human":
            return await customer.human(ctx, text)
        if kind == "rush" and not intent.priority and intent.product and intent.quantity:
            # a new order said plainly ("new order for ACME: 50 VB-10 by Dec 30"): when it can be ready without
            # moving anyone and with priority, and the buttons that book either; a rush is put first at once
            return await sales.promise_command(ctx, "", replace(intent, intent="promise"))
        if kind == "rush":
            return await sales.rush_message(ctx, intent)
        if kind == "promise":
            return await sales.promise_command(ctx, "", intent)
        if kind in ("change_date", "change_quantity"):
            return await sales.change_command(ctx, text, intent)
        if kind == "material":
            return await sales.material_message(ctx, intent)
        if kind == "cancel":
            return await sales.cancel_command(ctx, "", intent)
        if kind == "language":
            lang = intent.language
            if lang in ("zh_Hans", "zh", "en"):
                return await linking.set_language(ctx, "en" if lang == "en" else "zh_Hans")
            return await linking.language_command(ctx, "")
        if kind == "help":
            return await linking.help_command(ctx)
        if kind == "greeting":
            tr = ctx.tr
            return ctx.say(await ctx.help_text(tr.gettext("Hello! What can I do for you?")))
        if kind == "thanks":
            return ctx.say(render.esc(ctx.tr.gettext("You're welcome!")))
        return await self._unknown(ctx)

    async def _staff_intent(self, ctx: Ctx, intent: Intent, text: str) -> list[Reply]:
        """The shop floor's and the managers' free text, as their commands would do it."""
        kind = intent.intent
        if kind == "report_progress":
            args = (f"{intent.order} {intent.quantity} {intent.step or ''}"
                    if intent.order and intent.quantity is not None else "")
            return await operator.report_command(ctx, args, work=intent.work, scrap=intent.scrap or 0,
                                                 quantity=intent.quantity, total=intent.total)
        machine = (await self.deps.machine_names()).get(intent.machine or "")  # "激光切割1" -> LASER-1
        if kind == "machine_down":
            # the operator's own words are the reason, as "/down CNC-2 主轴报警" records it
            return await operator.down_command(ctx, f"{machine} {text}" if machine else "")
        if kind == "machine_up":
            return await operator.up_command(ctx, machine or "")
        if kind == "machine_queue":
            return await operator.queue(ctx, machine)
        if kind == "machine_status":
            return await operator.machine_status(ctx, machine)
        if kind == "kpi":
            return await manager.kpi(ctx)
        if kind == "summary":
            if intent.daily:
                return await manager.daily(ctx)
            return await (manager.load(ctx) if intent.load else manager.summary(ctx))
        return await manager.gantt(ctx)

    async def _unknown(self, ctx: Ctx) -> list[Reply]:
        tr = ctx.tr
        return ctx.say(await ctx.help_text(tr.gettext("Sorry, I did not understand that.")))
