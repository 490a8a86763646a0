"""The web's import page: a manager uploads a CSV or XLSX file; it is checked whole and imported
all or nothing (as ``paichan import``), then the factory is re-planned; every bad row is listed
in the reader's language; roles, CSRF and the size limit are enforced."""

from __future__ import annotations

import io
import re

import aiohttp
from openpyxl import Workbook

from bot.tables import MAX_FILE_BYTES
from tests.builders import TZ
from tests.web.conftest import Web

HEADER = "ref,customer,product,quantity,promised_date\n"
GOOD = HEADER + "SO-900,ACME,P,40,2026-12-10\nSO-901,Bolt,P,25,2026-12-12 12:00\n"
BAD = HEADER + "SO-900,ACME,P,0,2026-12-10\nSO-901,Bolt,XX-1,25,12/5/2026\n"


def form(csrf: str, kind: str, name: str, data: bytes) -> aiohttp.FormData:
    f = aiohttp.FormData()
    f.add_field("_csrf", csrf)
    f.add_field("kind", kind)
    f.add_field("file", data, filename=name, content_type="application/octet-stream")
    return f


async def refs(web: Web) -> set[str]:
    async with web.shop.svc.uow() as uow:
        return {r.ref for r in await uow.orders.list()}


async def versions(web: Web) -> int:
    async with web.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    return plan.number if plan else 0


async def test_a_manager_imports_orders_and_the_factory_is_re_planned(web: Web) -> None:
    await web.login("mia")
    _, page = await web.text("/")
    assert 'href="/import"' in page  # in the navigation
    before = await versions(web)
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "new.csv", GOOD.encode())) as resp:
        body = await resp.text()
    assert resp.status == 200, body
    assert "Imported 2 rows from new.csv: 2 orders." in body
    assert f"Re-planned: plan version {before + 1}," in body
    assert {"SO-900", "SO-901"} <= await refs(web)
    async with web.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None and {"SO-900", "SO-901"} <= set(plan.schedule.etas())


async def test_an_order_waiting_for_material_is_planned_after_it_and_its_page_says_when(web: Web) -> None:
    from datetime import timedelta

    await web.login("mia")
    ready = (web.shop.clock() + timedelta(days=3)).astimezone(TZ).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    text = "ref,customer,product,quantity,promised_date,material_ready\n" \
           f"SO-910,ACME,P,10,{(ready + timedelta(days=5)).date()},{ready:%Y-%m-%d %H:%M}\n"
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "m.csv", text.encode())) as resp:
        assert resp.status == 200, await resp.text()
    async with web.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None and min(op.start for op in plan.schedule.for_order("SO-910")) >= ready.replace(tzinfo=TZ)
    _, page = await web.text("/orders/SO-910")
    assert 'id="material"' in page and "Material ready" in page


async def test_every_bad_row_is_listed_in_chinese_and_nothing_is_written(web: Web) -> None:
    await web.login("mia", lang="zh")
    before, version = await refs(web), await versions(web)
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "bad.csv", BAD.encode())) as resp:
        body = await resp.text()
    assert resp.status == 400
    rows = re.findall(r"<li>(.*?)</li>", body.split('id="row-errors"')[1].split("</ul>")[0])
    assert len(rows) == 3, rows
    assert "第 2 行，quantity 列" in rows[0] and "未知产品 XX-1" in body and "有歧义" in body
    assert "未导入任何数据" in body
    assert await refs(web) == before and await versions(web) == version


async def test_an_xlsx_file_is_read_and_an_unreadable_one_is_refused_plainly(web: Web) -> None:
    await web.login("admin")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for line in GOOD.strip().splitlines():
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "o.xlsx", buf.getvalue())) as resp:
        assert resp.status == 200 and "2 orders." in await resp.text()
    before = await refs(web)
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "o.xlsx", b"not a zip")) as resp:
        assert resp.status == 400 and "Cannot read o.xlsx as an Excel workbook." in await resp.text()
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "o.pdf", b"%PDF")) as resp:
        assert resp.status == 400 and "o.pdf: use a .csv or .xlsx file." in await resp.text()
    async with web.client.post("/import", data=form(await web.csrf("/import"), "shoes", "o.csv", GOOD.encode())) as resp:
        assert resp.status == 400 and "Choose what the file holds." in await resp.text()
    assert await refs(web) == before


async def test_only_managers_and_admins_import_and_the_form_needs_its_token(web: Web) -> None:
    await web.login("sam")
    csrf = await web.csrf("/changes")
    _, page = await web.text("/")
    assert 'href="/import"' not in page
    before = await refs(web)
    async with web.client.post("/import", data=form(csrf, "orders", "new.csv", GOOD.encode())) as resp:
        assert resp.status == 403 and "You are not allowed to do this." in await resp.text()
    await web.client.post("/logout", data={"_csrf": csrf})
    await web.login("mia")
    async with web.client.post("/import", data=form("forged", "orders", "new.csv", GOOD.encode())) as resp:
        assert resp.status == 403 and "The form has expired" in await resp.text()
    async with web.client.post("/import", data={"_csrf": await web.csrf("/import"), "kind": "orders"}) as resp:
        assert resp.status == 400  # not a file upload
    assert await refs(web) == before


async def test_a_file_over_the_limit_is_refused_without_reading_it_all(web: Web) -> None:
    await web.login("mia")
    before = await refs(web)
    big = GOOD.encode() + b"#" * MAX_FILE_BYTES
    async with web.client.post("/import", data=form(await web.csrf("/import"), "orders", "big.csv", big)) as resp:
        assert resp.status == 413 and f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB" in await resp.text()
    assert await refs(web) == before
