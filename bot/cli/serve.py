"""``paichan serve``: the server (Telegram webhook, health checks, scheduled jobs and the outbox relay).
``paichan bot --polling``: the bot without a public URL (long polling), for a developer.

The database (``PAICHAN_DATABASE_URL``) is migrated to the latest schema first. Without
``PAICHAN_TELEGRAM_TOKEN`` the server still starts and says that Telegram is off.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from aiohttp import web

from ..logs import configure as configure_logging
from ..settings import SettingsError, load_settings
from .options import number

__all__ = ["register"]


def run_serve(args: argparse.Namespace) -> int:
    from ..web.app import init_app

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"paichan serve: {exc}", file=sys.stderr)
        return 2
    configure_logging(args.verbose)
    host = args.host or settings.host
    port = args.port or settings.port
    if not settings.telegram_token:
        print("paichan serve: Telegram is OFF (PAICHAN_TELEGRAM_TOKEN is not set); serving the rest.",
              file=sys.stderr, flush=True)
    else:
        print(f"paichan serve: Telegram is ON, webhook at POST http://{host}:{port}/telegram/webhook",
              file=sys.stderr, flush=True)
    from jobs.config import ConfigError

    from ..jobs_wiring import jobs_context
    from .notify import notify_config

    try:
        config = notify_config(settings)
    except ConfigError as exc:
        print(f"paichan serve: {exc}", file=sys.stderr)
        return 2
    app = init_app(settings, send_rate=args.send_rate, chat_workers=args.chat_workers,
                   job_contexts=[jobs_context(settings.database_url, config)])
    web.run_app(app, host=host, port=port, print=lambda msg: print(msg, file=sys.stderr, flush=True),
                access_log=None, shutdown_timeout=10)
    return 0


def run_polling(args: argparse.Namespace) -> int:
    if not args.polling:
        print("paichan bot: only --polling is supported here; `paichan serve` runs the webhook", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"paichan bot: {exc}", file=sys.stderr)
        return 2
    if not settings.telegram_token:
        print("paichan bot: PAICHAN_TELEGRAM_TOKEN is not set, so there is no bot to run.", file=sys.stderr)
        return 2
    configure_logging(args.verbose)
    return asyncio.run(_polling(settings, args.send_rate))


async def _polling(settings: Any, send_rate: float) -> int:
    from handlers.context import ChatDeps
    from handlers.router import ChatRouter

    from ..telegram.app import build_application, set_default_commands
    from ..telegram.processor import UpdateProcessor, poll
    from ..wiring import open_services

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with open_services(settings, migrate=True, planner_processes=2) as svc:
        router = ChatRouter(ChatDeps.make(svc, bot_name=settings.telegram_bot_name))
        ptb = build_application(settings.telegram_token, settings.telegram_base_url, router, send_rate=send_rate)
        await ptb.initialize()
        processor = UpdateProcessor(ptb, svc.uow, svc.clock)
        try:
            await set_default_commands(ptb.bot)
            await processor.recover()
            print("paichan bot: polling Telegram; Ctrl-C stops.", file=sys.stderr, flush=True)
            polling = asyncio.create_task(poll(processor, stop=stop))
            await stop.wait()
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        finally:
            await processor.close()
            await ptb.shutdown()
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="run the server: Telegram webhook and health checks",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=None, help="default PAICHAN_HOST or 127.0.0.1")
    p.add_argument("--port", type=int, default=None, help="default PAICHAN_PORT or 8080")
    p.add_argument("--send-rate", type=float, default=30.0,
                   help="messages per second to Telegram in all (its limit is 30; 0: unlimited, for a fake Bot API)")
    p.add_argument("--chat-workers", type=number(int, at_least=0, at_most=32), default=1,
                   help="worker processes for Telegram updates (default 1; 0: in the server process)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=run_serve)
    b = subparsers.add_parser("bot", help="run the bot with long polling (no public URL needed)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("--polling", action="store_true", help="fetch updates with getUpdates")
    b.add_argument("--send-rate", type=float, default=30.0)
    b.add_argument("-v", "--verbose", action="store_true")
    b.set_defaults(func=run_polling)
