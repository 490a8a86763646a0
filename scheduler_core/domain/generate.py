"""Deterministic generated factories: the demo, the benchmarks and the simulator use them.

The generator is seeded and independent of any test or benchmark answer: machine groups
with a few machines each (faster and slower ones), products whose routings visit 3-6 groups,
orders whose promised dates follow the shop's real load (the time the whole order book needs
on the shop's capacity, spread over the orders in arrival order, times a tightness factor).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .calendar import LATE_SHIFTS, TWO_SHIFTS, Downtime
from .model import Alternative, Factory, Machine, Order, OrderStatus, Progress, Routing, Step
from .timegrid import ensure_aware, floor_minute

__all__ = ["DEMO_GROUPS", "DEMO_STEP_NAMES_ZH", "FactorySpec", "demo_factory", "generate_factory", "in_language"]

DEMO_GROUPS: tuple[tuple[str, str], ...] = (
    ("CUT", "Cutting"),
    ("CNC", "CNC machining"),
    ("WLD", "Welding"),
    ("PNT", "Painting"),
    ("ASM", "Assembly"),
    ("PCK", "Packing"),
    ("HT", "Heat treatment"),
    ("QC", "Inspection"),
)

DEMO_STEP_NAMES_ZH: dict[str, str] = {
    "Cutting": "下料", "CNC machining": "数控加工", "Welding": "焊接", "Painting": "喷涂", "Assembly": "装配",
    "Packing": "包装", "Heat treatment": "热处理", "Inspection": "检验",
}
"""The demo's step names as a Chinese factory writes them (``paichan demo --lang zh``)."""


def in_language(factory: Factory, lang: str) -> Factory:
    """The demo factory with its routings' step names in ``lang`` (``zh...``: Chinese; else as is)."""
    if not lang.startswith("zh"):
        return factory
    routings = {name: replace(r, steps=tuple(replace(st, name=DEMO_STEP_NAMES_ZH.get(st.name, st.name))
                                             for st in r.steps))
                for name, r in factory.routings.items()}
    return replace(factory, routings=routings)


_CUSTOMERS = (
    "ACME Tools", "Bright Motors", "Changjiang Pumps", "Delta Valves", "Eastwind HVAC",
    "Fenghua Electric", "Golden Gate Robotics", "Huaxin Auto", "Ironclad Marine", "Jiali Appliances",
    "Kunlun Energy", "Lotus Medical", "Minghe Agri", "Nordic Fans", "Orient Rail",
    "Pearl River Boats", "Qingdao Cranes", "Redwood Furniture", "Sunrise Solar", "Tianfu Machinery",
)


@dataclass(frozen=True, slots=True)
class FactorySpec:
    """What to generate. ``tightness`` < 1 makes promised dates tighter than the load allows."""

    machines: int = 12
    groups: int = 5
    products: int = 6
    orders: int = 120
    min_ops: int = 3
    max_ops: int = 5
    vip_share: float = 0.15
    late_share: float = 0.06
    started_share: float = 0.12
    tightness: float = 1.05
    min_qty: int = 50
    max_qty: int = 600
    machine_down: bool = True
    seed: int = 7
    timezone: str = "Asia/Shanghai"
    ref_start: int = 1001
    late_groups: int = 0  # the last groups work LATE_SHIFTS (16:00-08:00), the others TWO_SHIFTS (08:00-24:00)


DEMO_TIGHTNESS = 0.9
"""Promised dates in the demos: a little tighter than the bottleneck's load, as in a busy
shop, so that some orders are late for the reasons a planner meets (a queue, a stop)."""


def demo_factory(now: datetime, seed: int = 7) -> Factory:
    """The README's demo: 12 machines in 5 groups, 2 shifts, 120 open orders."""
    return generate_factory(FactorySpec(seed=seed, tightness=DEMO_TIGHTNESS), now)


