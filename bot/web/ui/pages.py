"""The web app's pages: each handler parses the request, calls a use case and renders a template.

A use case's error becomes ONE localized page (or JSON ``{"error": ...}`` for the Gantt's
requests) with the error's HTTP status, here in :func:`_page` / :func:`_json_call`.
"""

from __future__ import annotations

import asyncio
import base64
import html
import logging
import re
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from time import monotonic
from typing import Any
from urllib.parse import quote, urlencode, urlparse
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import BodyPartReader, web

from handlers import render
from handlers.context import ChatDeps
from handlers.router import ChatRouter
from handlers.types import Incoming, Reply
from jobs.channels.web import KEEP, append_lines, text_html
from scheduler_core.domain.calendar import subtract_intervals
from scheduler_core.domain.model import Order, OrderStatus, Routing
from scheduler_core.domain.timegrid import TimeGrid
from scheduler_core.reports.errors import error_message, row_error_message
from scheduler_core.reports.i18n import N_, Lang, Tr, translator
from scheduler_core.reports.labels import ROLE_LABELS, STATUS_LABELS, STEP_LABELS
from scheduler_core.reports.text import render_cause
from scheduler_core.services.accounts import set_password, verify_login
from scheduler_core.services.admin import create_user, list_users
from scheduler_core.services.change_flow import assess, confirm_change, reject_change
from scheduler_core.services.changes import MAX_QUANTITY, InsertOrder, MoveOperation
from scheduler_core.services.context import Services
from scheduler_core.services.errors import InvalidInput, PermissionDenied, ServiceError
from scheduler_core.services.importing import ImportRejected, header_line, import_table, write_csv
from scheduler_core.services.kpi import kpis
from scheduler_core.services.linking import create_link_code
from scheduler_core.services.overview import (
    capacity,
    change_log,
    kpi_trend,
    link_web_chat,
    machines_now,
    order_history,
    web_chat_lang,
    work_list,
)
from scheduler_core.services.planning import frozen_until
from scheduler_core.services.policy import can
from scheduler_core.services.ports import Actor, ChatLine, Role, User
from scheduler_core.services.shopfloor import cancel_stop, plan_stop, report_progress, report_target
from scheduler_core.services.status import current_plan, get_order_status, list_orders
from scheduler_core.services.views import ChangeOutcome, ChangeProposal, OrderLine

from ...settings import deep_link
from ...tables import (
    KINDS,
    MAX_FILE_BYTES,
    FileProblem,
    read_table_bytes,
    safe_text,
    what_was_imported,
    xlsx_bytes,
)
from .security import Who, check_csrf, current, login_session, logout_session

__all__ = ["ROUTES", "LoginThrottle", "WebChat"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DUE_TIME = time(18, 0)
MAX_FIELD = 200
_ZERO = timedelta(0)



# --- plumbing --------------------------------------------------------------------------------------------


def _svc(request: web.Request) -> Services:
    from ..app import SERVICES

    return request.app[SERVICES]


async def _who(request: web.Request) -> Who:
    svc = _svc(request)

    async def load(uid: int) -> User | None:
        async with svc.uow() as uow:
            return await uow.users.get(uid)

    return await current(request, load)


async def _tz(svc: Services) -> ZoneInfo:
    async with svc.uow() as uow:
        return ZoneInfo(await uow.master.timezone())


AUDIT_ACTIONS: dict[str, str] = {
    "report_progress": N_("progress reported"),
    "machine_down": N_("machine stopped"),
    "machine_up": N_("machine running again"),
    "plan_stop": N_("machine stop planned"),
    "cancel_stop": N_("planned stop cancelled"),
    "record_order": N_("order taken"),
    "record_delivery": N_("delivered"),
    "complaint": N_("complaint"),
    "confirm_insert": N_("rush order confirmed"),
    "confirm_due": N_("new date confirmed"),
    "confirm_material": N_("material date confirmed"),
    "confirm_quantity": N_("new quantity confirmed"),
    "confirm_cancel": N_("cancellation confirmed"),
    "confirm_priority": N_("priority confirmed"),
    "confirm_move": N_("step move confirmed"),
    "load_demo": N_("demo data loaded"),
    "create_user": N_("user created"),
    "set_password": N_("password set"),
    "link_code": N_("link code made"),
    "link": N_("chat linked"),
    "chat_blocked": N_("chat stopped receiving"),
    "api_token_issue": N_("API token issued"),
    "api_token_revoke": N_("API token revoked"),
    "import_orders": N_("orders imported"),
    "import_routings": N_("routings imported"),
    "import_machines": N_("machines imported"),
    "import_calendars": N_("calendars imported"),
}
"""Audit actions in words; an action not listed shows its code."""


class View:
    """What every template gets: the translator, formatters, the person and the CSRF token."""

    def __init__(self, who: Who, tz: tzinfo, path: str, now: datetime | None = None) -> None:
        self.who = who
        self.tr: Tr = translator(who.lang).at(now)
        self.tz = tz
        self.path = path

    @property
    def actor(self) -> Actor:
        """The logged-in account: every page but the login page is served only to one."""
        actor = self.who.actor
        assert actor is not None
        return actor

    def _(self, message: str, **params: object) -> str:
        return self.tr.gettext(message, **params)

    def action(self, code: str) -> str:
        """An audit action in words."""
        return self._(AUDIT_ACTIONS[code]) if code in AUDIT_ACTIONS else code

    def when(self, dt: datetime | None) -> str:
        return self.tr.short_datetime(dt.astimezone(self.tz)) if dt is not None else "–"

    def cell_time(self, dt: datetime | None) -> datetime | None:
        """A time for a spreadsheet cell: in the reader's zone, to the minute, without a zone."""
        return dt.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0) if dt is not None else None

    def dur(self, delta: timedelta) -> str:
        return self.tr.duration(delta, style="narrow") if delta > _ZERO else ""

    def pct(self, x: float | None) -> str:
        return "–" if x is None else self.tr.percent(x)

    def num(self, x: float | None, decimals: int | None = None) -> str:
        return "–" if x is None else self.tr.number(x, decimals=decimals)

    def context(self, **extra: Any) -> dict[str, Any]:
        actor = self.who.actor
        nav = []
        if actor is not None:
            if actor.role is not Role.CUSTOMER:
                nav.append(("/", self._("Dashboard")))
            nav.append(("/orders", self._("Orders")))
            if can(actor, "view_plan"):
                nav += [("/gantt", self._("Gantt")), ("/capacity", self._("Capacity")), ("/machines", self._("Machines")),
                        ("/changes", self._("Changes"))]
            if can(actor, "import_data"):
                nav.append(("/import", self._("Import")))
            if can(actor, "manage_users"):
                nav.append(("/users", self._("Users")))
            nav.append(("/chat", self._("Chat")))
        return {"v": self, "_": self._, "static": lambda name: "/static/" + name, "who": self.who, "nav": nav, "csrf": self.who.csrf,
                "lang": "zh" if self.who.lang == "zh_Hans" else "en",
                "role_label": self._(ROLE_LABELS[actor.role]) if actor else "", **extra}


