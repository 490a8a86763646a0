"""Every job on a frozen clock: the right messages, to the right people, in the right
language, once; a second fire of the same period sends nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.date import DateTrigger

from jobs import daily_summary, deep_plan, delay_watch, housekeeping, surveys
from jobs.config import JobSettings, NotifyConfig, parse_config
from jobs.registry import acquire_scheduler_lock, build_scheduler
from scheduler_core.services.change_flow import assess, confirm_change
from scheduler_core.services.changes import InsertOrder
from scheduler_core.services.errors import InvalidInput
from scheduler_core.services.feedback import record_complaint, record_delivery, record_survey_answer
from scheduler_core.services.notifications import NotifySettings, QuietHours, quiet_until, watch_delays
from scheduler_core.services.ports import Notification
from scheduler_core.services.shopfloor import machine_down, machine_up
from tests.builders import at, make_order
from tests.fake_channels import FakeServices
from tests.fakes import FakeUnitOfWorkFactory
from tests.jobs.conftest import CHAT, add_people, config_for, make_relay
from tests.seed import seed_shop

TZ = ZoneInfo("Asia/Shanghai")
SETTINGS = NotifySettings(timezone="Asia/Shanghai")


async def outbox(shop, kind: str | None = None) -> list[Notification]:
    async with shop.svc.uow() as uow:
        rows = await uow.outbox.pending(10_000)
    return [n for n in rows if kind is None or n.kind == kind]


async def user_id(shop, name: str) -> int:
    async with shop.svc.uow() as uow:
        u = await uow.users.by_username(name)
    assert u is not None
    return u.id


# --- quiet hours -----------------------------------------------------------------------
@pytest.mark.parametrize(("local", "expected"), [
    (datetime(2026, 11, 23, 23, 30), datetime(2026, 11, 24, 8, 0)),
    (datetime(2026, 11, 24, 3, 0), datetime(2026, 11, 24, 8, 0)),
    (datetime(2026, 11, 24, 8, 0), None),
    (datetime(2026, 11, 24, 21, 59), None),
])
def test_quiet_hours_end_in_the_recipients_morning(local, expected):
    got = quiet_until(local.replace(tzinfo=TZ), TZ, QuietHours())
    assert got == (expected.replace(tzinfo=TZ) if expected else None)
    assert quiet_until(local.replace(tzinfo=TZ), TZ, QuietHours.parse("off")) is None


# --- delay watch -------------------------------------------------------------------------
async def test_watch_does_not_repeat_what_publication_announced(shop):
    await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(10))
    queued = await outbox(shop, "delay")
    assert queued, "publication queued delay warnings"
    result = await delay_watch.run(shop.svc, SETTINGS)
    assert result is not None and result.queued == 0 and set(result.already_warned) >= {n.payload["ref"] for n in queued}
    assert await outbox(shop, "delay") == queued


async def test_watch_warns_once_per_slip_then_good_news_once():
    late = [make_order("SO-1", due=at(0.5), customer="ACME"), make_order("SO-2", due=at(48), customer="Bolt")]
    shop = await seed_shop(FakeUnitOfWorkFactory(), late)
    await add_people(shop)
    from scheduler_core.services.shopfloor import replan_now

    await replan_now(shop.svc)  # version 1: no earlier plan, so publication warned nobody
    first = await delay_watch.run(shop.svc, SETTINGS)
    assert first is not None and first.warned == ("SO-1",)
    alice, sam = await user_id(shop, "alice"), await user_id(shop, "sam")
    assert Counter((n.recipient, n.kind) for n in await outbox(shop)) == {
        (f"user:{alice}", "delay"): 1, (f"user:{sam}", "delay_sales"): 1}
    assert await delay_watch.run(shop.svc, SETTINGS) is None  # the same 10-minute slot again
    shop.clock.advance(minutes=10)
    again = await delay_watch.run(shop.svc, SETTINGS)
    assert again is not None and again.queued == 0 and again.warned == ()  # nothing new to say
    # the order slips much further: ONE more warning
    await machine_down(shop.svc, shop.operator, "M1", "jam", until=at(30))
    shop.clock.advance(minutes=10)
    await delay_watch.run(shop.svc, SETTINGS)
    warnings = [n for n in await outbox(shop, "delay") if n.payload["ref"] == "SO-1"]
    assert len(warnings) == 2
    # back on track after the promise moves? (machine up; SO-2 never late, SO-1 still late)
    await machine_up(shop.svc, shop.operator, "M1")
    shop.clock.advance(minutes=10)
    await delay_watch.run(shop.svc, SETTINGS)
    assert [n for n in await outbox(shop, "on_track")] == []


async def test_minutes_after_the_promise_are_no_news_hours_are():
    """A plan finishing an order a few minutes after its promise warns nobody (re-plans move
    ETAs by minutes); once it is late by more than ``warn_after`` its people are told."""
    from scheduler_core.services.shopfloor import replan_now

    shop = await seed_shop(FakeUnitOfWorkFactory(), [make_order("SO-1", quantity=60, due=at(1.85), customer="ACME")])
    await add_people(shop)
    update = await replan_now(shop.svc)
    async with shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None and update.version == plan.number
    late_by = plan.schedule.etas()["SO-1"] - at(1.85)
    assert timedelta(0) < late_by <= shop.svc.warn_after  # late, by minutes
    result = await delay_watch.run(shop.svc, SETTINGS)
    assert result is not None and result.warned == () and await outbox(shop, "delay") == []
    await machine_down(shop.svc, shop.operator, "M2", "jam", until=at(4))  # now hours late: told at publication
    assert [n.payload["ref"] for n in await outbox(shop, "delay")] == ["SO-1"]
    shop.clock.advance(minutes=10)
    result = await delay_watch.run(shop.svc, SETTINGS)
    assert result is not None and result.already_warned == ("SO-1",) and result.queued == 0


async def test_back_on_track_note_after_a_machine_restart(shop):
    await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(48))
    shop.clock.advance(minutes=10)
    await delay_watch.run(shop.svc, SETTINGS)
    warned = {n.payload["ref"] for n in await outbox(shop, "delay")}
    assert warned
    await machine_up(shop.svc, shop.operator, "M1")
    shop.clock.advance(minutes=10)
    result = await delay_watch.run(shop.svc, SETTINGS)
    async with shop.svc.uow() as uow:
        etas = (await uow.plans.current()).schedule.etas()
        dues = {rec.ref: rec.order.due for rec in await uow.orders.active()}
    clear = {ref for ref in warned if etas[ref] <= dues[ref] - SETTINGS.on_track_margin}
    assert clear and clear != warned, "some orders are well on time again, some only just"
    assert result is not None and set(result.back_on_track) == clear
    notes = await outbox(shop, "on_track")
    shop.clock.advance(minutes=10)
    assert (await delay_watch.run(shop.svc, SETTINGS)).back_on_track == ()
    assert await outbox(shop, "on_track") == notes
    per_user = Counter((n.recipient, n.payload["ref"]) for n in notes)
    assert set(per_user.values()) == {1}


async def test_an_eta_wobbling_around_the_promise_is_announced_once():
    """Late, just on time, late again by about as much: one warning, no good news in between
    (an on-time ETA counts as news only ``on_track_margin`` before the promise)."""
    shop = await seed_shop(FakeUnitOfWorkFactory(), [make_order("SO-1", due=at(30), customer="ACME")])
    await add_people(shop)
    from scheduler_core.services.shopfloor import replan_now

    await replan_now(shop.svc)
    for until, late in [(at(28.5), True), (at(27), False), (at(28.6), True)]:  # 2 h of work after the stop
        with contextlib.suppress(InvalidInput):  # not down the first time
            await machine_up(shop.svc, shop.operator, "M1")
        await machine_down(shop.svc, shop.operator, "M1", "jam", until=until)
        shop.clock.advance(minutes=10)
        await delay_watch.run(shop.svc, SETTINGS)
        async with shop.svc.uow() as uow:
            eta = (await uow.plans.current()).schedule.etas()["SO-1"]
        assert (eta > at(30)) == late and eta > at(30) - SETTINGS.on_track_margin, eta
    alice = await user_id(shop, "alice")
    told = Counter(n.kind for n in await outbox(shop) if n.recipient == f"user:{alice}")
    assert told == {"delay": 1}
    # just on time again: within the margin; with a smaller margin it is the good news, once
    await machine_up(shop.svc, shop.operator, "M1")
    await machine_down(shop.svc, shop.operator, "M1", "jam", until=at(27))
    shop.clock.advance(minutes=10)
    result = await delay_watch.run(shop.svc, SETTINGS)
    assert result is not None and result.back_on_track == ()
    relaxed = NotifySettings(timezone="Asia/Shanghai", on_track_margin=timedelta(minutes=20))
    shop.clock.advance(minutes=10)
    result = await delay_watch.run(shop.svc, relaxed)
    assert result is not None and result.back_on_track == ("SO-1",)
    shop.clock.advance(minutes=10)
    assert (await delay_watch.run(shop.svc, relaxed)).back_on_track == ()


async def test_watch_on_every_store(uow_factory):
    """The watch's memory (audit rows) and the dedup keys work the same on SQL stores."""
    shop = await seed_shop(uow_factory, [make_order("SO-1", due=at(0.5))])
    await add_people(shop)
    from scheduler_core.services.shopfloor import replan_now

    await replan_now(shop.svc)
    assert (await watch_delays(shop.svc, SETTINGS)).warned == ("SO-1",)
    assert (await watch_delays(shop.svc, SETTINGS)).warned == ()
    assert await delay_watch.run(shop.svc, SETTINGS, period="x") is not None
    assert await delay_watch.run(shop.svc, SETTINGS, period="x") is None


