"""Notifications reach a user in the web chat when nothing else does (no Telegram, no e-mail):
the relay's ``web`` channel adds them to the user's conversation on /chat, where a survey's
buttons answer it as in the chat."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.web.ui import WEB_CHAT
from jobs.channels.web import WebChatChannel
from jobs.config import NotifyConfig
from jobs.relay import RelayPolicy, relay_from_config
from scheduler_core.services.feedback import record_delivery
from scheduler_core.services.notifications import send_due_surveys
from tests.web.conftest import Web


async def _relay_once(web: Web) -> None:
    app = web.client.server.app
    relay = relay_from_config(web.shop.svc, NotifyConfig(), {"web": WebChatChannel(app[WEB_CHAT].deliver)},
                              policy=RelayPolicy(poll=0.01))
    await relay.drain()
    await relay.close()


async def test_a_survey_reaches_the_web_chat_and_is_answered_there(web: Web) -> None:
    shop = web.shop
    await record_delivery(shop.svc, shop.admin, "SO-100")  # ACME's: alice's company
    await web.login("alice", lang="en")
    status, page = await web.text("/chat")  # opening the chat links it: later messages can come here
    assert status == 200 and "SO-100" not in page
    shop.clock.advance(days=2)
    assert (await send_due_surveys(shop.svc)).sent == ("SO-100",)
    await _relay_once(web)
    status, page = await web.text("/chat")
    assert "SO-100" in page and 'value="survey:SO-100:5"' in page  # the survey, with its 1-5 buttons
    token = await web.csrf("/chat")
    async with web.client.post("/chat", data={"button": "survey:SO-100:5", "_csrf": token}) as resp:
        body = await resp.text()
    assert "5/5" in body  # and a comment is asked for: skipped here
    skip = re.findall(r'name="button" value="([^"]+)"><button[^>]*>([^<]*)</button>', body)[-1]
    async with web.client.post("/chat", data={"button": skip[0], "_csrf": token}) as resp:
        assert resp.status == 200
    async with shop.svc.uow() as uow:
        survey = {s.ref: s for s in await uow.feedback.surveys(shop.clock.now - timedelta(days=7))}["SO-100"]
    assert survey.score == 5


async def test_a_user_who_never_opened_the_web_chat_is_not_reached_there(web: Web) -> None:
    shop = web.shop
    await record_delivery(shop.svc, shop.admin, "SO-100")
    shop.clock.advance(days=2)
    await send_due_surveys(shop.svc)
    await _relay_once(web)
    await web.login("alice", lang="en")
    status, page = await web.text("/chat")
    assert status == 200 and "survey:SO-100" not in page
    async with shop.svc.uow() as uow:
        row = await uow.outbox.get("survey:SO-100")
    assert row is not None and row.status == "dead"  # no way to reach her: dead letter, as before
