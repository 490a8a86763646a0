"""``paichan notify`` and ``paichan jobs``: channels, the outbox relay and the scheduled jobs.

* ``paichan notify test CHANNEL [--to ADDRESS]`` sends a test message through a configured
  channel (telegram: a chat id; email: an address; wecom / dingtalk / feishu: a robot name,
  default the first configured);
* ``paichan notify relay [--once]`` delivers the outbox (``--once``: what is due now, then exit);
* ``paichan jobs run NAME [--date D]`` runs one job body now (delay_watch, surveys,
  daily_summary, housekeeping); a period that ran already does nothing;
* ``paichan jobs serve`` runs the scheduler and the relay until stopped (one per database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from jobs.config import ConfigError, JobSettings, NotifyConfig, load_config
from jobs.registry import JOBS, acquire_scheduler_lock, build_scheduler, run_job
from jobs.relay import build_channels, relay_from_config
from scheduler_core.reports.i18n import translator
from scheduler_core.reports.notify import render_notification

from ..settings import Settings, SettingsError, load_settings
from ..wiring import open_services, system_clock

__all__ = ["job_settings", "notify_config", "register"]


def job_settings(settings: Settings) -> JobSettings:
    return JobSettings(timezone=settings.timezone, quiet_hours=settings.quiet_hours,
                       survey_delay=settings.survey_delay, summary_time=settings.summary_time,
                       deep_plan_time=settings.deep_plan_time, deep_plan_seconds=settings.deep_plan_seconds,
                       telegram_token=settings.telegram_token, telegram_base_url=settings.telegram_base_url)


def notify_config(settings: Settings) -> NotifyConfig:
    """The notification config named by PAICHAN_NOTIFY_CONFIG, with the settings' values."""
    return load_config(settings.notify_config, settings.env, job_settings(settings))


def register(subparsers: Any) -> None:
    n = subparsers.add_parser("notify", help="notification channels and the outbox relay", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = n.add_subparsers(dest="notify", required=True, metavar="WHAT")
    t = sub.add_parser("test", help="send a test message through a configured channel")
    t.add_argument("channel", choices=["telegram", "email", "wecom", "dingtalk", "feishu"])
    t.add_argument("--to", help="chat id, e-mail address or robot name")
    t.add_argument("--lang", choices=["zh_Hans", "en"], default="zh_Hans")
    t.set_defaults(func=_run_test)
    r = sub.add_parser("relay", help="deliver the outbox")
    r.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    r.add_argument("--now", type=datetime.fromisoformat, help=argparse.SUPPRESS)  # tests: the clock starts here
    r.set_defaults(func=_run_relay)
    j = subparsers.add_parser("jobs", help="scheduled jobs", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    jsub = j.add_subparsers(dest="jobs", required=True, metavar="WHAT")
    jr = jsub.add_parser("run", help="run one job body now")
    jr.add_argument("name", choices=sorted(JOBS))
    jr.add_argument("--date", type=date.fromisoformat, help="daily_summary: the day (default today)")
    jr.set_defaults(func=_run_job)
    js = jsub.add_parser("serve", help="run the scheduler and the relay until stopped")
    js.set_defaults(func=_serve)


def _load(env: Mapping[str, str] | None = None) -> tuple[Settings, NotifyConfig] | None:
    try:
        settings = load_settings(env)
        return settings, notify_config(settings)
    except (SettingsError, ConfigError) as exc:
        print(f"paichan: {exc}", file=sys.stderr)
        return None


def _run_test(args: argparse.Namespace) -> int:
    loaded = _load()
    if loaded is None:
        return 2
    _, config = loaded
    channels = build_channels(config)
    channel = channels.get(args.channel)
    if channel is None:
        print(f"paichan: channel {args.channel} is not configured (see PAICHAN_NOTIFY_CONFIG)", file=sys.stderr)
        return 2
    to = args.to
    if args.channel in ("wecom", "dingtalk", "feishu"):
        names = [r.name for r in config.robots if r.kind == args.channel]
        to = f"{args.channel}:{to or names[0]}"
    if not to:
        print("paichan: --to is required for this channel", file=sys.stderr)
        return 2
    message = render_notification("test", {"channel": args.channel}, translator(args.lang))

    async def send() -> None:
        try:
            await channel.send(to, message)
        finally:
            await channel.close()

    try:
        asyncio.run(send())
    except Exception as exc:  # the CLI boundary: say what went wrong
        print(f"paichan: {args.channel}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"sent a test message to {to}")
    return 0


def _run_relay(args: argparse.Namespace) -> int:
    loaded = _load()
    if loaded is None:
        return 2
    settings, config = loaded

    clock = system_clock
    if args.now is not None:
        offset: timedelta = args.now - system_clock()

        def clock() -> datetime:
            return system_clock() + offset

    async def main() -> None:
        async with open_services(settings, clock=clock) as svc:
            relay = relay_from_config(svc, config)
            if args.once:
                stats = await relay.drain()
                await relay.close()
                print(f"sent {stats.sent}, retries {stats.retries}, dead {stats.dead}, deferred {stats.deferred}")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await relay.run(stop)

    asyncio.run(main())
    return 0


def _run_job(args: argparse.Namespace) -> int:
    loaded = _load()
    if loaded is None:
        return 2
    settings, config = loaded

    async def main() -> Any:
        async with open_services(settings) as svc:
            kw = {"day": args.date} if args.name == "daily_summary" and args.date else {}
            return await run_job(args.name, svc, config, **kw)

    result = asyncio.run(main())
    print(result if result is not None else f"{args.name}: this period ran already; nothing done")
    return 0


def _serve(args: argparse.Namespace) -> int:
    loaded = _load()
    if loaded is None:
        return 2
    settings, config = loaded

    async def main() -> int:
        from db.engine import create_engine

        engine = create_engine(settings.database_url)
        lock = await acquire_scheduler_lock(engine)
        if lock is None:
            print("paichan: another scheduler runs on this database; not starting a second one", file=sys.stderr)
            await engine.dispose()
            return 1
        try:
            async with open_services(settings) as svc:
                relay = relay_from_config(svc, config)
                scheduler = build_scheduler(svc, relay, config)
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
                scheduler.start()
                print("scheduler and relay running; Ctrl-C stops", file=sys.stderr)
                await stop.wait()
                await scheduler.stop()
                with contextlib.suppress(Exception):
                    await relay.close()
        finally:
            await lock.release()
            await engine.dispose()
        return 0

    return asyncio.run(main())
