"""P7: bad input gets a clear, localized answer and changes nothing; markup is escaped."""

from __future__ import annotations

import re

from tests.e2e.conftest import TG, Chat

SAM, BOB = TG["sam"], TG["bob"]
_TAG = re.compile(r"</?([a-zA-Z]+)[^>]*>")
_ALLOWED = {"b", "i", "code", "pre"}


def _markup_is_ours(text: str) -> bool:
    return all(tag.lower() in _ALLOWED for tag in _TAG.findall(text))


async def _state(chat: Chat) -> tuple[int, int, int]:
    async with chat.shop.svc.uow() as uow:
        orders = len(await uow.orders.list())
        plan = await uow.plans.current()
        complaints = len(await uow.feedback.complaints())
    return orders, plan.number if plan else 0, complaints


CORPUS = [
    (SAM, "x" * 5000, "longer than"),
    (SAM, "/status " + "9" * 4000, "longer than"),
    (SAM, "rush 0 of P for ACME by Dec 5", "How many P"),  # not taken as a quantity: asked again
    (SAM, "/rush ACME P -5 2026-12-05", ""),
    (SAM, "/change SO-101 qty 99999999", "more than the limit"),
    (SAM, "/change SO-101 qty 0", "at least 1"),
    (SAM, "/change SO-101 date 2020-01-01", "in the past"),
    (SAM, "/change SO-999 date 2026-12-01", "not found"),
    (SAM, "/cancel SO-999", "not found"),
    (SAM, "/promise NOPE 10", "Unknown product"),
    (SAM, "/promise P 0", "at least 1"),
    (SAM, "/status <script>alert(1)</script>", "was not found"),
    (BOB, "/status SO-100", "not found"),
    (BOB, "/status <b>SO-1</b>", "was not found"),
    (BOB, "/cancel SO-101", "not allowed"),
    (BOB, "<i>where</i> is & my <order>", ""),
    (BOB, "/nosuchcommand", "did not understand"),
    (BOB, "\u0000\u0007 control", ""),
]


async def test_the_bad_input_corpus(linked: Chat) -> None:
    before = await _state(linked)
    for who, text, expect in CORPUS:
        out = await linked.say(who, text)
        assert out, f"silence for {text[:40]!r}"
        for call in out:
            assert _markup_is_ours(call.text), (text[:40], call.text)
            assert "<script>" not in call.text
        if expect:
            assert any(expect in c.text for c in out), (text[:40], [c.text for c in out])
        await linked.say(who, "/cancel")  # leave any conversation
    after = await _state(linked)
    assert after == before


async def test_forged_and_oversized_callback_data_change_nothing(linked: Chat) -> None:
    before = await _state(linked)
    answers = set()
    for data in ("b:", "b:" + "A" * 62, "x" * 64, "confirm:anything", "survey:SO-101:9", "survey:SO-101:abc",
                 "survey:<b>x</b>:1", "b:../../etc", ""):
        out = await linked.click(BOB, data)
        assert out and all(_markup_is_ours(c.text) for c in out)
        answers.add(out[0].text)
    assert await _state(linked) == before
    assert len(answers) <= 4


async def test_complaint_markup_is_stored_as_written_and_shown_escaped(linked: Chat) -> None:
    out = await linked.say(BOB, "/complain <b>bad</b> & worse")
    assert "recorded" in out[0].text
    async with linked.shop.svc.uow() as uow:
        assert (await uow.feedback.complaints())[-1].text == "<b>bad</b> & worse"
