"""The demo factory with a past: open orders from :mod:`.generate` plus ~90 days of delivered
orders, complaints and survey answers, deterministic for a seed and "now".

The model of the past (one draw per delivered order, in creation order, from one seeded
``random.Random``):

* **Customers** are :data:`DEMO_CUSTOMERS` (40). Each has at least one past order; beyond that
  how often a customer orders follows Zipf-like weights ``1 / (rank + 3)`` (a few big
  customers, a long tail); :data:`VIP_COUNT` of them are VIP, chosen by the seed.
* **Created** uniformly 8..95 days before now; the **promised date** is 6..16 days later at
  18:00 factory time (the import convention for a date-only promise).
* **Late or not**: an order is delivered late with probability 0.14, plus 0.10 when its
  quantity is over 400 (big orders hit the bottleneck). A late order is late by
  ``0.1 + Exp(mean 1.6)`` days, capped at 10; an on-time one arrives 0..2.5 days early (never
  less than 2 days after it was created). Deliveries fall before now (redrawn otherwise).
* **Complaints**: probability ``0.03 + 0.40 * min(1, late_days / 3)`` — 3 % for an on-time
  order (quality, packing), 16 % a day late, 43 % at three days or more — filed 2..48 hours
  after delivery.
* **Surveys** are sent a day after delivery (if that is before now) and answered with
  probability 0.75, 1..30 hours later. The score is
  ``round(N(4.6 - 0.7 * min(late_days, 3) - 0.8 * complained, 0.6))`` clipped to 1..5: on time
  about 4.6, three days late about 2.5.

The open orders are those of :func:`generate_factory` (150 orders, 12 machines in 5 groups,
two shifts, some started, some already past their promise, one machine down), with the
products renamed into three families and the customers redrawn from the 40 with the same
weights.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .generate import DEMO_TIGHTNESS, FactorySpec, generate_factory
from .model import DUE_HOUR, Factory, Order, OrderStatus, Routing
from .timegrid import ensure_aware, floor_minute

__all__ = [
    "DEMO_CUSTOMERS",
    "DEMO_CUSTOMERS_EN",
    "DEMO_PRODUCT_NAMES",
    "DEMO_PRODUCT_NAMES_EN",
    "VIP_COUNT",
    "DemoHistory",
    "PastComplaint",
    "PastDelivery",
    "PastSurvey",
    "complaint_probability",
    "demo_history",
    "expected_score",
    "late_probability",
]

DEMO_CUSTOMERS: tuple[str, ...] = (
    "ACME Tools", "Bright Motors", "Caspian Pumps", "Delta Valves", "Eastwind HVAC",
    "Fenghua Electric", "Golden Gate Robotics", "Hudson Auto", "Ironclad Marine", "Jiali Appliances",
    "Kunlun Energy", "Lotus Medical", "Minghe Agri", "Nordic Fans", "Orient Rail",
    "Pearl River Boats", "Qingdao Cranes", "Redwood Furniture", "Sunrise Solar", "Tianfu Machinery",
    "华鑫汽车配件", "长江水泵制造", "东方阀门", "恒通液压", "金龙机电",
    "宁波精工", "苏州恒力机械", "佛山美达电器", "温州正泰开关", "无锡华光锅炉",
    "Union Compressors", "Vega Instruments", "Westlake Bikes", "Xinhua Printing", "Yangtze Shipyards",
    "Zenith Elevators", "Apex Hydraulics", "Beacon Lighting", "Coral Sea Fisheries", "Dragon Gate Tools",
)
_IN_ENGLISH = {
    "华鑫汽车配件": "Huaxin Auto Parts", "长江水泵制造": "Changjiang Pump Works", "东方阀门": "Dongfang Valves",
    "恒通液压": "Hengtong Hydraulics", "金龙机电": "Jinlong Electromechanical", "宁波精工": "Ningbo Precision",
    "苏州恒力机械": "Suzhou Hengli Machinery", "佛山美达电器": "Foshan Meida Appliances",
    "温州正泰开关": "Wenzhou Zhengtai Switchgear", "无锡华光锅炉": "Wuxi Huaguang Boilers",
}
DEMO_CUSTOMERS_EN: tuple[str, ...] = tuple(_IN_ENGLISH.get(c, c) for c in DEMO_CUSTOMERS)
"""The same customers, position for position, with the Chinese companies under their English
names (``paichan demo --lang en``)."""
VIP_COUNT = 6

DEMO_PRODUCT_NAMES: Mapping[str, str] = {"PH": "泵壳", "VB": "阀体", "BR": "支架"}
"""What people call the demo's products, by the letters of their codes (PH-100 and PH-200 are
both pump housings)."""
DEMO_PRODUCT_NAMES_EN: Mapping[str, str] = {"PH": "Pump housing", "VB": "Valve body", "BR": "Bracket"}
_PRODUCT_NAMES = ("PH-100", "PH-200", "VB-10", "VB-20", "BR-1", "BR-2")

HISTORY_DAYS = 95


@dataclass(frozen=True, slots=True)
class PastDelivery:
    order: Order  # status DELIVERED
    delivered: datetime
    late_days: float  # 0 when on time


@dataclass(frozen=True, slots=True)
class PastComplaint:
    ref: str
    customer: str
    text: str
    created: datetime


@dataclass(frozen=True, slots=True)
class PastSurvey:
    ref: str
    customer: str
    sent: datetime
    score: int | None
    comment: str | None
    answered: datetime | None


@dataclass(frozen=True)
class DemoHistory:
    """The demo factory (open orders) and its past."""

    factory: Factory
    customers: tuple[str, ...]
    vip_customers: tuple[str, ...]
    delivered: tuple[PastDelivery, ...]
    complaints: tuple[PastComplaint, ...]
    surveys: tuple[PastSurvey, ...]


def late_probability(quantity: int) -> float:
    """Chance that a past order was delivered after its promise."""
    return 0.14 + (0.10 if quantity > 400 else 0.0)


def complaint_probability(late_days: float) -> float:
    """Chance that a delivered order drew a complaint, by how late it was."""
    return 0.03 + 0.40 * min(1.0, max(0.0, late_days) / 3.0)


def expected_score(late_days: float, complained: bool) -> float:
    """Mean survey score (1-5) of a delivered order."""
    return 4.6 - 0.7 * min(max(0.0, late_days), 3.0) - (0.8 if complained else 0.0)


# each text in Chinese and in English: a customer writes in its own language (a Chinese name: Chinese)
_LATE_COMPLAINTS = (
    ("交货晚了{days}天，影响了我们的装配线。", "Delivery was {days} days late and held up our assembly line."),
    ("交货晚了{days}天，事先也没人通知我们。", "Delivery was {days} days late and nobody told us in advance."),
    ("订单 {ref} 一再延期，请给出明确交期。", "Order {ref} keeps slipping; please give us a firm date."),
    ("{ref} 比承诺交期晚了{days}天，我们的产线只好停了。",
     "We had to stop our line: {ref} arrived {days} days after the promised date."),
)
_OTHER_COMPLAINTS = (
    ("有几件表面有划伤。", "Several parts had scratches on the surface."),
    ("到货时包装破损。", "Packing was damaged on arrival."),
    ("数量少了几件，请核对。", "A few pieces were missing; please check."),
    ("有两件超差。", "Two parts were out of tolerance."),
)
_LOW_SCORE_COMMENTS = (("交期不准。", "Delivery dates are unreliable."), ("又晚了。", "Late again."),
                       ("沟通不及时。", "Nobody keeps us informed."), ("延期时请早点告诉我们。", "Please tell us earlier when you slip."))
_HIGH_SCORE_COMMENTS = (("很好，谢谢！", "Very good, thank you!"), ("准时，质量好。", "On time, good quality."), None, None)


def _in_language_of(customer: str, text: tuple[str, str] | None) -> str | None:
    if text is None:
        return None
    return text[0] if any("\u4e00" <= ch <= "\u9fff" for ch in customer) else text[1]


def _weights(n: int) -> list[float]:
    return [1.0 / (rank + 3) for rank in range(n)]


def demo_history(now: datetime, seed: int = 7, *, open_orders: int = 150, delivered: int = 300,
                 customers: Sequence[str] = DEMO_CUSTOMERS,
                 product_names: Mapping[str, str] = DEMO_PRODUCT_NAMES) -> DemoHistory:
    """The demo factory at ``now`` (aware) and its delivered past (see the module doc).
    ``customers``: their names (:data:`DEMO_CUSTOMERS_EN` for an English demo); the draws are
    by position, so the data is otherwise the same. ``product_names``: what the products are
    called, by the letters of their codes (:data:`DEMO_PRODUCT_NAMES_EN` in English)."""
    now = floor_minute(ensure_aware(now))
    spec = FactorySpec(seed=seed, orders=open_orders, machines=12, groups=5, products=len(_PRODUCT_NAMES),
                       ref_start=1001 + delivered, tightness=DEMO_TIGHTNESS)
    base = generate_factory(spec, now)
    tz = ZoneInfo(base.timezone)
    rng = random.Random(seed * 7919 + 17)
    # a customer's rank (how much it orders) is drawn per seed, as are the VIPs
    names = tuple(customers)
    if len(names) != len(DEMO_CUSTOMERS) or len(set(names)) != len(names):
        raise ValueError(f"the demo needs {len(DEMO_CUSTOMERS)} different customer names")
    ranked = list(names)
    rng.shuffle(ranked)
    weights = _weights(len(ranked))
    vips = tuple(sorted(rng.sample(ranked, VIP_COUNT), key=names.index))

    rename = {old: new for old, new in zip(sorted(base.routings), _PRODUCT_NAMES)}
    routings = {rename[p]: Routing(rename[p], r.steps, product_names.get(rename[p].split("-")[0], ""))
                for p, r in base.routings.items()}
    open_list = []
    for o in base.orders:
        customer = rng.choices(ranked, weights)[0]
        open_list.append(replace(o, product=rename[o.product], customer=customer, vip=customer in vips))
    factory = replace(base, routings=routings, orders=tuple(open_list))

    past = _past_orders(rng, now, tz, delivered, ranked, weights, vips, list(routings))
    complaints: list[PastComplaint] = []
    surveys: list[PastSurvey] = []
    for d in past:
        o = d.order
        complained = rng.random() < complaint_probability(d.late_days)
        if complained:
            at = min(now, d.delivered + timedelta(hours=rng.uniform(2, 48)))
            pool = _LATE_COMPLAINTS if d.late_days > 0.5 else _OTHER_COMPLAINTS
            text = str(_in_language_of(o.customer, rng.choice(pool))).format(days=max(1, round(d.late_days)), ref=o.ref)
            complaints.append(PastComplaint(o.ref, o.customer, text, floor_minute(at)))
        sent = d.delivered + timedelta(days=1)
        if sent > now:
            continue
        if rng.random() < 0.75:
            score = max(1, min(5, round(rng.gauss(expected_score(d.late_days, complained), 0.6))))
            comment = _in_language_of(o.customer, rng.choice(_LOW_SCORE_COMMENTS if score <= 2 else _HIGH_SCORE_COMMENTS))
            answered = min(now, sent + timedelta(hours=rng.uniform(1, 30)))
            surveys.append(PastSurvey(o.ref, o.customer, sent, score, comment, floor_minute(answered)))
        else:
            surveys.append(PastSurvey(o.ref, o.customer, sent, None, None, None))
    complaints.sort(key=lambda c: (c.created, c.ref))
    surveys.sort(key=lambda s: (s.sent, s.ref))
    return DemoHistory(factory, names, vips, tuple(past), tuple(complaints), tuple(surveys))


def _past_orders(rng: random.Random, now: datetime, tz: ZoneInfo, n: int, customers: Sequence[str],
                 weights: Sequence[float], vips: Sequence[str], products: Sequence[str]) -> list[PastDelivery]:
    drafts = []
    for i in range(n):
        for _attempt in range(20):
            created = floor_minute(now - timedelta(days=rng.uniform(8, HISTORY_DAYS)))
            lead = rng.uniform(6, 16)
            due_day = (created + timedelta(days=lead)).astimezone(tz).date()
            due = datetime.combine(due_day, time(DUE_HOUR), tzinfo=tz)
            qty = round(rng.uniform(50, 600) / 10) * 10
            if rng.random() < late_probability(qty):
                late_days = min(10.0, 0.1 + rng.expovariate(1 / 1.6))
                delivered = due + timedelta(days=late_days)
            else:
                late_days = 0.0
                delivered = max(created + timedelta(days=2), due - timedelta(days=rng.uniform(0, 2.5)))
            if delivered <= now - timedelta(hours=1):
                break
        else:  # pragma: no cover - 20 misses in a row do not happen with these ranges
            delivered = now - timedelta(hours=1)
            late_days = max(0.0, (delivered - due).total_seconds() / 86400)
        # every customer has ordered at least once; beyond that the big ones order more
        customer = customers[i] if i < len(customers) else rng.choices(customers, weights)[0]
        drafts.append((created, customer, rng.choice(list(products)), qty, due, floor_minute(delivered), late_days))
    drafts.sort(key=lambda d: d[0])  # refs in order of creation
    out = []
    for i, (created, customer, product, qty, due, delivered, late_days) in enumerate(drafts):
        order = Order(ref=f"SO-{1001 + i}", customer=customer, product=product, quantity=qty, due=due,
                      vip=customer in vips, status=OrderStatus.DELIVERED, created=created)
        out.append(PastDelivery(order, delivered, late_days))
    return out
