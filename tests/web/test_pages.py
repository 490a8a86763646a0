"""The web app through HTTP: login and sessions, CSRF, who may open which page, P1 on order
pages, and bad input on forms (a localized error, nothing changed)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from scheduler_core.services.change_flow import assess, confirm_change
from scheduler_core.services.changes import ChangeDue
from scheduler_core.services.ports import ChangeStatus
from tests.builders import TZ
from tests.web.conftest import PASSWORD, Web


async def test_pages_need_a_login_and_send_you_back_after_it(web: Web) -> None:
    status, _ = await web.text("/orders?show=late")
    assert status == 303
    async with web.client.get("/orders?show=late", allow_redirects=False) as resp:
        assert resp.headers["Location"].startswith("/login?next=/orders")
    token = await web.csrf("/login")
    async with web.client.post("/login", data={"username": "mia", "password": PASSWORD, "_csrf": token,
                                               "next": "/orders?show=late"}, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/orders?show=late"
    status, body = await web.text("/orders")
    assert status == 200 and "SO-100" in body


async def test_wrong_password_and_unknown_user_get_the_same_answer(web: Web) -> None:
    token = await web.csrf()
    bodies = []
    for username, password in [("mia", "wrong-password"), ("nobody", "wrong-password"), ("mia", "x" * 500)]:
        async with web.client.post("/login", data={"username": username, "password": password, "_csrf": token}) as resp:
            assert resp.status == 401
            bodies.append((await resp.text()).replace(f'value="{username}"', 'value="?"'))
    assert bodies[0] == bodies[1] == bodies[2]
    assert "Wrong username or password." in bodies[0] or "用户名或密码错误" in bodies[0]
    assert (await web.text("/orders"))[0] == 303  # still logged out


async def test_logout_ends_the_session(web: Web) -> None:
    assert await web.login("mia") == 303
    assert (await web.text("/"))[0] == 200
    token = await web.csrf("/")
    async with web.client.post("/logout", data={"_csrf": token}, allow_redirects=False) as resp:
        assert resp.status == 303
    assert (await web.text("/"))[0] == 303


async def test_the_session_cookie_is_encrypted_and_http_only(web: Web) -> None:
    await web.login("mia")
    cookie = next(c for c in web.client.session.cookie_jar if c.key == "paichan_session")
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "mia" not in cookie.value and '"uid"' not in cookie.value


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(web: Web) -> None:
    # login itself needs the token
    async with web.client.post("/login", data={"username": "mia", "password": PASSWORD}) as resp:
        assert resp.status == 403
    assert await web.login("sam") == 303
    async with web.client.post("/changes/rush", data={"customer": "ACME", "product": "P", "quantity": "10",
                                                      "due": "2026-12-01", "_csrf": "forged"}) as resp:
        assert resp.status == 403
        assert "The form has expired" in await resp.text()
    async with web.client.post("/gantt/move", json={"ref": "SO-105", "step": 1, "machine": "M2",
                                                    "start": "2026-11-24T10:00:00+08:00"}) as resp:
        assert resp.status == 403
    async with web.shop.svc.uow() as uow:
        assert await uow.changes.list() == []


@pytest.mark.parametrize(("user", "allowed", "forbidden"), [
    ("alice", ["/orders", "/chat"], ["/gantt", "/capacity", "/changes", "/gantt/data", "/import"]),
    ("otto", ["/", "/orders", "/gantt", "/capacity", "/changes", "/chat"], ["/import"]),
    ("sam", ["/", "/orders", "/gantt", "/capacity", "/changes", "/chat"], ["/import"]),
    ("mia", ["/", "/orders", "/gantt", "/gantt/data", "/capacity", "/changes", "/chat", "/import"], []),
])
async def test_role_access_per_page(web: Web, user: str, allowed: list[str], forbidden: list[str]) -> None:
    assert await web.login(user) == 303
    for path in allowed:
        status, _ = await web.text(path)
        assert status == 200, (user, path, status)
    for path in forbidden:
        status, body = await web.text(path)
        assert status == 403, (user, path)
        assert "You are not allowed to do this." in body


async def test_a_customer_is_sent_from_the_dashboard_to_their_orders(web: Web) -> None:
    await web.login("alice")
    status, _ = await web.text("/")
    assert status == 303
    _, body = await web.text("/orders")
    assert "SO-100" in body and "SO-102" in body  # ACME's
    assert "SO-101" not in body and "SO-103" not in body  # Bolt's


async def test_unknown_and_foreign_orders_get_the_same_page(web: Web) -> None:
    """P1: alice (ACME) asking for Bolt's SO-101 sees exactly what an unknown order shows."""
    await web.login("alice")
    foreign = await web.text("/orders/SO-101")
    unknown = await web.text("/orders/SO-999")
    assert foreign[0] == unknown[0] == 404
    assert foreign[1].replace("SO-101", "SO-X") == unknown[1].replace("SO-999", "SO-X")
    assert "Bolt" not in foreign[1]
    own = await web.text("/orders/SO-100")
    assert own[0] == 200 and "ACME" in own[1]


