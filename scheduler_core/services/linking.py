"""Use cases: one-time link codes that tie a chat account to a user (P2)."""

from __future__ import annotations

import secrets

from .context import Services, hash_token
from .errors import InvalidInput, NotFound
from .policy import require
from .ports import Actor, AuditEntry, ChatIdentity, LinkCode, User

__all__ = ["create_link_code", "redeem_link_code"]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


async def create_link_code(svc: Services, actor: Actor, username: str) -> tuple[str, LinkCode]:
    """A fresh code for ``username`` (returned once; only its hash is stored)."""
    require(actor, "link_code")
    code = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    now = svc.now()
    async with svc.uow(write=True) as uow:
        user = await uow.users.by_username(username)
        if user is None:
            raise NotFound("unknown_user", username=username[:40])
        link = LinkCode(hash_token(code), user.id, now + svc.link_ttl)
        await uow.links.add(link)
        await uow.audit.add(AuditEntry(now, actor.user_id, "link_code", username, None, {"expires": link.expires.isoformat()}))
        await uow.commit()
    return code, link


async def redeem_link_code(svc: Services, code: str, *, channel: str, external_id: int, private_chat: bool,
                           lang: str | None = None) -> User:
    """Link the chat account ``external_id`` (numeric, never a username) to the code's user.

    Reused, expired, unknown and group-chat attempts get the same ``link_invalid`` /
    ``link_private_only`` errors and change nothing.
    """
    if not private_chat:
        raise InvalidInput("link_private_only")
    cleaned = (code or "").strip().upper()
    if not 4 <= len(cleaned) <= 64 or not cleaned.isalnum():
        raise InvalidInput("link_invalid")
    now = svc.now()
    async with svc.uow(write=True) as uow:
        link = await uow.links.redeem(hash_token(cleaned), now)
        if link is None:
            raise InvalidInput("link_invalid")
        user = await uow.users.get(link.user_id)
        if user is None or not user.active:
            raise InvalidInput("link_invalid")
        await uow.identities.save(ChatIdentity(channel, external_id, user.id, lang or user.lang, True))
        await uow.audit.add(AuditEntry(now, user.id, "link", f"{channel}:{external_id}", None, {"user": user.username}))
        await uow.commit()
    return user
