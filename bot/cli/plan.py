"""``paichan plan``: plan the factory now, print every order's ETA and draw the Gantt chart.

``--demo`` plans a generated demo factory in memory (no database); without it the factory
in the database is re-planned and the new plan version published.
"Now" comes from the clock given to :func:`run` (the real one by default) or ``--now``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from scheduler_core.domain.generate import FactorySpec, demo_factory
from scheduler_core.domain.model import Factory
from scheduler_core.domain.schedule import Schedule
from scheduler_core.reports.gantt import find_cjk_font, gantt_png
from scheduler_core.reports.i18n import Lang, Tr, resolve_lang, translator
from scheduler_core.reports.text import render_plan_table, render_plan_totals
from scheduler_core.services.planning import OrderEta, PlanSettings, replan

from .options import lang_choice, number

__all__ = ["register", "run", "utc_now"]

Clock = Callable[[], datetime]

_DEMO_TZ = FactorySpec().timezone


def utc_now() -> datetime:
    """The real clock: the one place the CLI reads the time."""
    return datetime.now(UTC)


def _instant(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {value!r}") from exc
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=ZoneInfo(_DEMO_TZ))


def register(subparsers: Any) -> None:
    """Add the ``plan`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "plan",
        help="plan the factory now: ETAs, late orders and a Gantt chart",
        description="Plan every open order now, print when each will be ready (late ones first) "
        "and write a Gantt chart.",
    )
    p.add_argument("--demo", action="store_true",
                   help="plan the generated demo factory in memory (120 orders, 12 machines); "
                        "without it: re-plan the factory in the database and publish the plan")
    p.add_argument("--lang", type=lang_choice, default=None, help="zh or en (default: from LC_ALL / LC_MESSAGES / LANG)")
    p.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
    p.add_argument("--deadline", type=number(float, above=0), default=2.0, help="solver time budget in seconds (default 2.0)")
    p.add_argument("--workers", type=number(int, at_least=1), default=None, metavar="N",
                   help="solver threads (default: PAICHAN_SOLVER_WORKERS, 1); 2 on a machine with cores to spare")
    p.add_argument("--gantt", type=Path, default=Path("gantt.png"), metavar="PATH", help="chart file (default gantt.png)")
    p.add_argument(
        "--days", type=float, default=7.0, metavar="D",
        help="days of plan the chart shows from now (default 7; 0 = the whole plan)",
    )
    p.add_argument("--limit", type=number(int, at_least=0), default=None, metavar="N", help="show at most N orders (default all)")
    p.add_argument(
        "--now", type=_instant, default=None, metavar="ISO",
        help="plan as of this instant, e.g. 2025-03-05T08:00+08:00 (no offset: factory time)",
    )
    p.set_defaults(func=run)


def run(
    args: argparse.Namespace,
    *,
    clock: Clock = utc_now,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Plan, print the table and totals, write the chart. Returns the exit code."""
    out = out or sys.stdout
    lang: Lang = args.lang or resolve_lang(None, os.environ if env is None else env)
    tr = translator(lang)
    if not args.demo:
        return _plan_database(args, tr.at(clock()), clock=clock, env=env, out=out)

    tz = ZoneInfo(_DEMO_TZ)
    now = (args.now or clock()).astimezone(tz)
    tr = tr.at(now)
    factory = demo_factory(now)
    result = replan(factory, now, settings=PlanSettings(deadline=args.deadline, seed=args.seed, workers=args.workers or 1))
    title = tr.gettext("Production plan: demo factory, {when}", when=tr.datetime(now))
    return _report(args, tr, out, title, factory, result.schedule, result.etas,
                   render_plan_totals(result.etas, tr, result.status, result.method, result.seconds), tz, lang)


def _plan_database(args: argparse.Namespace, tr: Tr, *, clock: Clock, env: Mapping[str, str] | None,
                   out: TextIO) -> int:
    """Re-plan the factory in the database now, publish the new version and report it."""
    from dataclasses import replace

    from scheduler_core.reports.errors import error_message
    from scheduler_core.services.errors import ServiceError
    from scheduler_core.services.ports import SYSTEM
    from scheduler_core.services.shopfloor import replan_now
    from scheduler_core.services.status import PlanView, current_plan

    from ..settings import SettingsError, load_settings
    from ..wiring import open_services

    try:
        settings = load_settings(env)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    async def job() -> PlanView:
        async with open_services(settings, clock=clock) as svc:
            planning = replace(svc.planning, deadline=args.deadline, seed=args.seed,
                               workers=args.workers or svc.planning.workers)
            svc = replace(svc, planning=planning)
            await replan_now(svc, SYSTEM, "manual replan")
            return await current_plan(svc, SYSTEM)

    try:
        view = asyncio.run(job())
    except ServiceError as exc:
        print(error_message(tr, exc), file=sys.stderr)
        return 1
    tz = ZoneInfo(view.factory.timezone)
    title = tr.gettext("Production plan version {version}, {when}", version=view.version,
                       when=tr.datetime(view.created.astimezone(tz)))
    m = view.metrics
    totals = render_plan_totals(view.etas, tr, str(m.get("status", "")), str(m.get("method", "")),
                                float(m.get("seconds", 0.0)))
    lang: Lang = args.lang or resolve_lang(None, os.environ if env is None else env)
    return _report(args, tr, out, title, view.factory, view.schedule, view.etas, totals, tz, lang)


def _report(args: argparse.Namespace, tr: Tr, out: TextIO, title: str, factory: Factory, schedule: Schedule,
            etas: Sequence[OrderEta], totals: str, tz: ZoneInfo, lang: Lang) -> int:
    print(title, file=out)
    print("", file=out)
    print(render_plan_table(etas, tr, limit=args.limit, tz=tz), file=out)
    print("", file=out)
    print(totals, file=out)

    png = gantt_png(
        schedule,
        etas,
        tr=tr,
        machines=[m.id for m in factory.machines],
        groups={m.id: m.group for m in factory.machines},
        calendars={m.id: factory.calendars[m.calendar] for m in factory.machines if m.calendar in factory.calendars},
        downtime=factory.downtime,
        tz=tz,
        days=args.days if args.days and args.days > 0 else None,
    )
    path: Path = args.gantt
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    print("", file=out)
    print(tr.gettext("Gantt chart written to {path}", path=path), file=out)
    if lang == "zh_Hans" and find_cjk_font() is None:
        print(
            tr.gettext("No Chinese font is installed, so the chart uses English labels (install fonts-wqy-microhei)."),
            file=out,
        )
    return 0