# --- surveys -------------------------------------------------------------------------------
async def test_survey_after_the_delay_once_and_one_reminder(shop):
    await record_delivery(shop.svc, shop.sales, "SO-100")
    await record_delivery(shop.svc, shop.sales, "SO-102")
    shop.clock.advance(hours=23)
    assert (await surveys.run(shop.svc, SETTINGS)).sent == ()
    shop.clock.advance(hours=2)
    result = await surveys.run(shop.svc, SETTINGS)
    assert set(result.sent) == {"SO-100", "SO-102"}
    assert await surveys.run(shop.svc, SETTINGS) is None  # same hour
    shop.clock.advance(hours=1)
    assert (await surveys.run(shop.svc, SETTINGS)).sent == ()  # never twice
    alice = await user_id(shop, "alice")
    asked = await outbox(shop, "survey")
    assert {n.dedup_key for n in asked} == {"survey:SO-100", "survey:SO-102"}
    assert {n.recipient for n in asked} == {f"user:{alice}"}
    await record_survey_answer(shop.svc, shop.alice, "SO-100", 5)
    shop.clock.advance(hours=48)
    assert (await surveys.run(shop.svc, SETTINGS)).reminded == ("SO-102",)
    shop.clock.advance(hours=48)
    assert (await surveys.run(shop.svc, SETTINGS)).reminded == ()  # one reminder at most


