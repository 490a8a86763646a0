"""``paichan bench stability``: does the plan stay put while time passes and little happens?

The demo factory is planned at a fixed Monday, start of the day shift; then ``--replans``
successive re-plans follow, ``--every`` factory minutes apart, with nothing reported from the
floor (no step started, as when reports lag behind the work), each new plan becoming the
published one, as in production. With ``--stop MINUTES`` the busiest machine of the first
plan stops for that long, from its first operation an hour or more after the middle re-plan.

Per re-plan: the published operations it moved (machine changed or start shifted by more than
the 30-minute tolerance), the orders whose ETA changed by 30 minutes or more, the weighted
tardiness before and after, and how the plan was made ("hint kept": the solver found nothing
better than keeping the published sequence).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler_core.domain.calendar import Downtime
from scheduler_core.domain.generate import demo_factory
from scheduler_core.planning import runner
from scheduler_core.services.planning import PlanResult, PlanSettings, replan

from ..startup import freeze_startup_objects
from . import say

__all__ = ["add_parser", "run"]

_ETA_CHANGE = timedelta(minutes=30)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("stability", help="successive re-plans of the demo factory: operations moved, ETAs changed",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--replans", type=int, default=8, help="successive re-plans (default 8)")
    p.add_argument("--every", type=int, default=20, help="factory minutes between re-plans (default 20)")
    p.add_argument("--deadline", type=float, default=2.0, help="seconds per re-plan (default 2)")
    p.add_argument("--seed", type=int, default=7, help="demo factory seed (default 7, as the demo)")
    p.add_argument("--stop", type=int, default=0, metavar="MINUTES",
                   help="a stop of the busiest machine at its first operation an hour after the middle re-plan")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def eta_changes(before: PlanResult, after: PlanResult) -> int:
    """Orders planned in both whose ETA moved by :data:`_ETA_CHANGE` or more."""
    old = {e.ref: e.eta for e in before.etas}
    return sum(1 for e in after.etas if e.ref in old and abs(e.eta - old[e.ref]) >= _ETA_CHANGE)


def run(args: argparse.Namespace) -> int:
    if args.replans < 1 or args.every < 1 or args.stop < 0:
        say("--replans and --every must be at least 1, --stop at least 0")
        return 2
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in the demo factory's time zone
    factory = replace(demo_factory(now, seed=args.seed), downtime=())
    settings = PlanSettings(deadline=args.deadline, seed=0)
    runner.warm_up()  # as the server does when it starts, and it then
    freeze_startup_objects()  # leaves its start-up objects out of the collector's scans
    published = replan(factory, now, None, settings)
    load: Counter[str] = Counter()
    for op in published.schedule.ops:
        load[op.machine] += op.work_minutes
    busiest = load.most_common(1)[0][0]
    say(f"demo factory (seed {args.seed}): {len(published.etas)} orders, {len(published.schedule.ops)} operations; "
         f"{args.replans} re-plans {args.every} min apart, nothing reported")
    rows: list[dict[str, Any]] = []
    for i in range(1, args.replans + 1):
        at = now + timedelta(minutes=args.every * i)
        if args.stop and i == (args.replans + 1) // 2:
            ahead = [op.start for op in published.schedule.ops
                     if op.machine == busiest and op.start >= at + timedelta(hours=1)]
            start = min(ahead, default=at + timedelta(hours=1))  # so that the stop hits planned work
            factory = replace(factory, downtime=(Downtime(busiest, start, start + timedelta(minutes=args.stop), "bench"),))
            say(f"  {busiest} stops for {args.stop} min from {start:%H:%M} UTC")
        result = replan(factory, at, published.schedule, settings)
        row = {
            "minutes": args.every * i,
            "moved_ops": result.score.moved,
            "eta_changes": eta_changes(published, result),
            "weighted_tardiness_before": published.score.weighted_tardiness,
            "weighted_tardiness": result.score.weighted_tardiness,
            "method": result.method,
        }
        rows.append(row)
        say(f"  +{row['minutes']:>4} min: moved {row['moved_ops']:>4} operations, {row['eta_changes']:>3} ETAs changed "
             f">= 30 min, weighted tardiness {row['weighted_tardiness_before']:,} -> {row['weighted_tardiness']:,} "
             f"({row['method']})")
        published = result
    summary = {
        "orders": len(published.etas),
        "operations": len(published.schedule.ops),
        "replans": rows,
        "median_moved_ops": statistics.median(r["moved_ops"] for r in rows),
        "max_moved_ops": max(r["moved_ops"] for r in rows),
        "median_eta_changes": statistics.median(r["eta_changes"] for r in rows),
        "max_eta_changes": max(r["eta_changes"] for r in rows),
        "plan_kept": sum(r["moved_ops"] == 0 for r in rows),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"moved operations per re-plan: median {summary['median_moved_ops']:g}, max {summary['max_moved_ops']}; "
              f"ETAs changed >= 30 min: median {summary['median_eta_changes']:g}, max {summary['max_eta_changes']} "
              f"of {summary['orders']}; nothing moved in {summary['plan_kept']} of {len(rows)} re-plans")
    return 0
