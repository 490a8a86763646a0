"""The web app's chat (channel ``web``, address = the user's id): a notification is added to the
user's conversation on the ``/chat`` page, where its buttons (a survey's 1-5) work as they do in
the chat itself.

The conversation lives in the memory of the server process that runs the relay (the web chat
keeps its messages there too), so this channel exists only inside ``paichan serve`` / ``paichan
demo`` and only reaches a user who has opened the web chat there (which links their ``web``
account). It comes after Telegram and e-mail in a user's default order: someone with neither,
a demo user for one, gets warnings, surveys and summaries in the web chat.
"""

from __future__ import annotations

from collections.abc import Callable

from scheduler_core.reports.notify import Rendered

from . import Permanent

__all__ = ["WebChatChannel"]


class WebChatChannel:
    name = "web"

    def __init__(self, deliver: Callable[[int, Rendered], None]) -> None:
        self._deliver = deliver

    def lane(self, address: str) -> str:
        return "web"

    def cost(self, message: Rendered) -> int:
        return 1

    async def send(self, address: str, message: Rendered) -> None:
        try:
            user_id = int(address)
        except ValueError as exc:
            raise Permanent(f"not a user id: {address!r}") from exc
        self._deliver(user_id, message)

    async def close(self) -> None:
        return None
