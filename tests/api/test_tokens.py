"""API tokens: issued per user by an admin (use case and ``paichan token``), shown once, stored
only as a hash, acting with the user's role; revoked or expired tokens are refused at once with
the same answer as a token that never existed."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.cli import build_parser
from bot.settings import Settings
from bot.web.app import init_app
from scheduler_core.services.api_tokens import authenticate, issue_token, list_tokens, revoke_token
from scheduler_core.services.errors import NotAuthenticated, NotFound, PermissionDenied
from tests.api.conftest import Api, serve


async def test_a_token_acts_as_its_user_with_the_users_role(api: Api) -> None:
    for who, role in (("alice", "customer"), ("sam", "sales"), ("mia", "manager")):
        me = (await api.get("/api/v1/me", who)).json
        assert me["username"] == who and me["role"] == role
    assert (await api.get("/api/v1/me", "alice")).json["customer"] == "ACME"


async def test_only_the_hash_is_stored(api: Api) -> None:
    issued = await issue_token(api.shop.svc, api.shop.admin, "sam", name="ERP")
    assert issued.token.startswith("pct_") and len(issued.token) >= 40
    async with api.shop.svc.uow() as uow:
        stored = await uow.tokens.for_user(api.shop.sales.user_id)
    assert stored[-1].token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert all(issued.token not in repr(t) for t in stored)
    assert (await api.get("/api/v1/me", None, token=issued.token)).json["username"] == "sam"


async def test_revoked_unknown_and_expired_tokens_get_one_answer(api: Api) -> None:
    svc = api.shop.svc
    revoked = await issue_token(svc, api.shop.admin, "mia")
    expiring = await issue_token(svc, api.shop.admin, "mia", ttl=timedelta(hours=1))
    assert (await api.get("/api/v1/orders", None, token=revoked.token)).status == 200
    await revoke_token(svc, api.shop.admin, revoked.record.id)
    api.shop.clock.advance(hours=2)
    answers = [await api.get("/api/v1/orders", None, token=t)
               for t in (revoked.token, expiring.token, "pct_" + "x" * 43, "")]
    assert {a.status for a in answers} == {401}
    assert len({a.body for a in answers}) == 1
    assert answers[0].json["error"]["code"] == "token_invalid"
    assert all(a.headers["WWW-Authenticate"].startswith("Bearer") for a in answers)
    assert (await api.get("/api/v1/orders", "mia")).status == 200  # the user's other token still works


async def test_the_bearer_scheme_is_required_and_case_insensitive(api: Api) -> None:
    token = api.tokens["sam"]
    for header, status in ((f"bearer {token}", 200), (f"BEARER  {token}", 200), (f"Basic {token}", 401),
                           (token, 401)):
        reply = await api.get("/api/v1/me", None, headers={"Authorization": header})
        assert reply.status == status, header


async def test_only_admins_issue_list_and_revoke_tokens(api: Api) -> None:
    shop = api.shop
    for actor in (shop.manager, shop.sales, shop.alice):
        with pytest.raises(PermissionDenied):
            await issue_token(shop.svc, actor, "alice")
        with pytest.raises(PermissionDenied):
            await revoke_token(shop.svc, actor, 1)
    with pytest.raises(NotFound):
        await issue_token(shop.svc, shop.admin, "nobody")
    issued = await issue_token(shop.svc, shop.admin, "otto")
    await revoke_token(shop.svc, shop.admin, issued.record.id)
    with pytest.raises(NotFound):  # twice
        await revoke_token(shop.svc, shop.admin, issued.record.id)
    with pytest.raises(NotAuthenticated):
        await authenticate(shop.svc, issued.token)
    listed = await list_tokens(shop.svc, shop.admin, "otto")
    assert listed[-1].id == issued.record.id and listed[-1].revoked is not None


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    rc = args.func(args, env=env, out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


async def cli(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    """``paichan ...`` as a user runs it (its own event loop, so in a thread here)."""
    return await asyncio.to_thread(run, env, *argv)


async def test_cli_issue_use_list_revoke_on_sqlite(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'paichan.db'}"
    env = {"PAICHAN_DATABASE_URL": db, "LANG": "C"}
    assert (await cli(env, "user", "add", "ann.li", "--role", "manager"))[0] == 0
    rc, out, _ = await cli(env, "token", "issue", "ann.li", "--name", "ERP sync", "--json")
    assert rc == 0
    issued = json.loads(out)
    assert issued["user"] == "ann.li" and issued["role"] == "manager" and issued["token"].startswith("pct_")
    rc, text, _ = await cli({**env, "LANG": "zh_CN.UTF-8"}, "token", "issue", "ann.li")
    assert rc == 0 and "仅此一次显示" in text
    assert (await cli(env, "token", "issue", "nobody"))[2].strip() == "Unknown user nobody."

    runner, base = await serve(init_app(Settings(database_url=db, telegram_token=None)))
    try:
        async with aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bearer {issued['token']}"}
            async with http.get(f"{base}/api/v1/me", headers=auth) as r:
                assert r.status == 200 and (await r.json())["username"] == "ann.li"
            rc, out, _ = await cli(env, "token", "revoke", str(issued["id"]))
            assert rc == 0 and out.strip() == f"API token {issued['id']} is revoked."
            async with http.get(f"{base}/api/v1/me", headers=auth) as r:
                assert r.status == 401
    finally:
        await runner.cleanup()
    listed = json.loads((await cli(env, "token", "list", "ann.li", "--json"))[1])
    assert [t["name"] for t in listed] == ["ERP sync", ""]
    assert listed[0]["revoked"] and listed[0]["last_used"] and not listed[1]["revoked"]
    rc, _, err = await cli(env, "token", "revoke", str(issued["id"]))
    assert rc == 1 and err.strip() == f"There is no live API token {issued['id']}."
