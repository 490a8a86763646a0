"""The async engine, from a URL: ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``.

SQLite gets WAL, ``busy_timeout`` 5000 ms and foreign keys on every connection, and we emit
the ``BEGIN`` ourselves (the driver's own transaction handling is switched off, as the
SQLAlchemy SQLite docs recommend): ``BEGIN IMMEDIATE`` for a connection carrying the
:data:`WRITE` execution option, so a write transaction takes the write lock up front and
waits for it (busy_timeout) instead of failing half-way; plain ``BEGIN`` otherwise.

Read-only transactions on a SQLite file may use :func:`create_read_engine`: the standard
``sqlite3`` driver called directly on the event loop. aiosqlite hands every driver call
(execute, fetch, close, begin, rollback) to a thread and back, about 30 hand-overs for one
order-status question; in WAL mode a reader never waits for a writer, so calling SQLite inline
costs less than handing it over (measured: 2.9 instead of 6.6 CPU-ms per status question).
Those connections are ``query_only``: a write through a read transaction fails loudly instead
of waiting for the write lock on the event loop. Writes keep aiosqlite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

__all__ = ["BUSY_TIMEOUT_MS", "WRITE", "create_engine", "create_read_engine", "create_sync_sqlite_engine",
           "is_sqlite", "is_sqlite_file"]

WRITE = "paichan_write"
"""Execution option marking a connection whose transactions must take the write lock."""

BUSY_TIMEOUT_MS = 5000
READ_BUSY_TIMEOUT_MS = 1000
"""An inline reader waits at most this long (it blocks the event loop meanwhile); in WAL mode a
reader waits only in rare cases such as the recovery of a crashed writer's log."""


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """``sqlite+inline://``: the standard ``sqlite3`` driver, usable by the asyncio extension.
    Its calls never await: they run inside SQLAlchemy's greenlet on the event loop."""

    driver = "inline"
    is_async = True
    supports_statement_cache = True


registry.register("sqlite.inline", __name__, "InlineSQLiteDialect")


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


def is_sqlite_file(url: str | URL) -> bool:
    """Whether ``url`` is a SQLite database in a file, which a second engine (inline reads, the
    inbox) sees too; an in-memory database is private to its connection."""
    u = make_url(url)
    db = u.database or ""
    return is_sqlite(u) and db not in ("", ":memory:") and not db.startswith("file:") and "mode" not in u.query


def create_read_engine(url: str | URL, *, pool_size: int = 8) -> AsyncEngine:
    """An :class:`AsyncEngine` for READ-ONLY transactions on the SQLite file at ``url``, calling
    the driver inline on the event loop (see the module docstring). Check
    :func:`is_sqlite_file` first."""
    u = make_url(url)
    if not is_sqlite_file(u):
        raise ValueError(f"inline reads need a SQLite file, not {u.render_as_string(hide_password=True)}")
    engine = create_async_engine(u.set(drivername="sqlite+inline"), poolclass=AsyncAdaptedQueuePool,
                                 pool_size=pool_size, max_overflow=2 * pool_size,
                                 connect_args={"check_same_thread": False})
    _configure_sqlite(engine, foreign_keys=True, read_only=True)
    return engine


def _configure_sqlite(engine: AsyncEngine | Engine, *, foreign_keys: bool, read_only: bool = False) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN; _on_begin does
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS if read_only else BUSY_TIMEOUT_MS}")
            if not read_only:  # a reader does not change the journal mode (the writers set WAL)
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
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
