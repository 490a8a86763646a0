"""What a chat flow receives and returns, independent of the chat platform.

The Telegram adapter (``bot/telegram``) turns an update into an :class:`Incoming` and sends
the :class:`Reply` objects back; the web chat can do the same. Reply text is HTML (Telegram's
``parse_mode=HTML`` subset) with every user-supplied piece escaped by ``handlers.render``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MAX_INPUT", "Button", "Incoming", "Reply"]

MAX_INPUT = 1000
"""Longer chat messages are refused before any parsing (Telegram allows 4096)."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message or button click from a person.

    ``user_id`` is the numeric chat-platform account id (never a username, P2); ``chat_id``
    the chat to answer in; ``text`` the message (``/command args`` included) or None;
    ``button`` the clicked button's callback data or None; ``language_code`` what the
    client reports (used until the account is linked).
    """

    channel: str
    user_id: int
    chat_id: int
    private: bool
    text: str | None = None
    button: str | None = None
    language_code: str | None = None
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: ``data`` is an opaque token (<= 64 bytes), or ``url`` a link."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send. ``edit``: replace the message whose button was clicked instead of
    sending a new one. ``photo``: a PNG sent with ``text`` as its caption. ``commands``: the
    command menu to set for this chat (after linking or a language change): (lang, [(command,
    description)])."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    photo: bytes | None = None
    toast: str | None = None
    commands: tuple[str, tuple[tuple[str, str], ...]] | None = None
    extra: dict[str, object] = field(default_factory=dict)