async def test_the_order_page_shows_operations_eta_and_why_late(web: Web) -> None:
    shop = web.shop  # SO-105 is promised for in an hour: it cannot make it
    p = await assess(shop.svc, shop.sales, ChangeDue("SO-105", shop.clock() + timedelta(hours=1)))
    assert (await confirm_change(shop.svc, shop.sales, p.token)).applied
    await web.login("mia")
    _, listing = await web.text("/orders?show=late")
    late = re.findall(r'<tr class="late" data-ref="([^"]+)"', listing)
    assert late, "the seeded shop has late orders"
    status, body = await web.text(f"/orders/{late[0]}")
    assert status == 200
    assert 'id="steps"' in body and "step1" in body and "step2" in body
    assert 'id="late-by"' in body and 'id="why-late"' in body
    _, on_time = await web.text("/orders/SO-100")
    assert 'id="why-late"' not in on_time


async def test_pages_switch_language(web: Web) -> None:
    await web.login("mia", lang="zh")
    _, body = await web.text("/orders")
    assert "订单" in body and 'lang="zh-Hans"' in body
    async with web.client.get("/lang?to=en&next=/orders") as resp:
        body = await resp.text()
    assert 'lang="en"' in body and "Orders" in body


@pytest.mark.parametrize(("server", "header", "expected"), [
    (None, None, "zh-Hans"), ("en", None, "en"), ("en", "zh-CN,zh;q=0.9", "zh-Hans"), ("zh", "en-US", "en"),
])
async def test_the_login_page_speaks_the_browsers_language_else_the_servers(
        web: Web, server: str | None, header: str | None, expected: str) -> None:
    """A browser's Accept-Language wins; without one, the server's PAICHAN_LANG (the demo's --lang)."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.settings import Settings
    from bot.web.app import init_app

    app = init_app(Settings(secret_key="test-secret-key-of-the-web-app", lang=server), services=web.shop.svc)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        async with client.get("/login", headers={"Accept-Language": header} if header else None) as resp:
            body = await resp.text()
    assert resp.status == 200 and f'lang="{expected}"' in body


async def test_a_bad_rush_form_gets_a_localized_error_and_changes_nothing(web: Web) -> None:
    await web.login("sam", lang="zh")
    token = await web.csrf("/changes")
    cases = [
        ({"quantity": "0", "due": "2026-12-01"}, "数量"),
        ({"quantity": "-5", "due": "2026-12-01"}, "数量"),
        ({"quantity": "abc", "due": "2026-12-01"}, "数量"),
        ({"quantity": "99999999", "due": "2026-12-01"}, "上限"),
        ({"quantity": "10", "due": "2020-01-01"}, "过去"),
        ({"quantity": "10", "due": "tomorrow"}, "不是日期"),
    ]
    for fields, word in cases:
        data = {"customer": "ACME", "product": "P", "_csrf": token, **fields}
        async with web.client.post("/changes/rush", data=data) as resp:
            body = await resp.text()
            assert resp.status == 400, fields
            assert 'id="error"' in body and word in body, (fields, body[body.find('id="error"'):][:200])
    data = {"customer": "ACME", "product": "NOPE", "quantity": "5", "due": "2026-12-01", "_csrf": token}
    async with web.client.post("/changes/rush", data=data) as resp:
        assert resp.status == 400 and "NOPE" in await resp.text()
    async with web.shop.svc.uow() as uow:
        assert await uow.changes.list() == []
        assert len(await uow.orders.list()) == 6


async def test_rush_order_preview_then_confirm_adds_the_order_and_a_new_plan(web: Web) -> None:
    await web.login("sam")
    token = await web.csrf("/changes")
    data = {"customer": "ACME", "product": "P", "quantity": "30", "due": "2026-11-24", "_csrf": token}
    async with web.client.post("/changes/rush", data=data) as resp:
        body = await resp.text()
    assert resp.status == 200 and 'id="proposal"' in body and "impact preview" in body
    async with web.shop.svc.uow() as uow:
        (change,) = await uow.changes.list()
        before = (await uow.plans.current()).number
    change_token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    async with web.client.post("/changes/decide", data={"_csrf": token, "token": change_token,
                                                        "decision": "confirm", "subject": change.subject}) as resp:
        body = await resp.text()
    assert resp.status == 200 and 'id="outcome"' in body
    async with web.shop.svc.uow() as uow:
        assert (await uow.plans.current()).number == before + 1
        assert await uow.orders.get(change.subject) is not None
        assert (await uow.changes.get(change.id)).status is ChangeStatus.CONFIRMED
    # the same token again: refused, nothing more happens
    async with web.client.post("/changes/decide", data={"_csrf": token, "token": change_token,
                                                        "decision": "confirm"}) as resp:
        assert resp.status == 409


async def test_a_gantt_move_previews_then_confirms_and_the_eta_changes(web: Web) -> None:
    await web.login("mia")
    token = await web.csrf("/gantt")
    async with web.client.get("/gantt/data") as resp:
        data = await resp.json()
    movable = [i for i in data["items"] if i.get("editable")]
    frozen = web.shop.clock.now + timedelta(minutes=web.shop.svc.planning.frozen_minutes)  # always open here
    assert movable and all(datetime.fromisoformat(i["start"]) >= frozen for i in movable)
    assert any(i.get("ref") and datetime.fromisoformat(i["start"]) < frozen and not i["editable"]
               for i in data["items"])  # what starts within the frozen horizon stays put: not offered
    item = max(movable, key=lambda i: i["start"])
    ref, step = item["ref"], item["step"]
    async with web.shop.svc.uow() as uow:
        old_eta = (await uow.plans.current()).schedule.eta(ref)
    later = "2026-11-26T10:00:00+08:00"
    headers = {"X-CSRF-Token": token}
    async with web.client.post("/gantt/move", json={"ref": ref, "step": step, "machine": item["group"],
                                                    "start": later}, headers=headers) as resp:
        preview = await resp.json()
    assert resp.status == 200, preview
    assert preview["token"] and "impact preview" in preview["html"]
    assert any(r["ref"] == ref for r in preview["rows"])
    async with web.client.post("/gantt/confirm", json={"token": preview["token"], "subject": ref},
                               headers=headers) as resp:
        done = await resp.json()
    assert resp.status == 200 and done["applied"] is True
    async with web.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan.schedule.eta(ref) > old_eta
    assert plan.schedule.place(ref, step).start >= datetime.fromisoformat(later)


async def test_a_bad_gantt_move_is_refused_with_a_message(web: Web) -> None:
    await web.login("mia")
    token = await web.csrf("/gantt")
    headers = {"X-CSRF-Token": token}
    for body in [{"ref": "SO-105", "step": "x", "machine": "M1", "start": "2026-11-26T10:00"},
                 {"ref": "SO-105", "step": 0, "machine": "M1", "start": "not a time"},
                 {"ref": "SO-105", "step": 0, "machine": "M2", "start": "2026-11-26T10:00:00+08:00"},
                 {"ref": "SO-999", "step": 0, "machine": "M1", "start": "2026-11-26T10:00:00+08:00"}]:
        async with web.client.post("/gantt/move", json=body, headers=headers) as resp:
            assert resp.status in (400, 404), body
            assert (await resp.json())["error"]
    async with web.client.post("/gantt/move", data=b"{not json", headers=headers) as resp:
        assert resp.status == 400
    async with web.shop.svc.uow() as uow:
        assert await uow.changes.list() == []


async def test_an_operator_cannot_move_operations(web: Web) -> None:
    await web.login("otto")
    token = await web.csrf("/gantt")
    async with web.client.post("/gantt/move", json={"ref": "SO-105", "step": 1, "machine": "M2",
                                                    "start": "2026-11-26T10:00:00+08:00"},
                               headers={"X-CSRF-Token": token}) as resp:
        assert resp.status == 403


async def test_web_chat_answers_where_is_my_order_in_both_languages(web: Web) -> None:
    await web.login("alice", lang="en")
    token = await web.csrf("/chat")
    async with web.client.post("/chat", data={"text": "where is my order SO-100", "_csrf": token}) as resp:
        body = await resp.text()
    assert resp.status == 200 and "Order SO-100" in body and "Expected:" in body
    async with web.client.get("/lang?to=zh&next=/chat"):
        pass
    async with web.client.post("/chat", data={"text": "我的订单SO-102到哪了", "_csrf": token}) as resp:
        body = await resp.text()
    assert "SO-102" in body and "预计" in body
    async with web.client.post("/chat", data={"text": "SO-101 到哪了", "_csrf": token}) as resp:
        body = await resp.text()
    assert "Bolt" not in body  # P1 in the web chat too


async def test_a_language_asked_for_in_the_web_chat_holds_for_its_answers_and_the_pages(web: Web) -> None:
    await web.login("alice", lang="zh")
    token = await web.csrf("/chat")
    async with web.client.post("/chat", data={"text": "/language en", "_csrf": token}) as resp:
        body = await resp.text()
    assert "I will speak English with you" in body and 'lang="en"' in body
    async with web.client.post("/chat", data={"text": "SO-100 到哪了", "_csrf": token}) as resp:
        body = await resp.text()
    assert "Order SO-100" in body and "Expected:" in body  # not 预计 again
    status, page = await web.text("/orders")
    assert status == 200 and 'lang="en"' in page
    async with web.client.post("/chat", data={"text": "说中文", "_csrf": token}) as resp:
        body = await resp.text()
    assert 'lang="zh' in body


async def test_capacity_highlights_the_bottleneck(web: Web) -> None:
    await web.login("mia")
    status, body = await web.text("/capacity")
    assert status == 200 and 'id="bottleneck"' in body and 'class="bottleneck"' in body


async def test_repeated_failed_logins_are_throttled_for_known_and_unknown_users_alike(web: Web) -> None:
    token = await web.csrf()
    for username in ("mia", "nobody"):
        statuses = []
        for _ in range(11):
            async with web.client.post("/login", data={"username": username, "password": "guess-guess",
                                                       "_csrf": token}) as resp:
                statuses.append(resp.status)
        assert statuses == [401] * 10 + [429], (username, statuses)
    async with web.client.post("/login", data={"username": "mia", "password": PASSWORD, "_csrf": token},
                               allow_redirects=False) as resp:
        assert resp.status == 429  # even the right password waits out the window
    assert await web.login("sam") == 303  # other users are not affected


def test_the_throttle_forgets_after_its_window() -> None:
    from bot.web.ui.pages import LoginThrottle

    now = [0.0]
    t = LoginThrottle(clock=lambda: now[0])
    for _ in range(LoginThrottle.LIMIT):
        t.failed("mia")
    assert t.blocked("mia") and not t.blocked("sam")
    now[0] += LoginThrottle.WINDOW_MINUTES * 60 + 1
    assert not t.blocked("mia")


async def test_the_audit_log_says_what_happened_and_who_did_it(web: Web) -> None:
    from scheduler_core.services.ports import SYSTEM
    from scheduler_core.services.shopfloor import report_progress

    await report_progress(web.shop.svc, web.shop.operator, "SO-100", 10)
    await report_progress(web.shop.svc, SYSTEM, "SO-102", 5)  # e.g. a shop-floor terminal
    await web.login("mia", lang="zh")
    status, body = await web.text("/changes")
    audit = body[body.index('id="audit"'):]
    assert status == 200
    assert "报工" in audit and "report_progress" not in audit
    assert "Otto" in audit  # the operator's name, not a number
    assert "系统" in audit  # what the system itself did


@pytest.mark.parametrize(("user", "hint", "reply"), [
    ("alice", "where is my order?", "Which order?"),
    ("sam", "which of my orders are late?", "late"),
    ("otto", "what's next on my machine?", "Which machine are you on?"),
    ("mia", "which orders are late and why?", "late"),
])
async def test_an_empty_web_chat_suggests_what_the_role_can_ask_and_the_suggestion_works(
        web: Web, user: str, hint: str, reply: str) -> None:
    await web.login(user, lang="en")
    status, page = await web.text("/chat")
    assert status == 200 and hint in page.replace("&#39;", "'") and "/help lists everything" in page
    token = await web.csrf("/chat")
    async with web.client.post("/chat", data={"text": hint, "_csrf": token}) as resp:
        body = (await resp.text()).replace("&#39;", "'")
    answer = body.split(hint)[-1]
    assert reply in answer and "did not understand" not in answer


def test_a_gantt_bar_shades_where_its_step_pauses() -> None:
    from bot.web.ui.pages import _pauses

    day = datetime(2026, 11, 23, tzinfo=TZ)
    start, end = day + timedelta(hours=14), day + timedelta(hours=34)  # 14:00 to 10:00 the next day: 20 h
    night = [(day + timedelta(hours=22), day + timedelta(hours=30))]  # 22:00-06:00: 8 h from the 8th hour
    stop = [(day + timedelta(hours=32), day + timedelta(hours=33))]  # a stop 08:00-09:00: the 18th hour
    style = _pauses(start, end, night, stop)
    assert style.startswith("background-image: linear-gradient(to right, ")
    shares = [float(x) for x in re.findall(r"([\d.]+)%", style)]
    assert shares == [40.0, 40.0, 80.0, 80.0, 90.0, 90.0, 95.0, 95.0]
    assert style.index("100,116,139") < style.index("217,45,32")  # the night grey, then the stop red
    assert _pauses(start, day + timedelta(hours=20), night, stop) == ""  # runs straight through


async def test_the_gantt_data_shades_where_a_step_pauses(web: Web) -> None:
    from scheduler_core.domain.calendar import Downtime

    await web.login("mia")
    async with web.shop.svc.uow(write=True) as uow:  # a stop in the middle of the plan's longest step
        op = max((await uow.plans.current()).schedule.ops, key=lambda o: o.end - o.start)
        middle = op.start + (op.end - op.start) / 2
        await uow.shopfloor.set_downtime([Downtime(op.machine, middle, middle + timedelta(minutes=30), "test")])
        await uow.commit()
    async with web.client.get("/gantt/data") as resp:
        data = await resp.json()
    def when(item: dict[str, str], key: str) -> datetime:
        return datetime.fromisoformat(item[key])

    pauses = [i for i in data["items"] if i.get("className") in ("closed", "down")]
    ops = [i for i in data["items"] if i.get("ref")]
    shaded = 0
    for op in ops:  # a bar whose step spans its machine's closed time or a stop is shaded, and only then
        spans = any(p["group"] == op["group"] and when(p, "start") < when(op, "end") and when(op, "start") < when(p, "end")
                    for p in pauses)
        assert bool(op["style"]) == spans, op
        shaded += spans
    assert shaded > 0


async def test_a_stop_until_further_notice_is_drawn_as_long_as_the_plan_assumes(web: Web) -> None:
    from scheduler_core.domain.calendar import Downtime

    await web.login("mia")
    async with web.shop.svc.uow(write=True) as uow:
        plan = await uow.plans.current()
        machine = plan.schedule.ops[0].machine
        start = plan.created - timedelta(hours=1)
        await uow.shopfloor.set_downtime([Downtime(machine, start, None, "spindle")])
        await uow.commit()
    web.shop.clock.advance(hours=1)  # looked at an hour after the plan was made
    async with web.client.get("/gantt/data") as resp:
        data = await resp.json()
    (down,) = [i for i in data["items"] if i.get("className") == "down"]
    assumed = plan.created + timedelta(minutes=web.shop.svc.planning.open_downtime_minutes)
    assert datetime.fromisoformat(down["start"]) == start
    assert datetime.fromisoformat(down["end"]) == assumed  # as the planner and its checker assume, not "now + 4 h"


async def test_the_orders_shown_download_as_excel_and_csv_in_the_readers_language(web: Web) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    await web.login("mia", lang="zh")
    _, page = await web.text("/orders?show=vip")
    assert 'href="/orders.xlsx?q=&amp;show=vip"' in page  # the same list as the page
    _, listing = await web.text("/orders?show=vip")
    shown = re.findall(r'<tr class="[^"]*" data-ref="([^"]+)"', listing)
    async with web.client.get("/orders.xlsx?q=&show=vip") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Disposition"].startswith('attachment; filename="orders-')
        wb = load_workbook(io.BytesIO(await resp.read()))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("订单", "客户", "产品") and rows[0][-2:] == ("VIP", "延期原因")
    assert [r[0] for r in rows[1:]] == shown and all(r[9] == "是" for r in rows[1:])
    async with web.client.get("/orders.csv") as resp:
        text = (await resp.read()).decode("utf-8")
    assert text.startswith("\ufeff订单,客户")  # a BOM: Excel opens UTF-8 as UTF-8
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    async with web.shop.svc.uow() as uow:
        active = {r.ref for r in await uow.orders.active()}
    assert {r[0] for r in table[1:]} == active


async def test_a_customer_downloads_only_their_own_orders_and_text_never_becomes_a_formula(web: Web) -> None:
    import io

    from openpyxl import load_workbook

    await web.login("alice")
    async with web.client.get("/orders.xlsx") as resp:
        ws = load_workbook(io.BytesIO(await resp.read())).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert {r[1] for r in rows[1:]} == {"ACME"}
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # (tests/unit/test_tables.py)


async def test_a_machines_work_list_shows_its_next_steps_in_plan_order_and_downloads(web: Web) -> None:
    import io

    from openpyxl import load_workbook

    await web.login("otto")  # an operator may read the plan
    _, cap = await web.text("/capacity")
    assert 'href="/machines/M1"' in cap
    status, page = await web.text("/machines/m1?hours=168")  # the id in any case
    assert status == 200
    async with web.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    now = web.shop.clock()
    expected = [op.ref for op in plan.schedule.on_machine("M1") if op.end > now and op.start < now + timedelta(hours=168)]
    assert expected and re.findall(r'<tr class="[^"]*" data-ref="([^"]+)"', page) == expected
    assert "Work list: M1" in page
    async with web.client.get("/machines/M1/list.xlsx?hours=168") as resp:
        assert resp.status == 200
        rows = list(load_workbook(io.BytesIO(await resp.read())).worksheets[0].iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == expected and rows[0][:3] == ("Start", "End", "Order")
    from scheduler_core.domain.calendar import Downtime

    async with web.shop.svc.uow(write=True) as uow:  # a stop until further notice: shown as the plan assumes it
        await uow.shopfloor.set_downtime([Downtime("M1", now, None, "spindle")])
        await uow.commit()
    _, page = await web.text("/machines/M1")
    assert re.search(r'class="error stop">Machine stop: .* – .* \(spindle\)', page)
    status, page = await web.text("/machines/NOPE")
    assert status == 404 and "Unknown machine NOPE." in page
    await web.client.post("/logout", data={"_csrf": await web.csrf("/orders")})
    await web.login("alice")  # customers do not see the plan
    status, _ = await web.text("/machines/M1")
    assert status == 403


async def test_a_started_step_paused_by_a_stop_is_still_marked_running_on_the_work_list(web: Web) -> None:
    from scheduler_core.services.overview import work_list
    from scheduler_core.services.shopfloor import machine_down, report_progress

    shop = web.shop
    async with shop.svc.uow() as uow:
        first = (await uow.plans.current()).schedule.on_machine("M1")[0]
    await report_progress(shop.svc, shop.operator, first.ref, 5, step=first.step + 1, machine="M1")  # steps count from 1
    await machine_down(shop.svc, shop.operator, "M1", "belt", until=shop.clock() + timedelta(hours=3))
    wl = await work_list(shop.svc, shop.manager, "M1", 168)
    line = next(w for w in wl.lines if w.op.ref == first.ref and w.op.step == first.step)
    assert line.op.start > shop.clock()  # it resumes after the stop
    assert line.running and line.done == 5
    assert not any(w.running for w in wl.lines if w is not line)


async def test_an_operator_reports_from_the_work_list_and_out_of_turn_work_is_asked_first(web: Web) -> None:
    await web.login("otto")
    async with web.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    first = plan.schedule.on_machine("M1")[0]
    _, page = await web.text("/machines/M1")
    assert 'action="/machines/M1/report"' in page

    async def report(machine: str = "M1", **fields: str) -> tuple[int, str]:
        data = {"_csrf": await web.csrf("/machines/M1"), "hours": "24", **fields}
        async with web.client.post(f"/machines/{machine}/report", data=data) as resp:
            return resp.status, await resp.text()

    status, page = await report(ref=first.ref, step=str(first.step + 1), good="7")
    assert status == 200 and f"Recorded: 7 units of {first.ref}, step {first.step + 1}" in page and "Plan version" in page
    async with web.shop.svc.uow() as uow:
        assert (await uow.shopfloor.progress())[(first.ref, first.step)].done == 7
    status, page = await report(ref=first.ref, step=str(first.step + 1), good="0")
    assert status == 400 and 'id="error"' in page  # nothing to record
    status, page = await report(ref=first.ref, step=str(first.step + 1), good="2", scrap="3")  # and scrap
    assert status == 200 and "Recorded: 2 units" in page and "And 3 scrapped units." in page
    status, page = await report(ref=first.ref, step=str(first.step + 1), good="0", scrap="1")  # scrap alone
    assert status == 200 and "Recorded: 0 units" in page and "And 1 scrapped unit." in page
    status, page = await report(ref=first.ref, step=str(first.step + 1), good="1", scrap="x")
    assert status == 400 and 'id="error"' in page
    async with web.shop.svc.uow() as uow:
        assert (await uow.shopfloor.progress())[(first.ref, first.step)].done == 9  # good ones only
    # a step on M2 whose step on M1 nobody reported: asked first, recorded only when confirmed
    later = next(op for op in plan.schedule.on_machine("M2") if op.step > 0 and (op.ref, 0) != (first.ref, 0))
    status, page = await report("M2", ref=later.ref, step=str(later.step + 1), good="3")
    assert 'id="ask"' in page and "the plan still has step 1" in page
    async with web.shop.svc.uow() as uow:
        assert (later.ref, later.step) not in await uow.shopfloor.progress()
    status, page = await report("M2", ref=later.ref, step=str(later.step + 1), good="3", confirm="1")
    assert f"Recorded: 3 units of {later.ref}" in page
    # those who do not report progress get no form, and a post is refused
    await web.client.post("/logout", data={"_csrf": await web.csrf("/orders")})
    await web.login("sam")
    _, page = await web.text("/machines/M1")
    assert 'action="/machines/M1/report"' not in page
    status, _ = await report(ref=first.ref, step=str(first.step + 1), good="5")
    assert status == 403


async def test_a_stop_is_planned_ahead_and_called_off_from_the_work_list(web: Web) -> None:
    shop = web.shop
    await web.login("otto")
    _, page = await web.text("/machines/M2")
    assert 'id="plan-stop"' in page and "None planned." in page

    async def post(path: str, **fields: str) -> tuple[int, str]:
        data = {"_csrf": await web.csrf("/machines/M2"), "hours": "24", **fields}
        async with web.client.post(f"/machines/M2/{path}", data=data) as resp:
            return resp.status, await resp.text()

    start = (shop.clock() + timedelta(days=2)).astimezone(TZ).replace(tzinfo=None, second=0, microsecond=0)
    for bad in ({"start": start.isoformat(), "length": "0"}, {"start": start.isoformat(), "length": "abc"},
                {"start": "tomorrow", "length": "2"}, {"start": "2020-01-01T08:00", "length": "2"}):
        status, page = await post("stops", **bad)
        assert status == 400 and 'id="error"' in page, bad
    async with shop.svc.uow() as uow:
        assert await uow.shopfloor.downtime() == []  # nothing recorded
    status, page = await post("stops", start=start.isoformat(timespec="minutes"), length="3.5", reason="保养")
    assert status == 200 and "Planned: M2 stops " in page and 'class="inline-form planned-stop"' in page
    async with shop.svc.uow() as uow:
        (stop,) = await uow.shopfloor.downtime()
    assert stop.start == start.replace(tzinfo=TZ) and stop.end - stop.start == timedelta(hours=3.5)
    assert stop.reason == "保养"
    status, page = await post("stops/cancel", start=stop.start.isoformat())
    assert status == 200 and "The planned stop of M2 is called off." in page and "None planned." in page
    status, _ = await post("stops/cancel", start=stop.start.isoformat())
    assert status == 404  # gone
    await web.client.post("/logout", data={"_csrf": await web.csrf("/orders")})
    await web.login("sam")  # sales may read the work list, not stop machines
    _, page = await web.text("/machines/M2")
    assert 'id="plan-stop"' not in page
    status, _ = await post("stops", start=start.isoformat(), length="2")
    assert status == 403


async def test_the_machines_page_shows_each_machine_now_and_next_and_a_stop(web: Web) -> None:
    from scheduler_core.domain.calendar import Downtime

    shop = web.shop
    await web.login("otto")
    async with shop.svc.uow(write=True) as uow:
        plan = await uow.plans.current()
        await uow.shopfloor.set_downtime([Downtime("M2", shop.clock() - timedelta(minutes=5), None, "belt"),
                                          Downtime("M1", shop.clock() + timedelta(days=2), shop.clock() + timedelta(days=2, hours=3))])
        await uow.commit()
    _, page = await web.text("/")
    assert 'href="/machines"' in page
    status, page = await web.text("/machines")
    assert status == 200
    assert re.findall(r'<tr data-machine="([^"]+)"', page) == ["M1", "M2"]
    m1 = page.split('data-machine="M1"')[1].split("</tr>")[0]
    now = shop.clock()
    running = next(op for op in plan.schedule.on_machine("M1") if op.start <= now < op.end)
    following = next(op for op in plan.schedule.on_machine("M1") if op.start > now)
    assert f'href="/orders/{running.ref}"' in m1.split("</td>")[2] and f'href="/orders/{following.ref}"' in m1
    m2 = page.split('data-machine="M2"')[1].split("</tr>")[0]
    assert "Machine stop" in m2 and "(belt)" in m2 and "Planned stop" not in m2
    assert "Planned stop: " in m1 and "Machine stop" not in m1  # maintenance ahead is not a stop now
    await web.client.post("/logout", data={"_csrf": await web.csrf("/orders")})
    await web.login("alice")
    status, _ = await web.text("/machines")
    assert status == 403


async def test_machines_on_the_dashboard_and_an_order_lead_to_their_work_lists_for_staff_only(web: Web) -> None:
    await web.login("mia")
    _, dash = await web.text("/")
    m = re.search(r'<a href="/machines/([^"]+)" id="bottleneck-link">', dash)
    assert m is not None and (await web.text(f"/machines/{m.group(1)}"))[0] == 200
    _, order = await web.text("/orders/SO-100")
    assert 'href="/machines/M1"' in order
    await web.client.post("/logout", data={"_csrf": await web.csrf("/orders")})
    await web.login("alice")  # a customer sees where the steps run, without a link they could not follow
    _, order = await web.text("/orders/SO-100")
    assert "M1" in order and 'href="/machines/' not in order


async def test_products_show_and_are_found_by_their_names(web: Web) -> None:
    async with web.shop.svc.uow(write=True) as tx:
        routing = await tx.master.routing("P")
        assert routing is not None
        await tx.master.save_routing(replace(routing, name="Bracket"))
        await tx.commit()
    await web.login("alice")
    _, body = await web.text("/orders")
    assert '<td class="wide">P <span class="muted">Bracket</span></td>' in body
    _, found = await web.text("/orders?q=brack")  # the search box takes the product's name too
    assert "SO-100" in found and "SO-102" in found
    _, none = await web.text("/orders?q=hinge")
    assert "SO-100" not in none and "No orders match." in none
    _, page = await web.text("/orders/SO-100")
    assert "P · Bracket × 60" in page


async def test_after_login_the_pages_speak_the_accounts_language_unless_one_was_picked(web: Web) -> None:
    chinese_browser = {"Accept-Language": "zh-CN,zh;q=0.9"}
    async with web.client.get("/login", headers=chinese_browser) as resp:
        page = await resp.text()
    assert 'lang="zh-Hans"' in page  # before login: the browser's
    token = await web.csrf("/login")
    async with web.client.post("/login", data={"username": "alice", "password": PASSWORD, "_csrf": token},
                               headers=chinese_browser, allow_redirects=False) as resp:
        assert resp.status == 303
    async with web.client.get("/orders", headers=chinese_browser) as resp:
        assert 'lang="en"' in await resp.text()  # alice's account is English
    async with web.client.post("/logout", data={"_csrf": await web.csrf("/orders")}, allow_redirects=False):
        pass
    assert await web.login("alice", lang="zh") == 303  # switched on the login page: that holds
    status, page = await web.text("/orders")
    assert status == 200 and 'lang="zh-Hans"' in page
