"""The use cases' exception tree; each boundary maps it once (chat reply, HTTP status, log).

Every error carries a stable ``code`` (the key of its localized message) and ``params``.
"""

from __future__ import annotations

__all__ = ["Conflict", "InvalidInput", "NotAuthenticated", "NotFound", "PermissionDenied", "ServiceError"]


class ServiceError(Exception):
    """Base class: ``code`` names the message, ``params`` fill it."""

    status = 400

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code} {params}" if params else code)
        self.code = code
        self.params = params


class InvalidInput(ServiceError):
    """Bad input (quantity, date, unknown product ...); nothing was changed."""


class NotFound(ServiceError):
    """Unknown — or not yours: the two are indistinguishable on purpose (P1)."""

    status = 404


class NotAuthenticated(ServiceError):
    """No credentials, or ones that are unknown, expired or revoked (one answer for all)."""

    status = 401


class PermissionDenied(ServiceError):
    status = 403


class Conflict(ServiceError):
    """The state moved on (stale plan, token already used, expired)."""

    status = 409