async def test_a_low_score_alerts_sales_and_managers_at_once(shop):
    await record_delivery(shop.svc, shop.sales, "SO-100")
    shop.clock.advance(hours=25)
    await surveys.run(shop.svc, SETTINGS)
    await record_survey_answer(shop.svc, shop.alice, "SO-100", 2, "too late")
    alerts = await outbox(shop, "low_score")
    assert {n.recipient for n in alerts} == {f"user:{await user_id(shop, n)}" for n in ("mia", "wang", "sam")}
    assert all(n.urgent for n in alerts)


# --- daily summary -------------------------------------------------------------------------
async def test_daily_summary_for_each_manager_and_group_once(shop):
    await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(12))
    rush = make_order("SO-900", quantity=30, due=at(6), customer="Bolt", rush=True)
    await confirm_change(shop.svc, shop.sales, (await assess(shop.svc, shop.sales, InsertOrder(rush))).token)
    await record_complaint(shop.svc, shop.alice, "Where is my order?", "SO-100")
    shop.clock.advance(days=1)
    settings = NotifySettings(timezone="Asia/Shanghai",
                              groups=config_for_groups().notify_settings().groups)
    result = await daily_summary.run(shop.svc, settings)
    assert result is not None and result.date == "2026-11-24"
    mia, wang = await user_id(shop, "mia"), await user_id(shop, "wang")
    assert set(result.recipients) == {f"user:{mia}", f"user:{wang}", "wecom:ops"}
    assert await daily_summary.run(shop.svc, settings) is None
    assert await daily_summary.run(shop.svc, settings, day=date(2026, 11, 24)) is None
    rows = await outbox(shop, "summary")
    assert len(rows) == 3
    data = rows[0].payload
    vips = [r["vip"] for r in data["late"]]
    assert vips and vips == sorted(vips, reverse=True)  # VIP first
    assert [r["ref"] for r in data["rush"]] == ["SO-900"]
    assert len(data["complaints"]) == 1 and len(data["trend"]) == 14
    assert set(data["kpis"]) == {"on_time_rate", "lead_time_days", "complaint_rate", "satisfaction_avg"}


