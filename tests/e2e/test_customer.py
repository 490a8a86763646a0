"""Customers: where is my order, my orders, complaints, a person, survey answers; P1 sweep."""

from __future__ import annotations

import re
from datetime import timedelta

from scheduler_core.services.ports import Survey
from tests.e2e.conftest import TG, Chat, click_update


async def test_status_with_a_reference_in_english(linked: Chat) -> None:
    out = await linked.say(TG["bob"], "/status SO-101")
    text = out[0].text
    assert text.startswith("<b>Order SO-101: 60 × P</b>")
    assert "Expected:" in text and "promised" in text and ("On time" in text or "Late by" in text)
    assert out[0].params["parse_mode"] == "HTML"


async def test_free_text_in_chinese_without_a_reference_offers_buttons_then_shows_the_order(linked: Chat) -> None:
    out = await linked.say(TG["alice"], "我的订单到哪了")
    assert "哪个订单" in out[0].text
    labels = [b["text"] for row in out[0].buttons for b in row]
    assert labels == ["SO-100", "SO-102", "SO-104"]  # only ACME's
    listed = [line for line in out[0].text.splitlines() if line.startswith("<b>SO-")]  # each with its ETA
    assert [line[3:9] for line in listed] == ["SO-100", "SO-102", "SO-104"]
    assert all("预计完成" in line for line in listed)
    out = await linked.click(TG["alice"], out[0].button("SO-102"))
    assert "订单 SO-102" in out[0].text and "预计完工" in out[0].text


async def test_free_text_with_a_reference(linked: Chat) -> None:
    out = await linked.say(TG["alice"], "订单102到哪了")
    assert "订单 SO-102" in out[0].text
    out = await linked.say(TG["bob"], "where is my order so 103?")
    assert "Order SO-103" in out[0].text


async def test_orders_lists_only_my_orders(linked: Chat) -> None:
    out = await linked.say(TG["bob"], "/orders")
    text = out[0].text
    assert "SO-101" in text and "SO-103" in text and "SO-105" in text
    assert "SO-100" not in text and "ACME" not in text


async def test_p1_unknown_and_foreign_orders_get_byte_identical_answers(linked: Chat) -> None:
    """Across commands, free text and buttons: another customer's order looks exactly like none."""
    for asker, foreign in ((TG["bob"], "SO-100"), (TG["alice"], "SO-101")):
        await linked.say(asker, "/language en")  # the English questions below: no language note on the first
        for template in ("/status {ref}", "where is order {ref}", "/complain {ref} is broken"):
            ghost = await linked.say(asker, template.format(ref="SO-999"))
            theirs = await linked.say(asker, template.format(ref=foreign))
            assert ghost[0].text.replace("SO-999", "REF") == theirs[0].text.replace(foreign, "REF")
            assert foreign[3:] not in theirs[0].text.replace(foreign, "")
        ghost = await linked.click(asker, "survey:SO-999:5")
        theirs = await linked.click(asker, f"survey:{foreign}:5")
        assert ghost[0].text.replace("SO-999", "REF") == theirs[0].text.replace(foreign, "REF")


async def test_p1_buttons_cannot_be_forged_or_borrowed(linked: Chat) -> None:
    out = await linked.say(TG["alice"], "/orders")
    token = out[0].button("SO-100")
    stolen = await linked.click(TG["bob"], token)  # bob replays alice's button
    forged = await linked.click(TG["bob"], "b:AAAAAAAAAAAAAAAA")
    garbage = await linked.click(TG["bob"], "status:SO-100")
    assert stolen[0].text == forged[0].text == garbage[0].text
    assert "expired" in stolen[0].text and "SO-100" not in stolen[0].text
    mine = await linked.click(TG["alice"], token)  # still good for its owner
    assert "SO-100" in mine[0].text


async def test_a_complaint_is_recorded_and_alerts_sales_and_managers(linked: Chat) -> None:
    out = await linked.say(TG["alice"], "投诉：SO-100 的货有划痕，太差了")
    assert "投诉" in out[0].text and "已记录" in out[0].text
    async with linked.shop.svc.uow() as uow:
        complaints = await uow.feedback.complaints()
        pending = await uow.outbox.pending()
    assert complaints[-1].ref == "SO-100" and complaints[-1].customer == "ACME"
    alerted = {n.recipient for n in pending if n.kind == "complaint"}
    assert {f"user:{linked.shop.manager.user_id}", f"user:{linked.shop.sales.user_id}"} <= alerted


async def test_talk_to_a_person_hands_over_to_the_sales_owner(linked: Chat) -> None:
    out = await linked.say(TG["bob"], "I want to talk to a person")
    assert "Sam" in out[0].text
    async with linked.shop.svc.uow() as uow:
        pending = await uow.outbox.pending()
    assert any(n.kind == "handover" and n.recipient == f"user:{linked.shop.sales.user_id}" for n in pending)


