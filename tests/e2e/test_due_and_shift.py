"""Orders due within a window ("what's due this week", "今天有哪些单要交") and date changes by an
amount ("SO-105 推迟3天", "move SO-105 two days earlier"), end to end through the chat."""

from __future__ import annotations

import re
from datetime import timedelta

from scheduler_core.services.intake import record_order
from tests.builders import at, make_order
from tests.e2e.conftest import TG, Chat

SAM, MIA, BOB = TG["sam"], TG["mia"], TG["bob"]


def _refs(text: str) -> list[str]:
    return re.findall(r"SO-\d+", text)


async def test_what_is_due_lists_the_orders_promised_by_the_end_of_the_window(linked: Chat) -> None:
    shop = linked.shop
    # SO-100..105 are promised today (Monday 23 Nov); one more on Thursday, one the week after
    await record_order(shop.svc, shop.manager, make_order("SO-700", customer="Bolt", due=at(days=3)), sales="sam")
    await record_order(shop.svc, shop.manager, make_order("SO-800", customer="ACME", due=at(days=9)), sales="sam")
    out = await linked.say(MIA, "what's due today?")
    text = out[0].text
    assert "Orders due by Mon, Nov 23 (6)" in text
    assert _refs(text.split("\n", 1)[1])[:6] == [f"SO-{100 + i}" for i in range(6)]  # soonest promise first
    assert "SO-700" not in text and "SO-800" not in text
    assert "due Mon, 11/23, 11:00" in text  # each line shows its promised date
    out = await linked.say(MIA, "what's due this week")
    assert "Orders due by Sun, Nov 29 (7)" in out[0].text and "SO-700" in out[0].text and "SO-800" not in out[0].text
    out = await linked.say(MIA, "本周要交货的订单有哪些", lang="zh-hans")
    assert "SO-700" in out[0].text and "SO-800" not in out[0].text
    out = await linked.say(MIA, "下周要交的订单")
    assert "SO-800" in out[0].text  # by the end of next week
    out = await linked.say(MIA, "anything due this week for Bolt?")  # one customer's
    assert "Orders of Bolt due by Sun, Nov 29 (4)" in out[0].text
    assert set(_refs(out[0].text.split("\n", 1)[1])) >= {"SO-101", "SO-103", "SO-105", "SO-700"}
    assert "SO-100" not in out[0].text
    out = await linked.say(BOB, "what's due this week")  # a customer: their own only (P1)
    assert "Your orders due by" in out[0].text and "SO-700" in out[0].text and "SO-100" not in out[0].text


async def test_nothing_due_says_so_and_an_unknown_customer_leaves_the_window_alone(chat: Chat) -> None:
    shop = chat.shop
    await record_order(shop.svc, shop.manager, make_order("SO-900", customer="Zeta", due=at(days=9)), sales="sam")
    await chat.link(shop.manager, MIA, "en")
    out = await chat.say(MIA, "what's due today for Zeta")
    assert "Orders of Zeta due by Mon, Nov 23 (0)" in out[0].text
    assert "No open order is promised by then." in out[0].text
    out = await chat.say(MIA, "orders due by tomorrow for Omega")  # nobody called Omega: the window alone
    assert "Orders due by Tue, Nov 24 (6)" in out[0].text and "SO-900" not in out[0].text


async def test_a_date_change_by_an_amount_moves_the_promised_date(linked: Chat) -> None:
    async with linked.shop.svc.uow() as uow:
        record = await uow.orders.get("SO-105")
        assert record is not None
        due = record.order.due
    out = await linked.say(SAM, "SO-105 推迟3天")
    preview = out[-1].text
    assert "New date for SO-105" in preview
    later = (due + timedelta(days=3)).astimezone(due.tzinfo)
    assert f"by {later:%b} {later.day}, {later:%Y}" in preview, preview  # promised + 3 days
    out = await linked.click(SAM, out[-1].button("Confirm"))
    assert "Confirmed: SO-105" in out[0].text
    async with linked.shop.svc.uow() as uow:
        record = await uow.orders.get("SO-105")
        assert record is not None and record.order.due == due + timedelta(days=3)
    out = await linked.say(SAM, "can we move SO-105 two days earlier")
    assert "New date for SO-105" in out[-1].text
    sooner = (due + timedelta(days=1)).astimezone(due.tzinfo)
    assert f"by {sooner:%b} {sooner.day}, {sooner:%Y}" in out[-1].text


async def test_a_customer_asking_to_move_by_an_amount_reaches_sales(linked: Chat) -> None:
    out = await linked.say(BOB, "could SO-101 come a week later? our warehouse is full")
    assert "decides on that" in out[0].text
