"""The factory simulator: same world for every policy, nothing lost, valid plans, a monotone
customer model, and the live driver on the in-memory store."""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import simulate as cli
from scheduler_core.domain.check import check_schedule
from scheduler_core.domain.generate import FactorySpec, generate_factory
from scheduler_core.domain.model import OrderStatus
from scheduler_core.reports.i18n import translator
from scheduler_core.services.context import Services, load_factory
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import SYSTEM
from scheduler_core.services.shopfloor import replan_now
from scheduler_core.simulation import (
    POLICIES,
    CustomerModel,
    DriverSettings,
    FloorEvent,
    ScenarioSpec,
    ShopFloorDriver,
    SimClock,
    SimSettings,
    make_scenario,
    seed_storage,
    simulate_policy,
    summarize,
)
from scheduler_core.simulation.scenario import work_noise
from tests.fakes import FakeUnitOfWorkFactory

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
FAST = SimSettings(plan_seconds=0.5, replan_hours=4, validate=True)
SPEC = ScenarioSpec(mtbf_hours=40.0, mttr_hours=3.0)  # breakdowns within a few days


def small_factory():
    return generate_factory(FactorySpec(machines=5, groups=3, products=3, orders=8, seed=3, machine_down=False,
                                        started_share=0.3), START)


def scenario(days: float = 4.0, seed: int = 11):
    return make_scenario(small_factory(), START, days, seed, SPEC)


async def run(policy: str, sc=None, settings: SimSettings = FAST):
    uow = FakeUnitOfWorkFactory()
    result = await simulate_policy(uow, sc or scenario(), POLICIES[policy], settings)
    return uow, result


def _without_time(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "wall_seconds"}


async def test_a_seed_gives_the_same_run_twice() -> None:
    _, a = await run("atc")
    _, b = await run("atc")
    assert _without_time(summarize(a)) == _without_time(summarize(b))
    assert [(o.ref, o.promised, o.finished) for o in a.outcomes] == [(o.ref, o.promised, o.finished)
                                                                     for o in b.outcomes]
    assert a.initial_finished > 0 and a.outcomes  # the run did something worth comparing


def test_every_policy_sees_the_same_world() -> None:
    a, b = scenario(seed=5), scenario(seed=5)
    assert a.arrivals == b.arrivals and a.breakdowns == b.breakdowns
    assert a.breakdowns and a.arrivals
    assert any(x.rush for x in make_scenario(small_factory(), START, 30, 5, SPEC).arrivals)
    # the noise of an operation depends on (seed, order, step) only, not on the order of draws
    first = [work_noise(5, "SO-1", k, 0.2) for k in range(3)]
    assert [work_noise(5, "SO-1", k, 0.2) for k in reversed(range(3))] == list(reversed(first))
    assert work_noise(6, "SO-1", 0, 0.2) != first[0]
    # a longer horizon starts with the same world
    longer = scenario(days=8.0, seed=5)
    assert longer.arrivals[: len(a.arrivals)] == a.arrivals
    assert make_scenario(small_factory(), START, 4, 6, SPEC).arrivals != a.arrivals


async def test_policies_get_the_same_arrivals_and_requested_dates() -> None:
    sc = scenario()
    _, fifo = await run("fifo", sc)
    _, edd = await run("edd", sc)
    key = [(o.ref, o.arrived, o.requested, o.rush, o.vip) for o in fifo.outcomes]
    assert key == [(o.ref, o.arrived, o.requested, o.rush, o.vip) for o in edd.outcomes]
    assert [(o.ref, o.promised) for o in fifo.outcomes] == [(o.ref, o.promised) for o in edd.outcomes]


@pytest.mark.parametrize("policy", ["fifo", "paichan"])
async def test_no_order_or_operation_is_lost(policy: str) -> None:
    sc = scenario()
    uow, result = await run(policy, sc)
    async with uow() as u:
        records = {r.ref: r for r in await u.orders.list()}
        progress = await u.shopfloor.progress()
        plan = await u.plans.current()
    assert plan is not None
    refs = {o.ref for o in sc.factory.orders} | {a.ref for a in sc.arrivals}
    assert set(records) == refs  # every order released is known ...
    planned = {(op.ref, op.step) for op in plan.schedule.ops}
    for ref, rec in records.items():
        steps = len(sc.factory.routings[rec.order.product].steps)
        finished = [k for k in range(steps) if (p := progress.get((ref, k))) and p.finished is not None]
        if rec.order.status is OrderStatus.DELIVERED:  # ... finished (every step, every unit) ...
            assert len(finished) == steps and rec.delivered is not None
            assert all(progress[(ref, k)].done == rec.order.quantity for k in range(steps))
        else:  # ... or in progress / waiting, with every unfinished step in the plan
            assert rec.order.status in (OrderStatus.OPEN, OrderStatus.IN_PROGRESS)
            assert {(ref, k) for k in range(steps) if k not in finished} <= planned
    outcome = {o.ref: o for o in result.outcomes}
    for ref, o in outcome.items():
        assert (o.finished is not None) == (records[ref].order.status is OrderStatus.DELIVERED)


