"""The inbox between Telegram and the chat flows (P3: no acknowledged update is lost, none is
processed twice).

``ingest`` stores the raw update under its UNIQUE ``update_id`` and commits; only then does the
webhook answer 200 (a redelivery finds the row and is not processed again). ``schedule`` then
processes it and marks it processed: in this process, or (``workers``) in the chat worker
processes of ``workers.py``. Updates of one chat are processed one at a time, in arrival order;
different chats in parallel, at most ``concurrency`` at once (per process). On start-up
``recover`` processes what a previous process stored but did not finish (a crash after the 200).

Storing is a group commit kept apart from processing (P9): one writer task takes everything
that arrived meanwhile (and the pending "processed" marks) into one transaction, through a
``BatchWriter`` in a thread of its own when there is one (SQLite), else the unit of work.
Processing never holds a transaction the acknowledgement waits for.

What remains: a crash after an update's effects and before its row is marked processed makes it
run again after the restart (the window is one batch commit; a mark that fails is retried
while the process lives); Telegram itself has no idempotency key for sends, so exactly-once to
a person is impossible anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import Application

from scheduler_core.services.ports import UnitOfWorkFactory

from .workers import ChatLanes, WorkerPool

__all__ = ["UpdateProcessor", "poll"]

log = logging.getLogger(__name__)

MAX_BATCH = 256
"""Updates (and, separately, processed marks) written in one inbox transaction at most."""
BatchWriter = Callable[[Sequence[tuple[int, dict[str, Any]]], Sequence[int], datetime], list[bool]]
"""``(updates, marks, now) -> stored?`` per update: one inbox transaction, synchronously (run in
a thread of its own); e.g. :class:`db.inbox.SqliteBatchWriter`. Without one, the unit of work is used."""
CLOSE_GRACE_S = 8.0
"""On shutdown, updates being processed get this long to finish (the server's own shutdown
timeout is 10 s)."""
MARK_RETRY_S = 1.0
"""After a failed inbox transaction, processed marks are written again this much later."""


class UpdateProcessor:
    """Stores, processes and marks Telegram updates. One per process."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any] | None, inbox: UnitOfWorkFactory,
                 clock: Callable[[], datetime], *, concurrency: int = 12, mark_retry: float = MARK_RETRY_S,
                 batch_writer: BatchWriter | None = None, workers: WorkerPool | None = None) -> None:
        """``app``: the PTB application that processes updates here; None with ``workers``
        (a pool whose ``on_done`` is :meth:`finished`)."""
        if (app is None) == (workers is None):
            raise ValueError("updates are processed here (app) or by worker processes (workers), one of them")
        self.app = app
        self.workers = workers
        if workers is not None:
            workers.on_done, workers.on_failed = self.finished, self.failed
        self.mark_retry = mark_retry
        self.batch_writer = batch_writer
        self._writer_thread = (ThreadPoolExecutor(1, thread_name_prefix="inbox-writer")
                               if batch_writer is not None else None)
        self.inbox = inbox
        self.clock = clock
        self._lanes = ChatLanes(self._process, concurrency=concurrency)
        self._inflight: set[int] = set()
        self._done: list[int] = []
        self._incoming: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._marks_retry: asyncio.TimerHandle | None = None
        self.processed = 0
        self.batches = 0  # inbox transactions committed

    # --- receiving -----------------------------------------------------------------------------------
    async def ingest(self, payload: dict[str, Any]) -> bool:
        """Store ``payload`` durably. True: new; False: a redelivery. Raises when the database fails.

        Group commit: updates arriving while a write is in progress are stored together in the
        next transaction (with the pending "processed" marks), so SQLite's single writer is
        asked once per batch instead of once per update, and every caller still returns only
        after ITS row is committed."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._incoming.append((payload, future))
        self._wake_writer()
        return await future

    def _wake_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(), name="inbox-writer")

    def _retry_marks_later(self) -> None:
        def wake() -> None:
            self._marks_retry = None
            self._wake_writer()

        if self._marks_retry is None:
            self._marks_retry = asyncio.get_running_loop().call_later(self.mark_retry, wake)

    async def _write_loop(self) -> None:
        while self._incoming or (self._done and self._marks_retry is None):
            batch, self._incoming = self._incoming[:MAX_BATCH], self._incoming[MAX_BATCH:]
            marks: list[int] = []
            if self._marks_retry is None:
                marks, self._done = self._done[:MAX_BATCH], self._done[MAX_BATCH:]
            try:
                added = await self._write(batch, marks)
            except Exception as exc:  # every webhook waiting on this batch answers 503; marks are retried
                log.exception("could not store %d updates / mark %d processed", len(batch), len(marks))
                if marks:
                    self._done[:0] = marks
                    self._retry_marks_later()
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._inflight.difference_update(marks)
            self.batches += 1
            for (_, future), was_added in zip(batch, added, strict=True):
                if not future.done():
                    future.set_result(was_added)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]], marks: list[int]) -> list[bool]:
        now = self.clock()
        updates = [(int(p["update_id"]), p) for p, _ in batch]
        if self.batch_writer is not None and self._writer_thread is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer_thread, self.batch_writer, updates, marks, now)
        async with self.inbox(write=True) as uow:
            added = await uow.inbox.add_many(updates, now)
            await uow.inbox.mark_many(marks, now)
            await uow.commit()
        return added

    def schedule(self, payload: dict[str, Any]) -> None:
        """Process a stored update in the background (the caller has answered already)."""
        update_id = int(payload["update_id"])
        if update_id in self._inflight:
            return
        self._inflight.add(update_id)
        if self.workers is not None:
            self.workers.submit(update_id, payload)
        else:
            self._lanes.start(update_id, payload)

    async def recover(self, batch: int = 200) -> int:
        """Process every stored, unprocessed update (oldest first); returns how many were started."""
        started = 0
        while True:
            async with self.inbox() as uow:
                rows = await uow.inbox.unprocessed(limit=batch)
            fresh = [(uid, p) for uid, p in rows if uid not in self._inflight]
            for _uid, payload in fresh:
                self.schedule(payload)
                started += 1
            if len(rows) < batch or not fresh:
                break
            await self.idle()
        if started:
            log.info("recovered %d stored updates", started)
        return started

    async def prune(self, before: datetime) -> int:
        """Delete processed updates received before ``before``."""
        async with self.inbox(write=True) as uow:
            pruned = await uow.inbox.prune(before)
            await uow.commit()
        return pruned

    # --- processing ------------------------------------------------------------------------------------
    async def _process(self, update_id: int, payload: dict[str, Any]) -> None:
        assert self.app is not None
        try:
            update = Update.de_json(payload, self.app.bot)
        except (KeyError, TypeError, ValueError):
            log.warning("update %s is not a Telegram update; skipped", update_id)
            update = None
        if update is not None:
            await self.app.process_update(update)  # handler errors go to the error handler
        self.finished(update_id)

    def finished(self, update_id: int) -> None:
        """``update_id`` is processed: marked in the next inbox transaction."""
        self.processed += 1
        self._done.append(update_id)
        self._wake_writer()

    def failed(self, update_id: int) -> None:
        """Processing ``update_id`` failed outside the flows' error handling: it stays unmarked
        (the next start processes it again) and may be scheduled again meanwhile."""
        self._inflight.discard(update_id)

    async def flush(self) -> None:
        """Wait until every processed update is marked (or the marking failed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})
        if self._done:
            self._wake_writer()
            assert self._writer is not None
            await asyncio.wait({self._writer})

    async def idle(self) -> None:
        """Wait until every started update is processed and marked."""
        await self._lanes.idle()
        if self.workers is not None:
            await self.workers.drained()
        await self.flush()

    async def close(self, grace: float = CLOSE_GRACE_S) -> None:
        """Finish what is being processed, for at most ``grace`` seconds; what is left stays
        unmarked in the inbox and the next process's :meth:`recover` processes it."""
        try:
            await asyncio.wait_for(self.idle(), grace)
        except TimeoutError:
            log.warning("stopping with updates still being processed; the next start processes them")
            await self.flush()
        if self._marks_retry is not None:  # left for the next process's recovery
            self._marks_retry.cancel()
            self._marks_retry = None
        if self._writer_thread is not None:
            self._writer_thread.shutdown(wait=True)


async def poll(processor: UpdateProcessor, *, timeout: int = 30, stop: asyncio.Event | None = None) -> None:
    """``getUpdates`` long polling through the same inbox (for a developer without a public URL)."""
    assert processor.app is not None, "polling processes updates in this process"
    bot = processor.app.bot
    await bot.delete_webhook(drop_pending_updates=False)
    offset: int | None = None
    stop = stop or asyncio.Event()
    while not stop.is_set():
        updates = await bot.get_updates(offset=offset, timeout=timeout, allowed_updates=["message", "callback_query"])
        for update in updates:
            payload = update.to_dict()
            if await processor.ingest(payload):
                processor.schedule(payload)
            offset = update.update_id + 1
