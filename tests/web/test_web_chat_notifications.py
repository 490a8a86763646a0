"""Notifications reach a user in the web chat when nothing else does (no Telegram, no e-mail):
the relay's ``web`` channel adds them to the user's conversation on /chat, where a survey's
buttons answer it as in the chat."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.web.app import init_app
from jobs.config import NotifyConfig
from jobs.relay import RelayPolicy, relay_from_config
from scheduler_core.services.feedback import record_delivery
from scheduler_core.services.notifications import send_due_surveys
from tests.web.conftest import Web


async def _relay_once(web: Web) -> None:
    relay = relay_from_config(web.shop.svc, NotifyConfig(), policy=RelayPolicy(poll=0.01))  # web is always there
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


async def test_the_web_chat_survives_a_restart_of_the_server(web: Web) -> None:
    """What was said and what was delivered into the web chat is stored: a new server process
    on the same database shows the same conversation."""
    shop = web.shop
    await record_delivery(shop.svc, shop.admin, "SO-100")
    await web.login("alice", lang="en")
    token = await web.csrf("/chat")
    async with web.client.post("/chat", data={"text": "where is SO-102?", "_csrf": token}) as resp:
        before = await resp.text()
    assert "where is SO-102?" in before and "SO-102" in before
    shop.clock.advance(days=2)
    await send_due_surveys(shop.svc)
    await _relay_once(web)
    await web.client.close()

    app = init_app(Settings(secret_key="another-process-another-key-0123"), services=shop.svc)
    again = Web(shop, TestClient(TestServer(app, host="127.0.0.1", port=0)))
    await again.client.start_server()
    try:
        await again.login("alice", lang="en")
        status, page = await again.text("/chat")
        assert status == 200
        assert page.index("where is SO-102?") < page.index('value="survey:SO-100:5"')  # in the order it happened
        async with again.client.post("/logout", data={"_csrf": await again.csrf("/chat")}):
            pass
        await again.login("bob", lang="en")
        status, other = await again.text("/chat")
        assert status == 200 and "SO-102?" not in other and "survey:SO-100" not in other  # only hers
    finally:
        await again.client.close()