@pytest.mark.parametrize("policy", ["edd", "paichan"])
async def test_every_published_plan_passes_the_validator(policy: str) -> None:
    uow, result = await run(policy)
    assert result.replans > 3
    assert result.plan_violations == []  # checked after every publication
    async with uow() as u:
        factory, _ = await load_factory(u)
        plan = await u.plans.current()
    assert plan is not None and check_schedule(factory, plan.schedule) == []


async def test_quote_same_makes_paichan_promise_the_fixed_lead_time() -> None:
    sc = scenario()
    _, fifo = await run("fifo", sc)
    _, same = await run("paichan", sc, replace(FAST, quote_same=True))
    assert [(o.ref, o.promised) for o in same.outcomes] == [(o.ref, o.promised) for o in fifo.outcomes]
    _, own = await run("paichan", sc)
    for o in own.outcomes:
        assert o.promised >= o.requested  # capable-to-promise never promises before the asked date


@given(d1=st.floats(-5, 30), d2=st.floats(-5, 30), warned=st.booleans())
def test_the_customer_model_is_monotone(d1: float, d2: float, warned: bool) -> None:
    m = CustomerModel()
    early, late = min(d1, d2), max(d1, d2)
    assert m.satisfaction(late, warned) <= m.satisfaction(early, warned)
    assert m.complaint_probability(late, warned) >= m.complaint_probability(early, warned)
    assert m.complaint_probability(late, True) <= m.complaint_probability(late, False)
    assert m.satisfaction(late, True) >= m.satisfaction(late, False)
    assert 0 <= m.complaint_probability(late, warned) <= 1 and 1 <= m.satisfaction(late, warned) <= 5


def _cli_args(**kw: object) -> argparse.Namespace:
    base = dict(days=2.0, policy="fifo", seed=3, seeds=1, factory="demo", quote="own", lead_days=10.0,
                plan_seconds=0.5, replan_hours=4.0, json=True, chart=None, lang="en", no_progress=True,
                from_json=None, store="memory")
    base.update(kw)
    return argparse.Namespace(**base)


def _fake_store():
    import contextlib

    @contextlib.asynccontextmanager
    async def store():
        yield FakeUnitOfWorkFactory()

    return store


def test_cli_json_has_the_measures_per_policy(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    import io

    out = io.StringIO()
    chart = tmp_path / "sim.png"
    assert cli.run(_cli_args(policy="edd", chart=chart), out=out) == 0  # the product's in-memory store
    doc = json.loads(out.getvalue())
    edd = doc["policies"]["edd"]
    for key in ("delay_rate", "on_time_rate", "avg_lead_time_days", "p90_lead_time_days", "weighted_tardiness",
                "complaint_rate", "satisfaction_score"):
        assert key in edd
    assert edd["orders_arrived"] > 0
    assert any("complaint probability" in line for line in doc["assumptions"])
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_refuses_an_unknown_factory_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_cli_args(factory="nowhere.json", lang="zh_Hans"), store=_fake_store()) == 1
    assert "未知工厂 nowhere.json" in capsys.readouterr().err


async def _live_shop() -> tuple[FakeUnitOfWorkFactory, SimClock, Services]:
    """The scenario's factory in a store, planned at START, for a live driver."""
    uow = FakeUnitOfWorkFactory()
    clock = SimClock(START)
    svc = Services(uow=uow, clock=clock, planning=PlanSettings(deadline=0.5, isolate=False))
    await seed_storage(uow, scenario())
    await replan_now(svc, SYSTEM, "start")
    return uow, clock, svc


async def test_the_live_driver_moves_the_factory_through_the_use_cases() -> None:
    sc = scenario()
    uow, clock, svc = await _live_shop()
    driver = ShopFloorDriver(svc, random.Random(4))
    said: list[FloorEvent] = []
    protected: list[tuple[set[str], bool]] = []  # per step: the kinds of its events, a protected re-plan?
    run = svc.replans.run

    async def spy(job, *, gives_more=False):  # type: ignore[no-untyped-def]
        protected[-1] = (protected[-1][0], gives_more)
        return await run(job, gives_more=gives_more)

    svc.replans.run = spy  # type: ignore[method-assign]
    for hour in range(1, 49, 2):
        clock.now = START + timedelta(hours=hour)
        protected.append((set(), False))
        events = await driver.step(clock.now)
        protected[-1] = ({e.kind for e in events}, protected[-1][1])
        said += events
    # reports and repairs alone re-plan protected (as the chat's reports); a new order or a stop does not
    assert all(flag == (kinds <= {"progress", "finished", "repaired", "rush_declined"})
               for kinds, flag in protected if kinds)
    assert any(flag for _, flag in protected) and any(kinds and not flag for kinds, flag in protected)
    async with uow() as u:
        progress = await u.shopfloor.progress()
        plan = await u.plans.current()
        orders = await u.orders.list()
        factory, _ = await load_factory(u)
    en, zh = translator("en"), translator("zh_Hans")
    assert any(e.kind == "finished" and "finished on" in e.text(en) and "完工" in e.text(zh) for e in said)
    assert any(p.finished is not None and p.finished > START for p in progress.values())
    assert any(e.kind == "order" and e.text(en).startswith("new order") and e.text(zh).startswith("新订单") for e in said)
    assert len(orders) > len(sc.factory.orders)
    assert plan is not None and plan.number > 1 and check_schedule(factory, plan.schedule) == []


