"""A job's period runs once; a run that died with its process is retried after a while."""

from __future__ import annotations

from jobs._claim import STALE_AFTER, claim, finish
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import seed_shop


async def test_a_period_runs_once_and_a_dead_run_is_retried_later():
    shop = await seed_shop(FakeUnitOfWorkFactory())
    svc = shop.svc
    assert await claim(svc, "daily_summary", "2026-11-23")  # ... and the process dies here
    assert not await claim(svc, "daily_summary", "2026-11-23")  # a double fire: nothing
    shop.clock.advance(minutes=STALE_AFTER.total_seconds() / 60 + 1)
    assert await claim(svc, "daily_summary", "2026-11-23")  # the next fire takes it over
    await finish(svc, "daily_summary", "2026-11-23")
    shop.clock.advance(hours=5)
    assert not await claim(svc, "daily_summary", "2026-11-23")  # done is done
