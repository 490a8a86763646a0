"""Linking a chat account (``/start CODE``, P2), ``/help`` and ``/language``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scheduler_core.reports.i18n import Lang, translator
from scheduler_core.services.errors import InvalidInput
from scheduler_core.services.linking import redeem_link_code
from scheduler_core.services.ports import Actor, Role

from . import render
from .context import Ctx, lang_of
from .types import Reply

__all__ = ["help_command", "language_action", "language_command", "not_linked", "set_language", "start"]

def _menu(lang: Lang, role: Role | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (lang, render.command_menu(translator(lang), role))


async def start(ctx: Ctx, args: str) -> list[Reply]:
    """``/start CODE`` links this account; ``/start`` alone greets (and explains linking)."""
    code = args.strip()
    tr = ctx.tr
    if not code:
        if ctx.actor is None:
            return [Reply(render.help_text(tr, None, intro=tr.gettext("Welcome to paichan 排产!")),
                          commands=_menu(ctx.lang, None))]
        return [Reply(await ctx.help_text(tr.gettext("Welcome back!")),
                      commands=_menu(ctx.lang, ctx.role))]
    if ctx.msg.forwarded:
        raise InvalidInput("link_invalid")  # a forwarded /start is someone else's code
    render_lang = lang_of(ctx.msg.language_code)  # the language comes from the client at link time
    user = await redeem_link_code(ctx.svc, code, channel=ctx.msg.channel, external_id=ctx.msg.user_id,
                                  private_chat=ctx.msg.private, lang=render_lang)
    ctx.end_session()
    tr = translator(render_lang)
    name = user.display_name or user.username
    intro = tr.gettext("Hello {name}! This chat is now linked to paichan.", name=name)
    if user.role is Role.CUSTOMER and user.customer:
        intro += " " + tr.gettext("You see the orders of {customer}.", customer=user.customer)
    return [Reply(await ctx.help_text(intro, user=Actor.of(user), tr=tr), commands=_menu(render_lang, user.role))]


async def help_command(ctx: Ctx, args: str = "") -> list[Reply]:
    tr = ctx.tr
    intro = tr.gettext("This is what I can do for you.") if ctx.actor else tr.gettext("This chat is not linked yet.")
    return ctx.say(await ctx.help_text(intro))


def not_linked(ctx: Ctx) -> list[Reply]:
    tr = ctx.tr
    return ctx.say(render.help_text(tr, None, intro=tr.gettext("This chat is not linked yet.")))


def _pick(args: str) -> Lang | None:
    a = args.strip().lower()
    if a in ("zh", "cn", "中文", "zh_hans", "zh-hans", "chinese", "汉语", "简体中文"):
        return "zh_Hans"
    if a in ("en", "english", "英文", "英语"):
        return "en"
    return None


async def remember_language(ctx: Ctx, lang: Lang, *, chosen: bool) -> None:
    """Keep ``lang`` for this linked account: its replies, warnings and summaries; ``chosen``: by
    the person (a customer's chat no longer follows what they write)."""
    if ctx.identity is None:
        return
    async with ctx.svc.uow(write=True) as uow:
        ident = await uow.identities.get(ctx.msg.channel, ctx.msg.user_id)
        if ident is not None:
            await uow.identities.save(replace(ident, lang=lang, lang_chosen=chosen or ident.lang_chosen))
            await uow.commit()


def language_followed(ctx: Ctx, replies: list[Reply]) -> list[Reply]:
    """``replies`` once the chat's language has followed a message written in the other one
    (``ctx`` already in the new language): the first text message ends with how to switch back
    (a preview keeps its buttons last in the chat), and the command menu follows the language."""
    note = render.esc(ctx.tr.gettext("I will answer in English from now on, as you write. Send “中文” to switch back."))
    menu = _menu(ctx.lang, ctx.role)
    for i, reply in enumerate(replies):
        if reply.photo is None and not reply.edit and reply.text:
            return [*replies[:i], replace(reply, text=f"{reply.text}\n\n<i>{note}</i>", commands=menu), *replies[i + 1:]]
    return [*replies, Reply(note, commands=menu)]


async def set_language(ctx: Ctx, lang: Lang) -> list[Reply]:
    """Remember ``lang`` for this linked account (or just answer in it when not linked)."""
    await remember_language(ctx, lang, chosen=True)
    tr = translator(lang)
    return [Reply(render.esc(tr.gettext("I will speak English with you from now on.")), commands=_menu(lang, ctx.role))]


async def language_command(ctx: Ctx, args: str) -> list[Reply]:
    lang = _pick(args)
    if lang is not None:
        return await set_language(ctx, lang)
    roles = ()  # anyone may pick a language (the button is still this account's only)
    return ctx.say(render.esc(ctx.tr.gettext("Which language?")),
                   [_lang_button(ctx, "中文", "zh_Hans", roles), _lang_button(ctx, "English", "en", roles)])


def _lang_button(ctx: Ctx, label: str, lang: str, roles: tuple[Role, ...]) -> Any:
    return ctx.button(label, "lang", roles, lang=lang)


async def language_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    lang: Lang = "zh_Hans" if args.get("lang") == "zh_Hans" else "en"
    replies = await set_language(ctx, lang)
    return [Reply(r.text, r.buttons, edit=True, commands=r.commands) for r in replies]
