"""The webhook inbox's storage: on SQLite a file of its own, written in batches from a thread,
read back by the async repository with the same types; unprocessed updates of the main
database's inbox are adopted once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from db import migrate
from db.engine import create_engine
from db.inbox import SqliteBatchWriter, adopt_main_inbox, inbox_url, open_inbox, separate_inbox
from db.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_the_inbox_of_a_sqlite_file_is_a_file_beside_it_and_elsewhere_the_main_database() -> None:
    assert str(inbox_url("sqlite+aiosqlite:////var/lib/paichan/paichan.db").database) == \
        "/var/lib/paichan/paichan.inbox.db"
    assert str(inbox_url("sqlite+aiosqlite:///data/x").database) == "data/x.inbox.db"
    assert not separate_inbox("sqlite+aiosqlite:///:memory:")
    assert not separate_inbox("sqlite+aiosqlite://")
    url = "postgresql+asyncpg://u:p@localhost/paichan"
    assert not separate_inbox(url) and inbox_url(url).render_as_string(hide_password=False) == url


async def test_batches_written_from_a_thread_read_back_by_the_repository(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'paichan.db'}"
    inbox = await open_inbox(url)
    writer = SqliteBatchWriter(url)
    try:
        batch = [(1, {"update_id": 1, "message": {"text": "你好 <b>"}}), (2, {"update_id": 2}), (1, {"update_id": 1})]
        assert await asyncio.to_thread(writer, batch, [], NOW) == [True, True, False]
        assert await asyncio.to_thread(writer, [(2, {"update_id": 2}), (3, {"update_id": 3})], [1], NOW) == \
            [False, True]
        async with inbox() as uow:
            rows = await uow.inbox.unprocessed()
        assert rows == [(2, {"update_id": 2}), (3, {"update_id": 3})]
        async with inbox(write=True) as uow:  # the async side marks and prunes the same rows
            assert await uow.inbox.mark_many([2, 3], NOW) == 2
            assert await uow.inbox.prune(datetime(2026, 11, 26, tzinfo=UTC)) == 3
            await uow.commit()
        assert (tmp_path / "paichan.inbox.db").exists()
    finally:
        writer.close()
        await inbox.engine.dispose()


async def test_updates_left_in_the_main_inbox_are_adopted_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'paichan.db'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    main = SqlUnitOfWorkFactory(engine)
    inbox = await open_inbox(url)
    try:
        async with main(write=True) as uow:  # acknowledged by an older version, never processed
            await uow.inbox.add(7, {"update_id": 7}, NOW)
            await uow.inbox.add(8, {"update_id": 8}, NOW)
            await uow.inbox.mark_processed(8, NOW)
            await uow.commit()
        assert await adopt_main_inbox(main, inbox, lambda: NOW) == 1
        assert await adopt_main_inbox(main, inbox, lambda: NOW) == 0
        async with inbox() as uow:
            assert await uow.inbox.unprocessed() == [(7, {"update_id": 7})]
        async with main() as uow:
            assert await uow.inbox.unprocessed() == []
    finally:
        await inbox.engine.dispose()
        await engine.dispose()
