"""``paichan db upgrade``, ``user add``, ``link-code``, ``orders list``, ``status`` and ``kpi``
on a SQLite file holding the demo factory: localized text, JSON with ISO dates, and use-case
errors as a localized sentence with exit code 1."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import build_parser


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    rc = args.func(args, env=env, out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("admin") / "paichan.db"
    env = {"PAICHAN_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "PAICHAN_PLAN_DEADLINE": "1", "LANG": "C",
           "PAICHAN_TELEGRAM_BOT_NAME": "@paichan_demo_bot"}
    rc, _, err = run(env, "demo-data", "--seed", "3", "--first-plan", "0.5")
    assert rc == 0, err
    return env


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    env = {"PAICHAN_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "LANG": "zh_CN.UTF-8"}
    rc, out, _ = run(env, "db", "upgrade")
    assert rc == 0 and out.startswith("数据库 sqlite+aiosqlite:///") and "已是最新结构" in out
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"orders", "users", "plan_versions"} <= tables
    assert run(env, "db", "upgrade", "--lang", "en")[1].endswith("is up to date.\n")


def test_user_add_and_its_errors(demo: dict[str, str]) -> None:
    rc, out, _ = run(demo, "user", "add", "Wang.Fang", "--role", "sales", "--name", "王芳", "--lang", "en")
    assert rc == 0 and "wang.fang" in out
    rc, out, err = run(demo, "user", "add", "wang.fang", "--role", "sales")
    assert rc == 1 and err.strip() == "User wang.fang exists already."
    env_zh = {**demo, "LANG": "zh_CN.UTF-8"}
    assert run(env_zh, "user", "add", "wang.fang", "--role", "sales")[2].strip() == "用户 wang.fang 已存在。"
    rc, _, err = run(env_zh, "user", "add", "x", "--role", "sales")
    assert rc == 1 and err.startswith("x 不是有效的用户名")
    rc, _, err = run(demo, "user", "add", "buyer.one", "--role", "customer")
    assert rc == 1 and err.strip() == "A customer user needs the customer it belongs to."
    rc, out, _ = run(demo, "user", "add", "buyer.one", "--role", "customer", "--customer", "ACME Tools")
    assert rc == 0
    with pytest.raises(SystemExit):  # argparse refuses an unknown role itself
        run(demo, "user", "add", "someone", "--role", "boss")


def test_link_code_prints_the_code_expiry_and_deep_link(demo: dict[str, str]) -> None:
    rc, out, _ = run(demo, "link-code", "--user", "customer1", "--lang", "en")
    assert rc == 0
    code = out.splitlines()[0].rsplit(" ", 1)[1]
    assert len(code) == 10 and code.isalnum()
    assert f"https://t.me/paichan_demo_bot?start={code}" in out and "Valid until" in out
    rc, out, _ = run(demo, "link-code", "--user", "customer1", "--json")
    data = json.loads(out)
    assert data["link"] == f"https://t.me/paichan_demo_bot?start={data['code']}"
    assert datetime.fromisoformat(data["expires"]).tzinfo is not None
    no_bot = {k: v for k, v in demo.items() if k != "PAICHAN_TELEGRAM_BOT_NAME"}
    rc, out, _ = run(no_bot, "link-code", "--user", "customer1", "--lang", "zh")
    assert rc == 0 and "t.me" not in out and "/start" in out and "有效期至" in out
    rc, _, err = run(demo, "link-code", "--user", "nobody", "--lang", "zh")
    assert rc == 1 and err.strip() == "未知用户 nobody。"


def test_orders_list_filters_and_json(demo: dict[str, str]) -> None:
    rc, out, _ = run(demo, "orders", "list", "--json")
    rows = json.loads(out)
    assert rc == 0 and len(rows) == 150
    assert {"ref", "customer", "due", "eta", "late_by_minutes", "status", "vip"} <= set(rows[0])
    datetime.fromisoformat(rows[0]["due"])
    late = json.loads(run(demo, "orders", "list", "--late", "--json")[1])
    assert late and all(r["late_by_minutes"] > 0 for r in late)
    customer = rows[0]["customer"]
    mine = json.loads(run(demo, "orders", "list", "--customer", customer, "--json")[1])
    assert mine and {r["customer"] for r in mine} == {customer}
    everything = json.loads(run(demo, "orders", "list", "--all", "--json")[1])
    assert len(everything) == 450
    rc, out, _ = run(demo, "orders", "list", "--late", "--lang", "zh")
    assert rc == 0 and out.splitlines()[0].split()[:3] == ["订单", "客户", "产品"]
    dues = sorted(datetime.fromisoformat(r["due"]) for r in rows)
    cut = dues[len(dues) // 3]
    day = cut.astimezone(ZoneInfo("Asia/Shanghai")).date()
    soon = json.loads(run(demo, "orders", "list", "--due-by", day.isoformat(), "--json")[1])
    expected = {r["ref"] for r in rows if datetime.fromisoformat(r["due"]).astimezone(ZoneInfo("Asia/Shanghai")).date() <= day}
    assert soon and {r["ref"] for r in soon} == expected and len(expected) < len(rows)
    assert [r["due"] for r in soon] == sorted(r["due"] for r in soon)  # soonest promise first


def test_status_in_both_languages_and_json(demo: dict[str, str]) -> None:
    late = json.loads(run(demo, "orders", "list", "--late", "--json")[1])[0]["ref"]
    rc, out, _ = run(demo, "status", late, "--lang", "zh")
    assert rc == 0 and out.startswith(late) and "承诺交期：" in out and "延误" in out
    assert "[" in out and "]" in out and ("█" in out or "░" in out)
    rc, out, _ = run(demo, "status", late.replace("SO-", "so"), "--lang", "en")
    assert rc == 0 and "Promised:" in out and "Late by" in out and "%" in out
    data = json.loads(run(demo, "status", late, "--json")[1])
    assert data["ref"] == late and data["on_time"] is False and data["late_by_minutes"] > 0
    assert datetime.fromisoformat(data["due"]) < datetime.fromisoformat(data["eta"])
    assert 0 <= data["progress"] <= 1 and data["steps"] and data["steps"][0]["step"] == 1


def test_status_of_an_unknown_order_is_a_polite_error(demo: dict[str, str]) -> None:
    rc, out, err = run(demo, "status", "SO-99999", "--lang", "zh")
    assert (rc, out, err.strip()) == (1, "", "未找到订单 SO-99999。")
    rc, _, err = run(demo, "status", "hello", "--lang", "en")
    assert rc == 1 and err.strip() == "Order hello was not found." and "Traceback" not in err


def test_kpis_as_json_and_text(demo: dict[str, str]) -> None:
    _rc, out, _ = run(demo, "kpi", "--json")
    data = json.loads(out)
    for key in ("avg_lead_time_days", "complaint_rate", "delay_rate", "satisfaction_score", "on_time_rate"):
        assert data[key] is not None, key
    assert data["on_time_rate"] + data["delay_rate"] == pytest.approx(1.0)
    assert json.loads(run(demo, "kpi", "--days", "90", "--json")[1])["delivered"] > data["delivered"]
    zh = run(demo, "kpi", "--lang", "zh")[1]
    assert "平均交货周期" in zh and "投诉率" in zh and "满意度（0-100）" in zh
    en = run(demo, "kpi", "--lang", "en")[1]
    assert "Average lead time" in en and "On-time delivery" in en


def test_a_bad_setting_is_reported_without_a_traceback(demo: dict[str, str]) -> None:
    rc, _, err = run({**demo, "PAICHAN_PLAN_DEADLINE": "soon"}, "kpi")
    assert rc == 2 and "PAICHAN_PLAN_DEADLINE" in err
