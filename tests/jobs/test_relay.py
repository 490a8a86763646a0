"""The relay against local fakes of every channel (P8): signatures and formats checked by the
fakes; 429 with retry_after, 5xx, timeouts, 403 and 400 injected."""

from __future__ import annotations

from datetime import timedelta

from jobs.channels.dingtalk import dingtalk_sign
from jobs.channels.feishu import feishu_sign
from scheduler_core.services.notifications import daily_summary
from scheduler_core.services.ports import Notification
from tests.fake_channels import FakeServices, FakeSmtp
from tests.jobs.conftest import CHAT, config_for, make_relay


async def queue(shop, name: str, n: int = 1, kind: str = "delay", urgent: bool = False) -> list[str]:
    async with shop.svc.uow(write=True) as uow:
        user = await uow.users.by_username(name)
        keys = []
        for i in range(n):
            key = f"test:{name}:{i}"
            await uow.outbox.add(Notification(key, "chat", f"user:{user.id}", kind,
                                              {"ref": "SO-100", "due": shop.clock.now.isoformat(),
                                               "new_eta": (shop.clock.now + timedelta(hours=5)).isoformat(),
                                               "late_by_minutes": 300, "version": 1}, shop.clock.now, urgent))
            keys.append(key)
        await uow.commit()
    return keys


async def state(shop, key: str):
    async with shop.svc.uow() as uow:
        return await uow.outbox.get(key)


async def test_429_is_honoured_then_delivered(shop, fakes: FakeServices):
    fakes.inject("telegram", ("429", 2))
    relay = make_relay(shop, config_for(fakes))
    [key] = await queue(shop, "alice")
    await relay.drain()
    row = await state(shop, key)
    assert row.status == "pending" and row.attempts == 1 and "429" in row.last_error
    wait = (row.next_attempt - shop.clock.now).total_seconds()
    assert 2 <= wait <= 2 * 1.2 + 0.01  # never earlier than asked
    assert relay.buckets["telegram"].paused >= 1.9  # the lane paused too
    shop.clock.advance(seconds=3)
    await relay.drain()
    await relay.close()
    assert (await state(shop, key)).status == "sent"
    assert len(fakes.of("telegram", str(CHAT["alice"]))) == 1


async def test_5xx_and_timeouts_retry_with_backoff_then_dead_letter(shop, fakes: FakeServices):
    fakes.inject("telegram", ("500",), ("timeout", 3))
    relay = make_relay(shop, config_for(fakes))
    [key] = await queue(shop, "alice")
    delays = []
    for _ in range(2):
        await relay.drain()
        row = await state(shop, key)
        assert row.status == "pending"
        delays.append((row.next_attempt - shop.clock.now).total_seconds())
        shop.clock.advance(seconds=delays[-1] + 1)
    assert 30 <= delays[0] <= 90 and 60 <= delays[1] <= 180  # base 60 s, doubled, +-50 % jitter
    await relay.drain()
    assert (await state(shop, key)).status == "sent"
    # a message that always fails ends as a dead letter after max_attempts (4)
    fakes.inject("telegram", *[("500",)] * 10)
    [key2] = await queue(shop, "bob")
    for _ in range(6):
        await relay.drain()
        shop.clock.advance(hours=1)
    await relay.close()
    row = await state(shop, key2)
    assert row.status == "dead" and row.attempts == 4 and "gave up" in row.last_error


async def test_403_marks_the_chat_inactive_and_stops_sending(shop, fakes: FakeServices):
    fakes.inject("telegram", ("403",))
    relay = make_relay(shop, config_for(fakes))
    first, second = await queue(shop, "bob", 2)
    await relay.drain()
    await relay.close()
    async with shop.svc.uow() as uow:
        ident = await uow.identities.get("telegram", CHAT["bob"])
    assert ident is not None and not ident.active
    assert (await state(shop, first)).status == "dead"
    assert (await state(shop, second)).status == "dead"  # no more sends to that chat
    assert fakes.of("telegram", str(CHAT["bob"])) == [] and relay.stats.blocked == 1
    requests = fakes.requests
    [third] = [k for k in await queue(shop, "bob", 3) if k.endswith(":2")]
    relay = make_relay(shop, config_for(fakes))
    await relay.drain()
    await relay.close()
    assert (await state(shop, third)).status == "dead" and fakes.requests == requests  # nothing sent there


