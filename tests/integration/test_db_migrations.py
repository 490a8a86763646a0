"""Migrations: empty -> head -> base -> head on SQLite and PostgreSQL, and the ORM metadata
matches what the migrations build (autogenerate finds nothing to do)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db import migrate
from db.tables import Base


async def _inspect(url: str, fn: Any) -> Any:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
    return list(compare_metadata(ctx, Base.metadata))


async def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    expected = set(Base.metadata.tables)
    assert await migrate.current(empty_url) is None
    await migrate.upgrade(empty_url)
    assert await migrate.current(empty_url) == migrate.head()
    assert await _inspect(empty_url, _tables) == expected | {"alembic_version"}

    await migrate.downgrade(empty_url, "base")
    assert await migrate.current(empty_url) is None
    assert await _inspect(empty_url, _tables) <= {"alembic_version"}

    await migrate.upgrade(empty_url)
    assert await migrate.current(empty_url) == migrate.head()
    assert await _inspect(empty_url, _tables) == expected | {"alembic_version"}


async def test_the_models_match_the_migrations(empty_url: str) -> None:
    await migrate.upgrade(empty_url)
    assert await _inspect(empty_url, _diff) == []


def test_the_synchronous_api_works_outside_an_event_loop(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sync.db'}"
    migrate.upgrade_sync(url)
    assert migrate.current_sync(url) == migrate.head()
    migrate.downgrade_sync(url, "base")
    assert migrate.current_sync(url) is None


async def test_upgrade_says_what_it_did_once(empty_url: str, caplog: Any) -> None:
    """An upgrade logs one line (from, to); at the newest revision already it does nothing."""
    caplog.set_level("INFO", logger="db.migrate")
    await migrate.upgrade(empty_url)
    lines = [r.getMessage() for r in caplog.records if r.name == "db.migrate"]
    assert lines == [f"database upgraded: empty -> {migrate.head()}"]
    caplog.clear()
    await migrate.upgrade(empty_url)
    assert [r for r in caplog.records if r.name == "db.migrate"] == []
    assert await migrate.current(empty_url) == migrate.head()
