"""The web app (dashboard, orders, Gantt, capacity, changes, web chat) in the server's aiohttp
application: ``setup_web(app)`` adds its routes, sessions, templates and static files."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .pages import ROUTES, LoginThrottle, WebChat
from .security import DEFAULT_LANG, setup_sessions

__all__ = ["LOGIN_THROTTLE", "STATIC", "TEMPLATES", "WEB_CHAT", "setup_web"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
WEB_CHAT = web.AppKey("web_chat", WebChat)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)


async def _start_web_chat(app: web.Application) -> None:
    from ..app import SERVICES

    app[WEB_CHAT] = WebChat(app[SERVICES])


def setup_web(app: web.Application, secret_key: str | None = None, lang: str | None = None) -> None:
    """Sessions (encrypted cookie keyed by ``secret_key``), Jinja2 templates with Babel's i18n
    extension, the static files (vendored libraries included) and the pages' routes. ``lang``:
    the pages' language for a browser that states none (``PAICHAN_LANG``; else Chinese)."""
    setup_sessions(app, secret_key)
    app[DEFAULT_LANG] = "en" if lang == "en" else "zh_Hans"
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                         extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    app.router.add_static("/static/", STATIC, name="static")
    app[LOGIN_THROTTLE] = LoginThrottle()
    app.on_startup.append(_start_web_chat)  # after the cleanup contexts: the services exist then
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
