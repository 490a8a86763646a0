"""Passwords: argon2id hashes, who may set them, the same answer for every failed login, the CLI
``paichan admin passwd``, and the demo users' documented password."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from scheduler_core.services.accounts import set_password, verify_login
from scheduler_core.services.admin import DEMO_LOGINS, DEMO_PASSWORD, demo_logins, load_demo
from scheduler_core.services.context import Services
from scheduler_core.services.errors import InvalidInput, NotFound, PermissionDenied
from scheduler_core.services.ports import Role
from tests.fakes import FakeUnitOfWorkFactory
from tests.seed import FAST, Clock, seed_shop


async def test_a_password_is_stored_only_as_an_argon2id_hash_and_checks_at_login() -> None:
    shop = await seed_shop(FakeUnitOfWorkFactory())
    await set_password(shop.svc, shop.admin, "mia", "s3cret-enough")
    async with shop.svc.uow() as uow:
        stored = await uow.users.password_hash(shop.manager.user_id)
    assert stored is not None and stored.startswith("$argon2id$") and "s3cret-enough" not in stored
    user = await verify_login(shop.svc, "  MIA ", "s3cret-enough")
    assert user is not None and user.username == "mia"
    assert await verify_login(shop.svc, "mia", "s3cret-enougH") is None
    assert await verify_login(shop.svc, "nobody", "s3cret-enough") is None
    assert await verify_login(shop.svc, "sam", "s3cret-enough") is None  # no password set: no login
    assert await verify_login(shop.svc, "mia", "s3cret-enough" + "x" * 200) is None


async def test_only_an_admin_sets_another_users_password_and_bad_ones_change_nothing() -> None:
    shop = await seed_shop(FakeUnitOfWorkFactory())
    with pytest.raises(PermissionDenied):
        await set_password(shop.svc, shop.sales, "mia", "long-enough-1")
    await set_password(shop.svc, shop.sales, "sam", "long-enough-1")  # their own
    assert await verify_login(shop.svc, "sam", "long-enough-1") is not None
    with pytest.raises(InvalidInput) as err:
        await set_password(shop.svc, shop.admin, "sam", "short")
    assert err.value.code == "password_too_short"
    with pytest.raises(InvalidInput):
        await set_password(shop.svc, shop.admin, "sam", "x" * 129)
    with pytest.raises(NotFound):
        await set_password(shop.svc, shop.admin, "ghost", "long-enough-1")
    assert await verify_login(shop.svc, "sam", "long-enough-1") is not None  # unchanged


async def test_demo_users_log_in_with_the_documented_password() -> None:
    svc = Services(uow=FakeUnitOfWorkFactory(), clock=Clock(), planning=FAST)
    summary = await load_demo(svc, seed=3, publish=False)
    logins = demo_logins(summary.users)
    assert {role for _, _, role in logins} == set(Role)
    assert [(u, r) for u, _, r in logins] == list(DEMO_LOGINS)  # what `paichan demo` prints
    for username, password, role in logins:
        assert password == DEMO_PASSWORD
        user = await verify_login(svc, username, password)
        assert user is not None and user.role is role


def test_admin_passwd_cli_sets_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "p.db"
    env = {"PAICHAN_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "PAICHAN_PLAN_DEADLINE": "1", "LANG": "C"}

    def run(stdin: str, *argv: str) -> tuple[int, str, str]:
        args = build_parser().parse_args(list(argv))
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return args.func(args, env=env, out=out, err=err), out.getvalue(), err.getvalue()

    assert run("", "user", "add", "wang.fang", "--role", "sales")[0] == 0
    rc, out, _ = run("new-password-1\n", "admin", "passwd", "wang.fang", "--password-stdin", "--lang", "en")
    assert rc == 0 and "wang.fang" in out
    rc, _, err = run("short\n", "admin", "passwd", "wang.fang", "--password-stdin", "--lang", "zh")
    assert rc == 1 and "密码至少需要 8 个字符" in err
    rc, _, err = run("new-password-1\n", "admin", "passwd", "nobody", "--password-stdin", "--lang", "en")
    assert rc == 1 and err.strip() == "Unknown user nobody."

    import asyncio

    from bot.settings import load_settings
    from bot.wiring import open_services

    async def check() -> bool:
        async with open_services(load_settings(env), migrate=False) as svc:
            return await verify_login(svc, "wang.fang", "new-password-1") is not None

    assert asyncio.run(check())
