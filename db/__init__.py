"""Persistence adapters (SQLAlchemy 2): the storage ports of ``scheduler_core.services.ports``.

* ``db.engine.create_engine(url)`` -- ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``;
  SQLite gets WAL, busy_timeout, foreign keys and ``BEGIN IMMEDIATE`` for write transactions.
* ``db.uow.SqlUnitOfWorkFactory(engine)`` -- ``async with uow(write=True) as tx: ...; await tx.commit()``.
* ``await db.migrate.upgrade(url)`` -- Alembic, migrations in ``db/migrations``.
* ``db.tables`` rows, ``db.repositories`` the mapping to domain types, ``db.serialize`` the pure
  conversions shared with the in-memory fake (``tests/fakes.py``).

Nothing is created at import time.
"""
