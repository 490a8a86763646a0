"""The webhook inbox's storage (P3: stored and committed before the 200).

On PostgreSQL the inbox is the ``webhook_inbox`` table of the main database (row locks: its
INSERTs never wait for other transactions). SQLite has ONE writer per database file, so there
the inbox lives in a file of its own beside the main one (``paichan.db`` ->
``paichan.inbox.db``, same table): acknowledging an update then never waits for the write
lock held by a re-plan's publication, the delay watch or the outbox relay (P9). An in-memory
SQLite database keeps its inbox inside.

The update's effects (main database) and its "processed" mark (inbox) were separate
transactions before as well; nothing about P3 changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url

from scheduler_core.services.ports import UnitOfWorkFactory

from .engine import WRITE, create_engine, create_sync_sqlite_engine, is_sqlite_file
from .tables import InboxRow
from .uow import SqlUnitOfWorkFactory

__all__ = ["SqliteBatchWriter", "adopt_main_inbox", "inbox_url", "open_inbox", "separate_inbox"]


def separate_inbox(url: str | URL) -> bool:
    """Whether the inbox of the database at ``url`` is a file of its own (SQLite files)."""
    return is_sqlite_file(url)


def inbox_url(url: str | URL) -> URL:
    """Where the inbox of the database at ``url`` is stored."""
    u = make_url(url)
    if not separate_inbox(u):
        return u
    path = Path(u.database or "")
    return u.set(database=str(path.with_name(f"{path.stem}.inbox{path.suffix or '.db'}")))


async def open_inbox(url: str | URL, *, pool_size: int = 4) -> SqlUnitOfWorkFactory:
    """A unit-of-work factory over the inbox (its table created when it is a file of its own),
    with a connection pool of its own. Close with ``await factory.engine.dispose()``."""
    engine = create_engine(inbox_url(url), pool_size=pool_size, max_overflow=pool_size)
    if separate_inbox(url):
        async with engine.begin() as conn:
            table = InboxRow.metadata.tables[InboxRow.__tablename__]
            await conn.run_sync(lambda sync: InboxRow.metadata.create_all(sync, tables=[table]))
    return SqlUnitOfWorkFactory(engine)


async def adopt_main_inbox(main: UnitOfWorkFactory, inbox: UnitOfWorkFactory, clock: Callable[[], datetime],
                           *, batch: int = 500) -> int:
    """Move updates stored but not processed in the main database's inbox (by a version that
    kept its inbox there) into ``inbox``: stored there first, then marked in the main one, so a
    crash in between stores them again, which the UNIQUE update id makes harmless."""
    moved = 0
    while True:
        async with main() as uow:
            rows = await uow.inbox.unprocessed(limit=batch)
        if not rows:
            return moved
        now = clock()
        async with inbox(write=True) as uow:
            await uow.inbox.add_many(rows, now)
            await uow.commit()
        async with main(write=True) as uow:
            await uow.inbox.mark_many([uid for uid, _ in rows], now)
            await uow.commit()
        moved += len(rows)


class SqliteBatchWriter:
    """One inbox transaction (store a batch of updates, mark a batch processed) on the SQLite
    inbox file, synchronously: called from ONE dedicated thread, so a batch is a few ``sqlite3``
    calls instead of one event-loop round trip per statement (a busy loop made each of those
    wait for the chat flows' callbacks). Same table, same types as :class:`SqlInboxRepository`."""

    def __init__(self, url: str | URL) -> None:
        self.engine = create_sync_sqlite_engine(inbox_url(url), pool_size=1, max_overflow=0)
        self._write = self.engine.execution_options(**{WRITE: True})
        # the same three statements for every batch size (compiled once, cached)
        self._known = select(InboxRow.update_id).where(InboxRow.update_id.in_(bindparam("ids", expanding=True)))
        self._insert = sqlite_insert(InboxRow).on_conflict_do_nothing(index_elements=["update_id"])
        self._mark = (update(InboxRow).where(InboxRow.update_id.in_(bindparam("ids", expanding=True)),
                                             InboxRow.processed.is_(None)).values(processed=bindparam("at", type_=InboxRow.processed.type)))

    def __call__(self, updates: Sequence[tuple[int, dict[str, Any]]], marks: Sequence[int],
                 now: datetime) -> list[bool]:
        """Per update: True when stored now, False for a redelivery (as ``add_many``)."""
        first: dict[int, int] = {}
        for i, (uid, _) in enumerate(updates):
            first.setdefault(uid, i)
        with self._write.connect() as conn, conn.begin():  # BEGIN IMMEDIATE: nobody inserts in between
            known: set[int] = set()
            if first:
                known = set(conn.scalars(self._known, {"ids": list(first)}).all())
                rows = [{"update_id": uid, "payload": updates[i][1], "received": now}
                        for uid, i in first.items() if uid not in known]
                if rows:
                    conn.execute(self._insert, rows)
            if marks:
                conn.execute(self._mark, {"ids": list(marks), "at": now})
        return [first[uid] == i and uid not in known for i, (uid, _) in enumerate(updates)]

    def close(self) -> None:
        self.engine.dispose()
