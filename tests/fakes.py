"""The in-memory storage adapter, for the tests: :mod:`db.memory` under the ``Fake*`` names
(one implementation serves ``paichan simulate`` and the tests)."""

from __future__ import annotations

from db.memory import MemoryIntegrityError as FakeIntegrityError
from db.memory import MemoryReadOnly as FakeReadOnly
from db.memory import MemoryUnitOfWork as FakeUnitOfWork
from db.memory import MemoryUnitOfWorkFactory as FakeUnitOfWorkFactory

__all__ = ["FakeIntegrityError", "FakeReadOnly", "FakeUnitOfWork", "FakeUnitOfWorkFactory"]
