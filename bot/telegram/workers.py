"""Chat updates processed in worker processes, so the webhook's acknowledgements never wait for
them (P9).

The server process stores every update in the inbox and answers 200 (``processor.py``); it
then hands the update to one of ``n`` worker processes, chosen by the update's chat, so the
updates of one chat are always processed by the same worker, one at a time and in order (the
chat's conversation state and its buttons live in that worker). A worker runs the same
python-telegram-bot application and chat router as the in-process mode, on its own database
connections and planner process, and answers ``done`` per update; only then does the server
mark the update processed. Everything the server and a worker say to each other goes over a
socket pair as one JSON object per line.

A worker that dies is started again and gets the updates it had not finished (processed again
when it died after their effects: the same window as a server crash, see ``processor.py``).
A Python process runs Python code on one core at a time: the acknowledgements, the chat flows
and the solver each get a process of their own. Stopping: the server sends SIGTERM (the worker
stops where it is; what it did not finish stays unmarked for the next start); a worker whose
socket closes without that (the server was killed) stops at once, as nobody could mark its work.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import os
import pickle
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..startup import freeze_startup_objects

__all__ = ["ChatLanes", "WorkerConfig", "WorkerPool", "chat_of"]

log = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0
"""A worker that died is started again this much later (so a crash loop does not spin)."""
START_TIMEOUT_S = 120.0
"""A worker that is not ready this long after its start (database, bot) is a failed start."""
STOP_GRACE_S = 10.0
"""On shutdown a worker finishes what it has within this time, then it is killed."""


class ChatLanes:
    """Runs ``process(update_id, payload)`` for each update: one chat's updates one at a time in
    arrival order, different chats in parallel, at most ``concurrency`` at once. Used by the
    in-process mode and by every worker."""

    def __init__(self, process: Callable[[int, dict[str, Any]], Awaitable[None]], *, concurrency: int = 12) -> None:
        self._process = process
        self._gate = asyncio.Semaphore(concurrency)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, update_id: int, payload: dict[str, Any]) -> None:
        task = asyncio.create_task(self._run(update_id, payload), name=f"update-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, update_id: int, payload: dict[str, Any]) -> None:
        chat = chat_of(payload)
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock, self._gate:
                await self._process(update_id, payload)
        finally:
            lock, users = self._chats[chat]
            if users <= 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        """Stop every update where it is (its transaction rolls back)."""
        for task in list(self._tasks):
            task.cancel()
        await self.idle()


def chat_of(payload: dict[str, Any]) -> int:
    """The chat an update belongs to (0 when it has none), for per-chat ordering."""
    for key in ("message", "edited_message", "callback_query", "my_chat_member", "chat_member"):
        part = payload.get(key)
        if not isinstance(part, dict):
            continue
        if key == "callback_query":
            msg = part.get("message")
            chat = msg.get("chat") if isinstance(msg, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
            sender = part.get("from")
            return int(sender["id"]) if isinstance(sender, dict) and isinstance(sender.get("id"), int) else 0
        chat = part.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return 0


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker process needs (pickled to it): the settings, the clock, its share of the
    Bot API send rate and how many updates it processes at once."""

    settings: Any  # bot.settings.Settings
    clock: Callable[[], datetime]
    send_rate: float
    concurrency: int = 12


class _Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.process: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[int, dict[str, Any]] = {}  # sent, not done yet (in order)
        self.reader_task: asyncio.Task[None] | None = None


