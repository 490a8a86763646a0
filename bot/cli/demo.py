"""``paichan demo``: the whole product on one machine, in one command.

Creates the SQLite demo database when it does not exist yet (the demo factory of
``paichan demo-data``), starts the server on 127.0.0.1:8080 (web app, REST API, Telegram
webhook when ``PAICHAN_TELEGRAM_TOKEN`` is set), the scheduled jobs, and a shop-floor
simulator on a faster factory clock (``--speed 60``: a factory hour per real minute) that
reports progress, stops a machine now and then, and brings new orders and rush requests, so
that ETAs, warnings and the dashboard move while you watch. Ctrl-C stops it cleanly; the next
run continues with the same database. ``paichan serve`` is the production server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import secrets
import signal
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from scheduler_core.reports.errors import error_message
from scheduler_core.reports.labels import ROLE_LABELS
from scheduler_core.services.admin import DEMO_FIRST_PLAN_SECONDS
from scheduler_core.services.errors import ServiceError
from scheduler_core.services.ports import Role

from ..demo import AcceleratedClock, prepare_demo_database, simulator_context
from .admin import Cli, guarded, lang_option
from .options import number

if TYPE_CHECKING:
    from scheduler_core.simulation import FloorEvent

__all__ = ["register"]

DEFAULT_DB = "paichan-demo.db"


def _demo(args: argparse.Namespace, cli: Cli) -> int:
    from ..jobs_wiring import jobs_context
    from ..logs import configure as configure_logging
    from ..web.app import init_app
    from .notify import notify_config

    tr = cli.tr
    url = args.database or cli.settings.env.get("PAICHAN_DATABASE_URL") or f"sqlite+aiosqlite:///{DEFAULT_DB}"
    speed = args.speed
    # Times a person waits on (a rush proposal's validity, a link code's) stay in real minutes.
    settings = dataclasses.replace(cli.settings, database_url=url, change_ttl=cli.settings.change_ttl * speed,
                                   link_ttl=cli.settings.link_ttl * speed,
                                   # a demo's logins may end with it: no warning about a missing key
                                   secret_key=cli.settings.secret_key or secrets.token_urlsafe(32),
                                   lang="en" if cli.tr.lang == "en" else "zh")
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    configure_logging(args.verbose, logging.WARNING)
    try:
        db = asyncio.run(prepare_demo_database(
            settings, args.seed, cli.clock, lang=cli.tr.lang, first_plan_seconds=args.first_plan,
            planning=lambda seconds: cli.say(tr.gettext("New demo factory: planning it ({seconds:g} s)…",
                                                        seconds=seconds))))
    except ServiceError as exc:
        return cli.fail(error_message(tr, exc))
    clock = AcceleratedClock(db.resume_at, speed, cli.clock)
    cli.say(tr.gettext("Demo database: {url} ({state}).", url=url,
                       state=tr.gettext("created") if db.created else tr.gettext("existing, continued")))
    from jobs.config import ConfigError

    try:
        config = notify_config(settings)
    except ConfigError as exc:
        return cli.fail(str(exc))
    contexts = [jobs_context(settings.database_url, config)]
    if not args.no_simulator:
        make = _shop_floor(args.seed, timedelta(seconds=args.tick * speed))
        contexts.append(simulator_context(make, timedelta(seconds=args.tick), _printer(cli, ZoneInfo(db.timezone))))
    app = init_app(settings, clock=clock, job_contexts=contexts)
    try:
        return asyncio.run(_serve(app, cli, host, port, speed, settings.telegram_token is not None,
                                  simulated=not args.no_simulator,
                                  start=db.resume_at.astimezone(ZoneInfo(db.timezone))))
    except OSError as exc:
        return cli.fail(tr.gettext("Cannot listen on {host}:{port} ({error}); choose another with --port.",
                                   host=host, port=port, error=exc.strerror or str(exc)))


async def _serve(app: Any, cli: Cli, host: str, port: int, speed: float, telegram: bool, *, simulated: bool,
                 start: datetime) -> int:
    """Start, print where to go, run until SIGINT/SIGTERM, stop cleanly."""
    from aiohttp import web

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port  # --port 0: the one the system chose
        _banner(cli, host, bound, speed, telegram, simulated=simulated, start=start)
        await stop.wait()
    finally:
        await runner.cleanup()
    cli.say(cli.tr.gettext("paichan demo stopped."))
    return 0


# What the simulated floor does per factory hour (a lively demo, not a calibrated factory:
# ``paichan simulate`` is the calibrated one).
ORDERS_PER_HOUR = 0.5
RUSH_PER_HOUR = 0.125
BREAKDOWNS_PER_HOUR = 0.1


def _shop_floor(seed: int, step: timedelta) -> Any:
    """The shop floor of the demo: chances per step from the rates above and the factory time a
    step covers (``--speed`` x ``--tick``)."""
    import random

    from scheduler_core.simulation import DriverSettings, ShopFloorDriver

    hours = step.total_seconds() / 3600
    settings = DriverSettings(breakdown_chance=min(1.0, BREAKDOWNS_PER_HOUR * hours),
                              order_chance=min(1.0, ORDERS_PER_HOUR * hours),
                              rush_chance=min(1.0, RUSH_PER_HOUR * hours))

    def make(svc: Any) -> Any:
        return ShopFloorDriver(svc, random.Random(seed), settings)

    return make


def _printer(cli: Cli, tz: ZoneInfo) -> Any:
    """One console line per thing that happened; the routine progress reports of a step as a count."""

    def show(now: datetime, events: list[FloorEvent]) -> None:
        stamp = f"  [{now.astimezone(tz):%m-%d %H:%M}]"
        for event in events:
            if event.kind != "progress":
                print(f"{stamp} {event.text(cli.tr)}", file=cli.out, flush=True)
        routine = sum(1 for e in events if e.kind == "progress")
        if routine:
            print(f"{stamp} " + cli.tr.ngettext("progress reported on {n} running step",
                                                 "progress reported on {n} running steps", routine),
                  file=cli.out, flush=True)

    return show


def _banner(cli: Cli, host: str, port: int, speed: float, telegram: bool, *, simulated: bool,
            start: datetime) -> None:
    tr = cli.tr
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    cli.say()
    cli.say(tr.gettext("paichan demo is running at http://{host}:{port}/", host=shown, port=port))
    logins = _logins()
    if logins:
        cli.say(tr.gettext("Log in as (user / password):"))
        for username, password, role in logins:
            cli.say(f"  {username:<12} {password:<14} {tr.gettext(ROLE_LABELS[role])}")
    if simulated:
        cli.say(tr.gettext("The shop floor is simulated from {when} (factory time): one real minute is {minutes:g} "
                           "factory minutes.", when=tr.datetime(start), minutes=speed))
    cli.say(tr.gettext("Telegram bot: on.") if telegram else
            tr.gettext("Telegram bot: off (set PAICHAN_TELEGRAM_TOKEN to chat on Telegram)."))
    from scheduler_core.reports.gantt import find_cjk_font

    if find_cjk_font() is None:  # a Chinese user's pictures fall back to English
        cli.say(tr.gettext("No Chinese font is installed, so the chart uses English labels (install fonts-wqy-microhei)."))
    cli.say(tr.gettext("Ctrl-C stops the demo."))
    cli.say()
    sys.stdout.flush()


def _logins() -> list[tuple[str, str, Role]]:
    """The demo users' web logins (the same for a new and a continued demo database)."""
    from scheduler_core.services.admin import DEMO_LOGINS, DEMO_PASSWORD

    return [(username, DEMO_PASSWORD, role) for username, role in DEMO_LOGINS]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("demo", help="run the whole product on demo data (web, jobs, simulated shop floor)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=None, help="default PAICHAN_HOST or 127.0.0.1")
    p.add_argument("--port", type=int, default=None, help="default PAICHAN_PORT or 8080; 0 picks a free one")
    p.add_argument("--database", default=None,
                   help=f"SQLAlchemy URL (default PAICHAN_DATABASE_URL or sqlite+aiosqlite:///{DEFAULT_DB})")
    p.add_argument("--speed", type=number(float, above=0, at_most=10_000), default=60.0, help="factory minutes per real minute (default 60)")
    p.add_argument("--tick", type=number(float, above=0, at_most=10_000), default=5.0, help="real seconds between simulator steps (default 5)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--first-plan", type=number(float, above=0, at_most=600), default=DEMO_FIRST_PLAN_SECONDS, metavar="SECONDS",
                   help=f"seconds for the first plan of a new demo factory (default {DEMO_FIRST_PLAN_SECONDS:g})")
    p.add_argument("--no-simulator", action="store_true", help="serve the demo data without the simulated shop floor")
    p.add_argument("--lang", type=lang_option, default=None, help="zh or en (default: PAICHAN_LANG or the locale)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=guarded(_demo))