async def test_survey_score_with_a_comment_and_without(linked: Chat) -> None:
    s = linked.shop
    async with s.svc.uow(write=True) as uow:
        await uow.feedback.add_survey(Survey("SO-101", "Bolt", s.clock.now - timedelta(hours=1)))
        await uow.feedback.add_survey(Survey("SO-100", "ACME", s.clock.now - timedelta(hours=1)))
        await uow.commit()
    out = await linked.click(TG["bob"], "survey:SO-101:2")
    assert "2/5" in out[0].text and out[0].method == "editMessageText"
    out = await linked.say(TG["bob"], "the parts <b>were</b> late")
    assert "comment are recorded" in out[0].text
    out = await linked.click(TG["alice"], "survey:SO-100:5")
    assert "5/5" in out[0].text
    out = await linked.click(TG["alice"], out[0].button("不用了"))
    assert "已记录" in out[0].text
    async with s.svc.uow() as uow:
        surveys = {x.ref: x for x in await uow.feedback.surveys()}
        pending = await uow.outbox.pending()
    assert surveys["SO-101"].score == 2 and surveys["SO-101"].comment == "the parts <b>were</b> late"
    assert surveys["SO-100"].score == 5 and surveys["SO-100"].comment is None
    assert any(n.kind == "low_score" for n in pending)
    again = await linked.click(TG["alice"], "survey:SO-100:1")  # answered already
    await linked.say(TG["alice"], "/orders")  # moves on: the pending score is recorded -> survey_gone
    async with s.svc.uow() as uow:
        assert {x.ref: x for x in await uow.feedback.surveys()}["SO-100"].score == 5
    assert again


async def test_unknown_text_gets_examples(linked: Chat) -> None:
    out = await linked.say(TG["bob"], "blorp")
    assert "did not understand" in out[0].text
    # the examples name one of bob's own open orders (Bolt's), never another customer's (P1)
    shown = re.search(r"/status (SO-\d+)", out[0].text)
    assert shown is not None
    async with linked.shop.svc.uow() as uow:
        bolt = {r.ref for r in await uow.orders.list(customer="Bolt")}
    assert shown.group(1) in bolt
    out = await linked.say(TG["alice"], "嗯嗯")
    assert "没有理解" in out[0].text and "例如" in out[0].text


async def test_staff_see_any_order(linked: Chat) -> None:
    out = await linked.say(TG["otto"], "/status SO-100")
    assert "Order SO-100" in out[0].text
    _ = click_update


async def test_why_is_my_order_late_offers_the_late_ones(linked: Chat) -> None:
    bob = TG["bob"]
    out = await linked.say(bob, "why is my order late?")
    assert "None of your open orders is late" in out[0].text  # all of Bolt's make their dates here
    # a rush for another customer that makes one of Bolt's late
    sam = TG["sam"]
    preview = (await linked.say(sam, "rush 400 of P for ACME by Nov 23"))[-1]
    await linked.click(sam, preview.button("Confirm"))
    out = await linked.say(bob, "为什么延期了")  # SO-105 alone is late now: shown at once, with its reason
    # written in Chinese: answered in Chinese, and so from now on
    assert "订单 SO-105" in out[0].text and "原因：有插单排在了它前面" in out[0].text
    assert "SO-106" not in out[0].text  # ACME's rush order: not Bob's to know (P1)
    assert out[0].text.endswith("<i>以后我用中文回复您。发送“English”可切换回英文。</i>")
    out = await linked.say(bob, "where is my order")  # not about lateness: all three to pick from
    assert "Which order?" in out[0].text and "Send “中文” to switch back." in out[0].text


async def test_why_so_slow_with_several_late_orders_gives_each_with_its_reason(linked: Chat) -> None:
    from scheduler_core.services.shopfloor import machine_down
    from tests.builders import at

    bob = TG["bob"]
    await machine_down(linked.shop.svc, linked.shop.operator, "M1", "spindle", until=at(72))  # several of Bolt's late
    late = [line for line in (await linked.say(bob, "/orders"))[0].text.splitlines() if "late by" in line]
    assert len(late) >= 2, late
    for text in ("what's taking so long?", "why are my orders so slow", "why are my orders late"):
        out = await linked.say(bob, text)
        assert out[0].text.startswith("<b>Late orders</b>"), (text, out[0].text)
        assert out[0].text.count("late by") == len(late) and "M1" in out[0].text, out[0].text
        assert "ACME" not in out[0].text and "SO-100" not in out[0].text  # not Bob's to know (P1)
        assert {b["text"] for row in out[0].buttons for b in row} <= {"SO-101", "SO-103", "SO-105"}