def config_for_groups() -> NotifyConfig:
    return parse_config({"wecom": {"ops": {"webhook": "http://127.0.0.1:9/x"}}}, {}, JobSettings())


# --- housekeeping --------------------------------------------------------------------------
async def test_housekeeping_expires_proposals(shop):
    await assess(shop.svc, shop.sales, InsertOrder(make_order("SO-901", due=at(40))))
    shop.clock.advance(minutes=30)
    result = await housekeeping.run(shop.svc, SETTINGS)
    assert result is not None and result.changes_expired == 1
    assert await housekeeping.run(shop.svc, SETTINGS) is None


# --- nightly re-plan ------------------------------------------------------------------------
async def test_nightly_replan_publishes_a_plan_made_with_its_own_deadline_once_a_day(shop):
    from dataclasses import replace

    seen = []
    inner = shop.svc.planner

    async def spy(fn, *args, **kw):
        seen.append(args[3].deadline)  # (factory, now, published, settings)
        return await inner(fn, *args, **kw)

    svc = replace(shop.svc, planner=spy)
    async with svc.uow() as uow:
        before = await uow.plans.current()
    update = await deep_plan.run(svc, SETTINGS, seconds=1.5)
    assert update is not None and seen == [1.5]
    async with svc.uow() as uow:
        now = await uow.plans.current()
    assert now is not None and now.number == (before.number if before else 0) + 1
    assert now.reason == "nightly re-plan (1.5 s)" and shop.svc.planning.deadline != 1.5
    assert await deep_plan.run(svc, SETTINGS, seconds=1.5) is None  # once a day
    shop.clock.advance(hours=24)
    assert await deep_plan.run(svc, SETTINGS, seconds=1.5) is not None


# --- the whole path, in the recipient's language ---------------------------------------------
async def test_warnings_reach_the_right_chats_in_their_language(shop):
    async with FakeServices() as fakes:
        relay = make_relay(shop, config_for(fakes))
        await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(10))
        await relay.drain()
        await relay.close()
        bolt = [r for r in fakes.received if r.target in (str(CHAT["bob"]), str(CHAT["chen"]))]
    en = [r.body["text"] for r in bolt if r.target == str(CHAT["bob"])]
    zh = [r.body["text"] for r in bolt if r.target == str(CHAT["chen"])]
    assert en and all(t.startswith("Order SO-10") and "will be late" in t for t in en)
    assert zh and all("将延期交付" in t and "非常抱歉" in t for t in zh)
    assert len(en) == len(zh)
    assert not any(r.target == str(CHAT["alice"]) and "SO-101" in r.body.get("text", "") for r in fakes.received)


