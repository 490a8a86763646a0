"""Administration from the command line, as the system admin actor:

``paichan db upgrade``, ``paichan user add``, ``paichan link-code``, ``paichan orders list``,
``paichan status REF``, ``paichan kpi``, ``paichan admin passwd USERNAME`` (the web login password).

The database is ``PAICHAN_DATABASE_URL`` (default ``sqlite+aiosqlite:///paichan.db`` in the
working directory); messages are in the language of ``--lang`` or ``PAICHAN_LANG`` or the
locale. A use case's error is printed as a localized sentence and the exit code is 1; there
is never a traceback for bad input. The helpers at the top are shared with ``bot.cli.data``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

from scheduler_core.reports.errors import error_message
from scheduler_core.reports.i18n import Lang, Tr, resolve_lang, translator
from scheduler_core.reports.labels import ROLE_LABELS, STATUS_LABELS, STEP_LABELS
from scheduler_core.reports.text import display_width, pad, render_cause
from scheduler_core.services.accounts import set_password
from scheduler_core.services.admin import create_user
from scheduler_core.services.api_tokens import IssuedToken, issue_token, list_tokens, revoke_token
from scheduler_core.services.codec import cause_to_dict
from scheduler_core.services.context import Services
from scheduler_core.services.errors import ServiceError
from scheduler_core.services.kpi import kpis
from scheduler_core.services.linking import create_link_code
from scheduler_core.services.ports import SYSTEM, ApiToken, Role
from scheduler_core.services.status import get_order_status, list_orders
from scheduler_core.services.views import KpiView, OrderLine, OrderStatusView

from ..settings import Settings, SettingsError, deep_link, load_settings
from ..wiring import open_services, system_clock
from .options import iso_date, number

__all__ = [
    "Cli",
    "deep_link",
    "lang_option",
    "register",
    "render_kpis",
    "render_status",
    "run_with_services",
    "status_json",
]

T = TypeVar("T")
Clock = Callable[[], datetime]


# --- shared plumbing ------------------------------------------------------------------------


def lang_option(value: str) -> str:
    """``--lang`` values: zh or en (checked here so argparse reports a bad one)."""
    try:
        resolve_lang(value, {})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


@dataclass
class Cli:
    """One command's context: settings, language, output streams and the clock."""

    settings: Settings
    tr: Tr
    out: TextIO
    err: TextIO
    clock: Clock = system_clock

    @classmethod
    def make(cls, args: argparse.Namespace, *, env: Mapping[str, str] | None = None, out: TextIO | None = None,
             err: TextIO | None = None, clock: Clock = system_clock) -> Cli:
        """Raises :class:`SettingsError` for an unusable environment variable."""
        environ = dict(os.environ if env is None else env)
        settings = load_settings(environ)
        explicit = getattr(args, "lang", None) or settings.lang
        try:
            lang: Lang = resolve_lang(explicit, environ)
        except ValueError:
            lang = resolve_lang(None, environ)
        return cls(settings, translator(lang).at(clock()), out or sys.stdout, err or sys.stderr, clock)

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def fail(self, text: str) -> int:
        print(text, file=self.err)
        return 1


