"""``init_app``: the aiohttp application factory (no import-time effects; typed ``web.AppKey``s;
everything long-lived opened and closed by ``cleanup_ctx``).

Start-up order: services (database, migrated) -> Telegram (PTB application, menus, webhook,
recovery of stored updates) -> the scheduled jobs (contexts passed in by the caller: the
composition root wires ``jobs.registry`` there). Shutdown runs in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from handlers.context import ChatDeps
from handlers.router import ChatRouter
from scheduler_core.services.context import Services
from scheduler_core.services.ports import UnitOfWorkFactory

from ..settings import Settings
from ..startup import freeze_startup_objects
from ..telegram.app import PaichanApp, build_application, set_default_commands
from ..telegram.processor import BatchWriter, UpdateProcessor
from ..telegram.workers import WorkerConfig, WorkerPool
from ..wiring import open_services, system_clock
from .api import setup_api
from .ui import setup_web

if TYPE_CHECKING:
    from db.uow import SqlUnitOfWorkFactory

__all__ = ["BOT_APP", "JOB_CONTEXTS", "MAX_BODY", "PROCESSOR", "SERVICES", "SETTINGS", "WEBHOOK_PATH", "init_app"]

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
INBOX = web.AppKey("inbox", UnitOfWorkFactory)
INBOX_WRITER = web.AppKey("inbox_writer", object)  # SQLite: the inbox's batches in a thread of their own
BOT_APP = web.AppKey("bot_app", object)  # the PTB Application, or None when Telegram is off
PROCESSOR = web.AppKey("processor", UpdateProcessor)
SECRET = web.AppKey("webhook_secret", str)
JOB_CONTEXTS = web.AppKey("job_contexts", tuple)

CleanupCtx = Callable[[web.Application], contextlib.AbstractAsyncContextManager[None] | AsyncIterator[None]]


def init_app(
    settings: Settings,
    *,
    services: Services | None = None,
    clock: Callable[[], datetime] = system_clock,
    send_rate: float = 30.0,
    chat_workers: int = 0,
    job_contexts: Sequence[Callable[[web.Application], AsyncIterator[None]]] = (),
) -> web.Application:
    """The server. ``services``: use these (tests: fake storage, frozen clock) instead of opening
    the configured database. ``chat_workers``: process Telegram updates in that many worker
    processes (``bot.telegram.workers``; needs the configured database and a picklable
    ``clock``), 0: in this process. ``job_contexts``: cleanup contexts started after Telegram is
    up, e.g. the scheduled jobs (``app[SERVICES]`` and ``app[BOT_APP]`` are available to them)."""
    if chat_workers and services is not None:
        raise ValueError("chat worker processes open the configured database; they cannot use given services")
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[JOB_CONTEXTS] = tuple(job_contexts)

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        if services is not None:
            app[SERVICES] = services
            app[INBOX] = services.uow
            yield
            return
        async with open_services(settings, migrate=True, clock=clock, planner_processes=2) as svc:
            app[SERVICES] = svc
            inbox = await _inbox_uow(settings)
            app[INBOX] = inbox
            from db.inbox import SqliteBatchWriter, adopt_main_inbox, separate_inbox

            writer: SqliteBatchWriter | None = None
            if separate_inbox(settings.database_url):
                await adopt_main_inbox(svc.uow, inbox, svc.clock)  # left by a version with the inbox inside
                writer = SqliteBatchWriter(settings.database_url)
                app[INBOX_WRITER] = writer
            try:
                yield
            finally:
                if writer is not None:
                    writer.close()
                await inbox.dispose()

    app.cleanup_ctx.append(services_ctx)
    app.cleanup_ctx.append(_telegram_ctx(send_rate, chat_workers, clock))
    # JOBS HOOK: the scheduled jobs and the outbox relay start here, after the database and the
    # bot exist (the composition root passes jobs.registry's cleanup context in ``job_contexts``).
    app.cleanup_ctx.extend(job_contexts)

    app.on_startup.append(_freeze_startup_objects)  # runs after every cleanup context has started
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post(WEBHOOK_PATH, webhook)
    setup_web(app, settings.secret_key, settings.lang)  # the web app: pages, sessions, static files
    setup_api(app, SERVICES)  # REST API, OpenAPI document and docs page under /api
    return app


async def _freeze_startup_objects(app: web.Application) -> None:
    freeze_startup_objects()


async def _inbox_uow(settings: Settings) -> SqlUnitOfWorkFactory:
    """A connection pool of its own for the webhook's inbox writes: acknowledging an update never
    waits behind the chat flows' queries for a pooled connection; on SQLite a database file of
    its own, so it never waits for another transaction's write lock either (``db.inbox``)."""
    from db.inbox import open_inbox

    return await open_inbox(settings.database_url)