def _headers(resp: web.StreamResponse) -> web.StreamResponse:
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _render(request: web.Request, template: str, view: View, status: int = 200, **extra: Any) -> web.StreamResponse:
    resp = aiohttp_jinja2.render_template(template, request, view.context(**extra), status=status)
    return _headers(resp)


def _error_page(request: web.Request, view: View, status: int, message: str) -> web.StreamResponse:
    return _render(request, "error.html", view, status=status, message=message)


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parsed = urlparse(target)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


UPLOAD = web.RequestKey("upload", dict)  # an upload page's files: field name -> (file name, bytes)


def page(action: str | None = None, *, post: bool = False,
         upload: int = 0) -> Callable[[Callable[..., Awaitable[web.StreamResponse]]], Handler]:
    """A page for logged-in users allowed ``action``; POSTs need the CSRF token. Errors of the
    use cases become a localized page with their status. ``upload``: the POST is a multipart
    form with files of up to that many bytes (the app's body limit is far smaller), read into
    ``request[UPLOAD]``."""

    def wrap(body: Callable[..., Awaitable[web.StreamResponse]]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            who = await _who(request)
            svc = _svc(request)
            view = View(who, await _tz(svc), request.path, svc.now())
            if who.actor is None:
                if post:
                    return _error_page(request, view, 401, view._("Please log in."))
                raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe="/"))
            form: dict[str, str] = {}
            if post and upload:
                if action is not None and not can(who.actor, action):  # before reading a large body
                    return _error_page(request, view, 403, error_message(view.tr, PermissionDenied("not_allowed")))
                try:
                    form, request[UPLOAD] = await _read_multipart(request, upload)
                except ValueError:
                    return _error_page(request, view, 400, view._("The form could not be read. Please try again."))
                except _TooLarge:
                    return _error_page(request, view, 413, view._("The file is larger than {mb} MB.",
                                                                  mb=upload // (1024 * 1024)))
            elif post:
                data = await request.post()
                form = {k: str(v) for k, v in data.items() if isinstance(v, str)}
            if post:
                given = form.get("_csrf") or request.headers.get("X-CSRF-Token")
                if not await check_csrf(request, given):
                    return _error_page(request, view, 403, view._("The form has expired. Please reload the page and try again."))
            if action is not None and not can(who.actor, action):
                return _error_page(request, view, 403, error_message(view.tr, PermissionDenied("not_allowed")))
            try:
                return await body(request, view, svc, form)
            except ServiceError as exc:
                return _error_page(request, view, exc.status, error_message(view.tr, exc))

        return handler

    return wrap


class _TooLarge(Exception):
    pass


async def _read_multipart(request: web.Request, limit: int) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """The text fields and files of a multipart form, read part by part (a file of more than
    ``limit`` bytes raises :class:`_TooLarge`; a body that is not multipart, ``ValueError``)."""
    if not request.content_type.startswith("multipart/"):
        raise ValueError("not multipart")
    form: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        cap = limit if part.filename is not None else MAX_FIELD * 4  # a text field is short
        chunks: list[bytes] = []
        size = 0
        while chunk := await part.read_chunk(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise _TooLarge
            chunks.append(chunk)
        if part.filename is None:
            form[part.name] = b"".join(chunks).decode("utf-8", "replace")
        else:
            files[part.name] = (part.filename[:MAX_FIELD], b"".join(chunks))
    return form, files


def _json(data: dict[str, Any], status: int = 200) -> web.StreamResponse:
    return _headers(web.json_response(data, status=status))


def json_call(action: str) -> Callable[[Callable[..., Awaitable[dict[str, Any]]]], Handler]:
    """A JSON POST of the Gantt (CSRF header required): errors as ``{"error": message}``."""

    def wrap(body: Callable[..., Awaitable[dict[str, Any]]]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            who = await _who(request)
            svc = _svc(request)
            view = View(who, await _tz(svc), request.path, svc.now())
            if who.actor is None:
                return _json({"error": view._("Please log in.")}, 401)
            if not await check_csrf(request, request.headers.get("X-CSRF-Token")):
                return _json({"error": view._("The form has expired. Please reload the page and try again.")}, 403)
            if not can(who.actor, action):
                return _json({"error": error_message(view.tr, PermissionDenied("not_allowed"))}, 403)
            try:
                payload = await request.json()
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                return _json({"error": view._("The request is not valid JSON.")}, 400)
            try:
                return _json(await body(request, view, svc, payload))
            except ServiceError as exc:
                return _json({"error": error_message(view.tr, exc)}, exc.status)

        return handler

    return wrap


# --- login -----------------------------------------------------------------------------------------------


async def login_form(request: web.Request) -> web.StreamResponse:
    who = await _who(request)
    view = View(who, await _tz(_svc(request)), request.path, _svc(request).now())
    if who.actor is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    return _render(request, "login.html", view, next=_safe_next(request.query.get("next")), error=None, username="")


async def login_post(request: web.Request) -> web.StreamResponse:
    who = await _who(request)
    svc = _svc(request)
    view = View(who, await _tz(svc), request.path, svc.now())
    data = await request.post()
    form = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    nxt = _safe_next(form.get("next"))
    if not await check_csrf(request, form.get("_csrf")):
        return _error_page(request, view, 403, view._("The form has expired. Please reload the page and try again."))
    username = form.get("username", "")[:MAX_FIELD]
    throttle = _throttle(request)
    key = username.strip().lower()
    if throttle.blocked(key):
        return _render(request, "login.html", view, status=429, next=nxt, username=username,
                       error=view._("Too many failed logins for this user; try again in {minutes} minutes.",
                                    minutes=LoginThrottle.WINDOW_MINUTES))
    user = await verify_login(svc, username, form.get("password", "")[:1000])
    if user is None:
        throttle.failed(key)
        return _render(request, "login.html", view, status=401, next=nxt, username=username,
                       error=view._("Wrong username or password."))
    throttle.clear(key)
    await login_session(request, user, await _login_lang(request, who, user))
    if user.role is Role.CUSTOMER and nxt == "/":
        nxt = "/orders"
    raise web.HTTPSeeOther(nxt)


async def _login_lang(request: web.Request, who: Who, user: User) -> Lang:
    """The pages' language after login: the one switched to on the login page, else the account's
    (a Chinese account on an English browser reads Chinese), else the browser's."""
    import aiohttp_session

    if (await aiohttp_session.get_session(request)).get("lang") in ("en", "zh_Hans"):
        return who.lang
    return "en" if user.lang == "en" else "zh_Hans" if user.lang == "zh_Hans" else who.lang


class LoginThrottle:
    """At most ``LIMIT`` failed logins per username in ``WINDOW_MINUTES`` (per server process); the
    same for existing and unknown usernames, so it tells nothing about which exist."""

    LIMIT = 10
    WINDOW_MINUTES = 15
    MAX_KEYS = 10_000

    def __init__(self, clock: Callable[[], float] = monotonic) -> None:
        self.clock = clock
        self.fails: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        q = self.fails.get(key, deque())
        cutoff = self.clock() - self.WINDOW_MINUTES * 60
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.LIMIT

    def failed(self, key: str) -> None:
        if len(self.fails) >= self.MAX_KEYS:
            self.fails.clear()  # bounded memory; a flood only resets the counts
        q = self._recent(key)
        q.append(self.clock())
        self.fails[key] = q

    def clear(self, key: str) -> None:
        self.fails.pop(key, None)


def _throttle(request: web.Request) -> LoginThrottle:
    from . import LOGIN_THROTTLE

    return request.app[LOGIN_THROTTLE]


async def logout(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    if not await check_csrf(request, str(data.get("_csrf", ""))):
        who = await _who(request)
        view = View(who, await _tz(_svc(request)), request.path, _svc(request).now())
        return _error_page(request, view, 403, view._("The form has expired. Please reload the page and try again."))
    await logout_session(request)
    raise web.HTTPSeeOther("/login")


async def switch_lang(request: web.Request) -> web.StreamResponse:
    """``/lang?to=en&next=/orders``: only the display language changes (no data)."""
    import aiohttp_session

    to = request.query.get("to")
    if to in ("zh", "en"):
        session = await aiohttp_session.get_session(request)
        session["lang"] = "zh_Hans" if to == "zh" else "en"
    raise web.HTTPSeeOther(_safe_next(request.query.get("next")))


# --- dashboard -------------------------------------------------------------------------------------------


@page()
async def dashboard(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    if actor.role is Role.CUSTOMER:
        raise web.HTTPSeeOther("/orders")
    lines = await list_orders(svc, actor, limit=10_000)
    late = [x for x in lines if x.late_by > _ZERO]
    risk = [x for x in lines if x.at_risk]
    kpi = trend = None
    if can(actor, "kpis"):
        kpi = await kpis(svc, actor)
        weeks = await kpi_trend(svc, actor, weeks=8)
        trend = {
            "labels": [view.tr.date(w.until.astimezone(view.tz), year=False) for w in weeks],
            "lead": [w.avg_lead_time_days for w in weeks],
            "complaints": [None if w.complaint_rate is None else round(w.complaint_rate * 100, 1) for w in weeks],
            "delay": [None if w.delay_rate is None else round(w.delay_rate * 100, 1) for w in weeks],
            "satisfaction": [w.satisfaction_score for w in weeks],
            "names": {"lead": view._("Lead time (days)"), "complaints": view._("Complaint rate (%)"),
                      "delay": view._("Delay rate (%)"), "satisfaction": view._("Satisfaction (0-100)")},
        }
        previous = weeks[-2] if len(weeks) > 1 else None
        trend["previous"] = previous
    causes = await _causes(svc, actor, view, [x.ref for x in late[:10]])
    return _render(request, "dashboard.html", view, kpi=kpi, trend=trend, late=late[:10], n_late=len(late),
                   risk=risk[:10], n_risk=len(risk), n_open=len(lines), causes=causes,
                   status_label=lambda s: view._(STATUS_LABELS[s]))


async def _causes(svc: Services, actor: Any, view: View, refs: list[str]) -> dict[str, str]:
    if not refs or not can(actor, "view_plan"):
        return {}
    plan = await current_plan(svc, actor)
    out = {}
    for e in plan.etas:
        if e.ref in refs and e.cause is not None:
            out[e.ref] = render_cause(e.cause, view.tr, view.tz)
    return out


# --- orders ----------------------------------------------------------------------------------------------


def _product_names(routings: Mapping[str, Routing]) -> dict[str, str]:
    """Product code -> what it is called, for the products that have a name."""
    return {code: r.name for code, r in routings.items() if r.name}


async def _routings(svc: Services) -> dict[str, Routing]:
    async with svc.uow() as uow:
        return await uow.master.routings()


def _filter(lines: list[OrderLine], q: str, show: str, names: Mapping[str, str]) -> list[OrderLine]:
    """The orders whose number, customer, product or product name holds ``q``, of the kind ``show``."""
    q = q.strip().lower()[:MAX_FIELD]
    if q:
        lines = [x for x in lines if q in x.ref.lower() or q in x.customer.lower() or q in x.product.lower()
                 or q in names.get(x.product, "").lower()]
    if show == "late":
        lines = [x for x in lines if x.late_by > _ZERO]
    elif show == "risk":
        lines = [x for x in lines if x.at_risk]
    elif show == "vip":
        lines = [x for x in lines if x.vip]
    return lines


@page()
async def orders(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    q = request.query.get("q", "")[:MAX_FIELD]
    show = request.query.get("show", "all")
    closed = request.query.get("closed") == "1"
    lines = await list_orders(svc, actor, include_closed=closed, limit=10_000)
    routings = await _routings(svc)
    names = _product_names(routings)
    shown = _filter(lines, q, show, names)
    progress = await _progress(svc, shown[:300], routings)
    query = urlencode({"q": q, "show": show, **({"closed": "1"} if closed else {})})  # the same list to download
    return _render(request, "orders.html", view, lines=shown[:300], total=len(shown), q=q, show=show,
                   closed=closed, progress=progress, status_label=lambda s: view._(STATUS_LABELS[s]), query=query,
                   names=names)


@page()
async def orders_download(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """The orders the page shows (same search and filters, without its 300-row cap) as an Excel
    workbook or a CSV file (UTF-8 with BOM, as Excel opens it), in the reader's language and time."""
    actor = view.actor
    fmt = request.match_info["fmt"]
    q = request.query.get("q", "")[:MAX_FIELD]
    routings = await _routings(svc)
    shown = _filter(await list_orders(svc, actor, include_closed=request.query.get("closed") == "1", limit=10_000),
                    q, request.query.get("show", "all"), _product_names(routings))
    progress = await _progress(svc, shown, routings)
    _ = view._

    rows: list[list[Any]] = [[_("Order"), _("Customer"), _("Product"), _("Quantity"), _("Progress") + " %", _("Status"),
                              _("Due"), _("ETA"), _("Late by (hours)"), "VIP", _("Why late")]]
    for x in shown:
        rows.append([x.ref, x.customer, x.product, x.quantity, round(100 * progress.get(x.ref, 0.0)),
                     _(STATUS_LABELS[x.status]), view.cell_time(x.due), view.cell_time(x.eta),
                     round(x.late_by.total_seconds() / 3600, 1) if x.late_by > _ZERO else 0,
                     _("yes") if x.vip else "", render_cause(x.cause, view.tr, view.tz) if x.cause else ""])
    if fmt == "xlsx":
        body = await asyncio.to_thread(xlsx_bytes, rows, _("Orders"), (10, 26, 14, 9, 10, 12, 17, 17, 10, 5, 60))
    else:
        body = ("\ufeff" + write_csv([[safe_text(c) for c in row] for row in rows])).encode("utf-8")
    return _download(view, svc, "orders", fmt, body)


_CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "csv": "text/csv; charset=utf-8"}


def _download(view: View, svc: Services, stem: str, fmt: str, body: bytes) -> web.StreamResponse:
    """A file to save: ``{stem}-{now in the reader's time}.{fmt}``, the stem's odd characters made safe."""
    stamp = svc.now().astimezone(view.tz).strftime("%Y%m%d-%H%M")
    name = f"{re.sub(r'[^A-Za-z0-9._-]', '_', stem)}-{stamp}.{fmt}"
    return _headers(web.Response(body=body, headers={"Content-Type": _CONTENT_TYPES[fmt],
                                                     "Content-Disposition": f'attachment; filename="{name}"'}))


async def _progress(svc: Services, lines: Sequence[OrderLine], routings: Mapping[str, Routing]) -> dict[str, float]:
    """Share of routing steps finished per order (a cheap figure for the table)."""
    out: dict[str, float] = {}
    async with svc.uow() as uow:
        done = await uow.shopfloor.progress()
    for x in lines:
        routing = routings.get(x.product)
        n = len(routing.steps) if routing else 0
        if x.status in (OrderStatus.DONE, OrderStatus.DELIVERED):
            out[x.ref] = 1.0
            continue
        finished = sum(1 for k in range(n) if (p := done.get((x.ref, k))) is not None
                       and (p.finished is not None or p.done >= x.quantity))
        out[x.ref] = finished / n if n else 0.0
    return out


@page()
async def order_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    ref = request.match_info["ref"][:40]
    status = await get_order_status(svc, actor, ref)
    history = await order_history(svc, actor, status.ref)
    cause = render_cause(status.cause, view.tr, view.tz) if status.cause is not None else None
    return _render(request, "order.html", view, o=status, history=history, cause=cause, can_plan=can(actor, "view_plan"),
                   status_label=view._(STATUS_LABELS[status.status]),
                   step_label=lambda s: view._(STEP_LABELS[s]) if s in STEP_LABELS else s)


# --- Gantt -----------------------------------------------------------------------------------------------


@page("view_plan")
async def gantt(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    return _render(request, "gantt.html", view, editable=can(actor, "assess_change"))


@page("view_plan")
async def gantt_data(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    plan = await current_plan(svc, actor)
    etas = {e.ref: e for e in plan.etas}
    orders = {o.ref: o for o in plan.factory.orders}
    editable = can(actor, "assess_change")
    groups = [{"id": m.id, "content": f"{m.id} · {m.group}"} for m in plan.factory.machines]
    items: list[dict[str, Any]] = []
    now = svc.now()
    frozen = frozen_until(plan.factory, now, svc.planning.frozen_minutes)  # what starts before it stays put
    closed = _closed_time(plan.factory, now)
    stop_windows = [(d, d.start, d.end or now) for d in plan.stops]  # a stop's end as the plan assumed it
    stops: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for d, start, end in stop_windows:
        stops[d.machine].append((start, end))
    for op in plan.schedule.ops:
        e = etas.get(op.ref)
        o = orders.get(op.ref)
        state = "late" if e is not None and e.late_by > _ZERO else (
            "risk" if e is not None and e.due - e.eta < timedelta(hours=24) else "ok")
        vip = bool(o and o.vip)
        title = (f"{op.ref} · {op.step + 1}. {op.step_name} · {op.machine}\n"
                 f"{view.when(op.start)} – {view.when(op.end)}\n"
                 + view._("Due {due}, ETA {eta}", due=view.when(e.due if e else None), eta=view.when(e.eta if e else None)))
        items.append({
            "id": f"{op.ref}|{op.step}", "group": op.machine, "start": op.start.isoformat(), "end": op.end.isoformat(),
            "content": ("★ " if vip else "") + op.ref, "title": title,
            "className": f"op-{state} op-{op.ref}-{op.step}" + (" op-vip" if vip else "") + (" op-fixed" if op.fixed else ""),
            "editable": editable and not op.fixed and op.start >= frozen,
            "ref": op.ref, "step": op.step,
            # the step pauses over its machine's non-working time and stops: shaded on the bar too
            "style": _pauses(op.start, op.end, closed.get(op.machine, []), stops.get(op.machine, [])),
        })
    for k, (d, start, end) in enumerate(stop_windows):
        items.append({"id": f"down|{k}", "group": d.machine, "start": start.isoformat(), "end": end.isoformat(),
                      "type": "background", "className": "down", "title": view._("Machine stop") + f": {d.reason}"})
    for machine, windows in closed.items():
        items.extend({"id": f"closed|{machine}|{k}", "group": machine, "start": a.isoformat(), "end": b.isoformat(),
                      "type": "background", "className": "closed"} for k, (a, b) in enumerate(windows))
    offset = now.astimezone(view.tz).utcoffset() or timedelta(0)
    return _json({"version": plan.version, "now": now.isoformat(), "groups": groups, "items": items,
                  "tz": str(view.tz), "utc_offset_minutes": int(offset.total_seconds() // 60),
                  "late": sum(1 for e in plan.etas if e.late_by > _ZERO)})


def _closed_time(factory: Any, now: datetime, before: timedelta = timedelta(days=2),
                 after: timedelta = timedelta(days=28)) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each machine's non-working time (nights, Sundays, holidays) around now, shaded grey."""
    start, end = now - before, now + after
    grid = TimeGrid.starting(start, factory.timezone)
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for m in factory.machines:
        calendar = factory.calendars.get(m.calendar)
        if calendar is None:
            continue
        open_ = calendar.working_intervals(grid, start, end)
        out[m.id] = [(grid.at(a), grid.at(b)) for a, b in subtract_intervals([(0, grid.minutes(end))], open_)]
    return out


_PAUSE_COLOURS = ("rgba(100,116,139,.24)", "rgba(217,45,32,.24)")  # not working, machine stop


def _pauses(start: datetime, end: datetime, closed: list[tuple[datetime, datetime]],
            stops: list[tuple[datetime, datetime]]) -> str:
    """A bar's CSS background image marking where the step pauses (the machine's non-working
    time in grey, its stops in red), as shares of the bar; empty when it runs straight through."""
    span = (end - start).total_seconds()
    if span <= 0:
        return ""
    parts: list[tuple[float, float, str]] = []
    for windows, colour in zip((closed, stops), _PAUSE_COLOURS, strict=True):
        for a, b in windows:
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                parts.append(((lo - start).total_seconds() / span * 100, (hi - start).total_seconds() / span * 100, colour))
    if not parts:
        return ""
    stops_css = []
    for x, y, colour in sorted(parts):
        stops_css.append(f"transparent {x:.2f}%, {colour} {x:.2f}%, {colour} {y:.2f}%, transparent {y:.2f}%")
    return f"background-image: linear-gradient(to right, {', '.join(stops_css)});"


def _proposal_payload(view: View, p: ChangeProposal, svc: Services) -> dict[str, Any]:
    """The same preview text as the chat (``handlers.render.proposal``), and the impact as rows."""
    text = render.proposal(view.tr, view.tz, p, minutes=max(1, int(svc.change_ttl.total_seconds() // 60)))
    rows = [{"ref": i.ref, "customer": i.customer, "vip": i.vip, "old": view.when(i.old_eta), "new": view.when(i.new_eta),
             "change": ("+" if i.change > _ZERO else "−") + view.tr.duration(abs(i.change), style="narrow")
             if i.change != _ZERO else "0", "late": view.dur(i.late_by)}
            for i in (*p.impact.subject, *p.impact.delayed, *p.impact.improved)]
    return {"token": p.token, "html": text.replace("\n", "<br>"), "rows": rows, "subject": p.subject,
            "eta": view.when(p.subject_eta), "due": view.when(p.subject_due)}


@json_call("assess_change")
async def gantt_move(request: web.Request, view: View, svc: Services, data: dict[str, Any]) -> dict[str, Any]:
    actor = view.actor
    ref, step, machine, start = data.get("ref"), data.get("step"), data.get("machine"), data.get("start")
    if not isinstance(ref, str) or not isinstance(machine, str) or not isinstance(start, str) \
            or not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < 1000:
        raise InvalidInput("bad_move")
    try:
        when = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("bad_move") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=view.tz)
    p = await assess(svc, actor, MoveOperation(ref[:40], step, machine[:100], when))
    return _proposal_payload(view, p, svc)


@json_call("confirm_change")
async def change_confirm_json(request: web.Request, view: View, svc: Services, data: dict[str, Any]) -> dict[str, Any]:
    actor = view.actor
    token = data.get("token")
    if not isinstance(token, str) or len(token) > 100:
        raise InvalidInput("bad_move")
    if data.get("cancel"):
        await reject_change(svc, actor, token)
        return {"cancelled": True, "html": html.escape(view._("Cancelled; nothing was changed."))}
    out: ChangeOutcome = await confirm_change(svc, actor, token)
    if out.applied:
        subject = data.get("subject")
        text = render.outcome(view.tr, view.tz, out, subject[:40] if isinstance(subject, str) else "")
        return {"applied": True, "version": out.version, "html": text.replace("\n", "<br>")}
    assert out.proposal is not None
    return {"applied": False, **_proposal_payload(view, out.proposal, svc)}


# --- capacity --------------------------------------------------------------------------------------------


@page("view_plan")
async def capacity_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    try:
        days = int(request.query.get("days", "7"))
    except ValueError:
        days = 7
    cap = await capacity(svc, actor, days)
    return _render(request, "capacity.html", view, cap=cap,
                   day_labels=[view.tr.date(d, year=False) for d in cap.days])


# --- changes ---------------------------------------------------------------------------------------------


async def _rush_choices(svc: Services) -> tuple[list[str], list[tuple[str, str]]]:
    """The customers and the products (code, name) a rush form offers."""
    routings = await _routings(svc)
    return await _customers(svc), [(code, routings[code].name) for code in sorted(routings)]


async def _customers(svc: Services) -> list[str]:
    """Every customer with an order, for a form's choices."""
    async with svc.uow() as uow:
        return sorted({r.order.customer for r in await uow.orders.list()})


async def _changes_page(request: web.Request, view: View, svc: Services, *, status: int = 200,
                        error: str | None = None, proposal: dict[str, Any] | None = None,
                        outcome: str | None = None, values: dict[str, str] | None = None) -> web.StreamResponse:
    actor = view.actor
    changes, audit, names = await change_log(svc, actor)
    customers, products = await _rush_choices(svc)
    return _render(request, "changes.html", view, status=status, changes=changes, audit=audit, names=names, customers=customers,
                   products=products, error=error, proposal=proposal, outcome=outcome, values=values or {},
                   can_change=can(actor, "assess_change"), min_date=svc.now().astimezone(view.tz).date().isoformat())


@page("view_plan")
async def changes(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    return await _changes_page(request, view, svc)


def _rush_order(form: dict[str, str], tz: tzinfo, ref: str, now: datetime) -> Order:
    customer = form.get("customer", "").strip()[:MAX_FIELD]
    product = form.get("product", "").strip()[:MAX_FIELD]
    if not customer:
        raise InvalidInput("customer_missing")
    raw_qty = form.get("quantity", "").strip()
    if not re.fullmatch(r"-?\d{1,9}", raw_qty):
        raise InvalidInput("quantity_not_positive", quantity=raw_qty[:20] or "–")
    quantity = int(raw_qty)
    if quantity <= 0:
        raise InvalidInput("quantity_not_positive", quantity=quantity)
    if quantity > MAX_QUANTITY:
        raise InvalidInput("quantity_too_large", quantity=quantity, limit=MAX_QUANTITY)
    try:
        day = date.fromisoformat(form.get("due", "").strip()[:10])
    except ValueError:
        raise InvalidInput("bad_due_date", due=form.get("due", "")[:20]) from None
    due = datetime.combine(day, DUE_TIME, tzinfo=tz)
    return Order(ref, customer, product, quantity, due, vip=form.get("vip") == "1", rush=True, created=now)


@page("assess_change", post=True)
async def rush_post(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    try:
        async with svc.uow() as uow:
            ref = await uow.orders.next_ref()
        order = _rush_order(form, view.tz, ref, svc.now())
        p = await assess(svc, actor, InsertOrder(order))
    except ServiceError as exc:
        return await _changes_page(request, view, svc, status=exc.status, error=error_message(view.tr, exc),
                                   values=form)
    return await _changes_page(request, view, svc, proposal=_proposal_payload(view, p, svc), values=form)


@page("confirm_change", post=True)
async def change_decide(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    token = form.get("token", "")[:100]
    try:
        if form.get("decision") == "cancel":
            await reject_change(svc, actor, token)
            return await _changes_page(request, view, svc, outcome=html.escape(view._("Cancelled; nothing was changed.")))
        out = await confirm_change(svc, actor, token)
    except ServiceError as exc:
        return await _changes_page(request, view, svc, status=exc.status, error=error_message(view.tr, exc))
    if out.applied:
        text = render.outcome(view.tr, view.tz, out, form.get("subject", "")[:40]).replace("\n", "<br>")
        return await _changes_page(request, view, svc, outcome=text)
    assert out.proposal is not None
    return await _changes_page(request, view, svc, proposal=_proposal_payload(view, out.proposal, svc))


# --- a machine's work list ---------------------------------------------------------------------------------


_WORK_HOURS = (8, 24, 72, 168)


@page("view_plan")
async def machines_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """Every machine at a glance (stopped, running what, next), each leading to its work list."""
    return _render(request, "machines.html", view, machines=await machines_now(svc, view.actor))


@page("view_plan")
async def machine_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """A machine's work list (派工单): what it runs in the next hours, to read or print, and, for
    those who report progress, a 报工 form on each line."""
    return await _machine_page(request, view, svc, _hours(request.query.get("hours", "")))


async def _machine_page(request: web.Request, view: View, svc: Services, hours: int, status: int = 200,
                        **extra: Any) -> web.StreamResponse:
    actor = view.actor
    wl = await work_list(svc, actor, request.match_info["machine"][:40], hours)
    later = view.tr.ngettext("… and {n} more step after that.", "… and {n} more steps after that.", wl.later)
    return _render(request, "machine.html", view, status=status, wl=wl, hours=hours, choices=_WORK_HOURS,
                   printed=view.when(svc.now()), later=later if wl.later else "",
                   can_report=can(actor, "report_progress"), can_stop=can(actor, "machine_state"), **extra)


_MAX_STOP_HOURS = 24 * 14


@page("machine_state", post=True)
async def machine_stop_plan(request: web.Request, view: View, svc: Services,
                            form: dict[str, str]) -> web.StreamResponse:
    """A stop planned ahead (maintenance) from the work list page: start, length in hours, reason."""
    machine = request.match_info["machine"][:40]
    hours = _hours(form.get("hours", ""))
    raw_start, raw_length = form.get("start", "")[:20], form.get("length", "").strip()[:10]
    try:
        try:
            start = datetime.fromisoformat(raw_start).replace(tzinfo=view.tz)
        except ValueError:
            raise InvalidInput("bad_due_date", due=raw_start or "–") from None
        length = float(raw_length.replace(",", ".")) if re.fullmatch(r"\d{1,3}(?:[.,]\d{1,2})?", raw_length) else 0.0
        if not 0 < length <= _MAX_STOP_HOURS:
            raise InvalidInput("bad_stop_length", length=raw_length or "–", limit=_MAX_STOP_HOURS)
        end = start + timedelta(hours=length)
        update = await plan_stop(svc, view.actor, machine, start, end, form.get("reason", "")[:200])
    except ServiceError as exc:
        return await _machine_page(request, view, svc, hours, exc.status, error=error_message(view.tr, exc))
    done = [view._("Planned: {machine} stops {start} – {end}; the plan keeps it free then.", machine=machine,
                   start=view.when(start), end=view.when(end)), view._("Plan version {version}.", version=update.version)]
    return await _machine_page(request, view, svc, hours, done=done)


@page("machine_state", post=True)
async def machine_stop_cancel(request: web.Request, view: View, svc: Services,
                              form: dict[str, str]) -> web.StreamResponse:
    """Call off a stop planned ahead that has not started."""
    machine = request.match_info["machine"][:40]
    hours = _hours(form.get("hours", ""))
    try:
        try:
            start = datetime.fromisoformat(form.get("start", "")[:40])
        except ValueError:
            raise InvalidInput("stop_not_found", machine=machine) from None
        if start.tzinfo is None:
            raise InvalidInput("stop_not_found", machine=machine)
        update = await cancel_stop(svc, view.actor, machine, start)
    except ServiceError as exc:
        return await _machine_page(request, view, svc, hours, exc.status, error=error_message(view.tr, exc))
    done = [view._("The planned stop of {machine} is called off.", machine=machine),
            view._("Plan version {version}.", version=update.version)]
    return await _machine_page(request, view, svc, hours, done=done)


@page("report_progress", post=True)
async def machine_report(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """报工 from a work list line: units of that step on this machine, as the chat records them;
    a report that would close earlier steps nobody reported is asked about first."""
    actor = view.actor
    machine = request.match_info["machine"][:40]
    hours = _hours(form.get("hours", ""))
    ref, raw_step, raw_good = form.get("ref", "")[:40], form.get("step", ""), form.get("good", "").strip()
    raw_scrap = form.get("scrap", "").strip()
    finished = form.get("finished") == "1"
    try:
        if not raw_step.isdigit():
            raise InvalidInput("unknown_step", ref=ref, step=raw_step[:10])
        if raw_scrap and (not re.fullmatch(r"\d{1,9}", raw_scrap) or int(raw_scrap) > MAX_QUANTITY):
            raise InvalidInput("quantity_not_positive", quantity=raw_scrap[:20])
        scrap = int(raw_scrap or 0)
        if not re.fullmatch(r"\d{1,9}", raw_good) or not (0 < int(raw_good) <= MAX_QUANTITY or
                                                          (int(raw_good) == 0 and (finished or scrap > 0))):
            raise InvalidInput("quantity_not_positive", quantity=raw_good[:20] or "–")
        good, step = int(raw_good), int(raw_step)
        if good > 0 and form.get("confirm") != "1":
            target = await report_target(svc, actor, ref, step=step, at_machine=machine)
            if target.unexpected:  # out of turn, or another order meant: asked before anything is recorded
                return await _machine_page(request, view, svc, hours, ask=render.out_of_turn(view.tr, target, good),
                                           asked=form)
        update = await report_progress(svc, actor, ref, good, step=step, machine=machine, finished=finished,
                                       scrap=scrap)
    except ServiceError as exc:
        return await _machine_page(request, view, svc, hours, exc.status, error=error_message(view.tr, exc))
    done = [render.recorded(view.tr, update.recorded) if update.recorded is not None else "",
            view._("Plan version {version}.", version=update.version)]
    return await _machine_page(request, view, svc, hours, done=[d for d in done if d])


@page("view_plan")
async def machine_download(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """The work list as an Excel workbook."""
    actor = view.actor
    wl = await work_list(svc, actor, request.match_info["machine"][:40], _hours(request.query.get("hours", "")))
    _ = view._

    rows: list[list[Any]] = [[_("Start"), _("End"), _("Order"), _("Step"), _("To do"), _("Done"), _("Customer"),
                              _("Due"), _("ETA"), _("Late"), "VIP"]]
    for w in wl.lines:
        rows.append([view.cell_time(w.op.start), view.cell_time(w.op.end), w.op.ref, f"{w.op.step + 1}. {w.op.step_name}", w.op.quantity,
                     w.done, w.customer, view.cell_time(w.due), view.cell_time(w.eta), _("yes") if w.late else "", _("yes") if w.vip else ""])
    body = await asyncio.to_thread(xlsx_bytes, rows, wl.machine, (17, 17, 10, 22, 9, 8, 26, 17, 17, 6, 5))
    return _download(view, svc, wl.machine, "xlsx", body)


def _hours(raw: str) -> int:
    """A work list's window from the page's choice (24 hours unless one of :data:`_WORK_HOURS`)."""
    return int(raw) if raw.isdigit() and int(raw) in _WORK_HOURS else 24


# --- users ---------------------------------------------------------------------------------------------


_ROLES = (Role.SALES, Role.OPERATOR, Role.CUSTOMER, Role.MANAGER, Role.ADMIN)


@page("manage_users")
async def users_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    return await _users_page(request, view, svc)


async def _users_page(request: web.Request, view: View, svc: Services, status: int = 200, **extra: Any) -> web.StreamResponse:
    actor = view.actor
    users = await list_users(svc, actor)
    customers = await _customers(svc)
    roles = [(r.value, view._(ROLE_LABELS[r])) for r in _ROLES]
    return _render(request, "users.html", view, status=status, users=users, roles=roles, customers=customers,
                   role_name=lambda r: view._(ROLE_LABELS[r]), **extra)


@page("manage_users", post=True)
async def users_add(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """A new user; then a password for the web or a link code for Telegram, below."""
    actor = view.actor
    role = form.get("role", "")
    try:
        user = await create_user(svc, actor, form.get("username", "")[:64], role, form.get("display_name", "")[:MAX_FIELD],
                                 form.get("customer", "").strip()[:MAX_FIELD] if role == Role.CUSTOMER.value else None,
                                 "en" if form.get("lang") == "en" else "zh_Hans")
    except ServiceError as exc:
        return await _users_page(request, view, svc, exc.status, error=error_message(view.tr, exc), values=form)
    done = [view._("Created user {username} ({role}).", username=user.username, role=view._(ROLE_LABELS[user.role])),
            view._("Set a password below for the web app, or make a link code for Telegram.")]
    return await _users_page(request, view, svc, done=done, focus=user.username)


@page("manage_users", post=True)
async def users_password(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    name = form.get("username", "")[:64]
    password = form.get("password", "")
    if password != form.get("password2", ""):
        return await _users_page(request, view, svc, 400, error=view._("The two passwords differ."), focus=name)
    try:
        user = await set_password(svc, actor, name, password)
    except ServiceError as exc:
        return await _users_page(request, view, svc, exc.status, error=error_message(view.tr, exc), focus=name)
    done = [view._("Password set for {username}: they can log in to the web app now.", username=user.username)]
    return await _users_page(request, view, svc, done=done, focus=user.username)


@page("manage_users", post=True)
async def users_link(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """A one-time code that links a Telegram account to the user (shown once)."""
    from ..app import SETTINGS

    actor = view.actor
    name = form.get("username", "")[:64]
    try:
        code, link = await create_link_code(svc, actor, name)
    except ServiceError as exc:
        return await _users_page(request, view, svc, exc.status, error=error_message(view.tr, exc), focus=name)
    tr = view.tr
    url = deep_link(request.app[SETTINGS].telegram_bot_name, code)
    done = [tr.gettext("Link code for {username}: {code}", username=name, code=code),
            tr.gettext("Valid until {when}, once.", when=view.when(link.expires)),
            tr.gettext("Open {url} in Telegram, or send /start {code} to the bot.", url=url, code=code) if url
            else tr.gettext("Send /start {code} to the bot in a private chat.", code=code)]
    return await _users_page(request, view, svc, done=done, focus=name)


# --- import ----------------------------------------------------------------------------------------------


_KIND_LABELS = {"orders": N_("Orders"), "routings": N_("Routings"), "machines": N_("Machines"),
                "calendars": N_("Calendars")}
_SHOWN_ROW_ERRORS = 200


@page("import_data")
async def import_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    return _import_page(request, view, svc)


def _import_page(request: web.Request, view: View, svc: Services, status: int = 200, **extra: Any) -> web.StreamResponse:
    chinese = view.who.lang == "zh_Hans"
    kinds = [(k, view._(_KIND_LABELS[k]), header_line(k, chinese)) for k in KINDS]
    return _render(request, "import.html", view, status=status, kinds=kinds, mb=MAX_FILE_BYTES // (1024 * 1024),
                   seconds=f"{max(svc.planning.deadline, svc.planning.bulk_deadline):g}", **extra)


@page("import_data", post=True, upload=MAX_FILE_BYTES)
async def import_post(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    """An uploaded CSV / XLSX file, checked whole and imported all or nothing (as ``paichan
    import``), then the factory re-planned once."""
    actor = view.actor
    kind = form.get("kind", "")
    upload = request[UPLOAD].get("file")
    if kind not in KINDS:
        return _import_page(request, view, svc, 400, error=view._("Choose what the file holds."))
    if upload is None or not upload[0] or not upload[1]:
        return _import_page(request, view, svc, 400, error=view._("Choose a file to import."), kind=kind)
    name, raw = upload
    try:
        table = await asyncio.to_thread(read_table_bytes, name, raw)
        result = await import_table(svc, actor, kind, table)
    except FileProblem as exc:
        return _import_page(request, view, svc, 400, error=exc.text(view.tr), kind=kind)
    except ImportRejected as exc:
        rows = [row_error_message(view.tr, e) for e in exc.errors]
        return _import_page(request, view, svc, 400, error=error_message(view.tr, exc), kind=kind,
                            rows=rows[:_SHOWN_ROW_ERRORS], more=max(0, len(rows) - _SHOWN_ROW_ERRORS))
    done = [view.tr.ngettext("Imported {n} row from {path}: {what}.", "Imported {n} rows from {path}: {what}.",
                             len(table.rows), path=name, what=what_was_imported(view.tr, result.kind, result.count))]
    if result.ignored:
        done.append(view.tr.gettext("Columns left out (none of ours): {columns}.",
                                    columns=view.tr.listing(result.ignored, limit=12)))
    if result.plan_version is not None:
        done.append(view.tr.ngettext("Re-planned: plan version {version}, {n} order late.",
                                     "Re-planned: plan version {version}, {n} orders late.",
                                     result.late_orders or 0, version=result.plan_version))
    return _import_page(request, view, svc, done=done, kind=kind)


# --- web chat --------------------------------------------------------------------------------------------


class WebChat:
    """The chat for the web: the SAME :class:`ChatRouter` as Telegram, channel ``web``, the logged-in
    user as the account (id = user id). The conversation is stored (``uow.webchat``, the newest
    :data:`~jobs.channels.web.KEEP` lines per user), where the relay's ``web`` channel adds the
    notifications too: a restart loses none of it."""

    def __init__(self, svc: Services) -> None:
        self.router = ChatRouter(ChatDeps.make(svc))
        self.svc = svc

    async def say(self, who: Who, text: str | None, button: str | None) -> str:
        """Handle one message or button; returns the chat's language after it (changed by
        "/language en" or "说中文"), for the page to follow."""
        actor = who.actor
        assert actor is not None
        await link_web_chat(self.svc, actor, who.lang)
        now = self.svc.now()
        lines = [ChatLine(actor.user_id, now, {"me": True, "html": text_html(text), "buttons": []})] if text else []
        msg = Incoming("web", actor.user_id, actor.user_id, True, text=text, button=button,
                       language_code="zh" if who.lang == "zh_Hans" else "en")
        lines += [ChatLine(actor.user_id, now, _reply_view(reply)) for reply in await self.router.handle(msg)]
        await append_lines(self.svc.uow, lines)
        return await web_chat_lang(self.svc, actor) or who.lang

    async def messages(self, user_id: int) -> list[dict[str, Any]]:
        async with self.svc.uow() as uow:
            return [line.entry for line in await uow.webchat.recent(user_id, KEEP)]


def _reply_view(reply: Reply) -> dict[str, Any]:
    """Reply text is the chat's HTML (every user-supplied piece already escaped by handlers.render)."""
    rows = [[{"label": b.label, "data": b.data, "url": b.url if b.url and b.url.startswith("https://") else None}
             for b in row] for row in reply.buttons]
    photo = base64.b64encode(reply.photo).decode() if reply.photo else None
    return {"me": False, "html": reply.text.replace("\n", "<br>"), "buttons": rows, "photo": photo}


def _chat(request: web.Request) -> WebChat:
    from . import WEB_CHAT

    return request.app[WEB_CHAT]


@page()
async def chat_page(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    actor = view.actor
    await link_web_chat(svc, actor, view.who.lang)  # from now on warnings and surveys can come here too
    return _render(request, "chat.html", view, messages=await _chat(request).messages(actor.user_id),
                   hint=view._(_CHAT_HINTS.get(actor.role, _CHAT_HINTS[Role.CUSTOMER])))


_CHAT_HINTS = {  # what an empty chat suggests, per role
    Role.CUSTOMER: N_("Ask about your orders, for example “where is my order?”"),
    Role.SALES: N_("Ask for a delivery date or insert a rush order, for example “which of my orders are late?”"),
    Role.OPERATOR: N_("Report finished work or a machine stop, for example “what's next on my machine?”"),
    Role.MANAGER: N_("Ask how the factory is doing, for example “which orders are late and why?”"),
    Role.ADMIN: N_("Ask how the factory is doing, for example “which orders are late and why?”"),
}


@page(post=True)
async def chat_post(request: web.Request, view: View, svc: Services, form: dict[str, str]) -> web.StreamResponse:
    text = form.get("text") or None
    button = form.get("button") or None
    if text is not None:
        text = text[:4000]
    if button is not None:
        button = button[:64]
    if text or button:
        lang = await _chat(request).say(view.who, text, button)
        if lang != view.who.lang:  # "/language en" in the chat: the pages follow
            import aiohttp_session

            (await aiohttp_session.get_session(request))["lang"] = lang
    raise web.HTTPSeeOther("/chat#end")


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/login", login_form),
    ("POST", "/login", login_post),
    ("POST", "/logout", logout),
    ("GET", "/lang", switch_lang),
    ("GET", "/", dashboard),
    ("GET", "/orders", orders),
    ("GET", r"/orders.{fmt:(csv|xlsx)}", orders_download),
    ("GET", "/orders/{ref}", order_page),
    ("GET", "/gantt", gantt),
    ("GET", "/gantt/data", gantt_data),
    ("POST", "/gantt/move", gantt_move),
    ("POST", "/gantt/confirm", change_confirm_json),
    ("GET", "/capacity", capacity_page),
    ("GET", "/machines", machines_page),
    ("GET", "/machines/{machine}", machine_page),
    ("GET", "/machines/{machine}/list.xlsx", machine_download),
    ("POST", "/machines/{machine}/report", machine_report),
    ("POST", "/machines/{machine}/stops", machine_stop_plan),
    ("POST", "/machines/{machine}/stops/cancel", machine_stop_cancel),
    ("GET", "/changes", changes),
    ("POST", "/changes/rush", rush_post),
    ("POST", "/changes/decide", change_decide),
    ("GET", "/users", users_page),
    ("POST", "/users/add", users_add),
    ("POST", "/users/password", users_password),
    ("POST", "/users/link", users_link),
    ("GET", "/import", import_page),
    ("POST", "/import", import_post),
    ("GET", "/chat", chat_page),
    ("POST", "/chat", chat_post),
]