def generate_factory(spec: FactorySpec, now: datetime) -> Factory:
    """A factory per ``spec`` at ``now`` (an aware datetime)."""
    rng = random.Random(spec.seed)
    now = floor_minute(ensure_aware(now)).astimezone(ZoneInfo(spec.timezone))  # due hours are local
    groups = [DEMO_GROUPS[i % len(DEMO_GROUPS)][0] + ("" if i < len(DEMO_GROUPS) else str(i)) for i in range(spec.groups)]
    # spread machines over groups, at least one each
    counts = [1] * spec.groups
    for i in range(spec.machines - spec.groups):
        counts[i % spec.groups] += 1
    machines: list[Machine] = []
    speed: dict[str, float] = {}
    on_late = set(groups[len(groups) - min(spec.late_groups, len(groups)):]) if spec.late_groups > 0 else set()
    for g, n in zip(groups, counts):
        for i in range(n):
            mid = f"{g}-{i + 1}"
            machines.append(Machine(mid, mid, g, (LATE_SHIFTS if g in on_late else TWO_SHIFTS).name))
            speed[mid] = 1.0 if i == 0 else round(rng.uniform(1.0, 1.35), 2)  # older machines slower
    by_group = {g: [m for m in machines if m.group == g] for g in groups}

    routings: dict[str, Routing] = {}
    for p in range(spec.products):
        n_ops = rng.randint(spec.min_ops, min(spec.max_ops, len(groups)))
        visit = sorted(rng.sample(range(len(groups)), n_ops))
        steps: list[Step] = []
        for gi in visit:
            g = groups[gi]
            base_unit = rng.uniform(0.4, 1.6)
            setup = rng.choice((15, 20, 30, 45, 60))
            alts = tuple(
                Alternative(m.id, setup, round(base_unit * speed[m.id], 3)) for m in by_group[g]
            )
            steps.append(Step(_step_name(g), alts))
        name = f"P{p + 1:02d}"
        routings[name] = Routing(name, tuple(steps))

    # orders, in arrival order; promised dates follow the load
    products = list(routings)
    raw = []
    for _ in range(spec.orders):
        prod = rng.choice(products)
        qty = round(rng.uniform(spec.min_qty, spec.max_qty) / 10.0) * 10 or spec.min_qty
        cust = _CUSTOMERS[rng.randrange(len(_CUSTOMERS))]
        raw.append((prod, qty, cust))
    # the bottleneck group's load sets the pace: days of work it has in the order book
    group_work: dict[str, float] = {g: 0.0 for g in groups}
    for prod, qty, _ in raw:
        for st in routings[prod].steps:
            g = next(m.group for m in machines if m.id == st.alternatives[0].machine)
            group_work[g] += sum(a.minutes(qty) for a in st.alternatives) / len(st.alternatives)
    cap_per_machine_day = TWO_SHIFTS.weekly_minutes / 7.0
    span_days = max(2.0, max(w / (len(by_group[g]) * cap_per_machine_day) for g, w in group_work.items()))
    span_days *= spec.tightness
    vip_customers = set(rng.sample(_CUSTOMERS, max(1, round(len(_CUSTOMERS) * spec.vip_share))))
    orders: list[Order] = []
    progress: dict[tuple[str, int], Progress] = {}
    for i, (prod, qty, cust) in enumerate(raw):
        ref = f"SO-{spec.ref_start + i}"
        frac = (i + 1) / spec.orders
        own = sum(sum(a.minutes(qty) for a in st.alternatives) / len(st.alternatives) for st in routings[prod].steps)
        own_days = own / (TWO_SHIFTS.weekly_minutes / 7.0)  # the order alone, back to back
        due_days = 1.0 + 1.5 * own_days + frac * span_days + rng.uniform(-0.5, 1.5)
        created = now - timedelta(days=rng.uniform(1.0, 6.0) + (1 - frac) * 3)
        late = rng.random() < spec.late_share
        if late:
            due_days = -rng.uniform(0.5, 3.0)
        due = floor_minute(now + timedelta(days=due_days)).replace(minute=0)
        due = due.replace(hour=18) if due.hour < 12 else due
        status = OrderStatus.OPEN
        started = late or (i < spec.orders * 0.3 and rng.random() < spec.started_share * 3)
        if started:
            status = OrderStatus.IN_PROGRESS
            route = routings[prod].steps
            done_steps = rng.randint(0, max(0, len(route) - 2))
            t = now - timedelta(hours=4 + 8 * done_steps)
            for k in range(done_steps):
                alt = route[k].alternatives[0]
                progress[(ref, k)] = Progress(ref, k, qty, alt.machine, t, t + timedelta(hours=6))
                t += timedelta(hours=8)
            alt = rng.choice(route[done_steps].alternatives)
            done_qty = int(qty * rng.uniform(0.1, 0.7))
            progress[(ref, done_steps)] = Progress(ref, done_steps, done_qty, alt.machine, now - timedelta(hours=2), None)
        orders.append(
            Order(
                ref=ref,
                customer=cust,
                product=prod,
                quantity=qty,
                due=due,
                vip=cust in vip_customers,
                status=status,
                created=floor_minute(created),
            )
        )
    # the same machine cannot run two reported steps at once: keep the first report per machine
    seen_machines: set[str] = set()
    for key in sorted(progress):
        rep = progress[key]
        if rep.finished is None and rep.machine is not None:
            if rep.machine in seen_machines:
                others = [a.machine for a in routings[_product(orders, key[0])].steps[key[1]].alternatives]
                free = [m for m in others if m not in seen_machines]
                if free:
                    progress[key] = Progress(rep.ref, rep.step, rep.done, free[0], rep.started, None)
                    seen_machines.add(free[0])
                else:
                    progress[key] = Progress(rep.ref, rep.step, 0, None, None, None)
            else:
                seen_machines.add(rep.machine)
    downtime: tuple[Downtime, ...] = ()
    if spec.machine_down:
        victim = machines[len(machines) // 2]
        downtime = (Downtime(victim.id, now - timedelta(hours=1), now + timedelta(hours=10), "spindle fault"),)
    return Factory(
        timezone=spec.timezone,
        machines=tuple(machines),
        calendars={c.name: c for c in (TWO_SHIFTS, LATE_SHIFTS) if any(m.calendar == c.name for m in machines)},
        routings=routings,
        orders=tuple(orders),
        downtime=downtime,
        progress=progress,
    )


def _product(orders: list[Order], ref: str) -> str:
    return next(o.product for o in orders if o.ref == ref)


def _step_name(group: str) -> str:
    for g, name in DEMO_GROUPS:
        if group.startswith(g):
            return name
    return group
