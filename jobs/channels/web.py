"""The web app's chat (channel ``web``, address = the user's id): a notification is added to the
user's conversation on the ``/chat`` page, where its buttons (a survey's 1-5) work as they do in
the chat itself.

The conversation is stored in the database (``uow.webchat``), so this channel works from any
process that runs the relay (``paichan serve``, ``paichan demo``, ``paichan jobs serve``) and a
restart loses nothing. It reaches a user who has opened the web chat once (which links their
``web`` account). It comes after Telegram and e-mail in a user's default order: someone with
neither, a demo user for one, gets warnings, surveys and summaries in the web chat.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from scheduler_core.reports.notify import Rendered
from scheduler_core.services.ports import ChatLine, UnitOfWorkFactory

from . import Permanent

__all__ = ["KEEP", "WebChatChannel", "append_lines", "rendered_entries", "text_html"]

KEEP = 40
"""Lines of a user's web chat kept (the page shows them all)."""


def text_html(text: str) -> str:
    """Plain text as a chat bubble's HTML: escaped, line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


async def append_lines(uow: UnitOfWorkFactory, lines: Sequence[ChatLine]) -> None:
    """Store ``lines`` in their users' web chats (each keeps its newest :data:`KEEP`)."""
    async with uow(write=True) as tx:
        await tx.webchat.add(lines, KEEP)
        await tx.commit()


def rendered_entries(message: Rendered) -> list[dict[str, Any]]:
    """A notification as web chat lines: its text (escaped) with its buttons, then its pictures."""
    rows = [[{"label": b.label, "data": b.data, "url": None} for b in message.buttons]] if message.buttons else []
    lines: list[dict[str, Any]] = [{"me": False, "html": text_html(message.text), "buttons": rows, "photo": None}]
    for pic in message.pictures:
        lines.append({"me": False, "html": html.escape(pic.caption), "buttons": [],
                      "photo": base64.b64encode(pic.png).decode()})
    return lines


class WebChatChannel:
    name = "web"

    def __init__(self, uow: UnitOfWorkFactory, clock: Callable[[], datetime]) -> None:
        self._uow = uow
        self._clock = clock

    def lane(self, address: str) -> str:
        return "web"

    def cost(self, message: Rendered) -> int:
        return 1

    async def send(self, address: str, message: Rendered) -> None:
        try:
            user_id = int(address)
        except ValueError as exc:
            raise Permanent(f"not a user id: {address!r}") from exc
        now = self._clock()
        await append_lines(self._uow, [ChatLine(user_id, now, e) for e in rendered_entries(message)])

    async def close(self) -> None:
        return None
