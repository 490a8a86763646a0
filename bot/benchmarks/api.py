"""``paichan bench api``: REST API latency and throughput on the demo factory (150 open orders,
SQLite), over HTTP on 127.0.0.1.

A temporary SQLite database is migrated and loaded with the demo data; tokens are issued for the
demo customer and manager; the real app (``init_app``, Telegram off) listens on an ephemeral
port. Then, for each endpoint, ``--requests`` GETs run one at a time (latency p50 / p99) and the
same number with ``--concurrency`` in flight (requests per second). Every answer must be 200 (or
the P1 404 for the foreign-order probe), else the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..web.local import serve_locally

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("api", help="REST API latency (p50/p99) and requests per second on the demo factory")
    p.add_argument("--requests", type=int, default=300, help="per endpoint and mode (default 300)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 256:
        print("--requests must be 1-100000 and --concurrency 1-256", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(_bench(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args))
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"REST API on SQLite, demo factory ({results['open_orders']} open orders), "
          f"{args.requests} requests per endpoint; concurrency {args.concurrency}")
    print(f"{'endpoint':<36} {'p50 ms':>8} {'p99 ms':>8} {'req/s (1)':>10} {'req/s (c)':>10}")
    for name, r in results["endpoints"].items():
        print(f"{name:<36} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['rps_serial']:>10.0f} {r['rps_concurrent']:>10.0f}")
    return 0


async def _bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from bot.settings import Settings
    from bot.web.app import init_app
    from db import migrate
    from db.uow import SqlUnitOfWorkFactory
    from scheduler_core.services.admin import load_demo
    from scheduler_core.services.api_tokens import issue_token
    from scheduler_core.services.context import Services
    from scheduler_core.services.planning import PlanSettings
    from scheduler_core.services.ports import SYSTEM, Role

    await migrate.upgrade(url)
    factory = SqlUnitOfWorkFactory.open(url)
    now = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    svc = Services(uow=factory, clock=lambda: now, planning=PlanSettings(deadline=2.0))
    runner: web.AppRunner | None = None
    try:
        print("loading the demo factory", file=sys.stderr, flush=True)
        await load_demo(svc, 7)
        async with svc.uow() as uow:
            active = await uow.orders.active()
            customer = (await uow.users.with_role(Role.CUSTOMER))[0]
            manager = (await uow.users.with_role(Role.MANAGER))[0]
        own = [r.ref for r in active if r.order.customer == customer.customer]
        foreign = [r.ref for r in active if r.order.customer != customer.customer]
        ctoken = (await issue_token(svc, SYSTEM, customer.username)).token
        mtoken = (await issue_token(svc, SYSTEM, manager.username)).token
        runner, port = await serve_locally(init_app(Settings(database_url=url, telegram_token=None), services=svc))
        base = f"http://127.0.0.1:{port}/api/v1"
        rng = random.Random(1)
        probes: dict[str, tuple[str, Callable[[], str], int]] = {
            "GET /orders/{ref}/status (customer)": (ctoken, lambda: f"/orders/{rng.choice(own)}/status", 200),
            "GET /orders/{ref} foreign (customer)": (ctoken, lambda: f"/orders/{rng.choice(foreign)}", 404),
            "GET /orders?limit=50 (manager)": (mtoken, lambda: "/orders?limit=50", 200),
            "GET /orders/{ref} (manager)": (mtoken, lambda: f"/orders/{rng.choice(own + foreign)}", 200),
            "GET /plan (manager)": (mtoken, lambda: "/plan", 200),
            "GET /kpis (manager)": (mtoken, lambda: "/kpis", 200),
        }
        out: dict[str, Any] = {}
        async with aiohttp.ClientSession() as http:
            for name, (token, path, expect) in probes.items():
                headers = {"Authorization": f"Bearer {token}"}

                async def one(p: str, headers: dict[str, str] = headers, expect: int = expect) -> float:
                    t = time.perf_counter()
                    async with http.get(base + p, headers=headers) as resp:
                        await resp.read()
                        if resp.status != expect:
                            raise RuntimeError(f"{p}: {resp.status}, expected {expect}")
                    return time.perf_counter() - t

                paths = [path() for _ in range(args.requests)]
                t0 = time.perf_counter()
                lat = [await one(p) for p in paths]
                serial = time.perf_counter() - t0
                sem = asyncio.Semaphore(args.concurrency)

                async def bounded(p: str, sem: asyncio.Semaphore = sem) -> float:
                    async with sem:
                        return await one(p)

                t0 = time.perf_counter()
                await asyncio.gather(*(bounded(p) for p in paths))
                concurrent = time.perf_counter() - t0
                lat.sort()
                out[name] = {
                    "p50_ms": round(statistics.median(lat) * 1000, 2),
                    "p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000, 2),
                    "rps_serial": round(len(paths) / serial, 1),
                    "rps_concurrent": round(len(paths) / concurrent, 1),
                }
                print(f"{name}: done", file=sys.stderr, flush=True)
        return {"open_orders": len(active), "requests": args.requests, "concurrency": args.concurrency,
                "endpoints": out}
    finally:
        if runner is not None:
            await runner.cleanup()
        await factory.dispose()
