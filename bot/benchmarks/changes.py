"""``paichan bench changes``: what do changes that ask less of the shop do to the others?

The demo factory is planned at a fixed Monday, start of the day shift (``--deadline`` seconds)
and published. Then, for each late order (the ``--late`` latest, default all) and ``--on-time``
orders on time (picked with ``--seed``), three changes that ask less of the shop are assessed against that plan: a
cancellation, the promised date 3 days later, half the quantity. Each is assessed twice: as
paichan does (nobody else may finish later) and by the objective alone (the baseline: a
re-plan that takes any gain in weighted tardiness, whoever it delays).

Per change kind and way: the other orders that finish later (ETA more than a minute later),
those newly late, the change in the others' total lateness (negative: lateness removed), the
plan's weighted tardiness and the published operations moved.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler_core.domain.generate import demo_factory
from scheduler_core.domain.model import Order
from scheduler_core.planning import runner
from scheduler_core.services.changes import (
    CancelOrder,
    Change,
    ChangeDue,
    ChangeError,
    ChangeQuantity,
    assess_change,
)
from scheduler_core.services.planning import PlanSettings, replan

from ..startup import freeze_startup_objects
from . import say

__all__ = ["KINDS", "add_parser", "run"]

KINDS: dict[str, Callable[[Order], Change]] = {
    "cancel": lambda o: CancelOrder(o.ref),
    "3 days later": lambda o: ChangeDue(o.ref, o.due + timedelta(days=3)),
    "half the quantity": lambda o: ChangeQuantity(o.ref, max(1, o.quantity // 2)),
}
WAYS = (("paichan", True), ("objective alone", False))


def add_parser(sub: Any) -> None:
    p = sub.add_parser("changes", help="changes that ask less of the shop: who else finishes later",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--deadline", type=float, default=2.0, help="seconds per plan and assessment (default 2)")
    p.add_argument("--seed", type=int, default=7, help="demo factory seed (default 7, as the demo)")
    p.add_argument(
        "--late", type=int, default=None, help="late orders to change, the latest first (default all)"
    )
    p.add_argument(
        "--on-time", type=int, default=4, help="orders on time to change besides the late ones (default 4)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.deadline <= 0 or args.on_time < 0 or (args.late is not None and args.late < 0):
        say("--deadline must be positive, --late and --on-time at least 0")
        return 2
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in the demo factory's time zone
    factory = demo_factory(now, seed=args.seed)
    settings = PlanSettings(deadline=args.deadline, seed=0)
    runner.warm_up()  # as the server does when it starts, and it then
    freeze_startup_objects()  # leaves its start-up objects out of the collector's scans
    published = replan(factory, now, None, settings)
    late = [e.ref for e in sorted(published.late, key=lambda e: (-e.late_by, e.ref))][: args.late]
    on_time = sorted(e.ref for e in published.etas if e.late_by <= timedelta(0))
    chosen = late + random.Random(args.seed).sample(on_time, min(args.on_time, len(on_time)))
    say(
        f"demo factory (seed {args.seed}): {len(published.etas)} orders, {len(published.late)} late; changing {len(chosen)} "
        f"orders 3 ways, each assessed twice ({args.deadline:g} s each)"
    )
    rows: list[dict[str, Any]] = []
    for ref in chosen:
        order = factory.order(ref)
        for kind, make in KINDS.items():
            change = make(order)
            for way, protect in WAYS:
                try:
                    a = assess_change(
                        factory, now, published.schedule, change, settings, protect_others=protect
                    )
                except ChangeError as exc:  # e.g. half the quantity is less than what is done
                    say(f"  {ref} {kind}: {exc.code}, skipped")
                    break
                row = {
                    "order": ref,
                    "kind": kind,
                    "way": way,
                    "others_later": len(a.impact.delayed),
                    "newly_late": len(a.impact.newly_late),
                    "lateness_change_hours": round(a.impact.tardiness_added.total_seconds() / 3600, 2),
                    "weighted_tardiness": a.result.score.weighted_tardiness,
                    "moved_ops": a.impact.moved_ops,
                    "seconds": round(a.result.seconds, 3),
                }
                rows.append(row)
                say(
                    f"  {ref} {kind:<17} {way:<15} {row['others_later']:>3} later, {row['newly_late']:>2} newly late, "
                    f"lateness {row['lateness_change_hours']:+.1f} h, moved {row['moved_ops']}"
                )
    summary = [
        _summary(kind, way, [r for r in rows if r["kind"] == kind and r["way"] == way])
        for kind in KINDS
        for way, _ in WAYS
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "orders": len(published.etas),
                    "late": len(published.late),
                    "summary": summary,
                    "changes": rows,
                },
                indent=2,
            )
        )
    else:
        print(
            f"{'change':<18} {'way':<16} {'n':>3} {'others later (median / max)':>28} {'newly late':>11} "
            f"{'lateness (h)':>13} {'moved (median)':>15}"
        )
        for s in summary:
            print(
                f"{s['kind']:<18} {s['way']:<16} {s['changes']:>3} "
                f"{s['median_others_later']:>20g} / {s['max_others_later']:<5} {s['newly_late']:>11} "
                f"{s['lateness_change_hours']:>+13.1f} {s['median_moved_ops']:>15g}"
            )
    return 0


def _summary(kind: str, way: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    later = [r["others_later"] for r in rows] or [0]
    return {
        "kind": kind,
        "way": way,
        "changes": len(rows),
        "median_others_later": statistics.median(later),
        "max_others_later": max(later),
        "newly_late": sum(r["newly_late"] for r in rows),
        "lateness_change_hours": round(sum(r["lateness_change_hours"] for r in rows), 2),
        "median_moved_ops": statistics.median([r["moved_ops"] for r in rows] or [0]),
    }