async def test_400_goes_to_the_dead_letter_at_once(shop, fakes: FakeServices):
    fakes.inject("telegram", ("400",))
    relay = make_relay(shop, config_for(fakes))
    [key] = await queue(shop, "alice")
    await relay.drain()
    await relay.close()
    row = await state(shop, key)
    assert row.status == "dead" and row.attempts == 1 and "400" in row.last_error


async def test_a_kind_without_a_text_goes_to_the_dead_letter_and_sends_nothing(shop, fakes: FakeServices):
    relay = make_relay(shop, config_for(fakes))
    [key] = await queue(shop, "alice", kind="mystery")
    await relay.drain()
    await relay.close()
    row = await state(shop, key)
    assert row.status == "dead" and "no text" in row.last_error and relay.stats.dead == 1
    assert fakes.of("telegram", str(CHAT["alice"])) == []


async def test_survey_buttons_fit_telegram(shop, fakes: FakeServices):
    relay = make_relay(shop, config_for(fakes))
    await queue(shop, "alice", kind="survey")
    await relay.drain()
    await relay.close()
    [msg] = fakes.of("telegram")
    assert msg.body["buttons"] == [f"survey:SO-100:{n}" for n in range(1, 6)]


async def test_robots_sign_and_format_correctly(shop, fakes: FakeServices):
    smtp = FakeSmtp().start()
    try:
        fakes.inject("wecom", ("429",))  # "send too fast": 45009
        fakes.inject("feishu", ("500",))
        config = config_for(fakes, smtp)
        relay = make_relay(shop, config)
        await daily_summary(shop.svc, shop.clock.now.date(), config.notify_settings())
        for _ in range(3):
            await relay.drain()
            shop.clock.advance(minutes=5)
        await relay.close()
    finally:
        smtp.stop()
    assert fakes.rejected == []
    assert [r.kind for r in fakes.of("wecom", "ops")] == ["markdown", "image", "image"]
    assert len(fakes.of("dingtalk", "plant")) == 1 and len(fakes.of("feishu", "board")) == 1
    assert "**" in fakes.of("dingtalk")[0].body["markdown"]["text"]
    # the e-mail: text + HTML with both pictures inline
    [mail] = smtp.to("wang@factory.test")
    parts = {p.get_content_type(): p for p in mail.walk()}
    assert {"text/plain", "text/html", "image/png"} <= set(parts)
    html = parts["text/html"].get_payload(decode=True).decode()
    cids = [p["Content-ID"].strip("<>") for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(cids) == 2 and all(f"cid:{c}" in html for c in cids)
    assert "每日交付简报" in mail["Subject"] or "=?utf-8?" in mail["Subject"]


def test_signatures_match_the_documented_recipes():
    # DingTalk: HMAC-SHA256(key=secret, msg="ts\nsecret"), base64, URL-encoded
    assert dingtalk_sign(1700000000000, "SECxyz") == "0PUR1j8g85Xg3vlFV%2FUrEcxXfF5HpCAGzcjrNfyJoyg%3D"
    # Feishu: HMAC-SHA256(key="ts\nsecret", msg=""), base64
    assert feishu_sign(1700000000, "abc") == "VIS10b0EBvzzSdFnuk4tznEmK5wHaruvf/WnViv2yR4="


async def test_slips_due_together_for_one_salesperson_go_out_as_one_message(shop, fakes: FakeServices):
    """Three orders of sam's slip at once (a rush insertion, a breakdown): one message listing
    them, retried and marked as one; each row keeps its own key. The customer still gets hers."""
    fakes.inject("telegram", ("500",))
    relay = make_relay(shop, config_for(fakes))
    now = shop.clock.now
    async with shop.svc.uow(write=True) as uow:
        sam = await uow.users.by_username("sam")
        alice = await uow.users.by_username("alice")
        keys = []
        for i, ref in enumerate(["SO-100", "SO-101", "SO-102"]):
            payload = {"ref": ref, "due": now.isoformat(), "new_eta": (now + timedelta(hours=3 + i)).isoformat(),
                       "late_by_minutes": 180 + 60 * i, "version": 2, "vip": ref == "SO-101"}
            keys.append(f"delay-sales:{ref}:2:{sam.id}")
            await uow.outbox.add(Notification(keys[-1], "chat", f"user:{sam.id}", "delay_sales", payload, now))
        await uow.outbox.add(Notification(f"delay:SO-100:2:{alice.id}", "chat", f"user:{alice.id}", "delay",
                                          {"ref": "SO-100", "due": now.isoformat(),
                                           "new_eta": (now + timedelta(hours=3)).isoformat(),
                                           "late_by_minutes": 180, "version": 2}, now))
        await uow.commit()
    await relay.drain()
    rows = [await state(shop, k) for k in keys]
    retried = [r for r in rows if r.status == "pending"]
    # the injected 500 hit the digest (its rows come first): all three wait for the same retry
    assert len(retried) == 3 and len({r.next_attempt for r in retried}) == 1 and {r.attempts for r in rows} == {1}
    assert fakes.of("telegram", str(CHAT["sam"])) == []
    shop.clock.advance(hours=1)
    await relay.drain()
    await relay.close()
    assert {(await state(shop, k)).status for k in keys} == {"sent"}
    [digest] = fakes.of("telegram", str(CHAT["sam"]))
    text = digest.body["text"]
    assert "3 of your orders slip" in text
    assert text.index("SO-101") < text.index("SO-102") < text.index("SO-100")  # VIP first, then the latest
    assert "ACME" in text and "Bolt" in text  # each order's customer, from its delivery context
    assert len(fakes.of("telegram", str(CHAT["alice"]))) == 1


async def test_a_single_slip_keeps_its_own_message(shop, fakes: FakeServices):
    relay = make_relay(shop, config_for(fakes))
    [key] = await queue(shop, "sam", kind="delay_sales")
    await relay.drain()
    await relay.close()
    [msg] = fakes.of("telegram", str(CHAT["sam"]))
    assert "Order SO-100 of ACME slips" in msg.body["text"] and (await state(shop, key)).status == "sent"


async def test_a_salesperson_hears_why_each_order_slips(shop, fakes: FakeServices):
    """Warnings queued at publication carry no cause; the relay finds it in the plan, for the
    salesperson's list as for the customer's warning."""
    from scheduler_core.services.shopfloor import machine_down
    from tests.builders import at

    await machine_down(shop.svc, shop.operator, "M1", "spindle", until=at(48))
    async with shop.svc.uow() as uow:
        rows = [n for n in await uow.outbox.pending(100) if n.kind == "delay_sales"]
    assert len(rows) >= 2 and not any(n.payload.get("cause") for n in rows)
    relay = make_relay(shop, config_for(fakes))
    await relay.drain()
    await relay.close()
    [digest] = fakes.of("telegram", str(CHAT["sam"]))
    lines = [line for line in digest.body["text"].splitlines() if line.startswith(("• SO-", "• ★ SO-"))]
    assert len(lines) == len(rows) and all("M1 down" in line for line in lines), digest.body["text"]
    vip = {n.payload["ref"] for n in rows if n.payload.get("vip")}  # publication says which are VIP, as the watch does
    assert {line.split("SO-")[1].split()[0] for line in lines if "★" in line} == {ref[3:] for ref in vip}