def test_cli_combines_saved_runs_into_medians(tmp_path) -> None:
    import io

    files = []
    for seed in (3, 4):
        out = io.StringIO()
        assert cli.run(_cli_args(days=1.0, seed=seed), out=out) == 0
        path = tmp_path / f"seed{seed}.json"
        path.write_text(out.getvalue(), encoding="utf-8")
        files.append(path)
    rows = [json.loads(p.read_text())["policies"]["fifo"]["orders_arrived"] for p in files]
    out = io.StringIO()
    assert cli.run(_cli_args(from_json=files), out=out) == 0
    doc = json.loads(out.getvalue())
    assert doc["seeds"] == [3, 4]
    assert doc["policies"]["fifo"]["orders_arrived"] == sum(rows) / 2
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert cli.run(_cli_args(from_json=[bad])) == 1


def test_cli_simulates_the_factory_of_a_paichan_database(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--factory FILE``: the machines, routings, open orders and progress of a database the
    factory already runs on (here the demo data loaded into a SQLite file); the file is only read."""
    import asyncio

    from bot.settings import load_settings
    from bot.wiring import open_services
    from scheduler_core.services.admin import load_demo

    path = tmp_path / "factory.db"

    async def make() -> int:
        settings = replace(load_settings({}), database_url=f"sqlite+aiosqlite:///{path}")
        async with open_services(settings, migrate=True,
                                 clock=lambda: datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) as svc:
            # a plan published at that Monday: the simulation starts from it, not from the wall
            # clock (without a plan it starts now, and a run started on a Saturday evening saw a
            # closed factory and no order arrive in its one day)
            summary = await load_demo(svc, plan_seconds=0.5)
        return summary.open_orders

    open_orders = asyncio.run(make())
    before = path.read_bytes()
    assert cli.run(_cli_args(factory=str(path), days=1.0), store=_fake_store()) == 0
    doc = json.loads(capsys.readouterr().out)
    fifo = doc["policies"]["fifo"]
    assert fifo["orders_arrived"] > 0 and fifo["utilisation"] > 0  # the floor worked on the database's orders
    assert f"{open_orders} open orders at the start" in doc["assumptions"][0]
    assert path.read_bytes() == before  # only read


def test_the_printed_assumptions_speak_the_chosen_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_cli_args(json=False, lang="zh_Hans", days=1.0), store=_fake_store()) == 0
    out = capsys.readouterr().out
    assumptions = out[out.index("假设"):]
    assert "投诉概率" in assumptions and "泊松" in assumptions
    assert "complaint probability" not in assumptions and "arrivals:" not in assumptions


async def test_a_floor_that_keeps_to_the_plan_keeps_the_plan() -> None:
    # Only progress, reported every 7 minutes at the planned pace: no date of the plan moves
    # later. Before, each report counted whole units only (the unit in progress left out), the
    # re-plan put the running steps later by that part of a unit, and the steps the frozen
    # horizon held behind them stayed there: the demo's ETAs slid 4 minutes per report, and
    # orders planned just in time turned "2 minutes late" and warned their customers.
    uow, clock, svc = await _live_shop()
    async with uow() as u:
        first = await u.plans.current()
    assert first is not None
    driver = ShopFloorDriver(svc, random.Random(4), DriverSettings(breakdown_chance=0, order_chance=0, rush_chance=0))
    reports = 0
    for i in range(1, 19):
        clock.now = START + timedelta(minutes=7 * i)
        reports += sum(e.kind == "progress" for e in await driver.step(clock.now))
    async with uow() as u:
        plan = await u.plans.current()
    assert plan is not None and plan.number > first.number and reports >= 18
    before, after = first.schedule.etas(), plan.schedule.etas()
    later = {ref: after[ref] - before[ref] for ref in after if ref in before and after[ref] > before[ref]}
    assert later == {}  # (earlier is allowed: a finished step frees its successor for a better plan)
