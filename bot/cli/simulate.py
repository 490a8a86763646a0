"""``paichan simulate``: a factory simulated over days under several policies, side by side.

Every policy runs through the same scenario (arrivals, rush requests, noise, breakdowns drawn
from per-source seeds) on its own throw-away store (in memory, or SQLite with ``--store
sqlite``), driving the product's use cases and planner on a simulated clock (see
:mod:`scheduler_core.simulation`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from scheduler_core.domain.generate import DEMO_TIGHTNESS, FactorySpec, generate_factory
from scheduler_core.domain.model import Factory
from scheduler_core.domain.timegrid import floor_minute
from scheduler_core.reports.i18n import Lang, Tr, resolve_lang, translator
from scheduler_core.reports.simulation import comparison_png, render_comparison
from scheduler_core.services.context import load_factory
from scheduler_core.services.ports import UnitOfWorkFactory
from scheduler_core.simulation import (
    POLICIES,
    CustomerModel,
    ScenarioSpec,
    SimSettings,
    make_scenario,
    simulate_policy,
    summarize,
    weekly_delay_rate,
)

from .options import lang_choice, number

__all__ = ["register", "run"]

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a fixed Monday 08:00 in Shanghai: runs repeat per seed
DEMO_OPEN_ORDERS = 40
"""The simulation starts with the demo factory's machines, routings and customers and its
first 40 open orders (the full demo book of 120 is a month of the bottleneck's work)."""


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate the factory over days under FIFO / EDD / ATC / paichan and compare delivery figures",
        description="Discrete-event simulation of the factory through paichan's own use cases and planner, "
                    "every policy on the same arrivals, noise and breakdowns.",
    )
    p.add_argument("--days", type=number(float, above=0), default=90.0, help="simulated days (default 90)")
    p.add_argument("--policy", choices=[*POLICIES, "all"], default="all")
    p.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    p.add_argument("--seeds", type=number(int, at_least=1), default=1, metavar="N",
                   help="run seeds S .. S+N-1 and report medians (default 1)")
    p.add_argument("--factory", default="demo", help="demo, or a paichan database to start from (a SQLite file such as paichan.db, or a database URL); it is only read")
    p.add_argument("--quote", choices=["own", "same"], default="own",
                   help="own: paichan quotes by capable-to-promise; same: every policy quotes the fixed lead time")
    p.add_argument("--lead-days", type=number(float, above=0), default=10.0, help="the fixed quoted lead time (default 10 days)")
    p.add_argument("--plan-seconds", type=number(float, above=0), default=1.0, help="paichan's time limit per plan (default 1)")
    p.add_argument("--replan-hours", type=number(float, above=0), default=4.0,
                   help="re-plan every this many simulated hours when events happened (default 4)")
    p.add_argument("--store", choices=["memory", "sqlite"], default="memory",
                   help="storage behind the use cases: the in-memory adapter (default, fast) or a throw-away "
                        "SQLite database")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--chart", type=Path, default=None, metavar="PNG", help="write a comparison chart")
    p.add_argument("--lang", type=lang_choice, default=None, help="zh or en")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--from-json", type=Path, nargs="+", default=None, metavar="FILE",
                   help="do not simulate: combine results saved with --json (e.g. seeds run in parallel)")
    p.set_defaults(func=run)


@contextlib.asynccontextmanager
async def memory_store() -> AsyncIterator[UnitOfWorkFactory]:
    """A fresh in-memory store (the database adapter's in-memory twin)."""
    from db.memory import MemoryUnitOfWorkFactory

    yield MemoryUnitOfWorkFactory()


