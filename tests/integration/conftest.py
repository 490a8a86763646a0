"""Storage fixtures: the same contract runs on the in-memory fake, SQLite and PostgreSQL.

PostgreSQL comes from ``PAICHAN_TEST_PG_URL`` (``eval "$(bash tests/start_postgres.sh)"``).
Without it the PostgreSQL tests FAIL, unless ``PAICHAN_SKIP_PG=1`` says to skip them.
Every PostgreSQL test starts from an empty schema, migrated to head.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from db import migrate
from db.uow import SqlUnitOfWorkFactory
from scheduler_core.services.ports import UnitOfWorkFactory
from tests.fakes import FakeUnitOfWorkFactory

PG_ENV = "PAICHAN_TEST_PG_URL"
SKIP_ENV = "PAICHAN_SKIP_PG"


def pg_url() -> str:
    """The test database URL, or fail (skip only when PAICHAN_SKIP_PG=1)."""
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"PostgreSQL tests skipped ({SKIP_ENV}=1)")
    pytest.fail(
        f"{PG_ENV} is not set. Start the test PostgreSQL first:\n"
        f'    eval "$(bash tests/start_postgres.sh)"\n'
        f"(or set {SKIP_ENV}=1 to skip the PostgreSQL tests on a machine without PostgreSQL)",
        pytrace=False,
    )


async def fresh_pg(url: str) -> None:
    """Drop everything in the test database: the schema ``public`` is recreated empty."""
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def empty_database(backend: str, tmp_path: Path) -> str:
    """The URL of an empty (unmigrated) database of ``backend`` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'paichan.db'}"
    url = pg_url()
    await fresh_pg(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty SQL database (SQLite file in tmp_path, or the cleared PostgreSQL schema)."""
    return await empty_database(request.param, tmp_path)


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
async def uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    """A unit-of-work factory over an empty, migrated store of each kind."""
    if request.param == "fake":
        yield FakeUnitOfWorkFactory()
        return
    url = await empty_database(request.param, tmp_path)
    await migrate.upgrade(url)
    uow = SqlUnitOfWorkFactory.open(url)
    try:
        yield uow
    finally:
        await uow.dispose()