async def test_a_chinese_arrival_question_without_its_subject_means_the_chats_order(linked: Chat) -> None:
    bob = TG["bob"]
    out = await linked.say(bob, "12月20号前能到吗")  # no order talked about yet: Bob's orders by then
    assert out[0].text.startswith("<b>") and "12月20日" in out[0].text and "SO-10" in out[0].text, out[0].text
    await linked.say(bob, "/status SO-103")
    out = await linked.say(bob, "12月20号前能到吗")  # the order the chat is about, that day answered first
    assert out[0].text.startswith("✅ 12月20日") and "SO-103" in out[0].text, out[0].text


async def test_it_means_the_order_the_chat_was_last_about(linked: Chat) -> None:
    bob = TG["bob"]
    out = await linked.say(bob, "can it be earlier?")  # nothing talked about yet: which one
    assert "Which order?" in out[0].text
    out = await linked.say(bob, "when will it be ready?")
    assert "Which order?" in out[0].text
    out = await linked.click(bob, out[0].button("SO-103"))
    assert "Order SO-103" in out[0].text
    out = await linked.say(bob, "when will it be ready?")
    assert "Order SO-103" in out[0].text
    out = await linked.say(bob, "can it be earlier?")  # passed on to the sales contact, with the order
    assert "Sam" in out[0].text
    async with linked.shop.svc.uow() as uow:
        notes = [n.payload["note"] for n in await uow.outbox.pending() if n.kind == "handover"]
    assert "SO-103: can it be earlier?" in notes
    await linked.say(bob, "/status SO-105")
    out = await linked.say(bob, "这个单到哪了")
    assert "SO-105" in out[0].text
    out = await linked.say(bob, "where is SO-100")  # ACME's: unknown to Bob (P1), and so never "it"
    assert "未找到订单 SO-100" in out[0].text  # (still answered in Chinese, as the chat was)
    out = await linked.say(bob, "when will it be ready?")
    assert "Order SO-105" in out[0].text, out[0].text
    out = await linked.say(TG["alice"], "when will it be ready?")  # another chat: its own memory
    assert "SO-105" not in out[0].text and "SO-103" not in out[0].text
    linked.shop.clock.advance(minutes=31)  # half an hour later "it" means nothing any more
    out = await linked.say(bob, "when will it be ready?")
    assert "Which order?" in out[0].text


async def test_a_factory_that_numbers_its_orders_its_own_way(tg) -> None:  # type: ignore[no-untyped-def]
    """Orders imported as WO-778 are found as "wo778", "WO-778", "订单778", "778" and "/status 779";
    "SO-778" is still paichan's own numbering, not theirs."""
    from tests.builders import at, make_order
    from tests.e2e.conftest import chat_with_orders

    orders = [make_order(f"WO-{778 + i}", quantity=60, due=at(5 + i), customer="ACME") for i in range(3)]
    async with chat_with_orders(tg, orders) as chat:
        await chat.link(chat.shop.alice, TG["alice"], "zh-hans")
        for text, ref in (("wo778 到哪了", "WO-778"), ("WO-779 什么时候好", "WO-779"), ("订单780到哪了", "WO-780"),
                          ("778到哪了", "WO-778"), ("/status 779", "WO-779"), ("/status 订单780", "WO-780")):
            out = await chat.say(TG["alice"], text)
            assert f"订单 {ref}" in out[0].text, (text, out[0].text)
        out = await chat.say(TG["alice"], "SO-778 到哪了")
        assert "未找到订单 SO-778" in out[0].text


async def test_a_customers_chat_follows_the_language_they_write_until_they_choose_one(linked: Chat) -> None:
    bob = TG["bob"]  # linked from an English app
    out = await linked.say(bob, "我的订单SO-101到哪了")
    assert "订单 SO-101" in out[0].text and "以后我用中文回复您" in out[0].text
    async with linked.shop.svc.uow() as uow:
        ident = await uow.identities.get("telegram", bob)
    assert ident is not None and ident.lang == "zh_Hans" and not ident.lang_chosen  # warnings in Chinese too
    out = await linked.say(bob, "SO-101")  # nothing said in words: the chat's language
    assert "订单 SO-101" in out[0].text and "以后" not in out[0].text
    await linked.say(bob, "/language en")  # chosen: it holds whatever he writes
    out = await linked.say(bob, "SO-101 到哪了")
    assert "Order SO-101" in out[0].text and "switch back" not in out[0].text
    async with linked.shop.svc.uow() as uow:
        ident = await uow.identities.get("telegram", bob)
    assert ident is not None and ident.lang == "en" and ident.lang_chosen
    out = await linked.say(TG["sam"], "SO-101 到哪了")  # staff keep their language
    assert "Order SO-101" in out[0].text