def _telegram_ctx(send_rate: float, chat_workers: int, clock: Callable[[], datetime]
                  ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def telegram_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        svc = app[SERVICES]
        if not settings.telegram_token:
            # the commands say so when they start (paichan serve, paichan demo)
            log.info("Telegram is OFF: PAICHAN_TELEGRAM_TOKEN is not set. The server runs without the bot; "
                        "%s answers 503.", WEBHOOK_PATH)
            app[BOT_APP] = None
            yield
            return
        router = ChatRouter(ChatDeps.make(svc, bot_name=settings.telegram_bot_name))
        ptb: PaichanApp = build_application(settings.telegram_token, settings.telegram_base_url, router,
                                            send_rate=send_rate)
        await ptb.initialize()
        secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        app[SECRET] = secret
        pool: WorkerPool | None = None
        if chat_workers:
            pool = WorkerPool(WorkerConfig(settings, clock, send_rate / chat_workers), chat_workers)
            await pool.start()
            log.info("Telegram updates are processed in %d worker process(es): pid %s", chat_workers,
                     ", ".join(map(str, pool.pids())))
        processor = UpdateProcessor(None if pool else ptb, app[INBOX], svc.clock, workers=pool,
                                    batch_writer=cast("BatchWriter | None", app.get(INBOX_WRITER)))
        app[BOT_APP] = ptb
        app[PROCESSOR] = processor
        try:
            await set_default_commands(ptb.bot)
        except Exception:  # the menu is a convenience; the bot works without it
            log.exception("setMyCommands failed")
        if settings.telegram_webhook_url:
            await ptb.bot.set_webhook(settings.telegram_webhook_url, secret_token=secret, max_connections=40,
                                      allowed_updates=["message", "callback_query"])
            log.info("Telegram webhook set to %s", settings.telegram_webhook_url)
        else:
            log.info("Telegram is ON; no PAICHAN_TELEGRAM_WEBHOOK_URL, so no setWebhook call "
                     "(use `paichan bot --polling` without a public URL)")
        recovery = asyncio.create_task(processor.recover(), name="inbox-recovery")
        pruning = asyncio.create_task(_prune_hourly(processor), name="inbox-pruning")
        try:
            yield
        finally:
            for task in (recovery, pruning):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await processor.close()
            if pool is not None:
                await pool.close()
            await ptb.shutdown()

    return telegram_ctx


async def _prune_hourly(processor: UpdateProcessor, keep: timedelta = timedelta(days=7)) -> None:
    """Processed updates older than ``keep`` are deleted (the inbox may be a database of its own,
    which the housekeeping job does not see)."""
    while True:
        try:
            await processor.prune(processor.clock() - keep)
        except Exception:  # the next hour tries again; the webhook is unaffected
            log.exception("pruning the inbox failed")
        await asyncio.sleep(3600)


# --- routes -----------------------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    telegram = app.get(BOT_APP) is not None
    try:
        async with app[SERVICES].uow() as uow:
            await uow.master.timezone()
    except Exception as exc:  # the answer IS the error: not ready
        return web.json_response({"status": "database unavailable", "error": type(exc).__name__,
                                  "telegram": telegram}, status=503)
    return web.json_response({"status": "ready", "telegram": telegram})


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


async def webhook(request: web.Request) -> web.Response:
    """Telegram's POST: secret checked in constant time, body capped, the update stored and
    committed BEFORE the 200 (503 when the database fails, so Telegram retries), then processed."""
    app = request.app
    if app.get(BOT_APP) is None:
        return _text(503, "telegram is off")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), app[SECRET].encode()):
        return _text(401, "bad secret token")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _text(413, "too large")
    try:
        body = await request.content.read(MAX_BODY + 1)
    except (ConnectionError, asyncio.IncompleteReadError):
        return _text(400, "incomplete body")
    if len(body) > MAX_BODY:
        return _text(413, "too large")
    payload = _parse(body)
    if payload is None:
        return _text(400, "not a Telegram update")
    processor = app[PROCESSOR]
    try:
        added = await processor.ingest(payload)
    except Exception:  # database down: not acknowledged, Telegram delivers it again
        log.exception("could not store update %s", payload.get("update_id"))
        return _text(503, "database unavailable")
    if added:
        processor.schedule(payload)
    return _text(200, "ok")


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    uid = payload.get("update_id")
    if not isinstance(uid, int) or isinstance(uid, bool) or not 0 <= uid < 2**63:
        return None
    return payload
