"""Sessions, CSRF tokens and who is logged in, for the web app.

* The session is an encrypted, authenticated cookie (aiohttp-session + Fernet) holding the user
  id, the language and the CSRF token; a new session is made at login (no fixation). The key
  comes from ``PAICHAN_SECRET_KEY``; without it a random key per process (sessions end at restart).
* Every POST carries the session's CSRF token (form field ``_csrf`` or header ``X-CSRF-Token``),
  compared in constant time; a missing or wrong token is refused with 403 and changes nothing.
* The user is loaded on every request, so a deactivated user is out at once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from scheduler_core.reports.i18n import Lang
from scheduler_core.services.ports import Actor, User

__all__ = ["COOKIE", "Who", "check_csrf", "csrf_token", "current", "lang_of_request", "login_session",
           "logout_session", "setup_sessions"]

log = logging.getLogger(__name__)

COOKIE = "paichan_session"
SESSION_HOURS = 12


def _fernet_key(secret: str | None) -> bytes:
    """32 raw bytes (the storage base64-encodes them for Fernet)."""
    return hashlib.sha256(secret.encode()).digest() if secret else secrets.token_bytes(32)


def setup_sessions(app: web.Application, secret: str | None) -> None:
    if not secret:
        log.warning("PAICHAN_SECRET_KEY is not set: a random session key is used, so web logins end when the "
                    "server restarts")
    storage = EncryptedCookieStorage(_fernet_key(secret), cookie_name=COOKIE, httponly=True, samesite="Lax",
                                     max_age=SESSION_HOURS * 3600, secure=None)
    aiohttp_session.setup(app, storage)


@dataclass(frozen=True)
class Who:
    """The request's person: their user and actor (None when not logged in), language, CSRF token."""

    user: User | None
    actor: Actor | None
    lang: Lang
    csrf: str


def _lang(value: object) -> Lang | None:
    if value in ("zh_Hans", "zh"):
        return "zh_Hans"
    if value == "en":
        return "en"
    return None


DEFAULT_LANG = web.AppKey("default_lang", str)
"""The pages' language for a browser that states none (``setup_web``)."""


def lang_of_request(request: web.Request, stored: object = None) -> Lang:
    """The session's language, else the browser's first choice between zh and en, else the
    server's default (``PAICHAN_LANG``; Chinese when unset)."""
    chosen = _lang(stored)
    if chosen is not None:
        return chosen
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return _lang(request.app.get(DEFAULT_LANG, "zh_Hans")) or "zh_Hans"


async def csrf_token(request: web.Request) -> str:
    session = await aiohttp_session.get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


async def check_csrf(request: web.Request, given: str | None) -> bool:
    session = await aiohttp_session.get_session(request)
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(given, str) and hmac.compare_digest(token.encode(), given.encode())


async def login_session(request: web.Request, user: User, lang: Lang) -> None:
    session = await aiohttp_session.new_session(request)
    session["uid"] = user.id
    session["lang"] = lang
    session["csrf"] = secrets.token_urlsafe(24)


async def logout_session(request: web.Request) -> None:
    session = await aiohttp_session.get_session(request)
    lang = session.get("lang")
    session.invalidate()
    fresh = await aiohttp_session.new_session(request)
    if lang is not None:
        fresh["lang"] = lang


async def current(request: web.Request, load_user: object) -> Who:
    """``load_user(uid)`` -> the active user or None."""
    session = await aiohttp_session.get_session(request)
    lang = lang_of_request(request, session.get("lang"))
    token = await csrf_token(request)
    uid = session.get("uid")
    user: User | None = None
    if isinstance(uid, int):
        user = await load_user(uid)  # type: ignore[operator]
        if user is None or not user.active:
            session.pop("uid", None)
            user = None
    actor = Actor(user.id, user.role, user.customer, user.username, lang) if user is not None else None
    return Who(user, actor, lang, token)
