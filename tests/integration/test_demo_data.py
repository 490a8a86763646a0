"""The demo factory: deterministic for a seed and "now", realistic content, KPIs with real
values, and ``paichan demo-data`` refusing to overwrite data without ``--force``."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import build_parser
from bot.settings import Settings
from bot.wiring import open_services
from scheduler_core.domain.generate import DEMO_STEP_NAMES_ZH
from scheduler_core.domain.history import (
    DEMO_CUSTOMERS,
    DEMO_CUSTOMERS_EN,
    complaint_probability,
    demo_history,
    expected_score,
)
from scheduler_core.domain.model import OrderStatus
from scheduler_core.services.admin import create_user, load_demo
from scheduler_core.services.context import Services
from scheduler_core.services.errors import Conflict, InvalidInput
from scheduler_core.services.kpi import kpis
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import SYSTEM, Role
from tests.fakes import FakeUnitOfWorkFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)


SALTED = {("users", "password_hash")}  # argon2 hashes carry a random salt by design (checked by login tests)


def dump(db: Path, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out = {}
        for t in tables:
            if t in skip:
                continue
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")') if (t, r[1]) not in SALTED]
            names = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(con.execute(f'SELECT {names} FROM "{t}"').fetchall(), key=repr)
        return out
    finally:
        con.close()


async def load(db: Path, seed: int, *, publish: bool = False) -> None:
    async with open_services(Settings(database_url=f"sqlite+aiosqlite:///{db}", plan_deadline=1.0),
                             clock=lambda: NOW) as svc:
        await load_demo(svc, seed, publish=publish)


async def test_the_same_seed_and_now_give_the_same_database(tmp_path: Path) -> None:
    await load(tmp_path / "a.db", 7)
    await load(tmp_path / "b.db", 7)
    await load(tmp_path / "c.db", 8)
    a, b, c = dump(tmp_path / "a.db"), dump(tmp_path / "b.db"), dump(tmp_path / "c.db")
    assert len(a["orders"]) == 450
    assert a == b
    assert a["orders"] != c["orders"]


def test_the_history_is_a_function_of_seed_and_now() -> None:
    assert demo_history(NOW, 5) == demo_history(NOW, 5)
    assert demo_history(NOW, 5).delivered != demo_history(NOW, 6).delivered


def test_the_demo_content_is_realistic() -> None:
    h = demo_history(NOW, 7)
    f = h.factory
    assert len(f.machines) == 12 and len({m.group for m in f.machines}) == 5
    assert {len(c.shifts[1]) for c in f.calendars.values()} == {2}  # two shifts
    assert {p.split("-")[0] for p in f.routings} == {"PH", "VB", "BR"}  # three product families
    assert len(f.orders) == 150 and all(o.status.is_active for o in f.orders)
    assert len(h.delivered) == 300 and all(d.order.status is OrderStatus.DELIVERED for d in h.delivered)
    assert len({d.order.customer for d in h.delivered}) == 40
    assert {o.ref for o in f.orders}.isdisjoint(d.order.ref for d in h.delivered)
    assert any(o.vip for o in f.orders) and any(o.due < NOW for o in f.orders)
    assert len(f.downtime) == 1 and f.downtime[0].start <= NOW < (f.downtime[0].end or NOW)
    assert min(d.delivered for d in h.delivered) >= NOW - timedelta(days=120)
    assert max(d.delivered for d in h.delivered) < NOW
    assert all(d.order.created and d.order.created < d.delivered for d in h.delivered)
    late = [d for d in h.delivered if d.delivered > d.order.due]
    assert 0.08 < len(late) / 300 < 0.35


def test_complaints_and_scores_follow_lateness() -> None:
    assert complaint_probability(0) < complaint_probability(1) < complaint_probability(3) == complaint_probability(9)
    assert expected_score(0, False) > expected_score(2, False) > expected_score(2, True)
    h = demo_history(NOW, 7)
    late_days = {d.order.ref: d.late_days for d in h.delivered}
    scores = [(late_days[s.ref] > 0.5, s.score) for s in h.surveys if s.score is not None]
    on_time = [x for late, x in scores if not late]
    late = [x for late, x in scores if late]
    assert sum(on_time) / len(on_time) > sum(late) / len(late) + 0.5
    complained = Counter(late_days[c.ref] > 0.5 for c in h.complaints)
    assert complained[True] / max(1, sum(1 for v in late_days.values() if v > 0.5)) > \
        complained[False] / sum(1 for v in late_days.values() if v <= 0.5)


async def test_kpis_of_the_demo_have_real_plausible_values(tmp_path: Path) -> None:
    async with open_services(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", plan_deadline=1.0),
                             clock=lambda: NOW) as svc:
        summary = await load_demo(svc, 7)
        view = await kpis(svc, SYSTEM)
    assert summary.plan_version == 1 and summary.open_orders == 150 and summary.delivered_orders == 300
    assert {u.role for u in summary.users} == set(Role)
    assert sum(1 for u in summary.users if u.role is Role.SALES) == 2
    assert sum(1 for u in summary.users if u.role is Role.OPERATOR) == 2
    assert sum(1 for u in summary.users if u.role is Role.CUSTOMER) >= 2
    assert view.delivered > 50
    assert view.avg_lead_time_days is not None and 4 < view.avg_lead_time_days < 20
    assert view.complaint_rate is not None and 0 < view.complaint_rate < 0.25
    assert view.delay_rate is not None and 0.03 < view.delay_rate < 0.45
    assert view.on_time_rate is not None and view.on_time_rate == pytest.approx(1 - view.delay_rate)
    assert view.satisfaction_score is not None and 55 < view.satisfaction_score < 95
    assert view.open_late >= 1 and view.bottleneck is not None


async def test_load_demo_refuses_a_database_with_data() -> None:
    svc = Services(FakeUnitOfWorkFactory(), lambda: NOW, planning=PlanSettings(deadline=0.5))
    await create_user(svc, SYSTEM, "boss", "admin")
    with pytest.raises(Conflict) as info:
        await load_demo(svc, 7)
    assert info.value.code == "database_not_empty"


async def test_create_user_rules() -> None:
    svc = Services(FakeUnitOfWorkFactory(), lambda: NOW)
    user = await create_user(svc, SYSTEM, " Li.Ming ", "sales", "李明", lang="en")
    assert (user.username, user.role, user.display_name, user.lang) == ("li.ming", Role.SALES, "李明", "en")
    for args, code in [
        (("li.ming", "sales"), "duplicate_user"),
        (("ab", "sales"), "bad_username"),
        (("李明", "sales"), "bad_username"),
        (("ok.name", "boss"), "bad_role"),
        (("buyer", "customer"), "customer_required"),
        (("seller", "sales", "", "ACME"), "customer_not_allowed"),
    ]:
        with pytest.raises(InvalidInput) as info:
            await create_user(svc, SYSTEM, *args)
        assert info.value.code == code
    with pytest.raises(InvalidInput):
        await create_user(svc, SYSTEM, "fr.user", "sales", lang="fr")


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    rc = args.func(args, env=env, out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def test_demo_data_cli_prints_users_and_link_codes_and_needs_force_to_overwrite(tmp_path: Path) -> None:
    db = tmp_path / "paichan.db"
    env = {"PAICHAN_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "PAICHAN_PLAN_DEADLINE": "0.5",
           "PAICHAN_TELEGRAM_BOT_NAME": "paichan_bot", "LANG": "zh_CN.UTF-8"}
    rc, out, err = run(env, "demo-data", "--seed", "11", "--first-plan", "0.5")
    assert rc == 0, err
    assert "演示工厂已载入（种子 11）" in out and "150 个未完成订单" in out
    for username in ("admin", "manager", "sales.li", "sales.wang", "op.zhang", "op.chen", "customer1"):
        assert f"  {username} " in out
    assert out.count("https://t.me/paichan_bot?start=") == 9
    before = dump(db)
    rc, out, err = run(env, "demo-data", "--seed", "12")
    assert rc == 1 and "数据库中已有数据。" in err and "--force" in err
    assert dump(db) == before
    rc, out, err = run({**env, "LANG": "en_US.UTF-8"}, "demo-data", "--seed", "12", "--force", "--first-plan", "0.5")
    assert rc == 0, err
    assert "Demo factory loaded (seed 12)" in out
    assert len(dump(db)["users"]) == 9


@pytest.mark.parametrize(("lang", "welding", "user_lang"), [("zh", "焊接", "zh_Hans"), ("en", "Welding", "en")])
async def test_the_demo_speaks_the_language_it_was_made_in(lang: str, welding: str, user_lang: str) -> None:
    # "paichan demo --lang zh" is a Chinese factory: its steps are 下料, 焊接, ... and its users speak Chinese
    svc = Services(FakeUnitOfWorkFactory(), lambda: NOW, planning=PlanSettings(deadline=0.5))
    await load_demo(svc, 7, publish=False, lang=lang)
    async with svc.uow() as uow:
        names = {st.name for r in (await uow.master.routings()).values() for st in r.steps}
        manager = await uow.users.by_username("manager")
    assert welding in names and names <= set(DEMO_STEP_NAMES_ZH.values() if lang == "zh" else DEMO_STEP_NAMES_ZH)
    assert manager is not None and manager.lang == user_lang


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_the_english_demo_names_every_customer_in_english_and_customers_write_in_their_own_language() -> None:
    svc = Services(FakeUnitOfWorkFactory(), lambda: NOW, planning=PlanSettings(deadline=0.5))
    await load_demo(svc, 7, publish=False, lang="en")
    async with svc.uow() as uow:
        orders = await uow.orders.list(limit=10_000)
        complaints = await uow.feedback.complaints(NOW - timedelta(days=365))
        customer1 = await uow.users.by_username("customer1")
        assert customer1 is not None
        web_chat = [i for i in await uow.identities.for_user(customer1.id) if i.channel == "web"]
    assert web_chat and web_chat[0].active  # warnings and surveys wait in the web chat (no Telegram in a demo)
    customers = {r.order.customer for r in orders}
    assert len(customers) == 40 and not any(_chinese(c) for c in customers)
    assert "Hengtong Hydraulics" in customers
    assert complaints and not any(_chinese(c.text) for c in complaints)
    # the same data as the Chinese demo, names aside: who orders what, when, late or not
    zh, en = demo_history(NOW, 7), demo_history(NOW, 7, customers=DEMO_CUSTOMERS_EN)
    assert [(o.ref, o.quantity, o.due, o.vip) for o in zh.factory.orders] == \
        [(o.ref, o.quantity, o.due, o.vip) for o in en.factory.orders]
    by_position = dict(zip(DEMO_CUSTOMERS, DEMO_CUSTOMERS_EN, strict=True))
    assert [by_position[o.customer] for o in zh.factory.orders] == [o.customer for o in en.factory.orders]
    # in the Chinese demo a Chinese company writes Chinese, the others English
    assert zh.complaints and all(_chinese(c.text) == _chinese(c.customer) for c in zh.complaints)
    comments = [s for s in zh.surveys if s.comment]
    assert comments and all(_chinese(s.comment or "") == _chinese(s.customer) for s in comments)


async def test_the_first_plan_gets_its_own_time_and_is_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduler_core.services.admin as admin

    svc = Services(FakeUnitOfWorkFactory(), lambda: NOW, planning=PlanSettings(deadline=0.5))
    said: list[str] = []
    real = admin.replan_now

    async def spy(services: Services, *args, **kwargs):  # type: ignore[no-untyped-def]
        said.append(f"planned within {services.planning.deadline:g} s")
        return await real(services, *args, **kwargs)

    monkeypatch.setattr(admin, "replan_now", spy)
    summary = await load_demo(svc, 7, plan_seconds=1.5, on_plan=lambda: said.append("announced"))
    assert summary.plan_version == 1 and said == ["announced", "planned within 1.5 s"]
    assert svc.planning.deadline == 0.5  # the services keep their own deadline for later re-plans
    said.clear()
    await load_demo(Services(FakeUnitOfWorkFactory(), lambda: NOW, planning=PlanSettings(deadline=0.5)), 7)
    assert said == ["planned within 0.5 s"]  # without plan_seconds: the services' own
