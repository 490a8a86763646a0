"""The async engine, from a URL: ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``.

SQLite gets WAL, ``busy_timeout`` 5000 ms and foreign keys on every connection, and we emit
the ``BEGIN`` ourselves (the driver's own transaction handling is switched off, as the
SQLAlchemy SQLite docs recommend): ``BEGIN IMMEDIATE`` for a connection carrying the
:data:`WRITE` execution option, so a write transaction takes the write lock up front and
waits for it (busy_timeout) instead of failing half-way; plain ``BEGIN`` otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["BUSY_TIMEOUT_MS", "WRITE", "create_engine", "create_sync_sqlite_engine", "is_sqlite"]

WRITE = "paichan_write"
"""Execution option marking a connection whose transactions must take the write lock."""

BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str | URL, *, echo: bool = False, sqlite_foreign_keys: bool = True,
                  **kwargs: Any) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url``, configured for paichan's transaction rules.

    ``sqlite_foreign_keys=False`` is for migrations only (SQLite's batch ALTER recreates tables,
    which foreign key enforcement would break; the migration checks the keys afterwards).
    Extra keyword arguments go to :func:`~sqlalchemy.ext.asyncio.create_async_engine`.
    """
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = create_async_engine(u, echo=echo, **kwargs)
        _configure_sqlite(engine, foreign_keys=sqlite_foreign_keys)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(u, echo=echo, **kwargs)


def _configure_sqlite(engine: AsyncEngine | Engine, *, foreign_keys: bool) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN; _on_begin does
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_sync_sqlite_engine(url: str | URL, **kwargs: Any) -> Engine:
    """A synchronous engine (the standard ``sqlite3`` driver) on the SQLite database at ``url``
    (written for the async driver or not), with the same pragmas and ``BEGIN`` rules."""
    from sqlalchemy import create_engine as create_sync_engine

    u = make_url(url).set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(u, **kwargs)
    _configure_sqlite(engine, foreign_keys=True)
    return engine
