"""``paichan bench db``: order-status queries per second and re-plan-to-commit latency on the
demo factory (150 open orders, 300 delivered) on SQLite and PostgreSQL.

For each backend: an empty database is migrated and loaded with the demo data; then
``--queries`` status queries (the ``get_order_status`` use case, as a customer would ask) run
one at a time and with ``--concurrency`` at once, and ``--replans`` re-plans each load the
factory, plan (``--deadline`` seconds), and commit the new version with its notifications.
The database's own share of a re-plan is the total minus the planner's seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scheduler_core.services.admin import load_demo
from scheduler_core.services.context import Services
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import SYSTEM, Actor, Role
from scheduler_core.services.shopfloor import replan_now
from scheduler_core.services.status import get_order_status

from . import say

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("db", help="status queries per second and re-plan-to-commit latency, SQLite and PostgreSQL")
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--pg-url", default=None, help="PostgreSQL URL (default: $PAICHAN_TEST_PG_URL); its tables are dropped")
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--replans", type=int, default=5)
    p.add_argument("--deadline", type=float, default=2.0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {}
    for backend in backends:
        if backend == "postgresql":
            url = args.pg_url or os.environ.get("PAICHAN_TEST_PG_URL")
            if not url:
                print('no PostgreSQL URL: pass --pg-url or run  eval "$(bash tests/start_postgres.sh)"', file=sys.stderr)
                return 2
            results[backend] = asyncio.run(_bench(url, args, drop_pg=True))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                results[backend] = asyncio.run(_bench(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for backend, r in results.items():
            print(f"{backend:<10} status queries: {r['status_qps_serial']:7.0f}/s one at a time, "
                  f"{r['status_qps_concurrent']:7.0f}/s with {args.concurrency} at once (p50 {r['status_p50_ms']:.1f} ms, "
                  f"p99 {r['status_p99_ms']:.1f} ms); re-plan to commit p50 {r['replan_p50_s']:.2f} s "
                  f"(database part p50 {r['replan_db_p50_s']:.2f} s) at {r['open_orders']} open orders")
    return 0


async def _bench(url: str, args: argparse.Namespace, *, drop_pg: bool = False) -> dict[str, Any]:
    from db import migrate
    from db.uow import SqlUnitOfWorkFactory

    if drop_pg:
        from sqlalchemy import pool, text
        from sqlalchemy.ext.asyncio import create_async_engine

        eng = create_async_engine(url, poolclass=pool.NullPool)
        async with eng.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await eng.dispose()
    await migrate.upgrade(url)
    factory = SqlUnitOfWorkFactory.open(url)
    now = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    svc = Services(uow=factory, clock=lambda: now,
                   planning=PlanSettings(deadline=args.deadline))
    try:
        say(f"{url.split('://')[0]}: loading the demo factory")
        await load_demo(svc, 7)
        async with svc.uow() as uow:
            active = await uow.orders.active()
            customers = {r.order.customer for r in active}
        refs = [r.ref for r in active]
        rng = random.Random(1)
        asks = [(rng.choice(refs)) for _ in range(args.queries)]
        by_customer = {c: Actor(10_000 + i, Role.CUSTOMER, c, f"c{i}") for i, c in enumerate(sorted(customers))}
        owner = {r.ref: by_customer[r.order.customer] for r in active}
        lat: list[float] = []
        t0 = time.perf_counter()
        for ref in asks:
            t = time.perf_counter()
            await get_order_status(svc, owner[ref], ref)
            lat.append(time.perf_counter() - t)
        serial = len(asks) / (time.perf_counter() - t0)
        sem = asyncio.Semaphore(args.concurrency)

        async def one(ref: str) -> None:
            async with sem:
                await get_order_status(svc, owner[ref], ref)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(r) for r in asks))
        concurrent = len(asks) / (time.perf_counter() - t0)
        totals: list[float] = []
        db_parts: list[float] = []
        for i in range(args.replans):
            t = time.perf_counter()
            await replan_now(replace(svc), SYSTEM, f"bench {i}")
            total = time.perf_counter() - t
            async with svc.uow() as uow:
                plan = await uow.plans.current()
            solve = float(plan.metrics.get("seconds", 0.0)) if plan else 0.0
            totals.append(total)
            db_parts.append(max(0.0, total - solve))
            say(f"  re-plan {i + 1}/{args.replans}: {total:.2f} s (planner {solve:.2f} s)")
        lat.sort()
        return {
            "open_orders": len(active),
            "status_qps_serial": round(serial, 1),
            "status_qps_concurrent": round(concurrent, 1),
            "status_p50_ms": round(statistics.median(lat) * 1000, 2),
            "status_p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000, 2),
            "replan_p50_s": round(statistics.median(totals), 3),
            "replan_max_s": round(max(totals), 3),
            "replan_db_p50_s": round(statistics.median(db_parts), 3),
        }
    finally:
        await factory.dispose()
