"""Schema migrations, programmatically (Alembic; the environment lives in ``db/migrations``).

``upgrade(url)``, ``downgrade(url, rev)`` and ``current(url)`` are coroutines (Alembic runs in
a worker thread with its own event loop, so they work inside a running loop); the ``*_sync``
twins are for synchronous code (CLI, deployment scripts) with no loop running.

    from db import migrate
    await migrate.upgrade("sqlite+aiosqlite:///paichan.db")   # to head
    await migrate.downgrade(url, "base")
    migrate.upgrade_sync(url)                                  # no event loop running
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = [
    "MIGRATIONS",
    "config",
    "current",
    "current_sync",
    "downgrade",
    "downgrade_sync",
    "head",
    "upgrade",
    "upgrade_sync",
]

MIGRATIONS = Path(__file__).with_name("migrations")

log = logging.getLogger(__name__)


def _url(url: str | URL) -> str:
    return make_url(url).render_as_string(hide_password=False)


def config(url: str | URL | None = None) -> Config:
    """An Alembic :class:`Config` pointing at our migrations (and at ``url`` if given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", _url(url).replace("%", "%%"))  # ConfigParser escaping
    return cfg


def upgrade_sync(url: str | URL, rev: str = "head") -> None:
    """Upgrade the database at ``url`` to ``rev``; call with no event loop running."""
    command.upgrade(config(url), rev)


def downgrade_sync(url: str | URL, rev: str) -> None:
    """Downgrade the database at ``url`` to ``rev`` ("base": empty); no event loop running."""
    command.downgrade(config(url), rev)


def head() -> str | None:
    """The newest revision of the migration scripts."""
    return ScriptDirectory.from_config(config()).get_current_head()


def current_sync(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at (None: not migrated); no event loop running."""
    return asyncio.run(_current(url))


async def _current(url: str | URL) -> str | None:
    engine = create_async_engine(_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_revision)
    finally:
        await engine.dispose()


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


async def upgrade(url: str | URL, rev: str = "head") -> None:
    """Upgrade the database at ``url`` to ``rev`` (default: the newest); one log line when
    something was upgraded, nothing when the database is at the newest revision already."""
    before = await _current(url)
    if rev == "head" and before == head():
        return
    await asyncio.to_thread(upgrade_sync, url, rev)
    log.info("database upgraded: %s -> %s", before or "empty", await _current(url))


async def downgrade(url: str | URL, rev: str) -> None:
    """Downgrade the database at ``url`` to ``rev`` ("base": no tables)."""
    await asyncio.to_thread(downgrade_sync, url, rev)


async def current(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at (None: not migrated)."""
    return await _current(url)
