"""Use cases: per-user REST API tokens (issue, authenticate, list, revoke).

A token is 32 random bytes (URL-safe text with a ``pct_`` prefix), shown once when issued;
only its SHA-256 is stored (:func:`~.context.hash_token`), so a database leak reveals no
usable token. A token acts as its user with the user's role: the same policy as chat.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from .context import Services, hash_token
from .errors import InvalidInput, NotAuthenticated, NotFound
from .policy import require
from .ports import Actor, ApiToken, AuditEntry, User
from .refs import clean_text

__all__ = ["TOKEN_PREFIX", "IssuedToken", "authenticate", "issue_token", "list_tokens", "revoke_token"]

TOKEN_PREFIX = "pct_"
_MAX_TOKEN = 128
_TOUCH_EVERY = timedelta(minutes=5)  # last_used is a hint, not worth a write per request


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """``token`` is the secret, shown once; ``record`` is what is stored."""

    token: str
    record: ApiToken
    user: User


async def issue_token(svc: Services, actor: Actor, username: str, *, name: str = "",
                      ttl: timedelta | None = None) -> IssuedToken:
    """A new token for ``username`` (an active user). ``ttl`` None: valid until revoked.

    Raises:
        NotFound: ``unknown_user``.
        InvalidInput: ``text_too_long`` for a name over 100 characters.
    """
    require(actor, "manage_users")
    label = clean_text(name, limit=100)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = svc.now()
    async with svc.uow(write=True) as uow:
        user = await uow.users.by_username((username or "").strip().lower())
        if user is None or not user.active:
            raise NotFound("unknown_user", username=(username or "")[:40])
        record = ApiToken(0, user.id, hash_token(token), label, now, now + ttl if ttl else None)
        token_id = await uow.tokens.add(record)
        await uow.audit.add(AuditEntry(now, actor.user_id, "api_token_issue", user.username, None,
                                       {"token_id": token_id, "name": label}))
        await uow.commit()
    return IssuedToken(token, ApiToken(token_id, record.user_id, record.token_hash, label, now, record.expires), user)


async def authenticate(svc: Services, token: str) -> Actor:
    """The actor a bearer token stands for.

    Raises:
        NotAuthenticated: ``token_invalid`` - missing, malformed, unknown, expired, revoked, or
            its user is inactive (one answer for every case).
    """
    text = (token or "").strip()
    if not text.startswith(TOKEN_PREFIX) or len(text) > _MAX_TOKEN:
        raise NotAuthenticated("token_invalid")
    now = svc.now()
    async with svc.uow() as uow:
        record = await uow.tokens.by_hash(hash_token(text))
        user = await uow.users.get(record.user_id) if record is not None else None
    if (record is None or user is None or not user.active or record.revoked is not None
            or (record.expires is not None and record.expires <= now)):
        raise NotAuthenticated("token_invalid")
    if record.last_used is None or now - record.last_used >= _TOUCH_EVERY:
        async with svc.uow(write=True) as uow:
            await uow.tokens.touch(record.id, now)
            await uow.commit()
    return Actor.of(user)


async def list_tokens(svc: Services, actor: Actor, username: str) -> list[ApiToken]:
    """Every token of ``username``, revoked ones included (hashes only)."""
    require(actor, "manage_users")
    async with svc.uow() as uow:
        user = await uow.users.by_username((username or "").strip().lower())
        if user is None:
            raise NotFound("unknown_user", username=(username or "")[:40])
        return await uow.tokens.for_user(user.id)


async def revoke_token(svc: Services, actor: Actor, token_id: int) -> None:
    """End token ``token_id`` at once; the next request with it gets ``token_invalid``.

    Raises:
        NotFound: ``unknown_token`` - no such token, or it was revoked already.
    """
    require(actor, "manage_users")
    if not 0 < token_id < 2**63:
        raise InvalidInput("unknown_token", id=token_id)
    now = svc.now()
    async with svc.uow(write=True) as uow:
        if not await uow.tokens.revoke(token_id, now):
            raise NotFound("unknown_token", id=token_id)
        await uow.audit.add(AuditEntry(now, actor.user_id, "api_token_revoke", str(token_id), None, None))
        await uow.commit()
