"""Delivery channels: one adapter per service, all behind :class:`Channel`.

A channel sends one rendered message to one address and either returns (delivered) or
raises one of the :class:`DeliveryError` subclasses below, which tell the relay what to do:

* :class:`RetryLater` — the service asked us to slow down (HTTP 429, Telegram RetryAfter,
  a robot's "too fast" error code): retry after ``retry_after`` seconds, and pause the lane;
* :class:`Transient` — 5xx, timeouts, connection errors: retry with backoff;
* :class:`Permanent` — the message itself is refused (HTTP 400, bad markdown, unknown chat):
  dead letter at once;
* :class:`RecipientGone` — the recipient blocked us (Telegram 403): the chat identity is
  marked inactive, the next way to reach the person is tried, and nothing more goes there.
"""

from __future__ import annotations

from typing import Protocol

from scheduler_core.reports.notify import Rendered

__all__ = ["Channel", "DeliveryError", "Permanent", "RecipientGone", "RetryLater", "Transient"]


class DeliveryError(Exception):
    """A send failed; the subclass says whether and when to retry."""


class RetryLater(DeliveryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transient(DeliveryError):
    """Worth retrying with backoff (the service or the network had a problem)."""

    def __init__(self, message: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered  # a timeout: the message may have arrived


class Permanent(DeliveryError):
    """Retrying will not help: dead letter."""


class RecipientGone(Permanent):
    """The recipient blocked us or left: stop sending there."""


class Channel(Protocol):
    """One delivery service (Telegram, WeCom, DingTalk, Feishu, e-mail)."""

    name: str

    def lane(self, address: str) -> str:
        """The rate-limit bucket ``address`` belongs to (one robot, one bot, one SMTP server)."""
        ...

    def cost(self, message: Rendered) -> int:
        """How many API requests sending ``message`` takes (tokens taken from the bucket)."""
        ...

    async def send(self, address: str, message: Rendered) -> None: ...

    async def close(self) -> None: ...
