"""Products by the names people call them: "Bracket" for BR-1 and BR-2, "泵壳" for PH-1, in
capable-to-promise questions, the rush questions and what the chat shows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler_core.services.shopfloor import replan_now
from tests.e2e.conftest import TG, Chat
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import Shop, seed_shop

SAM = TG["sam"]


@pytest.fixture
async def shop() -> Shop:
    """The seeded shop with three more products made like P: two called Bracket, one 泵壳."""
    shop = await seed_shop(FakeUnitOfWorkFactory())
    async with shop.svc.uow(write=True) as tx:
        p = await tx.master.routing("P")
        assert p is not None
        for code, name in (("BR-1", "Bracket"), ("BR-2", "Bracket"), ("PH-1", "泵壳")):
            await tx.master.save_routing(replace(p, product=code, name=name))
        await tx.commit()
    await replan_now(shop.svc)
    return shop


def _labels(call: object) -> list[str]:
    return [b["text"] for row in call.buttons for b in row]  # type: ignore[attr-defined]


async def test_a_promise_for_a_name_two_products_share_asks_which(linked: Chat) -> None:
    out = await linked.say(SAM, "how soon can we deliver 100 brackets")
    assert "Which Bracket? Pick one." in out[0].text
    assert _labels(out[0]) == ["BR-1 · Bracket", "BR-2 · Bracket"]
    out = await linked.click(SAM, out[0].button("BR-2"))
    assert "100 × BR-2 · Bracket: earliest delivery" in out[0].text and "Order it for" in str(out[0].buttons)
    out = await linked.say(SAM, "can we deliver 100 brackets by Dec 20?")  # the date asked rides on the pick
    out = await linked.click(SAM, out[0].button("BR-1"))
    assert out[0].text.splitlines()[1] == "✅ By Dec 20, 2026: yes, without moving anyone."


async def test_a_name_one_product_has_is_that_product(linked: Chat) -> None:
    await linked.say(SAM, "/language zh")
    out = await linked.say(SAM, "泵壳300件最快什么时候能交？")
    assert "PH-1 · 泵壳 × 300：最早交期" in out[0].text and "哪一种" not in out[0].text
    out = await linked.say(SAM, "/promise 泵壳 50")
    assert "PH-1 · 泵壳 × 50：最早交期" in out[0].text


async def test_the_rush_questions_offer_only_the_products_of_that_name(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 50 brackets for ACME by Dec 5")
    assert "Which product for ACME" in out[-1].text
    assert _labels(out[-1]) == ["BR-1 · Bracket", "BR-2 · Bracket", "Stop"]
    out = await linked.click(SAM, out[-1].button("BR-1"))
    assert "Rush order SO-106: impact preview" in out[-1].text
    out = await linked.click(SAM, out[-1].button("Confirm"))
    assert "Confirmed: SO-106" in out[0].text
    out = await linked.say(TG["mia"], "/status SO-106")
    assert "Order SO-106: 50 × BR-1 · Bracket" in out[0].text


async def test_a_name_typed_as_the_rush_answer_narrows_the_question(linked: Chat) -> None:
    out = await linked.say(SAM, "/rush")
    out = await linked.click(SAM, out[0].button("ACME"))
    assert _labels(out[0])[:4] == ["BR-1 · Bracket", "BR-2 · Bracket", "P", "PH-1 · 泵壳"]
    out = await linked.say(SAM, "bracket")
    assert "Which product for ACME" in out[-1].text and _labels(out[-1]) == ["BR-1 · Bracket", "BR-2 · Bracket", "Stop"]
    out = await linked.say(SAM, "BR-2")
    assert "How many BR-2" in out[-1].text
    await linked.say(SAM, "stop")
    out = await linked.say(SAM, "/rush")
    out = await linked.click(SAM, out[0].button("ACME"))
    out = await linked.say(SAM, "泵壳")  # a name only one product has answers the question
    assert "How many PH-1" in out[-1].text


async def test_an_unknown_product_lists_the_products_with_their_names(linked: Chat) -> None:
    out = await linked.say(SAM, "/promise NOPE 100")
    assert out[0].text.startswith("⚠️ Unknown product NOPE. The products are: ")
    assert "BR-1 · Bracket" in out[0].text and "PH-1 · 泵壳" in out[0].text


async def test_a_customer_asking_about_a_product_by_name_gets_those_orders(linked: Chat) -> None:
    out = await linked.say(SAM, "rush 40 of BR-2 for Bolt by Dec 5")
    assert "Confirmed: SO-106" in (await linked.click(SAM, out[-1].button("Confirm")))[0].text
    out = await linked.say(TG["bob"], "where is my order")  # three open orders: which one?
    assert "Which order?" in out[0].text and "<b>SO-106</b> BR-2 · Bracket × 40 · ETA" in out[0].text, out[0].text
    out = await linked.say(TG["mia"], "/orders Bolt")  # the staff's lists name it too
    assert "<b>SO-106</b> Bolt · BR-2 · Bracket × 40" in out[0].text, out[0].text
    out = await linked.say(TG["bob"], "where is my bracket order")  # the only bracket order
    assert "Order SO-106: 40 × BR-2 · Bracket" in out[0].text
    out = await linked.say(TG["bob"], "where is my 泵壳 order")  # none of that product: all of them to pick from
    assert "Which order?" in out[0].text
