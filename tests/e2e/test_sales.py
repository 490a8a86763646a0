"""Sales: the rush conversation and one-message rush with the impact preview, Confirm (delay
warnings queued), Cancel, the stale plan, promise, change, cancel, late."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from scheduler_core.services.intake import record_order
from scheduler_core.services.status import current_plan
from tests.builders import at, make_order
from tests.e2e.conftest import TG, Chat, start_chat

SAM = TG["sam"]


async def _outbox(chat: Chat) -> list[object]:
    async with chat.shop.svc.uow() as uow:
        return list(await uow.outbox.pending(limit=1000))


async def test_rush_conversation_end_to_end_confirm_queues_delay_warnings(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    assert "which customer" in out[0].text
    out = await linked.click(SAM, out[0].button("ACME"))
    assert "Which product for ACME" in out[0].text
    out = await linked.click(SAM, out[0].button("P"))
    assert "How many P" in out[0].text
    out = await linked.say(SAM, "0")  # P7: zero is refused, the question repeated
    assert "at least 1" in out[0].text and "How many" in out[-1].text
    out = await linked.say(SAM, "300")
    assert "Needed by" in out[0].text
    out = await linked.say(SAM, "2026-11-01")  # in the past
    assert "in the past" in out[0].text and "Needed by" in out[-1].text
    out = await linked.say(SAM, "2026-11-23")
    assert "ahead of other orders" in out[0].text
    out = await linked.click(SAM, out[0].button("Yes"))
    preview = out[-1]
    assert "Rush order SO-106: impact preview" in preview.text
    assert "finish later" in preview.text and "newly late" in preview.text
    assert "SO-101" not in preview.text  # the VIP order is protected by the solver
    before = len(await _outbox(linked))
    out = await linked.click(SAM, preview.button("Confirm"))
    assert out[0].method == "editMessageText" and "Confirmed: SO-106 is in plan version 2" in out[0].text
    assert "Delay warnings are on their way" in out[0].text
    warnings = [n for n in await _outbox(linked) if getattr(n, "kind", "") == "delay"]
    assert len(await _outbox(linked)) > before and warnings
    assert {n.payload["ref"] for n in warnings} <= {"SO-100", "SO-101", "SO-102", "SO-103", "SO-104", "SO-105"}
    again = await linked.click(SAM, preview.button("Confirm"))  # single use
    assert "expired" in again[0].text
    out = await linked.say(TG["mia"], "/status SO-106")
    assert "Order SO-106: 300 × P" in out[0].text


async def test_one_message_rush_in_chinese_and_cancel(linked: Chat) -> None:
    await linked.say(SAM, "/language zh")
    out = await linked.say(SAM, "插单 ACME P 200件 12月5日前")
    assert "插单 SO-106：影响预览" in out[-1].text
    out = await linked.click(SAM, out[-1].button("取消"))
    assert "没有任何改动" in out[0].text
    async with linked.shop.svc.uow() as uow:
        assert await uow.orders.get("SO-106") is None


async def test_one_message_rush_in_english(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 200 of P for ACME by Dec 5")
    assert "Rush order SO-106: impact preview" in out[-1].text and "It makes its date" in out[-1].text


async def test_a_stale_plan_reassesses_and_says_so(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 100 of P for Bolt by Nov 30")
    preview = out[-1]
    assert "It makes its date" in preview.text
    out = await linked.say(TG["otto"], "/down M1 until Dec 1")  # now it cannot
    assert "M1" in out[0].text
    out = await linked.click(SAM, preview.button("Confirm"))
    assert "The plan changed meanwhile" in out[0].text and "Confirm" in str(out[0].buttons)
    assert "It makes its date" not in out[0].text
    out = await linked.click(SAM, out[0].button("Confirm"))
    assert "Confirmed: SO-106" in out[0].text and "updated since the preview" not in out[0].text


async def test_a_confirm_button_still_works_after_a_restart(linked: Chat) -> None:
    preview = (await linked.say(SAM, "rush 100 of P for Bolt by Nov 30"))[-1]
    runner, app, url = await start_chat(linked.shop, linked.tg)  # a new server: nothing of the old one in memory
    try:
        restarted = Chat(linked.shop, linked.tg, app, url, linked.http, dict(linked.langs))
        out = await restarted.click(SAM, preview.button("Confirm"))
        assert "Confirmed: SO-106" in out[0].text
        for server in (restarted, linked):  # used up, in the new server and in the old one
            assert "expired" in (await server.click(SAM, preview.button("Confirm")))[0].text
    finally:
        await runner.cleanup()


async def test_the_rush_questions_go_on_after_a_restart(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    assert "for which customer" in out[0].text
    out = await linked.say(SAM, "Bolt")
    assert "Which product for Bolt" in out[0].text
    runner, app, url = await start_chat(linked.shop, linked.tg)  # a new server: nothing of the old one in memory
    try:
        restarted = Chat(linked.shop, linked.tg, app, url, linked.http, dict(linked.langs))
        out = await restarted.say(SAM, "P")
        assert "How many P?" in out[0].text  # the customer given before the restart is kept
        await restarted.say(SAM, "100")
        out = await restarted.say(SAM, "Nov 30")
        out = await restarted.click(SAM, out[-1].button("Yes, put it first"))
        assert "Rush order SO-106: impact preview" in out[-1].text
        out = await restarted.say(SAM, "确认")  # the preview typed-confirmed, as it was shown in this chat
        assert "Confirmed: SO-106" in out[0].text
        async with linked.shop.svc.uow() as uow:
            order = (await uow.orders.get("SO-106")).order
        assert (order.customer, order.product, order.quantity) == ("Bolt", "P", 100)  # answers from both sides
    finally:
        await runner.cleanup()


async def test_a_report_from_the_floor_meanwhile_does_not_hold_up_a_confirmation(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 100 of P for Bolt by Nov 30")
    preview = out[-1]
    assert "It makes its date" in preview.text
    await linked.say(TG["otto"], "/report SO-100 20")  # the plan moves on
    out = await linked.click(SAM, preview.button("Confirm"))
    assert "Confirmed: SO-106" in out[0].text and "updated since the preview" in out[0].text


async def test_customers_and_operators_cannot_rush_or_confirm(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 200 of P for ACME by Dec 5")
    token = out[-1].button("Confirm")
    for who, answer in ((TG["bob"], "decides on that"), (TG["otto"], "not allowed")):
        out = await linked.say(who, "rush 200 of P for ACME by Dec 5")  # a customer's goes to their sales contact
        assert answer in out[0].text and "impact preview" not in out[0].text
        assert "expired" in (await linked.click(who, token))[0].text


async def test_promise_gives_two_dates(linked: Chat) -> None:
    out = await linked.say(SAM, "/promise P 100")
    text = out[0].text
    assert "100 × P: earliest delivery" in text and "Without moving anyone" in text and "With priority" in text
    out = await linked.say(SAM, "can we deliver 1000 of P by Nov 24?")  # the day asked is answered first
    lines = out[0].text.splitlines()
    assert lines[1] == "❌ By Nov 24, 2026: no, not even with priority." and lines[-1].startswith("Totals")
    assert "With priority: Nov 24, 2026, 21:20" in out[0].text  # (after that day's 18:00)
    out = await linked.say(SAM, "/help")  # the examples use this factory's product, so they work as written
    assert "/promise P 500" in out[0].text and "P-100" not in out[0].text


async def test_a_promise_leads_on_to_the_order(linked: Chat) -> None:
    out = await linked.say(SAM, "how soon can we deliver 400 of P")
    answer = out[0]
    assert "Order it for" in str(answer.buttons) and "Rush it for" in str(answer.buttons)
    rush = next(b for row in answer.buttons for b in row if b["text"].startswith("Rush it for"))
    out = await linked.click(SAM, rush["callback_data"])  # product, quantity, date and priority are answered
    assert "for which customer" in out[0].text
    out = await linked.click(SAM, out[0].button("ACME"))
    preview = out[-1].text
    assert "Rush order SO-106: impact preview" in preview and "It makes its date" in preview
    needed_by = rush["text"].removeprefix("Rush it for ")
    assert f"needed by {needed_by}" in preview, (needed_by, preview)
    out = await linked.click(SAM, out[-1].button("Confirm"))
    assert "Confirmed: SO-106" in out[0].text
    assert (await linked.say(TG["mia"], "/promise P 400"))[0].buttons  # a manager may order too
    out = await linked.say(SAM, "/promise NOPE 100")  # an unknown product: which ones there are
    assert out[0].text.startswith("⚠️ Unknown product NOPE. The products are: ") and " P" in out[0].text


async def test_change_date_quantity_and_cancel_previews(linked: Chat) -> None:
    out = await linked.say(SAM, "/change SO-105 date 2026-11-24")
    assert "New date for SO-105" in out[-1].text
    out = await linked.say(SAM, "/change SO-105 qty 200")
    assert "New quantity for SO-105" in out[-1].text
    out = await linked.click(SAM, out[-1].button("Confirm"))
    assert "Confirmed: SO-105" in out[0].text
    out = await linked.say(SAM, "/cancel SO-104")
    assert "Cancel SO-104: impact preview" in out[-1].text
    out = await linked.say(SAM, "/change SO-105 qty -5")
    assert "at least 1" in out[0].text


async def test_late_lists_late_orders_with_reasons(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 400 of P for ACME by Nov 23")
    await linked.click(SAM, out[-1].button("Confirm"))
    out = await linked.say(SAM, "/late")
    assert "Late orders" in out[0].text and "late by" in out[0].text
    assert "Rush order SO-106 was inserted ahead of it" in out[0].text  # each with its reason, as for managers


async def test_the_rush_questions_explain_themselves_and_stop_on_a_word(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "help")
    assert "step by step" in out[0].text and "which customer" in out[-1].text  # the question again
    out = await linked.click(SAM, out[-1].button("ACME"))
    out = await linked.say(SAM, "never mind")
    assert "Stopped; nothing was changed." in out[0].text
    out = await linked.say(SAM, "ACME")  # the conversation is over: free text again
    assert "which customer" not in out[0].text and "Which product" not in out[0].text
    await linked.say(SAM, "/language zh")
    await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "算了")
    assert out[0].text == "已结束，没有任何改动。"


async def test_the_rush_questions_take_a_customer_and_a_product_as_written_in_free_text(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "it's for the bolt people")  # a name inside words, in any case
    assert "Which product for Bolt" in out[0].text
    out = await linked.say(SAM, "product P please")
    assert "How many P" in out[0].text
    out = await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "Globex")  # no such customer: refused, the question again
    assert "I do not know a customer called Globex" in out[0].text and "which customer" in out[-1].text


async def test_expedite_an_order_shows_the_impact_first(linked: Chat) -> None:
    out = await linked.say(SAM, "SO-104 加急")
    preview = out[-1]
    assert "Priority for SO-104: impact preview" in preview.text and preview.button("Confirm")
    out = await linked.say(SAM, "can you speed it up?")  # "it": the order just previewed
    assert "Priority for SO-104: impact preview" in out[-1].text
    out = await linked.say(SAM, "can you speed things up?")  # which one?
    assert "For example: expedite SO-1042" in out[0].text
    out = await linked.say(SAM, "ship SO-105 earlier if you can")  # earlier, no date: faster
    assert "Priority for SO-105: impact preview" in out[-1].text
    out = await linked.say(SAM, "push SO-105 back")  # later, no date: which date?
    assert out[0].text == "To which date? For example: move SO-105 to Dec 5"
    await linked.say(SAM, "/language zh")
    out = await linked.say(SAM, "SO-105 往后推")
    assert out[0].text == "改到哪一天？例如：SO-105 改到12月5日"


async def test_chinese_leaves_the_order_unsaid_and_means_the_one_just_talked_about(linked: Chat) -> None:
    await linked.say(SAM, "/language zh")
    out = await linked.say(SAM, "能提前吗")  # nothing talked about yet: which one
    assert out[0].text == "哪个订单？例如：SO-1042 加急"
    await linked.say(SAM, "SO-103 到哪了")
    out = await linked.say(SAM, "能提前吗")
    assert "SO-103 调整优先级：影响预览" in out[-1].text
    await linked.say(SAM, "SO-102 到哪了")
    out = await linked.say(SAM, "数量改为80")  # 80 pieces, not order SO-080
    assert out[-1].text.startswith("<b>SO-102") and out[-1].button("确认"), out[-1].text
    assert "数量：60 → 80 件。" in out[-1].text
    await linked.say(SAM, "SO-103 到哪了")
    out = await linked.say(SAM, "move it to Dec 20")  # English says "it"
    assert out[-1].text.startswith("<b>SO-103") and "2026年12月20日" in out[-1].text, out[-1].text


async def test_a_customers_change_request_goes_to_their_sales_contact_as_written(linked: Chat) -> None:
    bob = TG["bob"]
    for text in ("can you speed up SO-101?", "please cancel SO-103", "we need 300 more of P by Dec 5, possible?"):
        out = await linked.say(bob, text)
        assert "Your sales contact Sam decides on that" in out[0].text, (text, out[0].text)
        assert "not allowed" not in out[0].text and "impact preview" not in out[0].text
    notes = [n.payload["note"] for n in await _outbox(linked) if getattr(n, "kind", "") == "handover"]
    assert "please cancel SO-103" in notes
    out = await linked.say(TG["mia"], "/status SO-103")
    assert "cancel" not in out[0].text.lower()  # nothing was changed


async def test_the_sales_contact_sees_what_a_customers_request_would_do_with_one_button(linked: Chat) -> None:
    """A customer's new order or change is passed on as written; the salesperson's message has
    "See what it would do", which answers it as if they had asked (a new order: the promise
    dates for that customer; a cancellation: its impact preview), for them and nobody else."""
    from scheduler_core.reports.i18n import translator
    from scheduler_core.reports.notify import render_notification

    bob, mia = TG["bob"], TG["mia"]
    await linked.say(bob, "we'd like to order 300 P for Dec 5")
    await linked.say(bob, "please cancel SO-103")
    handovers = {n.payload["note"]: n for n in await _outbox(linked) if getattr(n, "kind", "") == "handover"}
    new_order = render_notification("handover", handovers["we'd like to order 300 P for Dec 5"].payload,
                                    translator("en"))
    assert new_order.title == "Bolt asks for a new order" and "See what it would do" in new_order.text
    [button] = new_order.buttons
    assert button.data.startswith("req:") and len(button.data) <= 64
    for other in (bob, mia):  # the customer, and staff it was not sent to
        assert "expired" in (await linked.click(other, button.data))[0].text
    out = await linked.click(SAM, button.data)
    assert "300 × P: earliest delivery" in out[0].text and "By Dec 5, 2026: yes" in out[0].text, out[0].text
    labels = [b["text"] for row in out[0].buttons for b in row]
    assert any(label.startswith(("Order it for", "Rush it for")) for label in labels), labels
    booked = await linked.click(SAM, out[0].button("Order it for"))  # it fits by Dec 5 without moving anyone
    assert booked[-1].text.startswith("<b>New order SO-106: impact preview</b>\nCustomer: Bolt."), booked[-1].text
    assert booked[-1].button("Confirm")
    cancel = render_notification("handover", handovers["please cancel SO-103"].payload, translator("zh_Hans"))
    assert cancel.title == "Bolt 要求取消 SO-103" and cancel.buttons[0].label == "看看影响"
    out = await linked.click(SAM, cancel.buttons[0].data)
    assert "SO-103" in out[-1].text and "impact preview" in out[-1].text and out[-1].button("Confirm")
    out = await linked.say(mia, "/status SO-103")
    assert "cancel" not in out[0].text.lower()  # nothing changed until confirmed


async def test_a_new_order_said_plainly_is_answered_with_its_dates_and_a_rush_is_put_first(linked: Chat) -> None:
    out = await linked.say(SAM, "new order for ACME: 200 of P by Dec 5")  # no urgency: nobody is moved unasked
    assert out[0].text.startswith("<b>200 × P: earliest delivery</b>\n✅ By Dec 5, 2026: yes"), out[0].text
    booked = await linked.click(SAM, out[0].button("Order it for"))
    assert booked[-1].text.startswith("<b>New order SO-106: impact preview</b>\nCustomer: ACME."), booked[-1].text
    await linked.click(SAM, booked[-1].button("Cancel"))
    out = await linked.say(SAM, "rush 200 of P for ACME by Dec 5")  # a rush: its preview at once, put first
    assert out[-1].text.startswith("<b>Rush order SO-10") and "impact preview" in out[-1].text, out[-1].text
    await linked.click(SAM, out[-1].button("Cancel"))
    out = await linked.say(SAM, "ACME追加一单")  # what is missing is asked, and whether to put it first
    assert "Which product for ACME" in out[0].text
    await linked.click(SAM, out[0].button("P"))
    await linked.say(SAM, "300")
    out = await linked.say(SAM, "2026-11-30")
    assert "ahead of other orders" in out[0].text, out[0].text


async def test_a_rush_taken_back_lowers_the_priority_and_never_cancels_the_order(linked: Chat) -> None:
    preview = (await linked.say(SAM, "rush 200 of P for ACME by Nov 24"))[-1]
    await linked.click(SAM, preview.button("Confirm"))
    for text in ("cancel the rush on SO-106", "SO-106不用加急了"):
        out = await linked.say(SAM, text)
        assert "SO-106" in out[-1].text and ("Priority for SO-106" in out[-1].text or "调整优先级" in out[-1].text), out[-1].text
        assert "Cancel SO-106" not in out[-1].text and "取消 SO-106" not in out[-1].text
    applied = await linked.click(SAM, out[-1].button("Confirm"))
    assert "SO-106" in applied[0].text
    async with linked.shop.svc.uow() as uow:
        record = await uow.orders.get("SO-106")
    assert record is not None and record.order.status.is_active and not record.order.rush  # lowered, not cancelled


async def test_a_quantity_changed_by_an_amount_is_changed_from_the_orders_own(linked: Chat) -> None:
    for text, after in (("SO-102 再加20件", "80"), ("SO-102 add 15 more", "75"), ("SO-102 10 fewer please", "50"),
                        ("1060再加200件，总共变成700", None)):
        out = await linked.say(SAM, text)
        if after is None:  # the new quantity itself said: that one (here an unknown order)
            assert "SO-1060" in out[-1].text and "not found" in out[-1].text, out[-1].text
            continue
        assert f"Quantity: 60 → {after} pieces." in out[-1].text, (text, out[-1].text)  # not "60 → 20"
        await linked.click(SAM, out[-1].button("Cancel"))
    out = await linked.say(SAM, "SO-102 少做100件")  # below one piece: refused, nothing changed
    assert "Quantity" not in out[-1].text and "impact preview" not in out[-1].text, out[-1].text


async def test_staff_ask_about_one_customers_orders(linked: Chat) -> None:
    mia, sam, bob = TG["mia"], TG["sam"], TG["bob"]
    out = await linked.say(mia, "how are Bolt's orders doing?")
    assert "Open orders of Bolt" in out[0].text
    assert all(ref in out[0].text for ref in ("SO-101", "SO-103", "SO-105"))
    assert not any(ref in out[0].text for ref in ("SO-100", "SO-102", "SO-104"))
    out = await linked.say(sam, "/orders acme")
    assert "Open orders of ACME" in out[0].text and "SO-100" in out[0].text and "SO-101" not in out[0].text
    out = await linked.say(sam, "/orders Zeta")
    assert "No customer matches “Zeta”. Customers: ACME and Bolt" in out[0].text
    out = await linked.say(sam, "/orders ol")  # a part of one customer's name only
    assert "Open orders of Bolt" in out[0].text
    out = await linked.say(sam, "ACME的订单明天能交吗")  # which of theirs are planned by then
    assert out[0].text.startswith("<b>Planned to be finished by Tue, Nov 24: 3 of 3 open orders</b>"), out[0].text
    assert "SO-100" in out[0].text and "SO-101" not in out[0].text
    out = await linked.say(mia, "any late orders for ACME?")
    assert "Late orders of ACME" in out[0].text and "SO-101" not in out[0].text
    out = await linked.say(bob, "ACME的订单")  # a customer sees their own orders, whatever they name (P1)
    assert "您的未完成订单" in out[0].text and "SO-101" in out[0].text and "SO-100" not in out[0].text


async def test_a_part_of_several_customers_names_asks_which(chat: Chat) -> None:
    shop = chat.shop
    await record_order(shop.svc, shop.manager, make_order("SO-900", customer="Boltworks", due=at(days=5)),
                       sales="sam")
    await chat.link(shop.sales, SAM, "en")
    out = await chat.say(SAM, "/orders olt")
    assert "“olt” could be Bolt and Boltworks: which one?" in out[0].text
    out = await chat.say(SAM, "/orders works")
    assert "Open orders of Boltworks" in out[0].text and "SO-900" in out[0].text


async def test_a_date_change_without_an_order_asks_for_one(linked: Chat) -> None:
    out = await linked.say(SAM, "postpone our order to Dec 8")
    assert "Write e.g. /change SO-" in out[0].text and "not an order number" not in out[0].text
    out = await linked.say(TG["bob"], "can our order be moved earlier to Nov 30?")  # a customer's goes to sales
    assert "decides on that" in out[0].text


async def test_another_request_during_the_rush_questions_leaves_them_and_is_answered(linked: Chat) -> None:
    await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "where is SO-104")  # instead of a customer: a status question
    assert out[0].text == "I have left the rush order questions; nothing was changed."
    assert "Order SO-104: 60 × P" in out[1].text and "Expected:" in out[1].text
    out = await linked.say(SAM, "ACME")  # the questions are over: a name is free text again
    assert "Open orders of ACME" in out[0].text and "Which product" not in out[-1].text
    await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "how soon can you make 100 P")
    assert out[0].text.startswith("I have left the rush order questions")
    assert "100 × P: earliest delivery" in out[1].text and "With priority" in out[1].text
    out = await linked.say(SAM, "/rush")
    await linked.click(SAM, out[0].button("ACME"))
    out = await linked.say(SAM, "P")
    assert "How many P" in out[0].text
    out = await linked.say(SAM, "cancel SO-104")  # at the quantity question
    assert out[0].text.startswith("I have left") and "Cancel SO-104: impact preview" in out[-1].text
    out = await linked.say(SAM, "300")  # not the rush's quantity any more
    assert "Needed by" not in out[-1].text
    await linked.say(SAM, "/language zh")
    await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "取消 SO-1450")
    assert [o.text for o in out] == ["已退出插单流程，没有任何改动。", "⚠️ 未找到订单 SO-1450。"]
    await linked.say(SAM, "/rush")
    out = await linked.say(SAM, "取消这个插单")  # the rush itself, no order: stops the questions
    assert [o.text for o in out] == ["已结束，没有任何改动。"]
    async with linked.shop.svc.uow() as uow:
        assert await uow.orders.get("SO-106") is None


async def test_a_wrong_answer_that_asks_for_nothing_else_gets_the_question_again(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    for text in ("AMCE", "hello"):  # a typo, a greeting
        out = await linked.say(SAM, text)
        assert out[0].text == f"I do not know a customer called {text}.", out[0].text
        assert "which customer" in out[-1].text and out[-1].button("ACME")
    out = await linked.say(SAM, "ACME Corp")  # the name with its legal form, as free text reads it
    assert "Which product for ACME" in out[0].text
    out = await linked.say(SAM, "PX")
    assert "Unknown product PX" in out[0].text and "Which product for ACME" in out[-1].text
    out = await linked.say(SAM, "P")
    out = await linked.say(SAM, "three")
    assert out[0].text == "three is not a quantity." and "How many P" in out[-1].text
    out = await linked.say(SAM, "要五百件")  # a quantity as the parser reads one
    assert "Needed by" in out[-1].text
    out = await linked.say(SAM, "whenever")
    assert "whenever is not a date" in out[0].text and "Needed by" in out[-1].text
    out = await linked.say(SAM, "尽快")  # as soon as possible: no other request, and no date either
    assert "尽快 is not a date" in out[0].text and "Needed by" in out[-1].text
    out = await linked.say(SAM, "Dec 5")  # a date as the question's examples write it
    assert "ahead of other orders" in out[0].text
    out = await linked.click(SAM, out[0].button("Yes"))
    assert "Rush order SO-106: impact preview" in out[-1].text
    await linked.click(SAM, out[-1].button("Confirm"))
    async with linked.shop.svc.uow() as uow:
        record = await uow.orders.get("SO-106")
    assert record is not None and record.order.quantity == 500


async def test_a_rush_asked_anew_during_the_questions_takes_its_details(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    await linked.click(SAM, out[0].button("ACME"))
    out = await linked.say(SAM, "rush 300 by Dec 5")  # the customer answered so far is kept
    assert "Which product for ACME" in out[-1].text
    out = await linked.say(SAM, "P")
    assert "Rush order SO-106: impact preview" in out[-1].text
    await linked.click(SAM, out[-1].button("Confirm"))
    out = await linked.say(SAM, "/rush")
    await linked.click(SAM, out[0].button("ACME"))
    out = await linked.say(SAM, "P")
    out = await linked.say(SAM, "rush 200 of P for Bolt by Dec 5")  # another customer's: afresh
    assert "Rush order SO-107: impact preview" in out[-1].text
    await linked.click(SAM, out[-1].button("Confirm"))
    async with linked.shop.svc.uow() as uow:
        first, second = await uow.orders.get("SO-106"), await uow.orders.get("SO-107")
    assert first is not None and (first.order.customer, first.order.quantity) == ("ACME", 300)
    assert second is not None and (second.order.customer, second.order.quantity) == ("Bolt", 200)


async def test_confirm_or_cancel_typed_after_a_preview_decide_it(linked: Chat) -> None:
    out = await linked.say(SAM, "cancel")  # nothing waits: as before
    assert "Write the order to cancel" in out[0].text
    out = await linked.say(SAM, "/change SO-105 qty 200")
    assert "New quantity for SO-105" in out[-1].text
    out = await linked.say(SAM, "cancel")
    assert out[0].text == "✖️ Cancelled: nothing was changed for SO-105." and out[0].method == "sendMessage"
    out = await linked.say(SAM, "confirm")  # that preview is decided: nothing waits any more
    assert "Confirmed" not in out[0].text
    await linked.say(SAM, "/language zh")
    out = await linked.say(SAM, "/change SO-105 qty 200")
    out = await linked.say(SAM, "好的，确认")
    assert "SO-105" in out[0].text and "已确认" in out[0].text, out[0].text
    async with linked.shop.svc.uow() as uow:
        record = await uow.orders.get("SO-105")
    assert record is not None and record.order.quantity == 200
    out = await linked.say(SAM, "/change SO-104 qty 90")
    out = await linked.say(SAM, "/cancel")  # the command alone, after a preview: that preview
    assert "SO-104" in out[0].text and "没有任何改动" in out[0].text
    async with linked.shop.svc.uow() as uow:
        record = await uow.orders.get("SO-104")
    assert record is not None and record.order.quantity == 60
    out = await linked.say(TG["bob"], "确认")  # a customer has no preview to decide
    assert "已确认" not in out[0].text and "Confirmed" not in out[0].text


async def test_a_material_date_is_previewed_then_confirmed_and_arrived_material_frees_the_order(linked: Chat) -> None:
    out = await linked.say(SAM, "SO-104 的物料推迟到12月1日")
    assert "Material date for SO-104: impact preview" in out[0].text and "later with this change" in out[0].text
    out = await linked.click(SAM, out[0].button("✅ Confirm"))
    assert "Confirmed: SO-104 is in plan version" in out[0].text
    async with linked.shop.svc.uow() as uow:
        rec = await uow.orders.get("SO-104")
        plan = await uow.plans.current()
    assert rec is not None and rec.order.release is not None
    assert rec.order.release.astimezone(linked.shop.clock.now.tzinfo).date().isoformat() == "2026-12-01"
    assert plan is not None and all(op.start >= rec.order.release for op in plan.schedule.for_order("SO-104"))
    out = await linked.say(SAM, "where is SO-104")
    assert "Material ready: " in out[0].text
    out = await linked.say(SAM, "material for SO-104 arrived")  # there now: it may start again
    assert "Material date for SO-104: impact preview" in out[0].text and "earlier with this change" in out[0].text
    await linked.click(SAM, out[0].button("✅ Confirm"))
    async with linked.shop.svc.uow() as uow:
        rec = await uow.orders.get("SO-104")
    assert rec is not None and rec.order.release is None
    out = await linked.say(SAM, "物料周三到")  # the order left unsaid, as Chinese does: the one talked about
    assert "Material date for SO-104: impact preview" in out[0].text
    out = await linked.say(TG["mia"], "the steel arrives on Dec 3")  # no order named nor talked about: which?
    assert "Which order" in out[0].text and "material for SO-1042 arrives" in out[0].text


async def test_late_orders_counted_per_customer(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 400 of P for ACME by Nov 23")
    await linked.click(SAM, out[-1].button("Confirm"))
    plan = await current_plan(linked.shop.svc, linked.shop.manager)
    late = Counter(e.customer for e in plan.etas if e.late_by > timedelta(0))
    assert len(late) == 2, late  # both customers have late orders: a ranking to check
    out = await linked.say(TG["mia"], "which customer has the most late orders?")
    text = out[0].text
    assert text.startswith("<b>Late orders by customer</b>")
    bullets = [line for line in text.split("\n") if line.startswith("• ")]
    ranked = sorted(late, key=lambda c: -late[c])
    assert [b.split(":")[0].removeprefix("• ").removeprefix("★ ") for b in bullets] == ranked
    for b, customer in zip(bullets, ranked, strict=True):
        n = late[customer]
        assert (f"{n} late orders" if n > 1 else "1 late order") in b
    out = await linked.say(TG["mia"], "哪个客户的单子延误最多")  # in the manager's language, the same ranking
    assert out[0].text.startswith("<b>Late orders by customer</b>")
    out = await linked.say(TG["bob"], "which customer has the most late orders?")  # a customer: their own (P1)
    assert "by customer" not in out[0].text and "ACME" not in out[0].text


async def test_the_vip_orders_alone_when_asked_for(linked: Chat) -> None:
    async with linked.shop.svc.uow() as uow:
        vip = sorted(r.ref for r in await uow.orders.active() if r.order.vip)
    assert vip  # the test shop has VIP orders and others
    out = await linked.say(TG["mia"], "show me the VIP orders")
    text = out[0].text
    assert text.startswith(f"<b>Open VIP orders ({len(vip)})</b>"), text
    shown = sorted(line.split("</b>")[0].split("<b>")[-1].removeprefix("★ ") for line in text.split("\n")[1:])
    assert shown == vip, (shown, vip)
    out = await linked.say(TG["mia"], "which VIP orders are late")
    assert out[0].text == "<b>Late VIP orders</b>\n✅ No order is late."  # every VIP order makes its date here


async def test_a_promise_asked_for_a_day_books_that_day(linked: Chat) -> None:
    out = await linked.say(SAM, "can we deliver 400 of P by Nov 27?")  # fits as it is: the customer's day, no rush
    assert out[0].text.splitlines()[1] == "✅ By Nov 27, 2026: yes, without moving anyone."
    assert [b["text"] for row in out[0].buttons for b in row] == ["Order it for Nov 27, 2026"]
    out = await linked.say(SAM, "can we deliver 1600 of P by Nov 25?")  # only with priority (17:20, not 19:20)
    assert out[0].text.splitlines()[1].startswith("⚠️ By Nov 25, 2026: only with priority"), out[0].text
    labels = [b["text"] for row in out[0].buttons for b in row]
    assert labels == ["Rush it for Nov 25, 2026", "Order it for Nov 26, 2026"], labels
    out = await linked.click(SAM, out[0].button("Rush it for Nov 25, 2026"))
    out = await linked.click(SAM, out[0].button("ACME"))
    assert "needed by Nov 25, 2026, 18:00" in out[-1].text and "It makes its date" in out[-1].text, out[-1].text
    await linked.click(SAM, out[-1].button("Cancel"))
    out = await linked.say(SAM, "Bolt needs 1600 of P by Nov 25, can we do it?")  # the customer named: not asked again
    out = await linked.click(SAM, out[0].button("Rush it for Nov 25, 2026"))
    assert "impact preview" in out[-1].text and "Bolt" in out[-1].text, out[-1].text


async def test_book_it_typed_after_a_promise_presses_its_button(linked: Chat) -> None:
    out = await linked.say(SAM, "how soon can we deliver 400 of P")  # two ways to book it
    out = await linked.say(SAM, "ok book it")
    assert out[0].text == "Which one? Press a button."
    labels = [b["text"] for row in out[0].buttons for b in row]
    assert len(labels) == 2 and labels[0].startswith("Order it for") and labels[1].startswith("Rush it for")
    out = await linked.say(SAM, "rush it")  # the words say which
    assert "for which customer" in out[0].text, out[0].text
    await linked.say(SAM, "stop")
    out = await linked.say(SAM, "can we deliver 400 of P for ACME by Nov 27?")  # one way: that day, for ACME
    out = await linked.say(SAM, "好的，下单")
    assert "impact preview" in out[-1].text and "needed by Nov 27, 2026" in out[-1].text, out[-1].text
    out = await linked.say(SAM, "book it")  # the preview waits: nothing booked again
    assert "impact preview" not in out[-1].text
    await linked.say(SAM, "cancel")
    out = await linked.say(SAM, "can we deliver 400 of P for Bolt by Nov 27?")
    out = await linked.click(SAM, out[0].button("Order it for Nov 27, 2026"))  # booked by its button
    out = await linked.say(SAM, "do it")  # now the preview's: confirmed, not booked a second time
    assert out[0].text.startswith("✅ <b>Confirmed: SO-107"), out[0].text


async def test_the_orders_a_rush_made_late_when_asked(linked: Chat) -> None:
    out = await linked.say(SAM, "which orders did the rush delay?")  # no rush talked about yet: which?
    assert out[0].text == "Which order? For example: which orders did SO-1451 delay"
    preview = (await linked.say(SAM, "rush 400 of P for ACME by Nov 23"))[-1]
    out = await linked.click(SAM, preview.button("Confirm"))
    assert "Confirmed: SO-106" in out[0].text
    out = await linked.say(SAM, "which orders did SO-106 delay?")
    text = out[0].text
    assert text.startswith("<b>Late because SO-106 went ahead of them</b>"), text
    listed = [line.split("</b>")[0].split("<b>")[1] for line in text.splitlines() if line.startswith("• ")]
    assert listed == ["SO-104", "SO-105"] and text.count("Rush order SO-106 was inserted ahead of it") == 2, text
    await linked.say(SAM, "/status SO-106")  # "this one": the chat's order
    out = await linked.say(SAM, "哪些单子因为这个晚了")
    assert out[0].text.startswith("<b>Late because SO-106 went ahead of them</b>"), out[0].text
    out = await linked.say(SAM, "which orders did SO-101 delay?")  # an order that delayed nobody
    assert out[0].text.startswith("No late order is late because of SO-101.\n<b>Late orders</b>"), out[0].text
