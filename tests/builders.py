"""Test builders with defaults: ``make_order(due=...)``, ``make_factory(...)``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler_core.domain.calendar import TWO_SHIFTS, Downtime, Shift, WorkCalendar
from scheduler_core.domain.model import Alternative, Factory, Machine, Order, Progress, Routing, Step
from scheduler_core.planning.problem import Fixed, Job, Mode, Op, Previous, Problem

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # a Monday, start of the day shift
ALWAYS = WorkCalendar("always", {d: (Shift(time(0, 0), time(0, 0)),) for d in range(1, 8)})


def at(hours: float = 0, days: float = 0) -> datetime:
    return NOW + timedelta(hours=hours, days=days)


def make_order(ref: str = "SO-1", *, product: str = "P", quantity: int = 60, due: datetime | None = None,
               customer: str = "ACME", vip: bool = False, rush: bool = False, release: datetime | None = None,
               priority: int = 1) -> Order:
    return Order(ref, customer, product, quantity, due or at(days=2), vip=vip, rush=rush, release=release,
                 priority=priority, created=at(days=-1))


def make_factory(
    orders: Sequence[Order] = (),
    *,
    machines: Iterable[str] = ("M1", "M2"),
    routings: dict[str, Sequence[Sequence[tuple[str, float, float]]]] | None = None,
    calendar: WorkCalendar = ALWAYS,
    downtime: Sequence[Downtime] = (),
    progress: dict[tuple[str, int], Progress] | None = None,
) -> Factory:
    """Routings as ``{"P": [[("M1", setup, per_unit), ("M2", ...)], [...next step...]]}``;
    default: product P = one step on M1 then one on M2, 1 minute per unit."""
    routings = routings or {"P": [[("M1", 0, 1.0)], [("M2", 0, 1.0)]]}
    rs = {
        name: Routing(name, tuple(Step(f"step{k + 1}", tuple(Alternative(m, s, u) for m, s, u in alts))
                                  for k, alts in enumerate(steps)))
        for name, steps in routings.items()
    }
    ms = tuple(Machine(m, m, m.rstrip("0123456789") or m, calendar.name) for m in machines)
    return Factory("Asia/Shanghai", ms, {calendar.name: calendar, TWO_SHIFTS.name: TWO_SHIFTS}, rs, tuple(orders),
                   tuple(downtime), progress or {})


def make_problem(jobs: Sequence[Sequence[dict[int, int]]], *, machines: int = 2, due: Sequence[int | None] = (),
                 weights: Sequence[int] = (), release: Sequence[int] = (), objective: str = "makespan",
                 blocked: Sequence[Sequence[tuple[int, int]]] = (), fixed: dict[tuple[int, int], Fixed] | None = None,
                 previous: dict[tuple[int, int], Previous] | None = None, now: int = 0) -> Problem:
    """Jobs as lists of ``{machine: duration}`` per operation."""
    fixed = fixed or {}
    previous = previous or {}
    js = []
    for j, ops in enumerate(jobs):
        o = tuple(Op(j, k, tuple(Mode(m, d) for m, d in alts.items()), fixed.get((j, k)), previous.get((j, k)),
                     f"J{j}/{k}") for k, alts in enumerate(ops))
        js.append(Job(f"J{j}", o, release[j] if release else 0, due[j] if due else None,
                      weights[j] if weights else 1))
    bl = tuple(tuple(b) for b in blocked) if blocked else tuple(() for _ in range(machines))
    return Problem(tuple(js), tuple(f"M{i}" for i in range(machines)), bl, objective, now)  # type: ignore[arg-type]
