"""The web's users page (admins): add a user, set a password, make a Telegram link code; every
other role is refused and a bad form changes nothing."""

from __future__ import annotations

import re

from scheduler_core.services.accounts import verify_login
from scheduler_core.services.linking import redeem_link_code
from tests.web.conftest import Web


async def post(web: Web, path: str, data: dict[str, str]) -> tuple[int, str]:
    async with web.client.post(path, data={"_csrf": await web.csrf("/users"), **data}) as resp:
        return resp.status, await resp.text()


async def test_an_admin_adds_a_salesperson_sets_a_password_and_they_log_in(web: Web) -> None:
    await web.login("admin")
    _, page = await web.text("/users")
    assert 'href="/users"' in page and "<function" not in page
    status, page = await post(web, "/users/add", {"username": "li.na", "display_name": "Li Na", "role": "sales",
                                                  "customer": "ignored for staff", "lang": "zh_Hans"})
    assert status == 200 and "Created user li.na (sales)." in page
    assert re.search(r'<tr data-user="li.na" class="focus">', page)
    status, page = await post(web, "/users/password", {"username": "li.na", "password": "first-pass-1",
                                                       "password2": "first-pass-2"})
    assert status == 400 and "The two passwords differ." in page
    assert await verify_login(web.shop.svc, "li.na", "first-pass-1") is None
    status, page = await post(web, "/users/password", {"username": "li.na", "password": "short", "password2": "short"})
    assert status == 400 and await verify_login(web.shop.svc, "li.na", "short") is None
    status, page = await post(web, "/users/password", {"username": "li.na", "password": "first-pass-1",
                                                       "password2": "first-pass-1"})
    assert status == 200 and "Password set for li.na" in page
    assert "first-pass-1" not in page  # never shown back
    user = await verify_login(web.shop.svc, "li.na", "first-pass-1")
    assert user is not None and user.role.value == "sales" and user.customer is None


async def test_a_customer_user_needs_their_company_and_a_bad_form_changes_nothing(web: Web) -> None:
    await web.login("admin")
    status, page = await post(web, "/users/add", {"username": "buyer", "role": "customer", "customer": ""})
    assert status == 400 and 'id="error"' in page
    status, page = await post(web, "/users/add", {"username": "X", "role": "sales"})
    assert status == 400
    status, page = await post(web, "/users/add", {"username": "mia", "role": "sales"})  # exists
    assert status == 400
    async with web.shop.svc.uow() as uow:
        assert await uow.users.by_username("buyer") is None and await uow.users.by_username("x") is None
    status, page = await post(web, "/users/add", {"username": "buyer", "role": "customer", "customer": "ACME"})
    assert status == 200
    async with web.shop.svc.uow() as uow:
        buyer = await uow.users.by_username("buyer")
    assert buyer is not None and buyer.customer == "ACME"


async def test_a_link_code_is_shown_once_and_links_a_telegram_chat(web: Web) -> None:
    await web.login("admin")
    status, page = await post(web, "/users/link", {"username": "bob"})
    assert status == 200
    code = re.search(r"Link code for bob: ([A-Za-z0-9]+)", page)
    assert code is not None and f"Send /start {code.group(1)} to the bot in a private chat." in page
    await redeem_link_code(web.shop.svc, code.group(1), channel="telegram", external_id=4242, private_chat=True)
    _, page = await web.text("/users")
    row = page.split('data-user="bob"')[1].split("</tr>")[0]
    assert "Telegram" in row
    status, _ = await post(web, "/users/link", {"username": "nobody"})
    assert status == 404


async def test_only_admins_manage_users(web: Web) -> None:
    for user in ("mia", "sam", "alice"):
        assert await web.login(user) == 303
        _, page = await web.text("/orders")
        assert 'href="/users"' not in page
        status, _ = await web.text("/users")
        assert status == 403
        async with web.client.post("/users/add", data={"_csrf": await web.csrf("/orders"), "username": "intruder",
                                                       "role": "admin"}) as resp:
            assert resp.status == 403
        async with web.client.post("/users/password", data={"_csrf": await web.csrf("/orders"), "username": "admin",
                                                            "password": "taken-over-1", "password2": "taken-over-1"}) as resp:
            assert resp.status == 403
        await web.client.post("/logout", data={"_csrf": await web.csrf("/orders")})
    async with web.shop.svc.uow() as uow:
        assert await uow.users.by_username("intruder") is None
    assert await verify_login(web.shop.svc, "admin", "taken-over-1") is None
