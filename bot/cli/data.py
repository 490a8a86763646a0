"""Data in and out: ``paichan import {orders,routings,machines,calendars} FILE``,
``paichan export orders|routings FILE`` and ``paichan demo-data``.

A ``.csv`` file is read as UTF-8 (with or without BOM) or, failing that, GB18030 (what Excel
in a Chinese locale writes); an ``.xlsx`` file's first sheet (or ``--sheet``) through
openpyxl. An import is all-or-nothing: every bad row is printed as
``line N, column C: message`` in the user's language, the exit code is 1 and nothing is
written. The formats are documented in :mod:`scheduler_core.services.importing`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, time, tzinfo
from pathlib import Path
from typing import Any

from scheduler_core.reports.errors import error_message, row_error_message
from scheduler_core.reports.labels import ROLE_LABELS
from scheduler_core.services.admin import DEMO_FIRST_PLAN_SECONDS, DEMO_PASSWORD, DemoSummary, load_demo
from scheduler_core.services.context import Services
from scheduler_core.services.errors import Conflict
from scheduler_core.services.importing import (
    Cell,
    ImportRejected,
    ImportResult,
    export_orders,
    export_routings,
    import_table,
    write_csv,
)
from scheduler_core.services.linking import create_link_code
from scheduler_core.services.ports import SYSTEM

from ..tables import KINDS, FileProblem, read_table, what_was_imported, xlsx_bytes
from .admin import Cli, deep_link, factory_zone, guarded, lang_option, run_with_services
from .options import number

__all__ = ["register", "write_xlsx"]


def write_xlsx(path: Path, rows: Sequence[Sequence[Cell]], tz: tzinfo) -> None:
    """Rows into a one-sheet workbook that reads back as it was written: aware datetimes as
    Excel dates in factory time (a time of exactly midnight as text, so that it does not read
    back as a date-only promise), yes/no for flags, text as text."""
    out: list[list[Cell]] = []
    for row in rows:
        line: list[Cell] = []
        for value in row:
            if isinstance(value, datetime):
                local = value.astimezone(tz).replace(tzinfo=None)
                line.append(local if local.time() != time(0, 0) else local.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(value, bool):
                line.append("yes" if value else "no")
            else:
                line.append(value)
        out.append(line)
    path.write_bytes(xlsx_bytes(out, "orders", (12, 24, 14, 10, 18, 6, 14)))


# --- import / export ------------------------------------------------------------------------


def _problem(cli: Cli, exc: FileProblem) -> int:
    return cli.fail(exc.text(cli.tr))


def _import(args: argparse.Namespace, cli: Cli) -> int:
    tr = cli.tr
    try:
        table = read_table(args.file, sheet=args.sheet)
    except FileProblem as exc:
        return _problem(cli, exc)
    except ImportRejected as exc:  # unreadable CSV structure
        return _rejected(cli, exc)
    try:
        result: ImportResult = run_with_services(cli, lambda svc: import_table(svc, SYSTEM, args.kind, table))
    except ImportRejected as exc:
        return _rejected(cli, exc)
    what = what_was_imported(tr, result.kind, result.count)
    cli.say(tr.ngettext("Imported {n} row from {path}: {what}.", "Imported {n} rows from {path}: {what}.",
                        len(table.rows), path=args.file, what=what))
    if result.ignored:
        cli.say(tr.gettext("Columns left out (none of ours): {columns}.", columns=tr.listing(result.ignored, limit=12)))
    if result.plan_version is not None:
        cli.say(tr.ngettext("Re-planned: plan version {version}, {n} order late.",
                            "Re-planned: plan version {version}, {n} orders late.",
                            result.late_orders or 0, version=result.plan_version))
    return 0


def _rejected(cli: Cli, exc: ImportRejected) -> int:
    for err in exc.errors:
        print(row_error_message(cli.tr, err), file=cli.err)
    return cli.fail(error_message(cli.tr, exc))


def _export(args: argparse.Namespace, cli: Cli) -> int:
    async def job(svc: Services) -> tuple[list[list[Cell]], tzinfo]:
        rows = (await export_routings(svc, SYSTEM) if args.kind == "routings"
                else await export_orders(svc, SYSTEM, include_closed=args.all))
        return rows, await factory_zone(svc)

    path: Path = args.file
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return cli.fail(cli.tr.gettext("{path}: use a .csv or .xlsx file.", path=path))
    rows, tz = run_with_services(cli, job)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".xlsx":
            write_xlsx(path, rows, tz)
        else:
            localized = [[v.astimezone(tz) if isinstance(v, datetime) else v for v in row] for row in rows]
            path.write_text(write_csv(localized), encoding="utf-8-sig")  # the BOM makes Excel read UTF-8
    except OSError as exc:
        return cli.fail(cli.tr.gettext("Cannot write {path}: {reason}", path=path, reason=exc.strerror or exc))
    if args.kind == "routings":
        products = len({row[0] for row in rows[1:]})
        cli.say(cli.tr.ngettext("Exported the routing of {n} product to {path}.",
                                "Exported the routings of {n} products to {path}.", products, path=path))
    else:
        cli.say(cli.tr.ngettext("Exported {n} order to {path}.", "Exported {n} orders to {path}.", len(rows) - 1,
                                path=path))
    return 0


# --- demo -----------------------------------------------------------------------------------


def _demo(args: argparse.Namespace, cli: Cli) -> int:
    import asyncio

    tr = cli.tr

    async def job(svc: Services) -> tuple[DemoSummary, list[tuple[str, str, datetime]], tzinfo]:
        summary = await load_demo(svc, args.seed, lang=tr.lang, plan_seconds=args.first_plan)
        codes = []
        for user in summary.users:
            code, link = await create_link_code(svc, SYSTEM, user.username)
            codes.append((user.username, code, link.expires))
        return summary, codes, await factory_zone(svc)

    if args.force:
        asyncio.run(_migrated_then_wiped(cli.settings.database_url))
    try:
        summary, codes, tz = run_with_services(cli, job)
    except Conflict as exc:
        if exc.code != "database_not_empty":
            raise
        cli.fail(error_message(tr, exc))
        return cli.fail(tr.gettext("Use --force to delete everything in it and load the demo."))
    cli.say(tr.gettext(
        "Demo factory loaded (seed {seed}): {machines} machines in {groups} groups, {products} products, "
        "{customers} customers.", seed=summary.seed, machines=summary.machines, groups=summary.groups,
        products=summary.products, customers=summary.customers))
    cli.say(tr.gettext(
        "{open} open orders ({late} already past their promised date), {delivered} delivered in the last "
        "90 days, {complaints} complaints, {answers} survey answers.", open=summary.open_orders,
        late=summary.late_open_orders, delivered=summary.delivered_orders, complaints=summary.complaints,
        answers=summary.survey_answers))
    if summary.machine_down:
        cli.say(tr.gettext("Machine {machine} is down.", machine=summary.machine_down))
    if summary.plan_version is not None:
        cli.say(tr.ngettext("Re-planned: plan version {version}, {n} order late.",
                            "Re-planned: plan version {version}, {n} orders late.",
                            summary.late_in_plan or 0, version=summary.plan_version))
    cli.say()
    cli.say(tr.gettext("Demo users and their one-time link codes (send /start CODE to the bot in a private chat):"))
    roles = {u.username: u for u in summary.users}
    bot = cli.settings.telegram_bot_name
    expires = None
    for username, code, until in codes:
        user = roles[username]
        who = tr.gettext(ROLE_LABELS[user.role]) + (f" · {user.customer}" if user.customer else "")
        link = deep_link(bot, code)
        cli.say(f"  {username:<11} {code}  {who}" + (f"  {link}" if link else ""))
        expires = until
    if expires is not None:
        cli.say(tr.gettext("The codes are valid until {when}; make new ones with: paichan link-code --user USERNAME",
                           when=tr.datetime(expires.astimezone(tz))))
    cli.say(tr.gettext("Web app (paichan serve, then http://{host}:{port}/): every demo user logs in with the "
                       "password {password}.", host=cli.settings.host, port=cli.settings.port,
                       password=DEMO_PASSWORD))
    return 0


async def _migrated_then_wiped(url: str) -> None:
    """``--force``: migrate (so that every table exists), then down to an empty database;
    ``open_services`` migrates it up again."""
    from db.migrate import downgrade, upgrade

    await upgrade(url)
    await downgrade(url, "base")


# --- registration ---------------------------------------------------------------------------


def _add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", type=lang_option, default=None,
                   help="zh or en (default: PAICHAN_LANG, then LC_ALL / LC_MESSAGES / LANG)")


def register(subparsers: Any) -> None:
    """Add ``import``, ``export`` and ``demo-data``."""
    imp = subparsers.add_parser(
        "import", help="import orders, routings, machines or calendars from CSV / XLSX (all or nothing)",
        description="Import a CSV or XLSX file. Every row is checked first; if any is bad, each problem "
        "is printed and nothing is written. Orders: ref,customer,product,quantity,promised_date[,vip][,sales] "
        "(or 订单号,客户,产品,数量,交期,VIP,销售). Routings: product,step,step_name,machine,setup_min,"
        "per_unit_min. Machines: machine,group,calendar[,name]. Calendars: calendar,weekday,start,end "
        "and holiday rows calendar,holiday,2026-10-01.")
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--sheet", default=None, help="XLSX: the sheet to read (default the first)")
    _add_lang(imp)
    imp.set_defaults(func=guarded(_import))

    exp = subparsers.add_parser("export", help="export orders or routings to CSV / XLSX (the import format)")
    exp.add_argument("kind", choices=("orders", "routings"))
    exp.add_argument("file", type=Path, metavar="FILE")
    exp.add_argument("--all", action="store_true", help="include delivered and cancelled orders")
    _add_lang(exp)
    exp.set_defaults(func=guarded(_export))

    demo = subparsers.add_parser("demo-data", help="load the demo factory with 90 days of history and demo users")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--force", action="store_true", help="delete everything in the database first")
    demo.add_argument("--first-plan", type=number(float, above=0, at_most=600), default=DEMO_FIRST_PLAN_SECONDS,
                      metavar="SECONDS",
                      help=f"seconds for the demo factory's first plan (default {DEMO_FIRST_PLAN_SECONDS:g})")
    _add_lang(demo)
    demo.set_defaults(func=guarded(_demo))
