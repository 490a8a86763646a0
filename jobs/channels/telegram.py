"""Telegram through python-telegram-bot's :class:`telegram.Bot` (the same bot token as the chat).

Faults (P8): ``RetryAfter`` (429) -> :class:`RetryLater` with its ``retry_after``;
``Forbidden`` (403, blocked by the user) -> :class:`RecipientGone`; ``BadRequest`` (400) and
the other API refusals -> :class:`Permanent`; ``TimedOut`` and ``NetworkError`` (5xx,
connection problems) -> :class:`Transient`.

The message is sent as plain text (no parse mode: nothing in a customer name or a comment can
break the markup), with the survey's 1-5 buttons as an inline keyboard; pictures follow as
photos.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from scheduler_core.reports.notify import Rendered

from . import Permanent, RecipientGone, RetryLater, Transient

__all__ = ["TelegramChannel"]

_MAX_TEXT = 4096
_MAX_CAPTION = 1024


class TelegramChannel:
    name = "telegram"

    def __init__(self, token: str, *, base_url: str = "https://api.telegram.org/bot", timeout: float = 10.0,
                 bot: Bot | None = None) -> None:
        request = HTTPXRequest(connection_pool_size=16, read_timeout=timeout, write_timeout=timeout,
                               connect_timeout=timeout, pool_timeout=timeout)
        self.bot = bot or Bot(token, base_url=base_url, request=request, get_updates_request=request)
        self._ready = False

    def lane(self, address: str) -> str:
        return "telegram"

    def cost(self, message: Rendered) -> int:
        return 1 + len(message.pictures)

    async def _start(self) -> None:
        if not self._ready:
            await self.bot.initialize()
            self._ready = True

    async def send(self, address: str, message: Rendered) -> None:
        try:
            chat_id = int(address)
        except ValueError as exc:
            raise Permanent(f"not a Telegram chat id: {address!r}") from exc
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)
                                            for b in message.buttons]])
        try:
            await self._start()
            await self.bot.send_message(chat_id, message.text[:_MAX_TEXT], reply_markup=markup)
            for pic in message.pictures:
                await self.bot.send_photo(chat_id, pic.png, caption=pic.caption[:_MAX_CAPTION])
        except RetryAfter as exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            raise RetryLater(f"telegram 429: {exc}", seconds) from exc
        except Forbidden as exc:
            raise RecipientGone(f"telegram 403: {exc}") from exc
        except BadRequest as exc:
            raise Permanent(f"telegram 400: {exc}") from exc
        except TimedOut as exc:
            raise Transient(f"telegram timeout: {exc}", maybe_delivered=True) from exc
        except NetworkError as exc:
            raise Transient(f"telegram network error: {exc}") from exc
        except TelegramError as exc:  # InvalidToken, Conflict, EndPointNotFound ...
            raise Permanent(f"telegram: {exc}") from exc

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False
