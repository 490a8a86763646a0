"""The inbox processor (P3, P9): group commit before the acknowledgement, one answer for a whole
failed batch, processing that never holds up storing, "processed" marks that survive a failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from telegram import Update

from bot.telegram.processor import UpdateProcessor
from tests.fakes import FakeUnitOfWork, FakeUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class FlakyInbox:
    """The real fake storage whose next ``fail_commits`` write commits fail (database down)."""

    def __init__(self, fail_commits: int = 0) -> None:
        self.store = FakeUnitOfWorkFactory()
        self.fail_commits = fail_commits
        self.failed = 0

    def __call__(self, *, write: bool = False) -> FakeUnitOfWork:
        uow = self.store(write=write)
        if write and self.fail_commits > 0:
            self.fail_commits -= 1

            async def commit() -> None:
                self.failed += 1
                raise OSError("disk I/O error")

            uow.commit = commit  # type: ignore[method-assign]
        return uow

    async def stored(self) -> list[int]:
        async with self.store() as uow:
            return [uid for uid, _ in await uow.inbox.unprocessed(limit=10_000)]


class GatedBot:
    """Stands in for PTB's Application: records processed update ids; processing waits at ``gate``."""

    def __init__(self) -> None:
        self.bot = None
        self.gate = asyncio.Event()
        self.gate.set()
        self.seen: list[int] = []
        self.started = asyncio.Event()

    async def process_update(self, update: Update) -> None:
        self.started.set()
        await self.gate.wait()
        self.seen.append(update.update_id)


def _update(uid: int, chat: int = 1) -> dict[str, Any]:
    return {"update_id": uid, "message": {"message_id": uid, "date": 0, "chat": {"id": chat, "type": "private"},
                                          "text": "/orders"}}


def _processor(inbox: FlakyInbox, bot: GatedBot | None = None, **kw: Any) -> UpdateProcessor:
    return UpdateProcessor(bot or GatedBot(), inbox, lambda: NOW, **kw)  # type: ignore[arg-type]


async def test_updates_arriving_together_are_committed_in_one_transaction_before_anyone_returns() -> None:
    inbox = FlakyInbox()
    proc = _processor(inbox)
    results = await asyncio.gather(*(proc.ingest(_update(i)) for i in range(1, 21)), proc.ingest(_update(3)))
    assert results == [True] * 20 + [False]  # the redelivery of 3 within the same batch is recognised
    assert proc.batches == 1 and inbox.store.commits == 1
    assert sorted(await inbox.stored()) == list(range(1, 21))


async def test_a_failed_batch_commit_fails_every_update_in_the_batch_and_stores_none() -> None:
    inbox = FlakyInbox(fail_commits=1)
    proc = _processor(inbox)
    results = await asyncio.gather(*(proc.ingest(_update(i)) for i in range(1, 9)), return_exceptions=True)
    assert inbox.failed == 1
    assert all(isinstance(r, OSError) for r in results)  # the webhook answers 503 to each of them
    assert await inbox.stored() == []
    # Telegram delivers them again: now stored, each once
    assert await asyncio.gather(*(proc.ingest(_update(i)) for i in range(1, 9))) == [True] * 8
    assert sorted(await inbox.stored()) == list(range(1, 9))


async def test_the_webhook_answers_503_to_every_request_waiting_on_failed_commits() -> None:
    """Through the aiohttp route: concurrent requests while the database fails each get a 503, none a 200."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web.app import BOT_APP, PROCESSOR, SECRET, webhook

    inbox = FlakyInbox(fail_commits=10**6)  # down
    proc = _processor(inbox)
    app = web.Application()
    app[BOT_APP] = object()
    app[SECRET] = "s"
    app[PROCESSOR] = proc
    app.router.add_post("/hook", webhook)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        async def post(uid: int) -> int:
            r = await client.post("/hook", json=_update(uid), headers={"X-Telegram-Bot-Api-Secret-Token": "s"})
            return r.status

        assert await asyncio.gather(*(post(uid) for uid in range(31, 43))) == [503] * 12
        assert inbox.failed >= 1 and await inbox.stored() == []
        inbox.fail_commits = 0  # back up: Telegram's retries are stored and processed once
        assert await asyncio.gather(*(post(uid) for uid in range(31, 43))) == [200] * 12
        await proc.idle()
    assert sorted(proc.app.seen) == list(range(31, 43))  # type: ignore[attr-defined]


async def test_storing_never_waits_for_processing() -> None:
    bot = GatedBot()
    bot.gate.clear()  # processing hangs (a slow solver, a slow Bot API)
    inbox = FlakyInbox()
    proc = _processor(inbox, bot, concurrency=2)
    assert await proc.ingest(_update(1))
    proc.schedule(_update(1))
    await bot.started.wait()
    for uid in range(2, 40):  # more than the processing concurrency, several chats
        assert await asyncio.wait_for(proc.ingest(_update(uid, chat=uid % 3)), timeout=5)
        proc.schedule(_update(uid, chat=uid % 3))
    assert bot.seen == []  # nothing processed yet, everything stored
    assert len(await inbox.stored()) == 39
    bot.gate.set()
    await proc.idle()
    assert sorted(bot.seen) == list(range(1, 40))
    assert await inbox.stored() == []


async def test_processed_marks_that_fail_are_written_later_and_the_update_is_not_processed_again() -> None:
    bot = GatedBot()
    inbox = FlakyInbox()
    proc = _processor(inbox, bot, mark_retry=0.05)
    assert await proc.ingest(_update(1))
    inbox.fail_commits = 1  # the transaction carrying the mark fails
    proc.schedule(_update(1))
    while inbox.failed == 0:
        await asyncio.sleep(0.01)
    assert await inbox.stored() == [1]  # not marked yet
    assert not await proc.ingest(_update(1))  # a redelivery meanwhile
    proc.schedule(_update(1))  # (the webhook would not even schedule it)
    for _ in range(100):
        if not await inbox.stored():
            break
        await asyncio.sleep(0.02)
    assert await inbox.stored() == []  # the retry marked it
    await proc.idle()
    assert bot.seen == [1]
