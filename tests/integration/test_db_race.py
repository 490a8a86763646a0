"""P4 at the storage level: of two simultaneous confirmations on the same plan, exactly one wins.

Each trial runs two contenders concurrently (separate units of work, hence separate database
connections). On SQLite the database is a file, so the two connections really compete.
Run ``pytest -s`` to see the one-line summaries.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import DBAPIError

from db import migrate
from db.uow import SqlUnitOfWorkFactory
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.services.ports import (
    AuditEntry,
    ChangeRecord,
    ChangeStatus,
    Notification,
    StalePlan,
    UnitOfWorkFactory,
)
from tests.fakes import FakeReadOnly, FakeUnitOfWorkFactory

TRIALS = 50
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _backend(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["uow_factory"])


def _schedule(trial: int, who: int) -> Schedule:
    op = PlannedOp(f"SO-{trial}", 0, "cut", f"M{who}", NOW, NOW + timedelta(hours=1), 10, 60)
    return Schedule((op,), NOW)


async def _publish_and_record(uow_factory: UnitOfWorkFactory, trial: int, who: int, base: int) -> str:
    """Confirm: publish on ``base``, with its audit row and notification, in one transaction."""
    try:
        async with uow_factory(write=True) as uow:
            n = await uow.plans.publish(_schedule(trial, who), f"trial {trial} by {who}", expected=base,
                                        created=NOW, metrics={"who": who})
            await uow.audit.add(AuditEntry(NOW, who, "plan.publish", f"plan:{n}"))
            await uow.outbox.add(Notification(f"plan:{n}", "telegram", f"user:{who}", "plan", {"n": n}, NOW))
            await uow.commit()
            return "win"
    except StalePlan:
        return "stale"


async def _check_published(uow_factory: UnitOfWorkFactory, versions: int) -> None:
    """Only winners left a trace: one plan, one audit row and one notification per version."""
    async with uow_factory() as uow:
        cur = await uow.plans.current()
        assert cur is not None and cur.number == versions
        assert await uow.outbox.count() == versions
        assert len(await uow.audit.list(limit=1000)) == versions
        history = await uow.plans.history(limit=1000)
        assert [v.number for v in history] == list(range(versions, 0, -1))
        for v in history:  # each version holds exactly its winner's schedule
            assert [op.machine for op in v.schedule.ops] == [f"M{v.metrics['who']}"]


async def test_two_confirmations_on_the_same_plan_exactly_one_wins(
        uow_factory: UnitOfWorkFactory, request: pytest.FixtureRequest) -> None:
    """Both read the current version (their proposals), then both publish on it at once."""
    outcomes: Counter[str] = Counter()
    for trial in range(TRIALS):
        barrier = asyncio.Barrier(2)

        async def contender(who: int, trial: int = trial, barrier: asyncio.Barrier = barrier) -> str:
            async with uow_factory() as uow:
                cur = await uow.plans.current()
            base = cur.number if cur else 0
            await barrier.wait()
            return await _publish_and_record(uow_factory, trial, who, base)

        results = await asyncio.gather(contender(1), contender(2))
        assert sorted(results) == ["stale", "win"], f"trial {trial}: {results}"
        outcomes.update(results)
    await _check_published(uow_factory, TRIALS)
    print(f"\n[race publish/{_backend(request)}] trials={TRIALS} wins={outcomes['win']} "
          f"stale={outcomes['stale']}")


async def test_a_unit_of_work_opened_without_write_cannot_write(
        uow_factory: UnitOfWorkFactory, request: pytest.FixtureRequest) -> None:
    """Read-modify-write must open its unit of work with ``write=True``: one opened without it is
    read-only on every store (SQLite file: ``query_only``; PostgreSQL: ``READ ONLY``; the
    in-memory adapter: ``FakeReadOnly``), so two publishers reading the version in plain
    transactions and then publishing are both refused and nothing is stored."""
    backend = _backend(request)
    refused: Counter[str] = Counter()
    for trial in range(5):
        barrier = asyncio.Barrier(2)

        async def contender(who: int, trial: int = trial, barrier: asyncio.Barrier = barrier) -> str:
            try:
                async with uow_factory() as uow:
                    cur = await uow.plans.current()
                    await barrier.wait()
                    await uow.plans.publish(_schedule(trial, who), "x", expected=cur.number if cur else 0,
                                            created=NOW, metrics={"who": who})
                    await uow.commit()
                    return "win"
            except (DBAPIError, FakeReadOnly) as e:
                assert "read" in str(e).lower() and "only" in str(e).lower(), e
                return "refused"

        refused.update(await asyncio.gather(contender(1), contender(2)))
    assert refused == Counter({"refused": 10})
    async with uow_factory() as uow:
        assert await uow.plans.current() is None
        assert await uow.outbox.count() == 0
    print(f"\n[read-only/{backend}] publish attempts in read units of work refused={refused['refused']}")


async def test_two_clicks_on_the_same_confirm_token_claim_it_once(
        uow_factory: UnitOfWorkFactory, request: pytest.FixtureRequest) -> None:
    async with uow_factory(write=True) as uow:
        for trial in range(TRIALS):
            await uow.changes.add(ChangeRecord(0, "insert", {"trial": trial}, 0, {}, ChangeStatus.PROPOSED,
                                               f"token-{trial}", NOW, NOW + timedelta(minutes=30), 1))
        await uow.commit()
    outcomes: Counter[str] = Counter()
    for trial in range(TRIALS):
        barrier = asyncio.Barrier(2)

        async def click(who: int, trial: int = trial, barrier: asyncio.Barrier = barrier) -> str:
            await barrier.wait()
            async with uow_factory(write=True) as uow:
                got = await uow.changes.claim(f"token-{trial}", NOW + timedelta(minutes=1), ChangeStatus.CONFIRMED)
                if got is None:
                    return "stale"
                await uow.audit.add(AuditEntry(NOW, who, "change.confirm", f"change:{got.id}"))
                await uow.commit()
                return "win"

        results = await asyncio.gather(click(1), click(2))
        assert sorted(results) == ["stale", "win"], f"trial {trial}: {results}"
        outcomes.update(results)
    async with uow_factory() as uow:
        assert len(await uow.changes.list(status=ChangeStatus.CONFIRMED)) == TRIALS
        assert len(await uow.audit.list(limit=1000)) == TRIALS
    print(f"\n[race claim/{_backend(request)}] trials={TRIALS} wins={outcomes['win']} stale={outcomes['stale']}")


@pytest.fixture(params=["fake", "sqlite"])
async def locking_uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    """The stores with one database-wide write lock (PostgreSQL locks rows as it goes)."""
    if request.param == "fake":
        yield FakeUnitOfWorkFactory()
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}"
    await migrate.upgrade(url)
    factory = SqlUnitOfWorkFactory.open(url)
    try:
        yield factory
    finally:
        await factory.dispose()


async def test_a_write_unit_of_work_takes_the_write_lock_on_entry(locking_uow_factory: UnitOfWorkFactory) -> None:
    """SQLite (and the fake): ``write=True`` begins with the write lock (BEGIN IMMEDIATE), so a
    second writer waits at its ``async with`` until the first one finishes."""
    uow_factory = locking_uow_factory
    entered = asyncio.Event()

    async def second() -> None:
        async with uow_factory(write=True) as uow:
            entered.set()
            await uow.rollback()

    async with uow_factory(write=True) as first:
        await first.orders.next_ref()
        task = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not entered.is_set(), "the second writer got in while the first held the lock"
        await first.commit()
    await asyncio.wait_for(task, 5)
    assert entered.is_set()
