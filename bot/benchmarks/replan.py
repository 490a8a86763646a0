"""``paichan bench replan``: dispatching rules vs paichan on a generated factory, and rush insertions.

Prints, for one generated factory (default 20 machines in 6 groups, 300 orders of 3-6
operations, 2 shifts, 20 % VIP): the weighted tardiness of FIFO / EDD / ATC / paichan at 2 s /
paichan at 60 s, then ``--rushes`` rush insertions (插单) assessed against the published plan
with their p50/p95 seconds, whether each rush order is on time when that is feasible, and
the share of published operations moved.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler_core.domain.generate import FactorySpec, generate_factory
from scheduler_core.domain.model import Order
from scheduler_core.planning import heuristic, runner
from scheduler_core.planning.build import build_problem
from scheduler_core.planning.evaluate import count_moved, score
from scheduler_core.services.changes import InsertOrder, apply_change, assess_change, latest_insertion
from scheduler_core.services.planning import PlanSettings, build_with, replan

from ..startup import freeze_startup_objects
from . import say

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("replan", help="dispatching rules vs paichan, and rush insertions, on a generated factory")
    p.add_argument("--orders", type=int, default=300)
    p.add_argument("--machines", type=int, default=20)
    p.add_argument("--groups", type=int, default=6)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rushes", type=int, default=30)
    p.add_argument("--deadline", type=float, default=2.0, help="seconds per plan / rush assessment")
    p.add_argument("--long", type=float, default=60.0, help="seconds for the long reference run (0: skip)")
    p.add_argument("--workers", type=int, default=1,
                   help="search threads of the solver (PAICHAN_SOLVER_WORKERS in the server)")
    p.add_argument("--tightness", type=float, default=0.8, help="promised dates vs bottleneck load (1 = just feasible)")
    p.add_argument("--late-groups", type=int, default=0,
                   help="machine groups working 16:00-08:00 while the others work 08:00-24:00 (0: one calendar)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a fixed Monday: results repeat per seed
    # A stressed shop: promised dates at 0.8 of what the bottleneck's load allows, so that
    # sequencing decides who is late; no order is late before planning starts (an already
    # late order's tardiness is the same under every policy and would only dilute the ratio).
    spec = FactorySpec(machines=args.machines, groups=args.groups, orders=args.orders, products=12, min_ops=3,
                       max_ops=6, vip_share=0.2, seed=args.seed, machine_down=False, late_share=0.0,
                       tightness=args.tightness, late_groups=args.late_groups)
    factory = generate_factory(spec, now)
    built = build_problem(factory, now)
    problem = built.problem
    calendars = f", {args.late_groups} groups on late shifts" if args.late_groups > 0 else ""
    say(f"factory: {len(factory.machines)} machines, {len(problem.jobs)} orders, {problem.n_ops} operations{calendars}")
    out: dict[str, Any] = {"orders": len(problem.jobs), "operations": problem.n_ops, "seed": args.seed}
    rules: dict[str, float] = {}
    for rule in ("fifo", "edd", "atc"):
        t0 = time.perf_counter()
        sol = heuristic.dispatch(problem, rule)
        rules[rule] = score(problem, sol).weighted_tardiness
        say(f"  {rule:<12} weighted tardiness {rules[rule]:>12,.0f}   ({time.perf_counter() - t0:.2f}s)")
    out["weighted_tardiness"] = dict(rules)
    settings = PlanSettings(deadline=args.deadline, workers=args.workers, seed=0)
    # the server starts the solver's process server when it starts; so does the bench, before timing
    runner.warm_up()  # as the server does when it starts, and it then
    freeze_startup_objects()  # leaves its start-up objects out of the collector's scans
    t0 = time.perf_counter()
    short = replan(factory, now, None, settings)
    out["weighted_tardiness"][f"paichan_{args.deadline:g}s"] = short.score.weighted_tardiness
    say(f"  paichan {args.deadline:g}s  weighted tardiness {short.score.weighted_tardiness:>12,.0f}   "
         f"({time.perf_counter() - t0:.2f}s, {short.status})")
    published = short
    if args.long > 0:
        t0 = time.perf_counter()
        long = replan(factory, now, None, replace(settings, deadline=args.long))
        out["weighted_tardiness"][f"paichan_{args.long:g}s"] = long.score.weighted_tardiness
        say(f"  paichan {args.long:g}s weighted tardiness {long.score.weighted_tardiness:>12,.0f}   "
             f"({time.perf_counter() - t0:.2f}s, {long.status})")
        published = long
    best_rule = min(rules.values())
    out["paichan_vs_best_rule"] = _ratio(short.score.weighted_tardiness, best_rule)
    if args.long > 0:
        out["short_vs_long"] = _ratio(short.score.weighted_tardiness, out["weighted_tardiness"][f"paichan_{args.long:g}s"])

    # rush insertions, each assessed against the same published plan
    rng = random.Random(args.seed * 7919 + 1)
    products = sorted(factory.routings)
    times: list[float] = []
    moved_share: list[float] = []
    reseq_share: list[float] = []
    floor_share: list[float] = []  # the same insertion with every other sequence kept (no optimisation)
    latest_share: list[float] = []  # ... placed as late as its date allows instead of first
    added: list[tuple[float, float, float]] = []  # weighted tardiness added: paichan, first, latest
    feasible = on_time = 0
    n_published = len([op for op in published.schedule.ops if not op.fixed])
    for i in range(args.rushes):
        due = now + timedelta(days=rng.uniform(1.5, 6.0))
        order = Order(f"RUSH-{i + 1}", "Rush Customer", rng.choice(products),
                      round(rng.uniform(spec.min_qty, spec.max_qty) / 10) * 10, due, vip=True, rush=True)
        t0 = time.perf_counter()
        a = assess_change(factory, now, published.schedule, InsertOrder(order), settings)
        dt = time.perf_counter() - t0
        times.append(dt)
        late = a.subject.late_by.total_seconds() / 60 if a.subject else float("nan")
        if a.on_time_possible:
            feasible += 1
            on_time += late == 0
        share = a.impact.moved_ops / max(1, n_published)
        moved_share.append(share)
        first, latest = _insertion_moves(factory, now, published, order, settings)
        floor_share.append(first[0] / max(1, n_published))
        if latest is not None:
            latest_share.append(latest[0] / max(1, n_published))
            if late == 0:  # the rush order on time in all three: what each adds to the others
                base = published.score.weighted_tardiness
                added.append((a.result.score.weighted_tardiness - base, first[1] - base, latest[1] - base))
        reseq_share.append(a.impact.resequenced_ops / max(1, n_published))
        say(f"  rush {i + 1:>2}/{args.rushes}: {dt:5.2f}s  feasible={a.on_time_possible!s:<5}  "
             f"late={late:7.0f} min  slipped={len(a.impact.delayed):>3}  moved={share:6.1%}  {a.result.status}")
    if times:
        out["rush"] = {
            "count": len(times),
            "p50_s": round(statistics.median(times), 3),
            "p95_s": round(_pct(times, 95), 3),
            "feasible": feasible,
            "on_time_when_feasible": on_time,
            "mean_moved_share": round(statistics.fmean(moved_share), 4),
            "max_moved_share": round(max(moved_share), 4),
            "mean_resequenced_share": round(statistics.fmean(reseq_share), 4),
            "insertion_only_mean_moved_share": round(statistics.fmean(floor_share), 4),
            "latest_insertion_count": len(latest_share),
            "latest_insertion_mean_moved_share": round(statistics.fmean(latest_share), 4) if latest_share else None,
            # mean weighted tardiness (weight x working minutes) added to the others, over the rushes
            # on time in all three plans: paichan, put first, as late as its date allows
            "others_tardiness_added": {
                "count": len(added),
                "paichan": round(statistics.fmean(x[0] for x in added)) if added else None,
                "insertion_only": round(statistics.fmean(x[1] for x in added)) if added else None,
                "latest_insertion": round(statistics.fmean(x[2] for x in added)) if added else None,
            },
        }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        _print(out, args)
    return 0


def _insertion_moves(
    factory: Any, now: datetime, published: Any, order: Order, settings: PlanSettings
) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """Operations moved (machine, or start by more than the tolerance) and the plan's weighted
    tardiness when the rush order is only inserted, everybody else keeping machine and sequence
    and moving right as needed: placed first, and placed as late as its date allows (None when
    placing it first misses its date, or it cannot be placed backward from its date)."""
    new_factory = apply_change(factory, InsertOrder(order), now)
    built = build_with(settings, new_factory, now, published.schedule)
    j = built.job_of(order.ref)
    problem = built.problem
    first = heuristic.repair(problem, None, frozenset({j}))
    due = problem.jobs[j].due
    on_time = due is not None and max(a.end for a in first.assignments if a.job == j) <= due
    latest = latest_insertion(problem, j) if on_time else None
    return (
        (count_moved(problem, first), score(problem, first).weighted_tardiness),
        None if latest is None else (count_moved(problem, latest), score(problem, latest).weighted_tardiness),
    )


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else round(a / b, 4)


def _pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def _print(out: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"bench replan: {out['orders']} orders, {out['operations']} operations, seed {out['seed']}")
    print("weighted tardiness (weight x working minutes late):")
    for k, v in out["weighted_tardiness"].items():
        print(f"  {k:<16} {v:>14,.0f}")
    r = out.get("paichan_vs_best_rule")
    if r is not None:
        print(f"paichan {args.deadline:g}s / best dispatching rule = {r:.3f}  ({1 - r:.1%} lower)")
    if "short_vs_long" in out and out["short_vs_long"] is not None:
        print(f"paichan {args.deadline:g}s / paichan {args.long:g}s = {out['short_vs_long']:.3f}")
    rush = out.get("rush")
    if rush:
        print(f"rush insertions: {rush['count']}  p50 {rush['p50_s']:.2f}s  p95 {rush['p95_s']:.2f}s  "
              f"on time when feasible {rush['on_time_when_feasible']}/{rush['feasible']}  "
              f"published ops moved: mean {rush['mean_moved_share']:.1%}, max {rush['max_moved_share']:.1%}; "
              f"re-slotted (machine or order changed): mean {rush['mean_resequenced_share']:.1%}")
        print(f"  for reference, the rush order put first with every other sequence kept (no optimisation) "
              f"moves {rush['insertion_only_mean_moved_share']:.1%} of published operations on average: "
              f"work queued behind an inserted operation shifts with it")
        if rush["latest_insertion_count"]:
            print(f"  placed as late as its date allows instead (same, {rush['latest_insertion_count']} of "
                  f"{rush['count']} rushes that placing first keeps on time) it moves "
                  f"{rush['latest_insertion_mean_moved_share']:.1%}")
        other = rush["others_tardiness_added"]
        if other["count"]:
            print(f"  weighted tardiness added to the other orders (mean of the {other['count']} rushes on time in "
                  f"all three): paichan {other['paichan']:,}, put first {other['insertion_only']:,}, "
                  f"as late as its date allows {other['latest_insertion']:,}")
