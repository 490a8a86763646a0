"""The PTB ``Application``: built with ``updater(None)`` (our aiohttp route and the inbox feed it),
the configured Bot API ``base_url``, PTB's rate limiter on sends and a typed custom context.

Callbacks are translators only: Telegram update -> :class:`handlers.types.Incoming` ->
:class:`handlers.router.ChatRouter` -> :class:`handlers.types.Reply` -> Bot API calls.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from handlers.render import command_menu
from handlers.router import COMMANDS, ChatRouter
from handlers.types import Incoming, Reply
from scheduler_core.reports.i18n import LANGS, translator

from .aiohttp_request import AiohttpRequest

__all__ = ["ROUTER", "PaichanContext", "build_application", "send_replies", "set_default_commands"]

log = logging.getLogger(__name__)

ROUTER = "paichan.router"
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class PaichanContext(CallbackContext[ExtBot[None], dict[object, object], dict[object, object], dict[object, object]]):
    """The callback context with our chat router on it."""

    @property
    def router(self) -> ChatRouter:
        router = self.application.bot_data[ROUTER]
        assert isinstance(router, ChatRouter)
        return router


PaichanApp = Application[ExtBot[None], PaichanContext, dict[object, object], dict[object, object],
                         dict[object, object], None]


def build_application(token: str, base_url: str, router: ChatRouter, *, send_rate: float = 30.0) -> PaichanApp:
    """The PTB application. ``send_rate``: overall messages per second (Telegram's limit is 30;
    0 switches PTB's rate limiter's overall limit off, for load tests against a fake Bot API)."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .updater(None)
        .job_queue(None)
        .rate_limiter(AIORateLimiter(overall_max_rate=send_rate, overall_time_period=1, max_retries=2))
        .context_types(ContextTypes(context=PaichanContext))
        .request(AiohttpRequest(pool_size=64))
    )
    app: PaichanApp = builder.build()  # type: ignore[assignment]
    app.bot_data[ROUTER] = router
    no_edits = ~filters.UpdateType.EDITED
    app.add_handler(CommandHandler(list(COMMANDS), on_message, filters=no_edits))
    app.add_handler(MessageHandler(filters.TEXT & no_edits, on_message))
    app.add_handler(MessageHandler(~filters.TEXT & filters.ChatType.PRIVATE & no_edits, on_message))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


def _incoming(update: Update, *, text: str | None = None, button: str | None = None) -> Incoming | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    message = update.effective_message
    forwarded = isinstance(message, Message) and message.forward_origin is not None
    return Incoming("telegram", user.id, chat.id, chat.type == ChatType.PRIVATE, text=text, button=button,
                    language_code=user.language_code, forwarded=forwarded)


async def on_message(update: Update, context: PaichanContext) -> None:
    message = update.effective_message
    incoming = _incoming(update, text=message.text if message is not None else None)
    if incoming is None:
        return
    replies = await context.router.handle(incoming)
    await send_replies(context.bot, incoming.chat_id, replies)


async def on_button(update: Update, context: PaichanContext) -> None:
    query = update.callback_query
    if query is None:
        return
    incoming = _incoming(update, button=query.data or "")
    if incoming is None:
        return
    replies = await context.router.handle(incoming)
    toast = next((r.toast for r in replies if r.toast), None)
    try:
        await query.answer(toast)
    except TelegramError as exc:  # an old query cannot be answered any more; the reply still goes out
        log.info("answerCallbackQuery failed: %s", exc)
    message = query.message if isinstance(query.message, Message) else None
    await send_replies(context.bot, incoming.chat_id, replies, edit=message)


async def send_replies(bot: ExtBot[None], chat_id: int, replies: Sequence[Reply], *, edit: Message | None = None) -> None:
    """Send (or edit in place) each reply; set the chat's command menu when a reply carries one."""
    for reply in replies:
        if reply.commands is not None:
            await set_chat_commands(bot, chat_id, reply.commands[1])
        markup = _markup(reply)
        if reply.photo is not None:
            await bot.send_photo(chat_id, reply.photo, caption=reply.text, parse_mode=ParseMode.HTML)
            continue
        if reply.edit and edit is not None:
            try:
                await bot.edit_message_text(reply.text, chat_id=chat_id, message_id=edit.message_id,
                                            parse_mode=ParseMode.HTML, reply_markup=markup,
                                            link_preview_options=_NO_PREVIEW)
                continue
            except BadRequest as exc:  # too old or unchanged: say it as a new message
                log.info("editMessageText failed (%s); sending instead", exc)
        await bot.send_message(chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                               link_preview_options=_NO_PREVIEW)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [[InlineKeyboardButton(b.label, url=b.url) if b.url else InlineKeyboardButton(b.label, callback_data=b.data)
             for b in row] for row in reply.buttons]
    return InlineKeyboardMarkup(rows)


async def set_chat_commands(bot: ExtBot[None], chat_id: int, commands: Sequence[tuple[str, str]]) -> None:
    """The menu of one chat: its user's role, in its user's language."""
    try:
        await bot.set_my_commands([BotCommand(c, d) for c, d in commands], scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("setMyCommands for chat %s failed: %s", chat_id, exc)


async def set_default_commands(bot: ExtBot[None]) -> None:
    """The menu before linking, per client language (and English for everyone else)."""
    for lang in LANGS:
        menu = [BotCommand(c, d) for c, d in command_menu(translator(lang), None)]
        code = "zh" if lang == "zh_Hans" else "en"
        await bot.set_my_commands(menu, scope=BotCommandScopeDefault(), language_code=code)
    await bot.set_my_commands([BotCommand(c, d) for c, d in command_menu(translator("en"), None)])


async def on_error(update: object, context: PaichanContext) -> None:
    """A bug or an outage while handling an update: log it and apologise in the sender's language."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None or isinstance(context.error, Forbidden):
        return
    user = update.effective_user
    lang = "zh_Hans" if user is not None and (user.language_code or "").startswith("zh") else "en"
    tr = translator(lang)
    try:
        await context.bot.send_message(update.effective_chat.id,
                                       tr.gettext("Sorry, something went wrong on our side. Please try again in a minute."))
    except TelegramError:
        log.warning("could not apologise to chat %s", update.effective_chat.id)
