"""The SQL unit of work: one AsyncSession, one transaction, every repository.

Usage::

    engine = db.engine.create_engine("sqlite+aiosqlite:///paichan.db")
    uow = SqlUnitOfWorkFactory(engine)
    async with uow(write=True) as tx:   # SQLite: BEGIN IMMEDIATE, waits for the write lock
        n = await tx.plans.publish(schedule, "rush SO-1042", expected=base, created=now, metrics={})
        await tx.audit.add(...)
        await tx.commit()               # leaving without commit() rolls back
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from scheduler_core.services.ports import (
    ApiTokenRepository,
    AuditRepository,
    ButtonRepository,
    ChangeRepository,
    ChatStateRepository,
    FeedbackRepository,
    IdentityRepository,
    InboxRepository,
    JobRunRepository,
    LinkRepository,
    MasterDataRepository,
    OrderRepository,
    OutboxRepository,
    PlanRepository,
    ShopFloorRepository,
    UnitOfWorkFactory,
    UserRepository,
    WebChatRepository,
)

from .engine import WRITE, create_engine, create_read_engine, is_sqlite_file
from .repositories import (
    SqlApiTokenRepository,
    SqlAuditRepository,
    SqlButtonRepository,
    SqlChangeRepository,
    SqlChatStateRepository,
    SqlFeedbackRepository,
    SqlIdentityRepository,
    SqlInboxRepository,
    SqlJobRunRepository,
    SqlLinkRepository,
    SqlMasterDataRepository,
    SqlOrderRepository,
    SqlOutboxRepository,
    SqlPlanRepository,
    SqlShopFloorRepository,
    SqlUserRepository,
    SqlWebChatRepository,
)

__all__ = ["INLINE_SLICE_S", "SqlUnitOfWork", "SqlUnitOfWorkFactory"]

INLINE_SLICE_S = 0.005
"""A read unit of work on the inline SQLite driver gives the event loop a turn after this long."""


class _InlineSession(AsyncSession):
    """A session on the inline SQLite driver (``db.engine.create_read_engine``), whose calls never
    wait: once it has held the event loop for :data:`INLINE_SLICE_S`, it lets the loop run what is
    ready after the statement, so loading a whole factory is several short steps, not one long
    one, while a short question (a few statements) still runs in one go."""

    _since: float = 0.0

    async def _step(self) -> None:
        now = time.perf_counter()
        if not self._since:
            self._since = now
        elif now - self._since > INLINE_SLICE_S:
            await asyncio.sleep(0)
            self._since = time.perf_counter()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        await self._step()
        result = await super().execute(*args, **kwargs)
        await self._step()
        return result

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        await self._step()
        result = await super().scalar(*args, **kwargs)
        await self._step()
        return result

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        await self._step()
        result = await super().scalars(*args, **kwargs)
        await self._step()
        return result


class SqlUnitOfWork:
    """One transaction over every repository; only :meth:`commit` makes changes durable.

    The transaction begins on entry (for ``write=True`` that is when the write lock is taken).
    After a commit the unit of work may be used again: the next statement opens a new
    transaction of the same kind.
    """

    master: MasterDataRepository
    orders: OrderRepository
    shopfloor: ShopFloorRepository
    plans: PlanRepository
    changes: ChangeRepository
    users: UserRepository
    identities: IdentityRepository
    links: LinkRepository
    feedback: FeedbackRepository
    audit: AuditRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    jobs: JobRunRepository
    tokens: ApiTokenRepository
    webchat: WebChatRepository
    buttons: ButtonRepository
    chatstate: ChatStateRepository

    def __init__(self, engine: AsyncEngine, *, write: bool) -> None:
        self._engine = engine
        self.write = write
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work is entered once")
        session = _InlineSession if self._engine.dialect.driver == "inline" else AsyncSession
        s = self._session = session(self._engine, expire_on_commit=False)
        try:
            await s.connection()  # BEGIN now, not at the first statement
        except BaseException:
            await s.close()
            self._session = None
            raise
        self.master = SqlMasterDataRepository(s)
        self.orders = SqlOrderRepository(s)
        self.shopfloor = SqlShopFloorRepository(s)
        self.plans = SqlPlanRepository(s)
        self.changes = SqlChangeRepository(s)
        self.users = SqlUserRepository(s)
        self.identities = SqlIdentityRepository(s)
        self.links = SqlLinkRepository(s)
        self.feedback = SqlFeedbackRepository(s)
        self.audit = SqlAuditRepository(s)
        self.outbox = SqlOutboxRepository(s)
        self.inbox = SqlInboxRepository(s)
        self.jobs = SqlJobRunRepository(s)
        self.tokens = SqlApiTokenRepository(s)
        self.webchat = SqlWebChatRepository(s)
        self.buttons = SqlButtonRepository(s)
        self.chatstate = SqlChatStateRepository(s)
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        s = self._session
        if s is None:
            return
        try:
            await s.rollback()  # no-op after commit(); otherwise discards the work
        finally:
            await s.close()

    @property
    def session(self) -> AsyncSession:
        """The underlying session (for adapters beyond the ports, e.g. inbox or job runs)."""
        if self._session is None:
            raise RuntimeError("unit of work not entered")
        return self._session

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    """``factory(write=True)`` -> a unit of work whose transaction takes the write lock up front.

    ``reads``: an engine for read-only units of work (``db.engine.create_read_engine`` on a
    SQLite file); :meth:`dispose` closes it with ``engine``. :meth:`open` builds both from a URL."""

    def __init__(self, engine: AsyncEngine, *, reads: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.reads = reads
        self._write_engine = engine.execution_options(**{WRITE: True})
        self._read_engine = reads or (engine.execution_options(postgresql_readonly=True)
                                      if engine.dialect.name == "postgresql" else engine)

    @classmethod
    def open(cls, url: str | URL, **engine_kwargs: Any) -> SqlUnitOfWorkFactory:
        """Engines for ``url``: the async driver, and inline reads when the database is a SQLite file."""
        return cls(create_engine(url, **engine_kwargs),
                   reads=create_read_engine(url) if is_sqlite_file(url) else None)

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        if write:
            return SqlUnitOfWork(self._write_engine, write=True)
        return SqlUnitOfWork(self._read_engine, write=False)

    async def dispose(self) -> None:
        if self.reads is not None:
            await self.reads.dispose()
        await self.engine.dispose()


def _conforms(factory: SqlUnitOfWorkFactory) -> UnitOfWorkFactory:
    return factory  # mypy proves the adapter implements the port