async def test_will_my_orders_be_here_by_a_day_lists_those_planned_by_then(linked: Chat) -> None:
    bob = TG["bob"]
    out = await linked.say(bob, "will my orders get here by tomorrow?")
    assert out[0].text.startswith("<b>Planned to be finished by Tue, Nov 24: 3 of 3 open orders</b>"), out[0].text
    sam = TG["sam"]  # a rush for another customer pushes SO-105 into Tuesday
    preview = (await linked.say(sam, "rush 400 of P for ACME by Nov 23"))[-1]
    await linked.click(sam, preview.button("Confirm"))
    await linked.say(bob, "/language zh")
    out = await linked.say(bob, "我的货今天能到吗")
    text = out[0].text
    assert text.startswith("<b>计划在11月23日周一前完成的：3 个未完成订单中的 2 个</b>"), text
    assert "SO-101" in text and "SO-103" in text and "SO-105" not in text


async def test_one_order_asked_for_by_a_day_is_answered_first_and_can_be_passed_on(linked: Chat) -> None:
    bob, sam = TG["bob"], TG["sam"]
    out = await linked.say(bob, "can SO-105 arrive by tomorrow?")
    assert out[0].text.startswith("✅ By Tue, Nov 24: yes, planned to be finished "), out[0].text
    assert "Order SO-105" in out[0].text and not out[0].buttons
    preview = (await linked.say(sam, "rush 400 of P for ACME by Nov 23"))[-1]  # pushes SO-105 into Tuesday
    await linked.click(sam, preview.button("Confirm"))
    out = await linked.say(bob, "we need SO-105 by Nov 23")
    assert out[0].text.startswith("❌ By Mon, Nov 23: no, planned to be finished Tue, 11/24"), out[0].text
    async with linked.shop.svc.uow() as uow:
        before = [n for n in await uow.outbox.pending() if n.kind == "handover"]
    out = await linked.click(bob, out[0].button("Ask for it by Mon, Nov 23"))  # passed on only when pressed
    assert "I have passed your message on" in out[0].text
    async with linked.shop.svc.uow() as uow:
        notes = [n.payload["note"] for n in await uow.outbox.pending() if n.kind == "handover"]
    assert len(notes) == len(before) + 1 and "SO-105: needed by Mon, Nov 23" in notes
    out = await linked.say(sam, "the customer needs it by Nov 23")  # "it": the chat's order, SO-105
    assert out[0].text.startswith("❌ By Mon, Nov 23: no"), out[0].text
    assert not out[0].buttons  # promised for that day already: the order is late, nothing to pull in
    preview = (await linked.say(sam, "move SO-105 to Nov 27"))[-1]
    await linked.click(sam, preview.button("Confirm"))
    out = await linked.say(sam, "SO-105能在11月23号之前到吗")
    assert out[0].text.startswith("❌ By Mon, Nov 23: no"), out[0].text  # the chat's language: English
    out = await linked.click(sam, out[0].button("Promise it for Mon, Nov 23: impact first"))
    assert "impact preview" in out[0].text and "SO-105" in out[0].text, out[0].text
    async with linked.shop.svc.uow() as uow:
        order = await uow.orders.get("SO-105")
    assert order is not None and order.order.due.day == 27  # a preview: nothing is changed before Confirm


async def test_a_question_about_complaints_lists_them_and_records_nothing(linked: Chat) -> None:
    bob, mia = TG["bob"], TG["mia"]
    out = await linked.say(bob, "SO-101 arrived scratched, this is unacceptable")
    assert "Your complaint #1 is recorded" in out[0].text
    out = await linked.say(mia, "who complained recently?")
    text = out[0].text
    assert text.startswith("<b>Complaints in the last 30 days (1)</b>") and "Bolt · SO-101: SO-101 arrived scratched" in text
    out = await linked.say(mia, "I am unhappy with how this went")  # staff: a customer's complaint needs its order
    assert "Which order is the complaint about?" in out[0].text
    out = await linked.say(TG["sam"], "ACME complains SO-100 arrived damaged")  # on a customer's behalf
    assert "#2 is recorded" in out[0].text
    out = await linked.say(TG["alice"], "最近有哪些投诉")  # a customer: their own company's only (P1)
    assert "ACME · SO-100" in out[0].text and "Bolt" not in out[0].text and "SO-101" not in out[0].text
    async with linked.shop.svc.uow() as uow:
        assert [c.ref for c in await uow.feedback.complaints()] == ["SO-101", "SO-100"]
