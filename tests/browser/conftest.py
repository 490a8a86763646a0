"""Browser fixtures: the real server (``init_app``: web app, jobs off, Telegram off) on
127.0.0.1 with an ephemeral port, in a thread of its own, over a SQLite file holding the demo
factory; Playwright for Python drives Debian's Chromium (``/usr/bin/chromium``; no browser is
downloaded). Screenshots go to ``tests/artifacts/browser/`` (ignored by git)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.settings import load_settings
from bot.web.app import init_app
from bot.web.local import serve_locally
from bot.wiring import open_services
from scheduler_core.services.admin import DEMO_PASSWORD, load_demo

CHROMIUM = os.environ.get("PAICHAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"


@dataclass
class Server:
    url: str
    password: str = DEMO_PASSWORD


class _Thread(threading.Thread):
    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(daemon=True, name="paichan-web")
        self.env = env
        self.loop = asyncio.new_event_loop()
        self.port: int | None = None
        self.ready = threading.Event()
        self.runner: web.AppRunner | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the test, which fails with it
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()
        assert self.runner is not None
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    async def _start(self) -> None:
        async with open_services(load_settings(self.env), migrate=True) as svc:
            await load_demo(svc, seed=7)
        app = init_app(load_settings(self.env))
        self.runner, self.port = await serve_locally(app)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("browser") / "demo.db"
    env = {"PAICHAN_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "PAICHAN_PLAN_DEADLINE": "2",
           "PAICHAN_SECRET_KEY": "browser-test-secret-key", "PAICHAN_TIMEZONE": "Asia/Shanghai"}
    thread = _Thread(env)
    thread.start()
    thread.ready.wait(60)
    if thread.error is not None:
        raise thread.error
    assert thread.port is not None
    try:
        yield Server(f"http://127.0.0.1:{thread.port}")
    finally:
        thread.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
