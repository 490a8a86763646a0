"""``paichan bench solver``: our solver against the plain CP-SAT model on public benchmarks.

For each instance, in the same run: ours (heuristic warm start, then CP-SAT with hint,
redundant constraints and LNS; see ``paichan solve``) and the plain textbook model
(:func:`~scheduler_core.planning.cpsat.solve_plain`), each with the full time limit.

Gap of a value v to the best known value b: ``100 * (v - b) / b`` percent. Instances with
b = 0 (some weighted tardiness instances) have no relative gap: they are left out of the
mean gap and reported apart as "solved to 0: k of n".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from scheduler_core.benchmarks.catalog import FAMILIES, Instance, bks, family_instances
from scheduler_core.planning.cpsat import solve_plain
from scheduler_core.planning.evaluate import score
from scheduler_core.planning.validate import assert_valid

from .solve import plan_instance

__all__ = ["Row", "gap", "register"]


@dataclass(frozen=True, slots=True)
class Row:
    """One instance's result."""

    instance: str
    bks: int
    ours: int
    gap: float | None
    ours_status: str
    ours_seconds: float
    plain: int | None
    plain_gap: float | None
    plain_status: str
    plain_seconds: float


def gap(value: int | None, best: int) -> float | None:
    """Percent gap to the best known value; None when ``best`` is 0 or there is no value."""
    if value is None or best == 0:
        return None
    return 100.0 * (value - best) / best


def _select(family: str, spec: str | None) -> list[Instance]:
    insts = family_instances(family)
    if not spec:
        return insts
    out: list[Instance] = []
    by_name = {i.name: i for i in insts}
    for tok in (t.strip() for t in spec.split(",")):
        if not tok:
            continue
        if tok in by_name:
            out.append(by_name[tok])
        elif tok.replace("-", "").isdigit():
            lo, _, hi = tok.partition("-")
            out.extend(insts[int(lo) - 1 : int(hi or lo)])
        else:
            raise ValueError(f"unknown instance {tok!r} in family {family}")
    return out


def _run_one(inst: Instance, best: int, args: argparse.Namespace) -> Row:
    problem = inst.load()
    planned = plan_instance(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    t0 = time.monotonic()
    plain = solve_plain(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    plain_seconds = time.monotonic() - t0
    plain_value = None
    if plain.assignments:
        assert_valid(problem, plain)
        plain_value = score(problem, plain).value(problem.objective)
    return Row(
        inst.name, best, planned.value, gap(planned.value, best), planned.status, round(planned.seconds, 2),
        plain_value, gap(plain_value, best), plain.status.value, round(plain_seconds, 2),
    )  # fmt: skip


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def summarise(rows: list[Row]) -> dict[str, Any]:
    """Mean gaps over instances with a positive best known value, and the zero-BKS count."""
    pos = [r for r in rows if r.bks > 0]
    zero = [r for r in rows if r.bks == 0]
    return {
        "instances": len(rows),
        "mean_gap": _mean([r.gap for r in pos if r.gap is not None]),
        "plain_mean_gap": _mean([r.plain_gap for r in pos if r.plain_gap is not None]),
        "plain_missing": sum(1 for r in pos if r.plain is None),
        "at_best_known": sum(1 for r in pos if r.ours <= r.bks),
        "plain_at_best_known": sum(1 for r in pos if r.plain is not None and r.plain <= r.bks),
        "zero_bks": len(zero),
        "zero_bks_solved": sum(1 for r in zero if r.ours == 0),
        "plain_zero_bks_solved": sum(1 for r in zero if r.plain == 0),
        "mean_seconds": _mean([r.ours_seconds for r in rows]),
    }


def run_solver(args: argparse.Namespace) -> int:
    try:
        insts = _select(args.family, args.instances)
    except ValueError as exc:
        print(f"paichan bench: {exc}", file=sys.stderr)
        return 2
    best_known = bks(args.family)
    rows: list[Row] = []
    if not args.json:
        print(f"# family {args.family}, {len(insts)} instances, {args.time_limit:g} s each, {args.workers} worker(s), "
              f"seed {args.seed}; gap = 100*(value-BKS)/BKS")  # fmt: skip
        print(f"{'instance':<12} {'BKS':>8} {'ours':>8} {'gap%':>7} {'plain':>8} {'gap%':>7} {'sec':>6} status")
    for n, inst in enumerate(insts, 1):
        print(f"[{n}/{len(insts)}] {inst.name} ...", file=sys.stderr, flush=True)
        row = _run_one(inst, best_known[inst.name].value, args)
        rows.append(row)
        if not args.json:
            print(f"{row.instance:<12} {row.bks:>8} {row.ours:>8} {_fmt(row.gap):>7} "
                  f"{_fmt(row.plain, 'd'):>8} {_fmt(row.plain_gap):>7} {row.ours_seconds:>6.1f} "
                  f"{row.ours_status}/{row.plain_status}", flush=True)  # fmt: skip
    summary = summarise(rows)
    if args.json:
        doc = {
            "family": args.family,
            "time_limit": args.time_limit,
            "workers": args.workers,
            "seed": args.seed,
            "gap_definition": "100*(value-BKS)/BKS over instances with BKS > 0; BKS = 0 counted apart",
            "summary": summary,
            "rows": [asdict(r) for r in rows],
        }
        print(json.dumps(doc, indent=1))
        return 0
    print(f"mean gap over {len(rows) - summary['zero_bks']} instances with BKS > 0: ours {_fmt(summary['mean_gap'])} %, "
          f"plain {_fmt(summary['plain_mean_gap'])} %; at BKS: ours {summary['at_best_known']}, "
          f"plain {summary['plain_at_best_known']}")  # fmt: skip
    if summary["zero_bks"]:
        print(f"BKS = 0 (no relative gap): solved to 0: ours {summary['zero_bks_solved']} of {summary['zero_bks']}, "
              f"plain {summary['plain_zero_bks_solved']} of {summary['zero_bks']}")  # fmt: skip
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("bench", help="benchmarks", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = p.add_subparsers(dest="bench", required=True, metavar="WHAT")
    s = sub.add_parser("solver", help="our solver vs the plain CP-SAT model on a benchmark family",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    s.add_argument("--family", default="mk", choices=sorted(FAMILIES), help="default mk (Brandimarte mk01-mk10)")
    s.add_argument("--instances", help="comma-separated names or 1-based positions/ranges, e.g. mk01,mk03 or 1-5")
    s.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance and solver (default 10)")
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true", help="print one JSON document at the end")
    s.set_defaults(func=run_solver)
    from bot.benchmarks import changes, chat, db, replan, stability

    replan.add_parser(sub)
    stability.add_parser(sub)
    changes.add_parser(sub)
    db.add_parser(sub)
    from bot.benchmarks import notify as notify_bench

    notify_bench.add_parser(sub)
    chat.add_parser(sub)
    from bot.benchmarks import api as api_bench

    api_bench.add_parser(sub)
