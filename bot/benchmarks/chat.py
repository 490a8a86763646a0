"""``paichan bench chat``: the chat path under load (P9), on 127.0.0.1 only.

A temporary SQLite database gets the demo factory, 40 linked customer chats and 2 linked sales
chats; ``paichan serve`` runs as a child process against a fake Bot API served by this
process. Updates are POSTed to the webhook at a constant rate: order-status questions from
customers, every ``--rush-every``-th a rush insertion from sales (a solver run, assessed while
the status traffic goes on), and every ``--dup-every``-th update is delivered twice.

Reported: ``updates_per_s`` (acknowledged POSTs, redeliveries included, per second of sending),
``replied_per_s`` (replies per second from the first POST to the last reply), ``p99_ack_ms``
(POST to 200), ``p99_reply_ms`` (POST to the reply arriving at the fake Bot API, status
queries), ``lost`` (updates without a reply) and ``duplicated`` (replies beyond one per update).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cli.options import number
from . import say

__all__ = ["add_parser", "run"]

TOKEN = "123456:BENCH"
SECRET = "bench-secret"
CUSTOMER_CHATS = 40
SALES_CHATS = 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("chat", help="webhook updates at a constant rate: ack and reply latency, lost, duplicated")
    p.add_argument("--rate", type=float, default=150.0, help="updates per second (default 150)")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to send (default 10)")
    p.add_argument("--rush-every", type=int, default=50, help="every N-th update is a rush assessment (0: none)")
    p.add_argument("--dup-every", type=int, default=20, help="every N-th update is delivered twice (0: none)")
    p.add_argument("--deadline", type=float, default=2.0, help="solver seconds per assessment")
    p.add_argument("--chat-workers", type=number(int, at_least=0, at_most=32), default=None,
                   help="the server's chat worker processes (default: paichan serve's default)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1)


@dataclass
class _Tally:
    pending: dict[int, deque[tuple[float, str]]] = field(default_factory=lambda: defaultdict(deque))
    reply_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    expected: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    received: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    start: float = 0.0
    last_reply: float = 0.0

    def on_send(self, chat: int, at: float) -> None:
        self.received[chat] += 1
        self.last_reply = at
        queue = self.pending.get(chat)
        if queue:
            sent, kind = queue.popleft()
            self.reply_ms[kind].append((at - sent) * 1000)


async def _prepare(url: str, deadline: float) -> tuple[list[tuple[int, str]], list[int], list[str], list[str]]:
    """Demo data, bench users linked to chats; returns (customer chat, ref) pairs, sales chats,
    products and customers."""
    from scheduler_core.domain.model import OrderStatus
    from scheduler_core.services.admin import load_demo
    from scheduler_core.services.notifications import watch_delays
    from scheduler_core.services.ports import ChatIdentity, Role, User

    from ..settings import load_settings
    from ..wiring import open_services

    settings = load_settings({"PAICHAN_DATABASE_URL": url, "PAICHAN_PLAN_DEADLINE": str(deadline)})
    async with open_services(settings, migrate=True) as svc:
        await load_demo(svc)
        async with svc.uow(write=True) as uow:
            records = await uow.orders.list(statuses=[OrderStatus.OPEN, OrderStatus.IN_PROGRESS])
            by_customer: dict[str, list[str]] = defaultdict(list)
            for r in records:
                by_customer[r.order.customer].append(r.ref)
            customers = sorted(by_customer)
            chats: list[tuple[int, str]] = []
            for i in range(CUSTOMER_CHATS):
                customer = customers[i % len(customers)]
                user = await uow.users.add(User(0, f"bench{i}", Role.CUSTOMER, f"Bench {i}", customer, "en"))
                tg_id = 900_000 + i
                await uow.identities.save(ChatIdentity("telegram", tg_id, user.id, "en"))
                chats.append((tg_id, by_customer[customer][i % len(by_customer[customer])]))
            sales = []
            for k, user in enumerate((await uow.users.with_role(Role.SALES))[:SALES_CHATS]):
                tg_id = 950_000 + k
                await uow.identities.save(ChatIdentity("telegram", tg_id, user.id, "en"))
                sales.append(tg_id)
            products = sorted(await uow.master.routings())
            await uow.commit()
        # the delay warnings for the demo's late orders are queued and counted as delivered now:
        # the server's relay would otherwise send them to the bench chats in the middle of the
        # run (outside quiet hours), where they would count as duplicated replies
        await watch_delays(svc)
        async with svc.uow(write=True) as uow:
            for n in await uow.outbox.pending(limit=100_000):
                await uow.outbox.mark_sent(n.dedup_key, svc.now())
            await uow.commit()
    return chats, sales, products, customers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _message(update_id: int, chat: int, text: str) -> dict[str, Any]:
    msg: dict[str, Any] = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                           "from": {"id": chat, "is_bot": False, "first_name": "B", "language_code": "en"},
                           "text": text}
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": msg}


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="paichan-bench-chat-") as tmp:
        try:
            result = asyncio.run(_run(args, Path(tmp)))
        except (RuntimeError, TimeoutError) as exc:
            print(f"paichan bench chat: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"updates_per_s={result['updates_per_s']} replied_per_s={result['replied_per_s']} "
              f"p99_ack_ms={result['p99_ack_ms']} "
              f"p99_reply_ms={result['p99_reply_ms']} lost={result['lost']} duplicated={result['duplicated']} "
              f"(sent {result['sent']}, rush {result['rush_sent']} with p50 reply {result['p50_rush_reply_ms']} ms, "
              f"redelivered {result['redelivered']}, p50 ack {result['p50_ack_ms']} ms, "
              f"p50 reply {result['p50_reply_ms']} ms)")
    return 0


async def _run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    import aiohttp

    from .fake_bot_api import FakeBotApi

    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    say("preparing the demo factory and 42 linked chats ...")
    chats, sales, products, customers = await _prepare(url, args.deadline)
    tally = _Tally()
    fake = FakeBotApi(TOKEN, on_send=tally.on_send)
    await fake.start()
    port = _free_port()
    env = {**os.environ, "PAICHAN_DATABASE_URL": url, "PAICHAN_TELEGRAM_TOKEN": TOKEN,
           "PAICHAN_TELEGRAM_BASE_URL": fake.base_url, "PAICHAN_TELEGRAM_WEBHOOK_SECRET": SECRET,
           "PAICHAN_PLAN_DEADLINE": str(args.deadline)}
    env.pop("PAICHAN_TELEGRAM_WEBHOOK_URL", None)
    root = Path(__file__).resolve().parents[2]
    log_path = workdir / "server.log"  # a file, not a pipe: a pipe nobody reads would block the server
    log_file = log_path.open("wb")
    workers = [] if args.chat_workers is None else ["--chat-workers", str(args.chat_workers)]
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--send-rate", "0", *workers],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    hook = f"http://127.0.0.1:{port}/telegram/webhook"
    try:
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=connector) as http:
            await _wait_ready(http, port, server, log_path)
            say(f"sending {args.rate:g} updates/s for {args.seconds:g} s ...")
            result = await _drive(http, hook, args, chats, sales, products, customers, tally)
            say("waiting for the last replies ...")
            deadline = time.monotonic() + 30 + args.deadline * 10
            while time.monotonic() < deadline and any(tally.pending.values()):
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # anything beyond one reply per update would arrive now
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        if server.poll() is None:
            server.kill()
        log_file.close()
        await fake.close()
        if os.environ.get("PAICHAN_BENCH_SERVER_LOG"):  # keep the server's log for a look afterwards
            with contextlib.suppress(OSError):
                Path(os.environ["PAICHAN_BENCH_SERVER_LOG"]).write_bytes(log_path.read_bytes())
    lost = sum(max(0, tally.expected[c] - tally.received[c]) for c in tally.expected)
    duplicated = sum(max(0, tally.received[c] - tally.expected[c]) for c in tally.received)
    status_ms = tally.reply_ms["status"]
    rush_ms = tally.reply_ms["rush"]
    result.update({
        "p50_reply_ms": _pct(status_ms, 0.5), "p99_reply_ms": _pct(status_ms, 0.99),
        "p50_rush_reply_ms": _pct(rush_ms, 0.5), "max_rush_reply_ms": round(max(rush_ms), 1) if rush_ms else None,
        "replied_per_s": (round(sum(tally.received.values()) / (tally.last_reply - tally.start), 1)
                          if tally.last_reply > tally.start else None),
        "lost": lost, "duplicated": duplicated,
        "targets": {"updates_per_s": ">= 150", "p99_ack_ms": "< 50", "p99_reply_ms": "<= 250", "lost": 0,
                    "duplicated": 0},
    })
    return result


async def _wait_ready(http: Any, port: int, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited: " + log_path.read_text(errors="replace")[-2000:])
        with contextlib.suppress(OSError):
            async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                if r.status == 200 and (await r.json()).get("telegram"):
                    return
        await asyncio.sleep(0.1)
    raise TimeoutError("the server did not become ready")


async def _drive(http: Any, hook: str, args: argparse.Namespace, chats: list[tuple[int, str]], sales: list[int],
                 products: list[str], customers: list[str], tally: _Tally) -> dict[str, Any]:
    total = int(args.rate * args.seconds)
    acks: list[float] = []
    by_second: dict[int, list[float]] = defaultdict(list)  # second of sending -> ack latencies
    failures = 0
    redelivered = 0
    rush_sent = 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def post(update: dict[str, Any], chat: int, kind: str, track: bool) -> None:
        nonlocal failures
        t0 = time.monotonic()
        if track:
            tally.expected[chat] += 1
            tally.pending[chat].append((t0, kind))
        async with http.post(hook, json=update, headers=headers) as r:
            await r.read()
            if r.status != 200:
                failures += 1
        acks.append((time.monotonic() - t0) * 1000)
        by_second[int(t0 - start)].append(acks[-1])

    tasks = []
    start = tally.start = time.monotonic()
    for i in range(total):
        at = start + i / args.rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = 1_000_000 + i
        if args.rush_every and i % args.rush_every == args.rush_every - 1 and sales:
            chat = sales[rush_sent % len(sales)]
            text = (f"rush {50 + rush_sent} of {products[rush_sent % len(products)]} for "
                    f"{customers[rush_sent % len(customers)]} by Dec 20")
            kind = "rush"
            rush_sent += 1
        else:
            chat, ref = chats[i % len(chats)]
            text, kind = f"/status {ref}", "status"
        update = _message(uid, chat, text)
        tasks.append(asyncio.create_task(post(update, chat, kind, True)))
        if args.dup_every and i % args.dup_every == 0:
            redelivered += 1
            tasks.append(asyncio.create_task(post(update, chat, kind, False)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    ok = len(acks) - failures
    return {"rate": args.rate, "seconds": args.seconds, "sent": total, "redelivered": redelivered,
            "rush_sent": rush_sent, "not_acknowledged": failures,
            "updates_per_s": round(ok / elapsed, 1) if elapsed else None,
            "p50_ack_ms": _pct(acks, 0.5), "p99_ack_ms": _pct(acks, 0.99), "max_ack_ms": round(max(acks), 1) if acks else None,
            "p99_ack_ms_by_second": [_pct(by_second[s], 0.99) for s in sorted(by_second)]}