@contextlib.asynccontextmanager
async def sqlite_store() -> AsyncIterator[UnitOfWorkFactory]:
    """A fresh, migrated SQLite database in a temporary directory, removed afterwards."""
    from db.engine import create_engine
    from db.migrate import upgrade
    from db.uow import SqlUnitOfWorkFactory

    with tempfile.TemporaryDirectory(prefix="paichan-sim-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/sim.db"
        await upgrade(url)
        engine = create_engine(url)
        try:
            yield SqlUnitOfWorkFactory(engine)
        finally:
            await engine.dispose()


def _median(values: list[Any]) -> Any:
    nums = [v for v in values if isinstance(v, int | float)]
    if not nums:
        return None
    m = statistics.median(nums)
    return round(m, 4) if isinstance(m, float) else m


async def load_factory_file(name: str) -> tuple[Factory, datetime] | None:
    """The factory in a paichan database (``paichan.db``, or a database URL), with the instant to
    start from (its newest plan's, else now); None when there is no usable factory there. The
    database is only read."""
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import create_engine
    from db.uow import SqlUnitOfWorkFactory

    url = name if "://" in name else f"sqlite+aiosqlite:///{name}"
    if "://" not in name and not Path(name).is_file():
        return None
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            factory, _ = await load_factory(uow)
            plan = await uow.plans.current()
    except (SQLAlchemyError, OSError, ValueError):
        return None
    finally:
        await engine.dispose()
    if not factory.machines or not factory.routings:
        return None
    start = plan.created if plan is not None else datetime.now(UTC)
    return factory, floor_minute(start)


def run(args: argparse.Namespace, *, env: Mapping[str, str] | None = None, out: TextIO | None = None,
        store: Callable[[], contextlib.AbstractAsyncContextManager[UnitOfWorkFactory]] | None = None) -> int:
    out = out or sys.stdout
    lang: Lang = args.lang or resolve_lang(None, os.environ if env is None else env)
    tr = translator(lang)
    if args.factory == "demo":
        factory = generate_factory(FactorySpec(seed=7, tightness=DEMO_TIGHTNESS, machine_down=False,
                                               orders=DEMO_OPEN_ORDERS), START)
        start, title = START, tr.gettext("demo factory")
    else:
        loaded = asyncio.run(load_factory_file(args.factory))
        if loaded is None:
            print(tr.gettext("Unknown factory {name}: give demo, or a paichan database (a SQLite file or a "
                             "database URL) with machines, routings and orders.", name=args.factory), file=sys.stderr)
            return 1
        factory, start = loaded
        title = args.factory
    names = list(POLICIES) if args.policy == "all" else [args.policy]
    settings = SimSettings(lead_days=args.lead_days, quote_same=args.quote == "same",
                           plan_seconds=args.plan_seconds, replan_hours=args.replan_hours)
    spec = ScenarioSpec()
    seeds = list(range(args.seed, args.seed + args.seeds))
    per_seed: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    weekly: dict[str, dict[int, list[float]]] = {n: {} for n in names}
    open_store = store or (sqlite_store if getattr(args, "store", "memory") == "sqlite" else memory_store)

    bar = _Progress(len(seeds) * len(names),
                    enabled=not args.no_progress and not args.json and not args.from_json)

    async def job() -> None:
        for seed in seeds:
            scenario = make_scenario(factory, start, args.days, seed, spec)
            for n in names:
                bar.label(f"seed {seed} {n}")
                async with open_store() as uow:
                    result = await simulate_policy(uow, scenario, POLICIES[n], settings, progress=bar.update)
                bar.done()
                per_seed[n].append({"seed": seed, **summarize(result)})
                for w, v in weekly_delay_rate(result):
                    if v is not None:
                        weekly[n].setdefault(w, []).append(v)

    if args.from_json:
        try:
            seeds, args.days = _load_saved(args.from_json, per_seed, weekly)
            saved = json.loads(args.from_json[0].read_text(encoding="utf-8"))
            settings = replace(settings, quote_same=saved.get("quote") == "same")
            args.quote = saved.get("quote", args.quote)
        except (OSError, ValueError, KeyError) as exc:
            print(tr.gettext("Cannot read saved results: {error}", error=str(exc)), file=sys.stderr)
            return 1
        names = list(per_seed)
    else:
        try:
            asyncio.run(job())
        finally:
            bar.close()
    medians = {n: {k: _median([r[k] for r in rows]) for k in rows[0] if k != "seed"}
               for n, rows in per_seed.items()}
    model = CustomerModel()
    if args.json:
        doc = {"days": args.days, "seeds": seeds, "quote": args.quote, "policies": medians,
               "per_seed": per_seed, "weekly_delay_rate": {n: {str(w): v for w, v in sorted(weekly[n].items())}
                                                           for n in names},
               "assumptions": _assumptions(settings, spec, model, factory, args.factory)}
        print(json.dumps(doc, ensure_ascii=False, indent=1), file=out)
    else:
        what = tr.gettext("median of {n} seeds", n=len(seeds)) if len(seeds) > 1 else tr.gettext("seed {seed}",
                                                                                                   seed=args.seed)
        print(tr.gettext("Factory simulation: {factory}, {days} days, {what}", factory=title, days=f"{args.days:g}",
                         what=what),
              file=out)
        print("", file=out)
        print(render_comparison(tr, medians), file=out)
        print("", file=out)
        print(tr.gettext("Assumptions"), file=out)
        for line in _assumptions(settings, spec, model, factory, args.factory, tr):
            print(f"  - {line}", file=out)
    if args.chart is not None:
        series = {n: [(w, statistics.median(v)) for w, v in sorted(weekly[n].items())] for n in names}
        png = comparison_png(tr, medians, series, title=lambda t: t.gettext(
            "paichan simulate: {factory}, {days} days", factory=title, days=f"{args.days:g}"))
        args.chart.parent.mkdir(parents=True, exist_ok=True)
        args.chart.write_bytes(png)
        if not args.json:
            print("", file=out)
            print(tr.gettext("Chart written to {path}", path=args.chart), file=out)
    return 0


def _load_saved(paths: list[Path], per_seed: dict[str, list[dict[str, Any]]],
                weekly: dict[str, dict[int, list[float]]]) -> tuple[list[int], float]:
    """Merge saved ``--json`` outputs into ``per_seed`` and ``weekly``; returns the seeds and days."""
    per_seed.clear()
    weekly.clear()
    seeds: list[int] = []
    days = 0.0
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        days = float(doc["days"])
        seeds += [int(x) for x in doc["seeds"]]
        for n, rows in doc["per_seed"].items():
            per_seed.setdefault(n, []).extend(rows)
        for n, series in doc.get("weekly_delay_rate", {}).items():
            for w, values in series.items():
                weekly.setdefault(n, {}).setdefault(int(w), []).extend(float(v) for v in values)
    for n in per_seed:
        weekly.setdefault(n, {})
    return seeds, days


def _assumptions(s: SimSettings, spec: ScenarioSpec, model: CustomerModel, factory: Factory | None = None,
                 name: str = "demo", tr: Tr | None = None) -> list[str]:
    """The model in words, in ``tr``'s language (English without one: the ``--json`` copy)."""
    t = tr or translator("en")
    m = model
    where = (t.gettext("factory: the demo factory's 12 machines, products and customers; {n} open orders at the start",
                       n=DEMO_OPEN_ORDERS)
             if factory is None or name == "demo" else
             t.gettext("factory: {name}: {machines} machines, {products} products, {n} open orders at the start, "
                       "its calendars, downtime and progress", name=name, machines=len(factory.machines),
                       products=len(factory.routings), n=len(factory.orders)))
    quotes = t.gettext(
        "quotes: FIFO/EDD/ATC promise max(requested date, {lead} days) and accept every rush request as asked; "
        "paichan promises max(requested date, capable-to-promise date + {margin} h) and accepts a rush request as "
        "asked only when it can make it", lead=f"{s.lead_days:g}", margin=f"{s.margin_hours:g}")
    if s.quote_same:
        quotes += " " + t.gettext("(--quote same: every policy quotes the fixed lead time)")
    return [
        where,
        t.gettext("arrivals: Poisson in office hours (Mon-Sat {open}-{close} h) at {load} of the bottleneck's "
                  "capacity; {rush} rush requests (插单, wanted in {rush_min}-{rush_max} days), others wanted in "
                  "{min}-{max} days; VIP customers as in the demo", open=spec.office_hours[0],
                  close=spec.office_hours[1], load=f"{spec.utilisation:.0%}", rush=f"{spec.rush_share:.0%}",
                  rush_min=f"{spec.rush_days[0]:g}", rush_max=f"{spec.rush_days[1]:g}",
                  min=f"{spec.request_days[0]:g}", max=f"{spec.request_days[1]:g}"),
        t.gettext("processing times: routing time x lognormal noise (mean 1, sigma {sigma}); breakdowns: MTBF {mtbf} h, "
                  "MTTR {mttr} h (exponential)", sigma=f"{spec.noise_sigma:g}", mtbf=f"{spec.mtbf_hours:g}",
                  mttr=f"{spec.mttr_hours:g}"),
        t.gettext("shop floor: each machine takes the first startable step of the published plan's sequence on it; "
                  "progress reported at completion and at every re-plan; delivered when finished"),
        quotes,
        t.gettext("planning: every {hours} simulated hours when anything happened; paichan: CP-SAT {seconds} s per "
                  "plan, 1 worker; baselines: their dispatching rule alone", hours=f"{s.replan_hours:g}",
                  seconds=f"{s.plan_seconds:g}"),
        t.gettext("delay warnings: paichan's own (queued when a plan makes an order late); the baselines send none"),
        t.gettext("an order is judged when finished or when its promise has passed by the end; lead time over "
                  "finished orders"),
        t.gettext("customers on time: complaint probability {p}, satisfaction {score}/5",
                  p=f"{m.on_time_complaint:.0%}", score=f"{m.on_time_score:.1f}"),
        t.gettext("customers late by d days: complaint probability {p} + {late} + {per_day} x d (at most {top}); "
                  "satisfaction {score} - {penalty} - {per_day_penalty} x d (at least 1)",
                  p=f"{m.on_time_complaint:.0%}", late=f"{m.late_complaint:.0%}", per_day=f"{m.per_day_complaint:.0%}",
                  top=f"{m.max_complaint:.0%}", score=f"{m.on_time_score:.1f}", penalty=f"{m.late_penalty:.1f}",
                  per_day_penalty=f"{m.per_day_penalty:.2f}"),
        t.gettext("customers warned before the promised date: the lateness part of both is x {factor}",
                  factor=f"{m.warned_factor:g}"),
        t.gettext("customer rates are expected values over the orders (no sampling)"),
    ]


class _Progress:
    """A rich progress bar on stderr over all runs (silent when disabled)."""

    def __init__(self, runs: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self.runs = runs
        self.finished = 0
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                 TimeElapsedColumn(), transient=False)
            self._task = self._bar.add_task("simulate", total=runs)
            self._bar.start()

    def label(self, text: str) -> None:
        if self.enabled:
            self._bar.update(self._task, description=text)

    def update(self, fraction: float) -> None:
        if self.enabled:
            self._bar.update(self._task, completed=self.finished + fraction)

    def done(self) -> None:
        self.finished += 1
        self.update(0.0)

    def close(self) -> None:
        if self.enabled:
            self._bar.stop()