async def test_a_warning_speaks_the_language_its_chat_was_switched_to(shop):
    """chen's account is Chinese; his chat was switched to English ("/language en", or by what he
    wrote): the warnings there follow the chat, not the account."""
    async with shop.svc.uow(write=True) as uow:
        chen = await uow.identities.get("telegram", CHAT["chen"])
        assert chen is not None and chen.lang == "zh_Hans"
        await uow.identities.save(replace(chen, lang="en"))
        await uow.commit()
    async with FakeServices() as fakes:
        relay = make_relay(shop, config_for(fakes))
        await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(10))
        await relay.drain()
        await relay.close()
        texts = [r.body["text"] for r in fakes.received if r.target == str(CHAT["chen"])]
    assert texts and all(t.startswith("Order SO-10") and "will be late" in t for t in texts)


async def test_quiet_hours_hold_a_warning_until_the_morning(shop):
    shop.clock.now = datetime.combine(shop.clock.now.date(), time(23, 0), tzinfo=TZ)
    async with FakeServices() as fakes:
        relay = make_relay(shop, config_for(fakes))
        await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(40))
        await relay.drain()
        assert fakes.of("telegram") == [] and relay.stats.deferred > 0
        shop.clock.now += timedelta(hours=9)  # 08:00 next day
        await relay.drain()
        await relay.close()
        assert fakes.of("telegram")


# --- the scheduler -------------------------------------------------------------------------
async def test_scheduler_jobs_are_set_deliberately(shop, tmp_path):
    config = parse_config({}, {}, JobSettings(summary_time="08:00"))
    sched = build_scheduler(shop.svc, None, config)
    jobs = {j.id: j for j in sched.get_jobs()}
    assert {"delay_watch", "delay_watch_after_publication", "surveys", "daily_summary", "housekeeping"} <= set(jobs)
    assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
    assert jobs["daily_summary"].misfire_grace_time == 4 * 3600
    assert str(jobs["daily_summary"].trigger.timezone) == "Asia/Shanghai"
    assert jobs["deep_plan"].kwargs == {"seconds": 60.0} and jobs["deep_plan"].misfire_grace_time == 3 * 3600
    assert str(jobs["deep_plan"].trigger) == "cron[hour='2', minute='0']"
    off = build_scheduler(shop.svc, None, parse_config({}, {}, JobSettings(deep_plan_time=None)))
    assert "deep_plan" not in {j.id for j in off.get_jobs()}
    from db.engine import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    first = await acquire_scheduler_lock(engine)
    second = await acquire_scheduler_lock(engine)
    assert first is not None and second is None
    await first.release()
    third = await acquire_scheduler_lock(engine)
    assert third is not None
    await third.release()
    await engine.dispose()


async def test_a_job_cancelled_at_shutdown_is_news_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    # the scheduler cancels running jobs when the server stops; the claimed period runs again
    # later, so the log says so calmly (no ERROR with a traceback on Ctrl-C of the demo)
    import asyncio
    import logging

    from jobs.registry import _logged

    async def body() -> None:
        raise asyncio.CancelledError

    async def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.INFO, logger="paichan.jobs"):
        assert await _logged("delay_watch", body)() is None
        assert await _logged("surveys", broken)() is None
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert levels["job delay_watch stopped: the server is shutting down"] == logging.INFO
    assert levels["job surveys failed"] == logging.ERROR  # a real failure stays an error


async def test_stopping_the_scheduler_waits_for_the_jobs_it_cancels():
    """A job cancelled at shutdown unwinds (rolls back its transaction) before the server goes
    on to close its database; APScheduler's own shutdown does not wait for that."""
    from jobs.registry import JobScheduler

    started, unwound = asyncio.Event(), []

    async def body() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.2)  # a rollback on its connection
            unwound.append(True)

    sched = JobScheduler(timezone=TZ)
    sched.add_job(sched.tracked(body), DateTrigger(datetime.now(TZ)))
    sched.start()
    await asyncio.wait_for(started.wait(), 5)
    await sched.stop()
    assert unwound == [True] and not sched.running and sched.job_tasks == set()
