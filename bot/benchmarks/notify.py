"""``paichan bench notify``: the outbox relay delivering 2,000 notifications across every
channel to local fakes (127.0.0.1) that inject faults, on a SQLite outbox.

Channels and configured rates: Telegram 40 requests/s, two WeCom robots and one DingTalk and
one Feishu robot at 15-20 requests/s each (the bench's fakes; real robots take 20 a minute),
e-mail 15 messages/s to an aiosmtpd server. Faults: 2 % rate-limit answers (429 with
retry_after 1 s / the robots' "too fast" codes), 3 % server errors (5xx, SMTP 451).

Reported: ``sent`` (delivered according to the relay), ``lost`` (queued but never received),
``duplicated`` (received more than once), ``retries``, ``dead``, and ``rate_ratio``: per lane,
requests per second achieved between its first and last request, not counting the time the
service told us to wait (429 retry_after), over the configured rate; the minimum over lanes
is the headline figure. Targets: rate_ratio >= 0.95, lost 0, duplicated 0.

Runs from a source checkout (the fakes live in ``tests/fake_channels.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobs.config import JobSettings, parse_config
from jobs.relay import RelayPolicy, relay_from_config
from scheduler_core.services.context import Services
from scheduler_core.services.ports import ChatIdentity, Notification, Role, User

__all__ = ["add_parser", "run"]

_SEQ = re.compile(r"#(\d+)")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("notify", help="outbox relay: 2,000 notifications across channels to local fakes with faults",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--p429", type=float, default=0.02)
    p.add_argument("--p5xx", type=float, default=0.03)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _fakes_module() -> Any:
    try:
        import tests.fake_channels as fc
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        import tests.fake_channels as fc
    return fc


# lane -> (share of the notifications, configured requests per second)
_PLAN = {"telegram": (0.45, 40.0), "email": (0.15, 15.0), "wecom:ops": (0.10, 15.0), "wecom:sales": (0.10, 15.0),
         "dingtalk:plant": (0.10, 20.0), "feishu:board": (0.10, 20.0)}


async def _bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from db import migrate
    from db.engine import create_engine
    from db.uow import SqlUnitOfWorkFactory

    fc = _fakes_module()
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    uow = SqlUnitOfWorkFactory(engine)

    def clock() -> datetime:
        return datetime.now(UTC)

    svc = Services(uow=uow, clock=clock)
    faults = {s: (args.p429, args.p5xx) for s in ("telegram", "wecom", "dingtalk", "feishu")}
    fakes = fc.FakeServices(random_faults=faults, retry_after=1, seed=args.seed)
    await fakes.start()
    smtp = fc.FakeSmtp(p_fail=args.p5xx, seed=args.seed).start()
    try:
        doc = {
            "relay": {"max_attempts": 12, "base_delay_seconds": 0.2, "max_delay_seconds": 2.0,
                      "http_timeout_seconds": 5, "robot_retry_seconds": 1.0},
            "telegram": {"rate_per_second": _PLAN["telegram"][1], "timeout": 5},
            "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                      "rate_per_second": _PLAN["email"][1], "sender": "bench <bench@127.0.0.1>"},
            "wecom": {n: {"webhook": fakes.wecom_webhook(n), "rate_per_minute": _PLAN[f"wecom:{n}"][1] * 60}
                      for n in ("ops", "sales")},
            "dingtalk": {"plant": {"webhook": fakes.dingtalk_webhook("plant"), "secret": fakes.dingtalk_secrets["plant"],
                                   "rate_per_minute": _PLAN["dingtalk:plant"][1] * 60}},
            "feishu": {"board": {"webhook": fakes.feishu_webhook("board"), "secret": fakes.feishu_secrets["board"],
                                 "rate_per_minute": _PLAN["feishu:board"][1] * 60}},
        }
        config = parse_config(doc, {}, JobSettings(quiet_hours=("00:00", "00:00"), telegram_token=fakes.token,
                                                   telegram_base_url=fakes.telegram_base_url))
        for r in config.robots:  # the bench's fakes take bursts of 1 at the configured rate
            assert r.rate_per_minute > 20
        now = clock()
        lanes = list(_PLAN)
        weights = [_PLAN[k][0] for k in lanes]
        expected: dict[int, str] = {}
        async with uow(write=True) as tx:
            tg = [await tx.users.add(User(0, f"tg{i}", Role.CUSTOMER, f"TG {i}", "Bench", "en")) for i in range(40)]
            for i, u in enumerate(tg):
                await tx.identities.save(ChatIdentity("telegram", 900_000 + i, u.id, "en"))
            mail = [await tx.users.add(User(0, f"mail{i}", Role.MANAGER, f"Mail {i}", None, "en",
                                            email=f"m{i}@127.0.0.1")) for i in range(20)]
            counts = Counter[str]()
            for seq in range(args.count):
                # deterministic interleaving in proportion to the shares
                lane = min(lanes, key=lambda k: (counts[k] + 1) / weights[lanes.index(k)])
                counts[lane] += 1
                if lane == "telegram":
                    recipient, channel = f"user:{tg[seq % len(tg)].id}", "chat"
                elif lane == "email":
                    recipient, channel = f"user:{mail[seq % len(mail)].id}", "chat"
                else:
                    recipient, channel = lane, lane.split(":")[0]
                await tx.outbox.add(Notification(f"bench:{seq}", channel, recipient, "test",
                                                 {"channel": f"#{seq}", "lang": "en"}, now))
                expected[seq] = lane
            await tx.commit()
        relay = relay_from_config(svc, config, policy=RelayPolicy(
            max_attempts=12, base_delay=0.2, max_delay=2.0, batch=3000, workers_per_lane=3, poll=0.05))
        t0 = time.monotonic()
        stats = await relay.drain(wait_for_retries=120)
        seconds = time.monotonic() - t0
        await relay.close()
        async with uow() as tx:
            dead = await tx.outbox.count("dead")
            pending = await tx.outbox.count("pending")
    finally:
        await fakes.stop()
        smtp.stop()
        await engine.dispose()
    received = Counter[int]()
    for r in fakes.received:
        text = json.dumps(r.body, ensure_ascii=False)
        m = _SEQ.search(text)
        if m:
            received[int(m.group(1))] += 1
    for _, msg in smtp.messages:
        m = _SEQ.search(str(msg["Subject"]) + (msg.get_body(("plain",)).get_content() if msg.is_multipart() else ""))
        if m:
            received[int(m.group(1))] += 1
    lost = sum(1 for seq in expected if received[seq] == 0)
    duplicated = sum(n - 1 for n in received.values() if n > 1)
    ratios = {lane: b.achieved_ratio() for lane, b in relay.buckets.items()}
    shown = {k: round(v, 3) for k, v in ratios.items() if v is not None}
    return {
        "notifications": args.count, "sent": stats.sent, "lost": lost, "duplicated": duplicated,
        "retries": stats.retries, "dead": dead, "pending": pending, "seconds": round(seconds, 2),
        "rate_ratio": min(shown.values()) if shown else None, "rate_ratio_by_lane": shown,
        "configured_rate": {k: v[1] for k, v in _PLAN.items()},
        "server_pause_seconds": {k: round(b.paused, 2) for k, b in relay.buckets.items()},
        "faults_injected": dict(fakes.faults_sent) | {"smtp:451": smtp.faults_sent},
        "format_rejections": len(fakes.rejected),
    }


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="paichan-bench-notify-") as tmp:
        result = asyncio.run(_bench(args, Path(tmp)))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"notify: {result['notifications']} notifications in {result['seconds']} s: sent {result['sent']}, "
              f"lost {result['lost']}, duplicated {result['duplicated']}, retries {result['retries']}, "
              f"dead {result['dead']}, rate_ratio {result['rate_ratio']} (min over lanes)")
        for lane, ratio in result["rate_ratio_by_lane"].items():
            print(f"  {lane:<16} configured {result['configured_rate'].get(lane, '?')}/s  achieved/configured {ratio}  "
                  f"server-imposed pause {result['server_pause_seconds'][lane]} s")
        print(f"  faults injected: {result['faults_injected']}")
    ok = result["lost"] == 0 and result["duplicated"] == 0 and (result["rate_ratio"] or 0) >= 0.95
    return 0 if ok else 1
