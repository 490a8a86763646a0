"""P2: linking only through a one-time, expiring code, in a private chat, on the numeric id."""

from __future__ import annotations

from scheduler_core.services.linking import create_link_code
from tests.e2e.conftest import TG, Chat


async def _identity(chat: Chat, tg_id: int) -> object:
    async with chat.shop.svc.uow() as uow:
        return await uow.identities.get("telegram", tg_id)


async def test_a_customer_links_in_chinese_and_gets_a_chinese_menu(chat: Chat) -> None:
    out = await chat.link(chat.shop.alice, TG["alice"], "zh-hans")
    assert "本聊天已绑定" in out[0].text and "ACME" in out[0].text
    menus = chat.tg.of("setMyCommands")
    mine = [c for c in menus if (c.params.get("scope") or {}).get("chat_id") == TG["alice"]]
    assert mine and any(cmd["command"] == "status" and cmd["description"] == "我的订单到哪了"
                        for cmd in mine[-1].params["commands"])
    ident = await _identity(chat, TG["alice"])
    assert ident is not None and ident.lang == "zh_Hans"  # type: ignore[attr-defined]


async def test_default_menus_are_set_per_language_at_start_up(chat: Chat) -> None:
    langs = {c.params.get("language_code") for c in chat.tg.of("setMyCommands")}
    assert {"zh", "en", None} <= langs


async def test_a_code_works_once(chat: Chat) -> None:
    code, _ = await create_link_code(chat.shop.svc, chat.shop.admin, "bob")
    await chat.say(TG["bob"], f"/start {code}")
    out = await chat.say(5555, f"/start {code}")  # the same code, forwarded to another account
    assert "invalid, used or expired" in out[0].text
    assert await _identity(chat, 5555) is None
    out = await chat.say(5555, "/orders")
    assert "not linked" in out[0].text


async def test_an_expired_code_is_refused(chat: Chat) -> None:
    code, _ = await create_link_code(chat.shop.svc, chat.shop.admin, "bob")
    chat.shop.clock.advance(hours=25)
    out = await chat.say(TG["bob"], f"/start {code}")
    assert "invalid, used or expired" in out[0].text
    assert await _identity(chat, TG["bob"]) is None


async def test_a_forwarded_start_message_does_not_link(chat: Chat) -> None:
    code, _ = await create_link_code(chat.shop.svc, chat.shop.admin, "bob")
    out = await chat.say(6666, f"/start {code}", forwarded=True)
    assert "invalid, used or expired" in out[0].text
    assert await _identity(chat, 6666) is None
    out = await chat.say(TG["bob"], f"/start {code}")  # the code is still good for its owner
    assert "now linked" in out[0].text


async def test_group_chats_are_refused_for_linking_and_show_no_orders(chat: Chat) -> None:
    code, _ = await create_link_code(chat.shop.svc, chat.shop.admin, "bob")
    out = await chat.say(TG["bob"], f"/start {code}", chat=-100123, chat_type="group")
    assert "private chat" in out[0].text
    assert await _identity(chat, TG["bob"]) is None
    await chat.say(TG["bob"], f"/start {code}")
    out = await chat.say(TG["bob"], "/status SO-101", chat=-100123, chat_type="supergroup")
    assert "private chat" in out[0].text and "SO-101" not in out[0].text


async def test_bad_codes_get_the_same_polite_answer(chat: Chat) -> None:
    answers = set()
    for bad in ("x", "NOTACODE12", "<b>hi</b>", "A" * 65, "ABC DEF"):
        out = await chat.say(7777, f"/start {bad}")
        answers.add(out[0].text)
    assert len(answers) == 1 and "invalid" in answers.pop()


async def test_language_can_be_changed_with_buttons_or_words(linked: Chat) -> None:
    out = await linked.say(TG["bob"], "/language")
    data = out[0].button("中文")
    out = await linked.click(TG["bob"], data)
    assert out[0].method == "editMessageText" and "中文" in out[0].text
    out = await linked.say(TG["bob"], "/status SO-101")
    assert "订单 SO-101" in out[0].text
    out = await linked.say(TG["bob"], "/language en")
    assert "English" in out[0].text
    out = await linked.say(TG["bob"], "/status SO-101")
    assert "Order SO-101" in out[0].text


async def test_unlinked_people_get_help_not_silence(chat: Chat) -> None:
    out = await chat.say(8888, "SO-101", lang="zh-hans")  # nothing said in words: the app's language
    assert "尚未绑定" in out[0].text and "/start" in out[0].text
    out = await chat.say(8888, "where is my order SO-101", lang="zh-hans")  # the language written
    assert "not linked yet" in out[0].text and "/start" in out[0].text
    out = await chat.say(8888, "我的订单到哪了", lang="en")
    assert "尚未绑定" in out[0].text
    out = await chat.say(8888, "/start", lang="en")
    assert "Welcome" in out[0].text
