"""Use cases: passwords for the web app (argon2id), set by an admin or the user, and checked at login.

A login answers the same way, in about the same time, for an unknown user, an inactive user, a user
without a password and a wrong password: one argon2 verification runs in every case (against a
dummy hash when there is no real one), so neither the answer nor its timing tells which usernames
exist.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .context import Services
from .errors import InvalidInput, NotFound, PermissionDenied
from .policy import can
from .ports import Actor, AuditEntry, User

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "check_password", "hash_password", "set_password", "verify_login"]

MIN_PASSWORD = 8
MAX_PASSWORD = 128

_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
_DUMMY = _HASHER.hash("paichan: no such user")


def check_password(password: str) -> str:
    """The password if it is acceptable.

    Raises:
        InvalidInput: ``password_too_short`` / ``password_too_long``.
    """
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password_too_short", minimum=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("password_too_long", limit=MAX_PASSWORD)
    return password


def hash_password(password: str) -> str:
    """An argon2id hash of an acceptable password (see :func:`check_password`)."""
    return _HASHER.hash(check_password(password))


def _matches(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def set_password(svc: Services, actor: Actor, username: str, password: str) -> User:
    """Set ``username``'s password: an admin for anyone, a user for themself.

    Raises:
        InvalidInput: bad username or password (nothing changes).
        NotFound: ``unknown_user`` (for an admin; others get PermissionDenied first).
        PermissionDenied: another user's password, not an admin.
    """
    name = (username or "").strip().lower()[:64]
    if not can(actor, "manage_users") and actor.username != name:
        raise PermissionDenied("not_allowed", action="set_password")
    hashed = await asyncio.to_thread(hash_password, password)
    async with svc.uow(write=True) as uow:
        user = await uow.users.by_username(name)
        if user is None:
            raise NotFound("unknown_user", username=name)
        await uow.users.set_password_hash(user.id, hashed)
        await uow.audit.add(AuditEntry(svc.now(), actor.user_id, "set_password", name))
        await uow.commit()
    return user


async def verify_login(svc: Services, username: str, password: str) -> User | None:
    """The active user whose password this is, else None (the same answer for every failure)."""
    name = (username or "").strip().lower()[:64]
    async with svc.uow() as uow:
        user = await uow.users.by_username(name) if name else None
        stored = await uow.users.password_hash(user.id) if user is not None else None
    password = password or ""
    too_long = len(password) > MAX_PASSWORD  # still one verification, so it takes the usual time
    ok = await asyncio.to_thread(_matches, None if too_long else stored, password[:MAX_PASSWORD])
    if not ok or user is None or not user.active:
        return None
    if stored is not None and _HASHER.check_needs_rehash(stored):
        async with svc.uow(write=True) as uow:
            await uow.users.set_password_hash(user.id, await asyncio.to_thread(_HASHER.hash, password))
            await uow.commit()
    return user
