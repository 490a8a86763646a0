"""The API token repository's contract, on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler_core.services.ports import ApiToken, Role, UnitOfWorkFactory, User

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


async def _user(uow_factory: UnitOfWorkFactory, name: str = "ann") -> int:
    async with uow_factory(write=True) as uow:
        user = await uow.users.add(User(0, name, Role.MANAGER))
        await uow.commit()
    return user.id


async def test_tokens_round_trip_by_hash_and_per_user(uow_factory: UnitOfWorkFactory) -> None:
    ann, bo = await _user(uow_factory, "ann"), await _user(uow_factory, "bo")
    async with uow_factory(write=True) as uow:
        first = await uow.tokens.add(ApiToken(0, ann, "h1", "ERP", NOW, NOW + timedelta(days=30)))
        second = await uow.tokens.add(ApiToken(0, ann, "h2", "", NOW))
        await uow.tokens.add(ApiToken(0, bo, "h3", "", NOW))
        await uow.commit()
    assert first != second
    async with uow_factory() as uow:
        got = await uow.tokens.by_hash("h1")
        assert got == ApiToken(first, ann, "h1", "ERP", NOW, NOW + timedelta(days=30), None, None)
        assert await uow.tokens.by_hash("nope") is None
        assert [t.token_hash for t in await uow.tokens.for_user(ann)] == ["h1", "h2"]


async def test_a_hash_is_unique(uow_factory: UnitOfWorkFactory) -> None:
    ann = await _user(uow_factory)
    async with uow_factory(write=True) as uow:
        await uow.tokens.add(ApiToken(0, ann, "same", "", NOW))
        await uow.commit()
    with pytest.raises(Exception):  # noqa: B017 - each adapter raises its own integrity error
        async with uow_factory(write=True) as uow:
            await uow.tokens.add(ApiToken(0, ann, "same", "", NOW))
            await uow.commit()


async def test_revoke_is_once_and_touch_records_use(uow_factory: UnitOfWorkFactory) -> None:
    ann = await _user(uow_factory)
    async with uow_factory(write=True) as uow:
        tid = await uow.tokens.add(ApiToken(0, ann, "h", "", NOW))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        await uow.tokens.touch(tid, NOW + timedelta(minutes=1))
        assert await uow.tokens.revoke(tid, NOW + timedelta(minutes=2)) is True
        assert await uow.tokens.revoke(tid, NOW + timedelta(minutes=3)) is False
        assert await uow.tokens.revoke(tid + 100, NOW) is False
        await uow.commit()
    async with uow_factory() as uow:
        t = await uow.tokens.by_hash("h")
    assert t is not None and t.revoked == NOW + timedelta(minutes=2) and t.last_used == NOW + timedelta(minutes=1)
