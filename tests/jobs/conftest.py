"""Fixtures for the jobs and the relay: a seeded shop on a frozen clock, chat identities,
and the local fakes of every channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from jobs.config import JobSettings, NotifyConfig, parse_config
from jobs.relay import Relay, RelayPolicy, relay_from_config
from scheduler_core.services.ports import ChatIdentity, Role, User
from scheduler_core.services.shopfloor import replan_now
from tests.fake_channels import FakeServices, FakeSmtp
from tests.fakes import FakeUnitOfWorkFactory
from tests.integration.conftest import uow_factory  # noqa: F401  (fake, SQLite and PostgreSQL)
from tests.seed import Shop, seed_shop

CHAT = {"alice": 1001, "bob": 1002, "mia": 2001, "sam": 3001, "chen": 1003, "wang": 2002}


async def add_people(shop: Shop) -> dict[str, User]:
    """Telegram identities for everyone; chen (customer of Bolt) and wang (manager) speak Chinese;
    mia gets her summary by e-mail as well."""
    async with shop.svc.uow(write=True) as uow:
        chen = await uow.users.add(User(0, "chen", Role.CUSTOMER, "陈先生", "Bolt", "zh_Hans"))
        wang = await uow.users.add(User(0, "wang", Role.MANAGER, "王经理", None, "zh_Hans", email="wang@factory.test"))
        people = {u.username: u for u in [chen, wang]}
        for name in ("alice", "bob", "mia", "sam"):
            u = await uow.users.by_username(name)
            assert u is not None
            people[name] = u
        for name, user in people.items():
            await uow.identities.save(ChatIdentity("telegram", CHAT[name], user.id, user.lang))
        await uow.commit()
    return people


@pytest.fixture
async def shop() -> Shop:
    s = await seed_shop(FakeUnitOfWorkFactory())
    await add_people(s)
    await replan_now(s.svc)
    return s


@pytest.fixture
async def fakes() -> AsyncIterator[FakeServices]:
    async with FakeServices() as f:
        yield f


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp().start()
    yield server
    server.stop()


def config_for(fakes: FakeServices, smtp: FakeSmtp | None = None, **relay: object) -> NotifyConfig:
    doc: dict[str, object] = {
        "relay": {"max_attempts": 4, "base_delay_seconds": 60, "http_timeout_seconds": 2, "robot_retry_seconds": 0.5,
                  **relay},
        "telegram": {"rate_per_second": 200, "timeout": 2},
        "wecom": {"ops": {"webhook": fakes.wecom_webhook("ops"), "rate_per_minute": 6000}},
        "dingtalk": {"plant": {"webhook": fakes.dingtalk_webhook("plant"), "secret": fakes.dingtalk_secrets["plant"],
                               "rate_per_minute": 6000, "lang": "en"}},
        "feishu": {"board": {"webhook": fakes.feishu_webhook("board"), "secret": fakes.feishu_secrets["board"],
                             "rate_per_minute": 6000, "lang": "en"}},
        "users": {"wang": {"channels": ["email", "telegram"]}},
    }
    if smtp is not None:
        doc["email"] = {"host": "127.0.0.1", "port": smtp.port, "security": "none", "rate_per_second": 100,
                        "sender": "paichan <paichan@factory.test>", "timeout": 5}
    return parse_config(doc, {}, JobSettings(telegram_token=fakes.token, telegram_base_url=fakes.telegram_base_url))


def make_relay(shop: Shop, config: NotifyConfig, **kw: object) -> Relay:
    policy = kw.pop("policy", None) or RelayPolicy(max_attempts=config.max_attempts, base_delay=config.base_delay,
                                                    poll=0.01)
    return relay_from_config(shop.svc, config, policy=policy, **kw)  # type: ignore[arg-type]