class WorkerPool:
    """``n`` worker processes; ``submit`` hands an update to its chat's worker; ``on_done(update_id)``
    is called when the worker has processed it, ``on_failed(update_id)`` when processing raised
    outside the flows' own error handling (it stays unmarked, as in the in-process mode)."""

    def __init__(self, config: WorkerConfig, n: int) -> None:
        if n < 1:
            raise ValueError("at least one worker")
        self.config = config
        self.on_done: Callable[[int], None] = lambda update_id: None
        self.on_failed: Callable[[int], None] = lambda update_id: None
        self._workers = [_Worker(i) for i in range(n)]
        self._closing = False
        self._drained = asyncio.Event()
        self._drained.set()

    @property
    def pending(self) -> int:
        return sum(len(w.pending) for w in self._workers)

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process is not None]

    async def start(self) -> None:
        for worker in self._workers:
            await self._spawn(worker)

    async def _spawn(self, worker: _Worker) -> None:
        ours, theirs = socket.socketpair()
        blob = base64.b64encode(pickle.dumps(self.config)).decode()
        env = {**os.environ, "PAICHAN_CHAT_WORKER_CONFIG": blob}
        try:
            worker.process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "import sys; from bot.telegram.workers import main; sys.exit(main())", "--fd", str(theirs.fileno()), "--index", str(worker.index),
                pass_fds=(theirs.fileno(),), stdin=asyncio.subprocess.DEVNULL, env=env)
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        try:  # ready means: database open, bot initialised; only then does the server say it is ready
            hello = await asyncio.wait_for(reader.readline(), START_TIMEOUT_S)
            if "ready" not in json.loads(hello or b"{}"):
                raise RuntimeError(f"chat worker {worker.index} did not start: {hello[:200]!r}")
        except BaseException:
            writer.close()
            if worker.process.returncode is None:
                worker.process.kill()
            await worker.process.wait()
            raise
        worker.writer = writer
        worker.reader_task = asyncio.create_task(self._read(worker, reader), name=f"chat-worker-{worker.index}")
        for update_id, payload in worker.pending.items():  # what a dead predecessor had not finished
            self._send(worker, update_id, payload)

    def submit(self, update_id: int, payload: dict[str, Any]) -> None:
        worker = self._workers[chat_of(payload) % len(self._workers)]
        worker.pending[update_id] = payload
        self._drained.clear()
        self._send(worker, update_id, payload)

    def _send(self, worker: _Worker, update_id: int, payload: dict[str, Any]) -> None:
        if worker.writer is None or worker.writer.is_closing():
            return  # sent when the worker is started again
        worker.writer.write(json.dumps({"update_id": update_id, "payload": payload}).encode() + b"\n")

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except (ConnectionError, ValueError):
                line = b""
            if not line:
                break
            try:
                said = json.loads(line)
                ok = "done" in said
                update_id = int(said["done"] if ok else said["failed"])
            except (ValueError, KeyError, TypeError):
                log.error("chat worker %d said something unexpected: %r", worker.index, line[:200])
                continue
            if worker.pending.pop(update_id, None) is not None:
                (self.on_done if ok else self.on_failed)(update_id)
            if not self.pending:
                self._drained.set()
        await self._ended(worker)

    async def _ended(self, worker: _Worker) -> None:
        if worker.writer is not None:
            worker.writer.close()
            worker.writer = None
        process = worker.process
        code = await process.wait() if process is not None else None
        if self._closing:
            return
        log.error("chat worker %d (pid %s) ended with %s; starting it again with %d unfinished updates",
                  worker.index, process.pid if process else None, code, len(worker.pending))
        while not self._closing:
            await asyncio.sleep(RESTART_DELAY_S)
            try:
                await self._spawn(worker)
                return
            except Exception:
                log.exception("chat worker %d could not be started again; trying once more", worker.index)

    async def drained(self) -> None:
        """Wait until every submitted update is done."""
        await self._drained.wait()

    async def close(self) -> None:
        """Stop the workers: SIGTERM (a worker stops where it is, its running updates' transactions
        roll back, and it closes its database and planner), SIGKILL after :data:`STOP_GRACE_S`. What a worker
        did not finish stays unmarked in the inbox for the next start (``UpdateProcessor.close``
        waited for it already)."""
        self._closing = True
        for worker in self._workers:
            if worker.process is not None and worker.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.terminate()
        for worker in self._workers:
            process = worker.process
            if process is None:
                continue
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            except TimeoutError:
                log.warning("chat worker %d did not stop in %g s; killed", worker.index, STOP_GRACE_S)
                process.kill()
                await process.wait()
            if worker.writer is not None:
                worker.writer.close()
            if worker.reader_task is not None:
                worker.reader_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker.reader_task


# --- the worker process ----------------------------------------------------------------------------


async def _serve(config: WorkerConfig, sock: socket.socket, index: int) -> None:
    from telegram import Update

    from handlers.context import ChatDeps
    from handlers.router import ChatRouter

    from ..wiring import open_services
    from .app import build_application

    settings = config.settings
    async with open_services(settings, migrate=False, clock=config.clock, planner_processes=1) as svc:
        router = ChatRouter(ChatDeps.make(svc, bot_name=settings.telegram_bot_name))
        ptb = build_application(settings.telegram_token, settings.telegram_base_url, router, send_rate=config.send_rate)
        await ptb.initialize()
        reader, writer = await asyncio.open_unix_connection(sock=sock)

        async def process(update_id: int, payload: dict[str, Any]) -> None:
            try:
                try:
                    update = Update.de_json(payload, ptb.bot)
                except (KeyError, TypeError, ValueError):
                    log.warning("update %s is not a Telegram update; skipped", update_id)
                    update = None
                if update is not None:
                    await ptb.process_update(update)  # handler errors go to the error handler
            except Exception:
                log.exception("update %s failed", update_id)
                writer.write(json.dumps({"failed": update_id}).encode() + b"\n")
                return
            writer.write(json.dumps({"done": update_id}).encode() + b"\n")

        lanes = ChatLanes(process, concurrency=config.concurrency)
        freeze_startup_objects()  # as the server does (bot.web.app)
        writer.write(json.dumps({"ready": os.getpid()}).encode() + b"\n")
        log.info("chat worker %d ready (pid %d)", index, os.getpid())
        try:
            while line := await reader.readline():
                message = json.loads(line)
                lanes.start(int(message["update_id"]), message["payload"])
            # the socket closed: the server is gone (a clean stop sends SIGTERM instead). Nobody
            # could mark what we finish now, and the next server processes it: stop here.
            log.error("chat worker %d: the server went away; stopping", index)
        finally:  # also on SIGTERM: running updates end here, unmarked, for the next start
            await lanes.cancel()
            writer.close()
            await ptb.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="paichan chat worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--index", type=int, default=0)
    args = parser.parse_args(argv)
    from ..logs import configure

    configure()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us in order
    config = pickle.loads(base64.b64decode(os.environ.pop("PAICHAN_CHAT_WORKER_CONFIG")))
    sock = socket.socket(fileno=args.fd)

    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await _serve(config, sock, args.index)

    asyncio.run(run())
    return 0

