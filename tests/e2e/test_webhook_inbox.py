"""P3: no acknowledged update is lost and none is processed twice; the webhook's guards."""

from __future__ import annotations

import asyncio
import json

from bot.web.app import MAX_BODY
from tests.e2e.conftest import TG, Chat, message_update


async def _inbox_state(chat: Chat) -> tuple[int, int]:
    async with chat.shop.svc.uow() as uow:
        pending = await uow.inbox.unprocessed(limit=10_000)
    return len(pending), 0


async def test_a_redelivered_update_is_acknowledged_and_answered_once(linked: Chat) -> None:
    update = message_update(TG["bob"], "/status SO-101")
    before = len(linked.tg.sent(TG["bob"]))
    for _ in range(3):
        assert await linked.post(update) == 200
    await linked.settle()
    assert await linked.post(update) == 200  # after processing too
    await linked.settle()
    assert len(linked.tg.sent(TG["bob"])) == before + 1
    assert (await _inbox_state(linked))[0] == 0


async def test_concurrent_duplicates_and_reordered_deliveries_are_each_processed_once(linked: Chat) -> None:
    updates = [message_update(TG["bob"], f"/status SO-{101 + 2 * (i % 3)}") for i in range(6)]
    before = len(linked.tg.sent(TG["bob"]))
    shuffled = list(reversed(updates)) + updates[::2] + updates  # out of order, and again
    statuses = await asyncio.gather(*(linked.post(u) for u in shuffled))
    assert set(statuses) == {200}
    await linked.settle()
    replies = linked.tg.sent(TG["bob"])[before:]
    assert len(replies) == len(updates)
    # one chat is processed one update at a time, in arrival order: the first reply answers the
    # first update that arrived (the last of the list, SO-105 / SO-101 / ...)
    assert "SO-10" in replies[0].text


async def test_a_wrong_secret_is_refused_in_constant_time(linked: Chat) -> None:
    update = message_update(TG["bob"], "/orders")
    assert await linked.post(update, secret="wrong") == 401
    assert await linked.post(update, secret="") == 401
    await linked.settle()
    async with linked.shop.svc.uow() as uow:
        assert await uow.inbox.unprocessed() == []


async def test_oversized_and_malformed_bodies_are_refused_and_nothing_is_stored(linked: Chat) -> None:
    big = json.dumps({"update_id": 5, "message": {"text": "x" * (MAX_BODY + 10)}}).encode()
    assert await linked.post({}, raw=big) == 413
    assert await linked.post({}, raw=b"not json") == 400
    assert await linked.post({}, raw=b"[1, 2]") == 400
    assert await linked.post({}, raw=b'{"update_id": "7"}') == 400
    assert await linked.post({}, raw=b'{"update_id": -1}') == 400
    # a well-formed update_id with nonsense inside is stored, processed (ignored) and marked
    assert await linked.post({}, raw=b'{"update_id": 77, "weird": {"x": 1}}') == 200
    await linked.settle()
    assert (await _inbox_state(linked))[0] == 0


async def test_a_database_failure_answers_503_so_telegram_retries(linked: Chat) -> None:
    class Down:
        def __call__(self, *, write: bool = False) -> object:
            raise OSError("database is down")

    processor = linked.app.get("processor", None)
    from bot.web.app import PROCESSOR

    processor = linked.app[PROCESSOR]
    real = processor.inbox
    processor.inbox = Down()  # type: ignore[assignment]
    update = message_update(TG["bob"], "/status SO-101")
    before = len(linked.tg.sent(TG["bob"]))
    try:
        assert await linked.post(update) == 503
    finally:
        processor.inbox = real
    assert len(linked.tg.sent(TG["bob"])) == before
    assert await linked.post(update) == 200  # Telegram's retry
    await linked.settle()
    assert len(linked.tg.sent(TG["bob"])) == before + 1


async def test_health_and_readiness(linked: Chat) -> None:
    base = linked.url.rsplit("/telegram", 1)[0]
    async with linked.http.get(base + "/healthz") as r:
        assert r.status == 200
    async with linked.http.get(base + "/readyz") as r:
        assert r.status == 200
        assert (await r.json())["telegram"] is True


async def test_stored_but_unprocessed_updates_are_processed_at_start_up(shop, tg) -> None:  # type: ignore[no-untyped-def]
    """What a crashed process stored (acknowledged) is processed by the next one, once."""
    from datetime import UTC, datetime

    import aiohttp

    from tests.e2e.conftest import start_chat

    runner, app, url = await start_chat(shop, tg)
    async with aiohttp.ClientSession() as http:
        chat = Chat(shop, tg, app, url, http)
        await chat.link(shop.bob, TG["bob"])
    await runner.cleanup()
    pending = message_update(TG["bob"], "/status SO-103")
    async with shop.svc.uow(write=True) as uow:  # acknowledged, then the process died
        await uow.inbox.add(pending["update_id"], pending, datetime.now(UTC))
        await uow.commit()
    before = len(tg.sent(TG["bob"]))
    runner, app, url = await start_chat(shop, tg)
    try:
        await tg.wait_for(lambda: len(tg.sent(TG["bob"])) > before)
        from bot.web.app import PROCESSOR

        await app[PROCESSOR].idle()
        assert "SO-103" in tg.sent(TG["bob"])[-1].text
        async with shop.svc.uow() as uow:
            assert await uow.inbox.unprocessed() == []
        async with aiohttp.ClientSession() as http:  # Telegram's redelivery of it changes nothing
            assert await Chat(shop, tg, app, url, http).post(pending) == 200
        await app[PROCESSOR].idle()
        assert len(tg.sent(TG["bob"])) == before + 1
    finally:
        await runner.cleanup()