def run_with_services(cli: Cli, job: Callable[[Services], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``job`` on services over the configured database (migrated first)."""

    async def main() -> T:
        async with open_services(cli.settings, migrate=migrate, clock=cli.clock) as svc:
            return await job(svc)

    return asyncio.run(main())


def guarded(body: Callable[[argparse.Namespace, Cli], int]) -> Callable[..., int]:
    """A subcommand entry point: builds the :class:`Cli`, maps use-case errors to a localized
    message and exit code 1, a bad setting to exit code 2."""

    def run(args: argparse.Namespace, *, env: Mapping[str, str] | None = None, out: TextIO | None = None,
            err: TextIO | None = None, clock: Clock = system_clock) -> int:
        try:
            cli = Cli.make(args, env=env, out=out, err=err, clock=clock)
        except SettingsError as exc:
            print(str(exc), file=err or sys.stderr)
            return 2
        try:
            return body(args, cli)
        except ServiceError as exc:
            return cli.fail(error_message(cli.tr, exc))

    return run


async def factory_zone(svc: Services) -> tzinfo:
    async with svc.uow() as uow:
        return ZoneInfo(await uow.master.timezone())


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


# --- db upgrade -----------------------------------------------------------------------------


def _db_upgrade(args: argparse.Namespace, cli: Cli) -> int:
    from sqlalchemy.engine import make_url

    from db.migrate import upgrade

    asyncio.run(upgrade(cli.settings.database_url))
    shown = make_url(cli.settings.database_url).render_as_string(hide_password=True)
    cli.say(cli.tr.gettext("The database {url} is up to date.", url=shown))
    return 0


# --- users and link codes -------------------------------------------------------------------


def _user_add(args: argparse.Namespace, cli: Cli) -> int:
    user = run_with_services(cli, lambda svc: create_user(
        svc, SYSTEM, args.username, args.role, args.name or "", args.customer, args.user_lang or "zh_Hans"))
    cli.say(cli.tr.gettext("Created user {username} ({role}).", username=user.username,
                           role=cli.tr.gettext(ROLE_LABELS[user.role])))
    cli.say(cli.tr.gettext("Give them a link code: paichan link-code --user {username}", username=user.username))
    return 0


def _read_password(args: argparse.Namespace, cli: Cli) -> str | None:
    """From standard input with ``--password-stdin`` (first line), else asked twice on the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(cli.tr.gettext("New password: "))
    if getpass.getpass(cli.tr.gettext("Repeat the password: ")) != first:
        return None
    return first


def _passwd(args: argparse.Namespace, cli: Cli) -> int:
    password = _read_password(args, cli)
    if password is None:
        return cli.fail(cli.tr.gettext("The two passwords differ; nothing was changed."))
    user = run_with_services(cli, lambda svc: set_password(svc, SYSTEM, args.username, password))
    cli.say(cli.tr.gettext("Password set for {username}: they can log in to the web app now.",
                           username=user.username))
    return 0




def _link_code(args: argparse.Namespace, cli: Cli) -> int:
    async def job(svc: Services) -> tuple[str, datetime, tzinfo]:
        code, link = await create_link_code(svc, SYSTEM, args.user.strip().lower())
        return code, link.expires, await factory_zone(svc)

    code, expires, tz = run_with_services(cli, job)
    tr = cli.tr
    if args.json:
        cli.say(json.dumps({"user": args.user, "code": code, "expires": _iso(expires),
                            "link": deep_link(cli.settings.telegram_bot_name, code)}, ensure_ascii=False))
        return 0
    cli.say(tr.gettext("Link code for {username}: {code}", username=args.user, code=code))
    cli.say(tr.gettext("Valid until {when}, once.", when=tr.datetime(expires.astimezone(tz))))
    url = deep_link(cli.settings.telegram_bot_name, code)
    if url:
        cli.say(tr.gettext("Open {url} in Telegram, or send /start {code} to the bot.", url=url, code=code))
    else:
        cli.say(tr.gettext("Send /start {code} to the bot in a private chat.", code=code))
    return 0


# --- orders, status, KPIs -------------------------------------------------------------------



def _line_json(line: OrderLine) -> dict[str, Any]:
    return {
        "ref": line.ref, "customer": line.customer, "product": line.product, "quantity": line.quantity,
        "status": line.status.value, "due": _iso(line.due), "eta": _iso(line.eta),
        "late_by_minutes": round(line.late_by.total_seconds() / 60), "vip": line.vip,
    }


def _table(header: list[str], rows: list[list[str]], right: frozenset[int] = frozenset()) -> list[str]:
    widths = [display_width(h) for h in header]
    for row in rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(pad(c, w, right=i in right) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _orders_list(args: argparse.Namespace, cli: Cli) -> int:
    async def job(svc: Services) -> tuple[list[OrderLine], tzinfo]:
        lines = await list_orders(svc, SYSTEM, include_closed=args.all, limit=100_000, due_by=args.due_by)
        return lines, await factory_zone(svc)

    lines, tz = run_with_services(cli, job)
    if args.customer:
        lines = [x for x in lines if x.customer == args.customer]
    if args.late:
        lines = [x for x in lines if x.late_by > timedelta(0)]
    if args.json:
        cli.say(json.dumps([_line_json(x) for x in lines], ensure_ascii=False, indent=1))
        return 0
    tr = cli.tr
    if not lines:
        cli.say(tr.gettext("No orders match."))
        return 0
    header = [tr.gettext("Order"), tr.gettext("Customer"), tr.gettext("Product"), tr.gettext("Quantity"),
              tr.gettext("Status"), tr.gettext("Due"), tr.gettext("ETA"), tr.gettext("Late by")]
    rows = []
    for x in lines:
        late = tr.duration(x.late_by, style="narrow") if x.late_by > timedelta(0) else ""
        rows.append([
            x.ref + (" ★" if x.vip else ""), x.customer, x.product, tr.number(x.quantity),
            tr.gettext(STATUS_LABELS[x.status]), tr.short_datetime(x.due.astimezone(tz)),
            tr.short_datetime(x.eta.astimezone(tz)) if x.eta else "-", late,
        ])
    for text in _table(header, rows, right=frozenset({3})):
        cli.say(text)
    cli.say(tr.ngettext("{n} order", "{n} orders", len(lines)))
    return 0


def progress_bar(share: float, width: int = 20) -> str:
    """``[██████░░░░░░░░░░░░░░]``."""
    filled = max(0, min(width, round(share * width)))
    return "[" + "█" * filled + "░" * (width - filled) + "]"


def render_status(view: OrderStatusView, tr: Tr, tz: tzinfo) -> str:
    """The ``get_order_status`` view as localized text with a progress bar."""
    lines = [f"{view.ref}  {view.customer}" + ("  ★VIP" if view.vip else "")]
    lines.append(tr.gettext("Product {product} × {quantity}, {status}", product=view.product,
                            quantity=tr.number(view.quantity), status=tr.gettext(STATUS_LABELS[view.status])))
    lines.append(tr.gettext("Promised: {when}", when=tr.datetime(view.due.astimezone(tz))))
    if view.delivered is not None:
        lines.append(tr.gettext("Delivered: {when}", when=tr.datetime(view.delivered.astimezone(tz))))
    elif view.eta is not None:
        lines.append(tr.gettext("Expected: {when}", when=tr.datetime(view.eta.astimezone(tz))))
    else:
        lines.append(tr.gettext("Expected: not planned yet"))
    if view.late_by > timedelta(0):
        lines.append(tr.gettext("Late by {duration}", duration=tr.duration(view.late_by)))
    elif view.eta is not None:
        lines.append(tr.gettext("On time"))
    lines.append(f"{progress_bar(view.progress)} {tr.percent(view.progress)}")
    if view.current is not None:
        cur = view.current
        lines.append(tr.gettext("Now: step {step} {name} on {machine}", step=cur.step + 1, name=cur.name,
                                machine=cur.machine or "-"))
    if view.cause is not None:
        lines.append(tr.gettext("Why late: {cause}", cause=render_cause(view.cause, tr, tz)))
    lines.append(tr.gettext("Steps:"))
    rows = []
    for s in view.steps:
        when = ""
        if s.start is not None and s.end is not None:
            when = f"{tr.short_datetime(s.start.astimezone(tz))} - {tr.short_datetime(s.end.astimezone(tz))}"
        rows.append([str(s.step + 1), s.name, tr.gettext(STEP_LABELS.get(s.state, s.state)), s.machine or "-",
                     f"{tr.number(s.done)}/{tr.number(s.quantity)}", when])
    header = ["#", tr.gettext("Step"), tr.gettext("State"), tr.gettext("Machine"), tr.gettext("Done"),
              tr.gettext("Planned time")]
    lines.extend("  " + t for t in _table(header, rows, right=frozenset({4})))
    return "\n".join(lines)


def status_json(view: OrderStatusView) -> dict[str, Any]:
    """The view as JSON-ready data, dates in ISO 8601."""
    return {
        "ref": view.ref, "customer": view.customer, "product": view.product, "quantity": view.quantity,
        "status": view.status.value, "due": _iso(view.due), "eta": _iso(view.eta), "on_time": view.on_time,
        "late_by_minutes": round(view.late_by.total_seconds() / 60), "vip": view.vip,
        "progress": round(view.progress, 4), "delivered": _iso(view.delivered), "plan_version": view.plan_version,
        "cause": cause_to_dict(view.cause) if view.cause else None,
        "current_step": view.current.step + 1 if view.current else None,
        "steps": [
            {"step": s.step + 1, "name": s.name, "state": s.state, "machine": s.machine, "done": s.done,
             "quantity": s.quantity, "start": _iso(s.start), "end": _iso(s.end)} for s in view.steps
        ],
    }


def _status(args: argparse.Namespace, cli: Cli) -> int:
    async def job(svc: Services) -> tuple[OrderStatusView, tzinfo]:
        return await get_order_status(svc, SYSTEM, args.ref), await factory_zone(svc)

    view, tz = run_with_services(cli, job)
    if args.json:
        cli.say(json.dumps(status_json(view), ensure_ascii=False, indent=1))
    else:
        cli.say(render_status(view, cli.tr, tz))
    return 0


def kpi_json(view: KpiView) -> dict[str, Any]:
    return {
        "since": _iso(view.since), "until": _iso(view.until), "delivered": view.delivered,
        "avg_lead_time_days": view.avg_lead_time_days, "complaint_rate": view.complaint_rate,
        "delay_rate": view.delay_rate, "on_time_rate": view.on_time_rate,
        "satisfaction_score": view.satisfaction_score, "satisfaction_avg": view.satisfaction_avg,
        "survey_response_rate": view.survey_response_rate, "complaints": view.complaints,
        "open_orders": view.open_orders, "open_late": view.open_late, "bottleneck": view.bottleneck,
        "bottleneck_load": view.bottleneck_load,
    }


def render_kpis(view: KpiView, tr: Tr, tz: tzinfo) -> str:
    """The KPI view as a localized, aligned list."""
    def pct(x: float | None) -> str:
        return tr.percent(x) if x is not None else "-"

    def num(x: float | None, decimals: int = 1) -> str:
        return tr.number(x, decimals=decimals) if x is not None else "-"

    rows = [
        (tr.gettext("Delivered orders"), tr.number(view.delivered)),
        (tr.gettext("Average lead time"), tr.gettext("{days} days", days=num(view.avg_lead_time_days))),
        (tr.gettext("On-time delivery"), pct(view.on_time_rate)),
        (tr.gettext("Delay rate"), pct(view.delay_rate)),
        (tr.gettext("Complaint rate"), pct(view.complaint_rate)),
        (tr.gettext("Satisfaction (0-100)"), num(view.satisfaction_score)),
        (tr.gettext("Average survey score (1-5)"), num(view.satisfaction_avg, 2)),
        (tr.gettext("Survey response rate"), pct(view.survey_response_rate)),
        (tr.gettext("Open orders"), tr.number(view.open_orders)),
        (tr.gettext("Open orders late"), tr.number(view.open_late)),
        (tr.gettext("Bottleneck (next 7 days)"),
         f"{view.bottleneck} ({pct(view.bottleneck_load)})" if view.bottleneck else "-"),
    ]
    width = max(display_width(label) for label, _ in rows)
    title = tr.gettext("KPIs from {since} to {until}", since=tr.date(view.since.astimezone(tz)),
                       until=tr.date(view.until.astimezone(tz)))
    return "\n".join([title, *(f"{pad(label, width)}  {value}" for label, value in rows)])


def _kpi(args: argparse.Namespace, cli: Cli) -> int:
    async def job(svc: Services) -> tuple[KpiView, tzinfo]:
        now = svc.now()
        return await kpis(svc, SYSTEM, since=now - timedelta(days=args.days), until=now), await factory_zone(svc)

    view, tz = run_with_services(cli, job)
    if args.json:
        cli.say(json.dumps(kpi_json(view), ensure_ascii=False, indent=1))
    else:
        cli.say(render_kpis(view, cli.tr, tz))
    return 0


# --- REST API tokens ----------------------------------------------------------------------


def _token_issue(args: argparse.Namespace, cli: Cli) -> int:
    ttl = timedelta(days=args.days) if args.days else None
    issued: IssuedToken = run_with_services(cli, lambda svc: issue_token(svc, SYSTEM, args.username, name=args.name,
                                                                          ttl=ttl))
    tr = cli.tr
    if args.json:
        cli.say(json.dumps({"id": issued.record.id, "user": issued.user.username, "role": issued.user.role.value,
                            "token": issued.token, "expires": _iso(issued.record.expires)}, ensure_ascii=False))
        return 0
    cli.say(tr.gettext("API token {id} for {username} ({role}); it is shown only now:", id=issued.record.id,
                       username=issued.user.username, role=tr.gettext(ROLE_LABELS[issued.user.role])))
    cli.say(issued.token)
    cli.say(tr.gettext("Use it as: Authorization: Bearer <token>. Revoke it with: paichan token revoke {id}",
                       id=issued.record.id))
    return 0


def _token_list(args: argparse.Namespace, cli: Cli) -> int:
    async def job(svc: Services) -> tuple[list[ApiToken], tzinfo]:
        return await list_tokens(svc, SYSTEM, args.username), await factory_zone(svc)

    tokens, tz = run_with_services(cli, job)
    if args.json:
        cli.say(json.dumps([{"id": t.id, "name": t.name, "created": _iso(t.created), "expires": _iso(t.expires),
                             "revoked": _iso(t.revoked), "last_used": _iso(t.last_used)} for t in tokens]))
        return 0
    tr = cli.tr
    header = ["id", tr.gettext("Name"), tr.gettext("Created"), tr.gettext("Last used"), tr.gettext("Revoked")]
    def when(dt: datetime | None) -> str:
        return tr.short_datetime(dt.astimezone(tz)) if dt is not None else "-"

    rows = [[str(t.id), t.name or "-", when(t.created), when(t.last_used), when(t.revoked)] for t in tokens]
    for text in _table(header, rows):
        cli.say(text)
    return 0


def _token_revoke(args: argparse.Namespace, cli: Cli) -> int:
    run_with_services(cli, lambda svc: revoke_token(svc, SYSTEM, args.id))
    cli.say(cli.tr.gettext("API token {id} is revoked.", id=args.id))
    return 0


def _token_id(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a token id: {value!r}") from exc


def register_tokens(subparsers: Any) -> None:
    """``paichan token issue|list|revoke``: per-user REST API tokens."""
    token = subparsers.add_parser("token", help="REST API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = token_sub.add_parser("issue", help="a new API token for a user (shown once)")
    issue.add_argument("username")
    issue.add_argument("--name", default="", help="what the token is for (shown in the list)")
    issue.add_argument("--days", type=number(int, at_least=1, at_most=3660), default=None, help="expires after this many days (default: never)")
    issue.add_argument("--json", action="store_true")
    _add_lang(issue)
    issue.set_defaults(func=guarded(_token_issue))
    ls = token_sub.add_parser("list", help="a user's tokens (never the secrets)")
    ls.add_argument("username")
    ls.add_argument("--json", action="store_true")
    _add_lang(ls)
    ls.set_defaults(func=guarded(_token_list))
    revoke = token_sub.add_parser("revoke", help="end a token at once")
    revoke.add_argument("id", type=_token_id)
    _add_lang(revoke)
    revoke.set_defaults(func=guarded(_token_revoke))


# --- registration ---------------------------------------------------------------------------


def _add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", type=lang_option, default=None,
                   help="zh or en (default: PAICHAN_LANG, then LC_ALL / LC_MESSAGES / LANG)")


def register(subparsers: Any) -> None:
    """Add ``db``, ``user``, ``link-code``, ``orders``, ``status`` and ``kpi``."""
    db = subparsers.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="create or migrate the database to the latest schema")
    _add_lang(up)
    up.set_defaults(func=guarded(_db_upgrade))

    user = subparsers.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--customer", default=None, help="the customer (as named on orders) of a customer user")
    add.add_argument("--lang", dest="user_lang", type=lang_option, default=None,
                     help="the user's chat language, zh or en (default zh)")
    add.set_defaults(func=guarded(_user_add))

    admin = subparsers.add_parser("admin", help="administration: web login passwords")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    pw = admin_sub.add_parser("passwd", help="set a user's web login password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _add_lang(pw)
    pw.set_defaults(func=guarded(_passwd))

    link = subparsers.add_parser("link-code", help="a one-time code that links a chat account to a user")
    link.add_argument("--user", required=True, metavar="USERNAME")
    link.add_argument("--json", action="store_true")
    _add_lang(link)
    link.set_defaults(func=guarded(_link_code))

    orders = subparsers.add_parser("orders", help="list orders")
    orders_sub = orders.add_subparsers(dest="orders_command", required=True, metavar="ACTION")
    ls = orders_sub.add_parser("list", help="open orders, late ones first")
    ls.add_argument("--customer", default=None)
    ls.add_argument("--late", action="store_true", help="only orders that miss their promised date")
    ls.add_argument("--due-by", type=iso_date, default=None, metavar="YYYY-MM-DD",
                    help="only orders promised by the end of that day (factory time), soonest first")
    ls.add_argument("--all", action="store_true", help="include delivered and cancelled orders")
    ls.add_argument("--json", action="store_true")
    _add_lang(ls)
    ls.set_defaults(func=guarded(_orders_list))

    st = subparsers.add_parser("status", help="where is an order: progress, ETA, why late")
    st.add_argument("ref", metavar="REF")
    st.add_argument("--json", action="store_true")
    _add_lang(st)
    st.set_defaults(func=guarded(_status))

    kpi = subparsers.add_parser("kpi", help="lead time, on-time rate, complaints, satisfaction")
    kpi.add_argument("--days", type=number(float, above=0, at_most=3660), default=30.0, help="period up to now (default 30)")
    kpi.add_argument("--json", action="store_true")
    _add_lang(kpi)
    kpi.set_defaults(func=guarded(_kpi))

    register_tokens(subparsers)
