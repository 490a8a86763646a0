"""The web app in a real browser, as people use it: log in, read the dashboard, find a late
order and why it is late, drag a step in the Gantt, read the impact, confirm it and see the ETA
change, and ask the web chat where an order is, in Chinese and in English."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import Server

Page = Any


def login(browser: Any, server: Server, username: str, lang: str = "zh", **context: Any) -> Page:
    page = browser.new_page(**context)
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}/lang?to={lang}&next=/login")
    page.fill("#username", username)
    page.fill("#password", server.password)
    page.click("#login")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()[:500]
    return page


def test_manager_reads_the_dashboard(browser: Any, server: Server, shots: Path) -> None:
    page = login(browser, server, "manager", "en", viewport={"width": 1280, "height": 900})
    assert page.locator("h1").first.inner_text() == "Dashboard"
    for kpi in ("#kpi-lead", "#kpi-complaints", "#kpi-delay", "#kpi-satisfaction", "#kpi-ontime"):
        assert page.locator(kpi).inner_text() not in ("", "–"), kpi
    assert int(page.locator("#kpi-open-late").inner_text()) >= 1
    assert 1.0 <= float(page.locator("#kpi-satisfaction").inner_text()) <= 5.0  # out of 5, as in the chat
    page.wait_for_function("() => document.querySelector('#trend') && document.querySelector('#trend').width > 0")
    page.screenshot(path=str(shots / "dashboard-en.png"), full_page=True)
    page.click("#lang-switch")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "看板"
    page.screenshot(path=str(shots / "dashboard-zh.png"), full_page=True)
    page.close()


def test_a_phone_sized_screen_shows_the_orders(browser: Any, server: Server, shots: Path) -> None:
    page = login(browser, server, "sales.li", "zh", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{server.url}/orders")
    assert page.locator("#orders tbody tr").count() >= 1
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide on a 390px screen"
    page.screenshot(path=str(shots / "orders-phone-zh.png"), full_page=False)
    page.close()


def test_find_a_late_order_and_why_it_is_late(browser: Any, server: Server, shots: Path) -> None:
    page = login(browser, server, "manager", "en", viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/orders?show=late")
    rows = page.locator("#orders tbody tr.late")
    assert rows.count() >= 1
    page.screenshot(path=str(shots / "orders-late-en.png"), full_page=True)
    ref = rows.first.get_attribute("data-ref")
    rows.first.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#order-title").inner_text().startswith(ref)
    assert page.locator("#late-by").inner_text()
    reason = page.locator("#why-late").inner_text()
    assert len(reason) > 10
    page.screenshot(path=str(shots / "order-late-en.png"), full_page=True)
    page.close()


def _eta(page: Page, server: Server, ref: str) -> str:
    page.goto(f"{server.url}/orders/{ref}")
    return page.locator("#eta").inner_text()


def test_drag_a_step_in_the_gantt_preview_and_confirm(browser: Any, server: Server, shots: Path) -> None:
    page = login(browser, server, "manager", "en", viewport={"width": 1400, "height": 1000})
    page.goto(f"{server.url}/gantt")
    page.wait_for_selector("#gantt .vis-item")
    assert page.locator("#gantt-status").count() == 0  # "Loading the plan…" is gone with the plan there
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "gantt-en.png"), full_page=True)
    # the last step of an order, movable (past the frozen horizon, which on a Saturday evening reaches
    # into Monday), starting well after now: show the day around it
    target = page.evaluate("""() => {
        const g = window.paichanGantt, now = Date.now();
        const all = g.items.get().filter(i => i.ref);
        const last = {};
        all.forEach(i => { if (!last[i.ref] || i.step > last[i.ref].step) last[i.ref] = i; });
        const wide = i => new Date(i.end) - new Date(i.start) >= 2 * 3600e3;  // a bar wide enough to grab
        const pick = Object.values(last).filter(i => i.editable && wide(i) && new Date(i.start).getTime() > now + 30 * 3600e3)
                     .sort((a, b) => new Date(a.start) - new Date(b.start))[0];
        const s = new Date(pick.start).getTime();
        g.timeline.setWindow(new Date(s - 12 * 3600e3), new Date(s + 36 * 3600e3), {animation: false});
        return {ref: pick.ref, step: pick.step, cls: 'op-' + pick.ref + '-' + pick.step};
    }""")
    page.wait_for_timeout(500)
    page.goto(f"{server.url}/orders/{target['ref']}")
    eta_before = page.locator("#eta").inner_text()
    page.goto(f"{server.url}/gantt")
    page.wait_for_selector("#gantt .vis-item")
    page.evaluate("""(t) => {
        const g = window.paichanGantt; const it = g.items.get(t.ref + '|' + t.step);
        const s = new Date(it.start).getTime();
        g.timeline.setWindow(new Date(s - 12 * 3600e3), new Date(s + 36 * 3600e3), {animation: false});
    }""", target)
    page.wait_for_timeout(800)
    item = page.locator(f".vis-item.{target['cls']}")
    box = item.bounding_box()
    assert box is not None
    width = page.locator("#gantt .vis-center").bounding_box()["width"]
    shift = width * (12 / 48)  # twelve hours later on a 48-hour window
    x, y = box["x"] + min(box["width"] / 2, 20), box["y"] + box["height"] / 2
    item.click(position={"x": min(box["width"] / 2, 20), "y": box["height"] / 2})  # select, then drag
    page.wait_for_timeout(300)
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + shift * k / 10, y)
        page.wait_for_timeout(30)
    page.mouse.up()
    page.wait_for_selector("#preview:not([hidden]), #result:not([hidden])", timeout=60_000)
    assert page.locator("#preview").is_visible(), page.locator("#result").inner_text()
    text = page.locator("#preview-text").inner_text()
    assert target["ref"] in text and "impact preview" in text
    assert page.locator("#preview-rows tbody tr").count() >= 1
    page.screenshot(path=str(shots / "gantt-preview-en.png"), full_page=False)
    page.click("#confirm")
    page.wait_for_selector("#result.notice:not([hidden])", timeout=60_000)
    assert "Confirmed" in page.locator("#result").inner_text()
    page.screenshot(path=str(shots / "gantt-confirmed-en.png"), full_page=False)
    eta_after = _eta(page, server, target["ref"])
    assert eta_after != eta_before, (eta_before, eta_after)
    page.close()


def test_capacity_and_changes_pages(browser: Any, server: Server, shots: Path) -> None:
    page = login(browser, server, "manager", "zh", viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/capacity")
    assert page.locator("#bottleneck").inner_text().startswith("瓶颈")
    page.screenshot(path=str(shots / "capacity-zh.png"), full_page=True)
    page.goto(f"{server.url}/changes")
    page.fill("#rush-quantity", "50")
    first = date.fromisoformat(page.locator("#rush-due").get_attribute("min") or "")
    page.fill("#rush-due", (first + timedelta(days=5)).isoformat())
    page.click("#rush-assess")
    page.wait_for_selector("#proposal, #error")
    assert page.locator("#proposal").count() == 1, page.locator("#error").inner_text()
    assert "影响预览" in page.locator("#proposal").inner_text()
    page.screenshot(path=str(shots / "changes-rush-zh.png"), full_page=True)
    page.click("#cancel")
    page.wait_for_selector("#outcome")
    page.close()


def _ask(page: Page, text: str) -> str:
    before = page.locator(".msg.bot").count()
    page.fill("#chat-text", text)
    page.click("#chat-send")
    page.wait_for_function(f"() => document.querySelectorAll('.msg.bot').length > {before}")
    return page.locator(".msg.bot").last.inner_text()


def test_web_chat_where_is_my_order_in_both_languages(browser: Any, server: Server, shots: Path) -> None:
    page = login(browser, server, "customer1", "zh", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{server.url}/chat")
    answer = _ask(page, "我的订单到哪了")
    assert re.search(r"SO-\d+", answer), answer
    assert re.search(r"[\u4e00-\u9fff]", answer), answer
    buttons = page.locator(".msg.bot").last.locator("button.chip")
    if buttons.count():  # several orders: pick one, as on Telegram
        buttons.first.click()
        page.wait_for_load_state("networkidle")
        assert re.search(r"SO-\d+", page.locator(".msg.bot").last.inner_text())
    page.screenshot(path=str(shots / "chat-zh.png"), full_page=False)
    page.goto(f"{server.url}/lang?to=en&next=/chat")
    answer = _ask(page, "where is my order")
    assert re.search(r"SO-\d+", answer), answer
    assert not re.search(r"[\u4e00-\u9fff]{3}", answer.split("\n")[0]), answer
    page.screenshot(path=str(shots / "chat-en.png"), full_page=False)
    # opened again (no #end in the address), the conversation shows its newest message
    page.goto(f"{server.url}/chat")
    assert page.evaluate("() => { const c = document.getElementById('chat');"
                         " return c.scrollHeight > c.clientHeight + 50 && c.scrollTop + c.clientHeight >= c.scrollHeight - 2; }")
    page.close()
