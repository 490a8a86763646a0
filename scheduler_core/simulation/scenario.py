"""What happens to the factory regardless of how it is planned: the scenario.

Everything random is drawn here, from ``random.Random`` streams seeded per source (arrivals,
each machine's breakdowns, each operation's processing-time noise), so every policy sees the
same customers, the same breakdowns and the same noise: common random numbers. The noise of
an operation depends only on (seed, order, step), not on when or where it runs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler_core.domain.model import Factory
from scheduler_core.domain.timegrid import ensure_aware, floor_minute

__all__ = ["Arrival", "Breakdown", "Scenario", "ScenarioSpec", "make_scenario", "work_noise"]


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """The assumptions of a simulation (all printed with its results).

    ``utilisation``: new orders arrive at this share of the bottleneck group's capacity
    (after breakdowns). ``request_days``: customers ask for delivery this many calendar days
    after ordering (uniform); rush requests (插单, ``rush_share`` of the orders) within
    ``rush_days``. ``mtbf_hours`` / ``mttr_hours``: mean hours between breakdowns of a machine
    (calendar time) and mean repair hours, both exponential. ``noise_sigma``: processing times
    are the routing's times x a lognormal factor with mean 1 and this sigma.
    """

    utilisation: float = 0.85
    rush_share: float = 0.10
    request_days: tuple[float, float] = (6.0, 20.0)
    rush_days: tuple[float, float] = (1.5, 4.0)
    vip_share: float = 0.15
    min_qty: int = 50
    max_qty: int = 600
    mtbf_hours: float = 160.0
    mttr_hours: float = 3.0
    noise_sigma: float = 0.15
    office_hours: tuple[int, int] = (8, 18)
    ref_start: int = 5001


@dataclass(frozen=True, slots=True)
class Arrival:
    """A customer's request at ``at``: ``quantity`` of ``product`` wanted by ``requested``."""

    at: datetime
    ref: str
    customer: str
    product: str
    quantity: int
    requested: datetime
    vip: bool
    rush: bool


@dataclass(frozen=True, slots=True)
class Breakdown:
    machine: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scenario:
    """The initial factory, what arrives and what breaks, over ``start`` .. ``end``."""

    seed: int
    start: datetime
    end: datetime
    factory: Factory
    arrivals: tuple[Arrival, ...]
    breakdowns: tuple[Breakdown, ...]
    spec: ScenarioSpec = field(default_factory=ScenarioSpec)
    customers: tuple[str, ...] = ()

    def noise(self, ref: str, step: int) -> float:
        return work_noise(self.seed, ref, step, self.spec.noise_sigma)


def work_noise(seed: int, ref: str, step: int, sigma: float) -> float:
    """Processing-time factor of one operation: lognormal with mean 1, its own stream."""
    if sigma <= 0:
        return 1.0
    rng = random.Random(f"{seed}:noise:{ref}:{step}")
    return math.exp(rng.gauss(-sigma * sigma / 2, sigma))


def _mean_minutes_per_order(factory: Factory, spec: ScenarioSpec) -> dict[str, float]:
    """Mean working minutes one new order puts on each machine group."""
    qty = (spec.min_qty + spec.max_qty) / 2
    group_of = {m.id: m.group for m in factory.machines}
    work: dict[str, float] = {}
    for routing in factory.routings.values():
        for st in routing.steps:
            g = group_of[st.alternatives[0].machine]
            work[g] = work.get(g, 0.0) + sum(a.minutes(round(qty)) for a in st.alternatives) / len(st.alternatives)
    n = max(1, len(factory.routings))
    return {g: w / n for g, w in work.items()}


def arrival_rate_per_day(factory: Factory, spec: ScenarioSpec) -> float:
    """Orders per calendar day that load the bottleneck group to ``spec.utilisation``."""
    availability = spec.mtbf_hours / (spec.mtbf_hours + spec.mttr_hours)
    work = _mean_minutes_per_order(factory, spec)
    rates = []
    for g, minutes in work.items():
        machines = [m for m in factory.machines if m.group == g]
        cap = sum(factory.calendars[m.calendar].weekly_minutes for m in machines) / 7.0 * availability
        rates.append(cap / minutes)
    return spec.utilisation * min(rates)


def make_scenario(factory: Factory, start: datetime, days: float, seed: int,
                  spec: ScenarioSpec = ScenarioSpec()) -> Scenario:
    """Draw the arrivals and breakdowns of ``days`` days from ``start`` for ``factory``."""
    start = floor_minute(ensure_aware(start))
    end = start + timedelta(days=days)
    tz = ZoneInfo(factory.timezone)
    customers = tuple(sorted({o.customer for o in factory.orders})) or ("Customer",)
    vip_customers = {o.customer for o in factory.orders if o.vip}
    products = sorted(factory.routings)
    rate = arrival_rate_per_day(factory, spec)
    open_h, close_h = spec.office_hours
    office_share = (close_h - open_h) / 24.0
    rng = random.Random(f"{seed}:arrivals")
    arrivals: list[Arrival] = []
    t = start
    n = 0
    # a Poisson process over office hours (Monday..Saturday), at the daily rate above
    hourly = rate / (24.0 * office_share) * 7.0 / 6.0
    while True:
        t = t + timedelta(hours=rng.expovariate(hourly))
        local = t.astimezone(tz)
        while local.isoweekday() == 7 or not open_h <= local.hour < close_h:
            # skip closed hours: move to the next opening, keeping the remaining gap's randomness
            nxt = local.replace(hour=open_h, minute=0, second=0, microsecond=0)
            if local.hour >= open_h:
                nxt += timedelta(days=1)
            local = nxt + timedelta(minutes=rng.uniform(0, 60))
            t = local
        if t >= end:
            break
        n += 1
        rush = rng.random() < spec.rush_share
        lo, hi = spec.rush_days if rush else spec.request_days
        qty = max(spec.min_qty, round(rng.uniform(spec.min_qty, spec.max_qty) / 10.0) * 10)
        if rush:
            qty = max(spec.min_qty, qty // 2)
        customer = customers[rng.randrange(len(customers))]
        requested = (t + timedelta(days=rng.uniform(lo, hi))).astimezone(tz)
        requested = requested.replace(minute=0, second=0, microsecond=0)
        requested = requested.replace(hour=18) if requested.hour < 12 else requested
        arrivals.append(Arrival(floor_minute(t), f"SO-{spec.ref_start + n - 1}", customer, rng.choice(products), qty,
                                requested, customer in vip_customers, rush))
    breakdowns: list[Breakdown] = []
    for m in factory.machines:
        brng = random.Random(f"{seed}:breakdowns:{m.id}")
        t = start
        while True:
            t = t + timedelta(hours=brng.expovariate(1.0 / spec.mtbf_hours))
            if t >= end:
                break
            repair = timedelta(hours=max(0.25, brng.expovariate(1.0 / spec.mttr_hours)))
            b0 = floor_minute(t)
            breakdowns.append(Breakdown(m.id, b0, b0 + repair))
            t = b0 + repair
    breakdowns.sort(key=lambda b: (b.start, b.machine))
    return Scenario(seed, start, end, factory, tuple(arrivals), tuple(breakdowns), spec, customers)
