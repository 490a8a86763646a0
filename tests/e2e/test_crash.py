"""P3 with a real process: killed (SIGKILL) right after acknowledging an update, restarted, the
stored update is processed by the new process; redeliveries and the recovery answer once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from db import migrate
from db.engine import create_engine
from db.inbox import inbox_url, open_inbox
from db.tables import InboxRow
from db.uow import SqlUnitOfWorkFactory
from scheduler_core.services.linking import create_link_code, redeem_link_code
from tests.e2e.conftest import SECRET, TG, TOKEN, message_update, planned_shop
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(db_url: str, tg: FakeTelegram, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAICHAN_DATABASE_URL": db_url, "PAICHAN_TELEGRAM_TOKEN": TOKEN,
           "PAICHAN_TELEGRAM_BASE_URL": tg.base_url, "PAICHAN_TELEGRAM_WEBHOOK_SECRET": SECRET}
    env.pop("PAICHAN_TELEGRAM_WEBHOOK_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--send-rate", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    if r.status == 200 and (await r.json())["telegram"]:
                        return proc
            except aiohttp.ClientError:
                pass
            assert proc.poll() is None, "the server died while starting"
            await asyncio.sleep(0.1)
    proc.kill()
    raise TimeoutError("server did not start")


async def _post(port: int, update: dict[str, object]) -> int:
    async with aiohttp.ClientSession() as http, http.post(
        f"http://127.0.0.1:{port}/telegram/webhook", json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    ) as r:
        return r.status


async def test_kill_9_after_the_200_loses_nothing_and_repeats_nothing(tmp_path: Path, tg: FakeTelegram) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'paichan.db'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        shop = await planned_shop(SqlUnitOfWorkFactory(engine))
        code, _ = await create_link_code(shop.svc, shop.admin, "bob")
        await redeem_link_code(shop.svc, code, channel="telegram", external_id=TG["bob"], private_chat=True, lang="en")
    finally:
        await engine.dispose()

    port = _free_port()
    tg.hold_sends()
    proc = await _serve(url, tg, port)
    update = message_update(TG["bob"], "/status SO-103")
    try:
        assert await _post(port, update) == 200
        await tg.wait_for(lambda: tg.held >= 1)  # it is answering right now ...
    finally:
        proc.send_signal(signal.SIGKILL)  # ... and dies
        proc.wait(timeout=10)
    tg.release_sends()
    await asyncio.sleep(0.1)
    assert tg.sent(TG["bob"]) == []

    proc = await _serve(url, tg, port)
    try:
        await tg.wait_for(lambda: len(tg.sent(TG["bob"])) >= 1, timeout=20)
        assert await _post(port, update) == 200  # Telegram's redelivery
        await asyncio.sleep(0.5)
        replies = tg.sent(TG["bob"])
        assert len(replies) == 1 and "SO-103" in replies[0].text
        inbox = await open_inbox(url)  # on SQLite a database file of its own
        try:
            assert Path(str(inbox_url(url).database)).exists()
            async with inbox() as uow:
                assert await uow.inbox.unprocessed() == []
                stored = await uow.session.scalar(select(func.count()).select_from(InboxRow))
                assert stored == 1  # the update, stored once, processed once
        finally:
            await inbox.engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def _chat_workers(server_pid: int) -> list[int]:
    """The chat worker processes of the server ``server_pid`` (its children running bot.telegram.workers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server_pid and b"bot.telegram.workers" in cmdline:
            found.append(int(proc.name))
    return found


async def test_a_killed_chat_worker_is_started_again_and_gets_its_unfinished_updates(
        tmp_path: Path, tg: FakeTelegram) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'paichan.db'}"
    await migrate.upgrade(url)
    factory = SqlUnitOfWorkFactory.open(url)
    try:
        shop = await planned_shop(factory)
        code, _ = await create_link_code(shop.svc, shop.admin, "bob")
        await redeem_link_code(shop.svc, code, channel="telegram", external_id=TG["bob"], private_chat=True, lang="en")
    finally:
        await factory.dispose()

    port = _free_port()
    proc = await _serve(url, tg, port)
    try:
        workers = _chat_workers(proc.pid)
        assert len(workers) == 1  # `paichan serve` processes updates in one worker process by default
        tg.hold_sends()
        assert await _post(port, message_update(TG["bob"], "/status SO-103", update_id=501)) == 200
        await tg.wait_for(lambda: tg.held >= 1)  # the worker is answering right now ...
        os.kill(workers[0], signal.SIGKILL)  # ... and dies
        tg.release_sends()
        await tg.wait_for(lambda: len(tg.sent(TG["bob"])) >= 1, timeout=30)  # a new worker answered it
        assert await _post(port, message_update(TG["bob"], "/status SO-101", update_id=502)) == 200
        await tg.wait_for(lambda: len(tg.sent(TG["bob"])) >= 2, timeout=20)
        await asyncio.sleep(0.5)
        replies = [m.text for m in tg.sent(TG["bob"])]
        assert len(replies) == 2 and "SO-103" in replies[0] and "SO-101" in replies[1]
        restarted = _chat_workers(proc.pid)
        assert len(restarted) == 1 and restarted != workers
        print(f"\n[chat worker killed] replies={len(replies)} restarted_as={restarted[0]}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert not Path(f"/proc/{restarted[0]}").exists()  # the server stopped its worker (not orphaned)
    inbox = await open_inbox(url)
    try:
        async with inbox() as uow:
            assert await uow.inbox.unprocessed() == []
    finally:
        await inbox.engine.dispose()
