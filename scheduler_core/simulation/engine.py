"""One policy through one scenario: the discrete-event loop on a simulated clock.

Everything the factory does goes through the product's use cases on the unit of work it is
given: orders are quoted (``promise``: capable-to-promise, or a fixed lead time) and taken
(``record_order``; a rush order under paichan through ``assess`` / ``confirm_change``), the
floor's work is reported (``record_progress``, ``record_delivery``), breakdowns are
``record_machine_down`` / ``record_machine_up``, and the plan is made by ``replan_now`` with
the policy's planner: a dispatching rule (FIFO, EDD, ATC) or paichan's CP-SAT search. Events
are batched: the factory is re-planned every ``replan_hours`` of simulated time when anything
happened since the last plan.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from scheduler_core.domain.calendar import merge_intervals, subtract_intervals
from scheduler_core.domain.check import check_schedule
from scheduler_core.domain.model import Factory, Order
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.domain.timegrid import TimeGrid
from scheduler_core.planning.heuristic import Rule
from scheduler_core.services.change_flow import assess, confirm_change, promise, reject_change
from scheduler_core.services.changes import InsertOrder
from scheduler_core.services.context import Services, load_factory
from scheduler_core.services.feedback import record_delivery
from scheduler_core.services.intake import record_order
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import SYSTEM, OrderRecord, ProgressEvent, Role, UnitOfWorkFactory, User
from scheduler_core.services.shopfloor import (
    record_machine_down,
    record_machine_up,
    record_progress,
    replan_now,
)

from .floor import Floor, Running
from .scenario import Arrival, Scenario

__all__ = ["POLICIES", "OrderOutcome", "Policy", "RunResult", "SimClock", "SimSettings", "seed_storage",
           "simulate_policy"]


@dataclass(frozen=True, slots=True)
class Policy:
    """How a factory quotes and sequences. ``rule`` None: paichan's planner (CP-SAT search);
    ``quote`` "fixed": a fixed lead time, "ctp": capable-to-promise; ``warns``: customers get
    the planner's delay warnings (a factory without paichan has none)."""

    name: str
    rule: Rule | None
    quote: Literal["fixed", "ctp"]
    warns: bool


POLICIES: dict[str, Policy] = {
    "fifo": Policy("fifo", "fifo", "fixed", False),
    "edd": Policy("edd", "edd", "fixed", False),
    "atc": Policy("atc", "atc", "fixed", False),
    "paichan": Policy("paichan", None, "ctp", True),
}


@dataclass(frozen=True, slots=True)
class SimSettings:
    """``lead_days``: the fixed quote (calendar days; a later requested date is kept);
    ``margin_hours``: paichan's margin on its capable-to-promise date; ``quote_same``: every
    policy quotes the fixed lead time (the sequencing effect alone); ``plan_seconds``:
    paichan's time limit per plan; ``replan_hours``: event batching; ``tick_minutes``: how
    often the floor looks for work; ``validate``: check every published plan against the
    calendars again (the planner already does before publishing)."""

    lead_days: float = 10.0
    margin_hours: float = 24.0
    quote_same: bool = False
    plan_seconds: float = 1.0
    replan_hours: float = 4.0
    tick_minutes: int = 15
    validate: bool = False


class SimClock:
    """The injected clock: the simulation sets it, the use cases read it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class OrderOutcome:
    """One order that arrived during the simulation."""

    ref: str
    customer: str
    vip: bool
    rush: bool
    arrived: datetime
    requested: datetime
    promised: datetime
    accepted_as_requested: bool
    finished: datetime | None = None
    warned: bool = False


@dataclass
class RunResult:
    policy: str
    seed: int
    start: datetime
    end: datetime
    outcomes: list[OrderOutcome]
    busy_minutes: float
    available_minutes: float
    replans: int
    plan_versions: int
    wall_seconds: float
    plan_violations: list[str] = field(default_factory=list)
    open_orders_end: int = 0
    initial_orders: int = 0
    initial_finished: int = 0


async def seed_storage(uow: UnitOfWorkFactory, scenario: Scenario) -> None:
    """Write the scenario's factory (master data, open orders, reported progress) and one
    customer user per customer into an empty store."""
    f = scenario.factory
    async with uow(write=True) as u:
        await u.master.set_timezone(f.timezone)
        for cal in f.calendars.values():
            await u.master.save_calendar(cal)
        for m in f.machines:
            await u.master.save_machine(m)
        for r in f.routings.values():
            await u.master.save_routing(r)
        await u.shopfloor.set_downtime(f.downtime)
        for i, c in enumerate(scenario.customers):
            await u.users.add(User(0, f"customer{i + 1}", Role.CUSTOMER, c, c, "en"))
        for o in f.orders:
            await u.orders.add(OrderRecord(o))
        for (ref, step), p in sorted(f.progress.items()):
            if p.machine is None or p.started is None or p.done <= 0:
                continue
            at = p.finished or p.started
            await u.shopfloor.add_progress(ProgressEvent(ref, step, p.done, 0, p.machine, 0, at,
                                                         finished=p.finished is not None))
        await u.commit()


def _ceil_hour(t: datetime) -> datetime:
    up = t.replace(minute=0, second=0, microsecond=0)
    return up if up == t else up + timedelta(hours=1)


class _Run:
    """The state of one simulation run (a helper of :func:`simulate_policy`)."""

    def __init__(self, uow: UnitOfWorkFactory, scenario: Scenario, policy: Policy, settings: SimSettings) -> None:
        self.scenario = scenario
        self.policy = policy
        self.settings = settings
        self.clock = SimClock(scenario.start)
        planning = PlanSettings(deadline=settings.plan_seconds, isolate=False, rule=policy.rule, seed=0)
        self.svc = Services(uow=uow, clock=self.clock, planning=planning)
        # quotes need only the gap-fitting date, not a search: a dispatching rule plans the rest
        self.quote_svc = Services(uow=uow, clock=self.clock, planning=replace(planning, rule="atc"))
        self.grid = TimeGrid.starting(scenario.start, scenario.factory.timezone)
        self.total = self.grid.minutes(scenario.end)
        self.outcomes: dict[str, OrderOutcome] = {}
        self.sequences: dict[str, list[PlannedOp]] = {}
        self.replans = 0
        self.violations: list[str] = []
        self.available = self._availability()
        noise = {k: scenario.noise(*k) for k in scenario.factory.progress}
        self.floor = Floor.from_progress(scenario.factory, dict(scenario.factory.progress), noise)
        self.finished_at: dict[tuple[str, int], float] = {k: -math.inf for k in self.floor.finished}

    def _availability(self) -> dict[str, list[tuple[int, int]]]:
        f = self.scenario.factory
        out: dict[str, list[tuple[int, int]]] = {}
        for m in f.machines:
            work = f.calendars[m.calendar].working_intervals(self.grid, self.scenario.start, self.scenario.end)
            down = [(self.grid.minutes(b.start), self.grid.minutes(b.end)) for b in self.scenario.breakdowns
                    if b.machine == m.id]
            down += [(self.grid.minutes(max(d.start, self.scenario.start)),
                      self.grid.minutes(d.end) if d.end else self.total) for d in f.downtime if d.machine == m.id]
            out[m.id] = subtract_intervals(work, merge_intervals(down))
        return out

    def at(self, minute: float) -> datetime:
        return self.grid.at(int(minute))

    async def refresh_plan(self) -> None:
        async with self.svc.uow() as u:
            current = await u.plans.current()
            if current is not None and self.settings.validate:
                factory, _ = await load_factory(u)
                self._validate(factory, current.schedule)
        seqs: dict[str, list[PlannedOp]] = {}
        if current is not None:
            for op in sorted(current.schedule.ops, key=lambda o: (o.start, o.ref, o.step)):
                seqs.setdefault(op.machine, []).append(op)
        self.sequences = seqs

    def _validate(self, factory: Factory, schedule: Schedule) -> None:
        found = check_schedule(factory, schedule, limit=3)
        self.violations.extend(f"v{schedule.version}: {p}" for p in found)

    async def replan(self) -> None:
        await replan_now(self.svc, SYSTEM, "simulation")
        self.replans += 1
        await self.refresh_plan()

    async def take_order(self, a: Arrival) -> None:
        s = self.settings
        order = Order(a.ref, a.customer, a.product, a.quantity, a.requested, vip=a.vip, rush=a.rush, created=a.at)
        accepted = True
        if self.policy.quote == "fixed" or s.quote_same:
            due = a.requested if a.rush else max(a.requested, _ceil_hour(a.at + timedelta(days=s.lead_days)))
            accepted = due == a.requested
            await record_order(self.svc, SYSTEM, replace(order, due=due))
        elif a.rush:
            proposal = await assess(self.svc, SYSTEM, InsertOrder(order))
            if proposal.on_time_possible:
                await confirm_change(self.svc, SYSTEM, proposal.token)
                due = a.requested
                await self.refresh_plan()
            else:
                await reject_change(self.svc, SYSTEM, proposal.token)
                earliest = proposal.earliest or proposal.subject_eta or a.requested
                due = max(a.requested, _ceil_hour(earliest + timedelta(hours=s.margin_hours)))
                accepted = False
                await record_order(self.svc, SYSTEM, replace(order, due=due))
        else:
            view = await promise(self.quote_svc, SYSTEM, a.product, a.quantity)
            due = max(a.requested, _ceil_hour(view.undisturbed + timedelta(hours=s.margin_hours)))
            accepted = due == a.requested
            await record_order(self.svc, SYSTEM, replace(order, due=due))
        self.floor.add_order(a.ref, a.product, a.quantity)
        self.outcomes[a.ref] = OrderOutcome(a.ref, a.customer, a.vip, a.rush, a.at, a.requested, due, accepted)

    async def report_partial(self, run: Running) -> None:
        """报工 of the units finished so far on a running operation (pins it to its machine)."""
        units = run.units_done() - run.reported
        if units >= 1:
            await record_progress(self.svc, SYSTEM, run.ref, units, step=run.step + 1, machine=run.machine)
            run.reported += units

    async def complete(self, minute: float, run: Running) -> None:
        self.clock.now = self.at(minute)
        await record_progress(self.svc, SYSTEM, run.ref, run.todo - run.reported, step=run.step + 1,
                              machine=run.machine, finished=True)
        if self.floor.order_finished(run.ref):
            await record_delivery(self.svc, SYSTEM, run.ref)
            out = self.outcomes.get(run.ref)
            if out is not None:
                out.finished = self.clock.now

    def ready(self, op: PlannedOp, minute: float) -> bool:
        if not self.floor.ready(op):
            return False
        return op.step == 0 or self.finished_at.get((op.ref, op.step - 1), math.inf) <= minute

    def work(self, t0: int, t1: int) -> list[tuple[float, Running]]:
        """Run every machine over [t0, t1); returns the operations that finished, with when."""
        done: list[tuple[float, Running]] = []
        for m, avail in self.available.items():
            for a, b in avail:
                if b <= t0:
                    continue
                if a >= t1:
                    break
                cursor: float = max(a, t0)
                stop = min(b, t1)
                while cursor < stop:
                    run = self.floor.running.get(m)
                    if run is None:
                        op = next((o for o in self.sequences.get(m, ()) if self.ready(o, cursor)), None)
                        if op is None:
                            break
                        key = (op.ref, op.step)
                        todo = self.floor.quantity(op.ref) - self.floor.done_before.get(key, 0)
                        run = self.floor.start(key, m, todo, self.scenario.noise(*key))
                    w = min(run.remaining, stop - cursor)
                    run.worked += w
                    cursor += w
                    self.floor.busy_minutes += w
                    if run.remaining <= 1e-9:
                        del self.floor.running[m]
                        key = (run.ref, run.step)
                        self.floor.finished.add(key)
                        self.finished_at[key] = cursor
                        done.append((cursor, run))
        done.sort(key=lambda x: (x[0], x[1].ref, x[1].step))
        return done

    async def warnings(self) -> None:
        """Mark the orders whose customer got a delay warning before the promised date."""
        if not self.policy.warns:
            return
        async with self.svc.uow() as u:
            pending = await u.outbox.pending(limit=10**7)
        for n in pending:
            if n.kind != "delay":
                continue
            out = self.outcomes.get(str(n.payload.get("ref")))
            if out is not None and n.created < out.promised:
                out.warned = True


async def simulate_policy(uow: UnitOfWorkFactory, scenario: Scenario, policy: Policy,
                          settings: SimSettings = SimSettings(), *,
                          progress: Callable[[float], None] | None = None) -> RunResult:
    """Run ``policy`` through ``scenario`` on an empty store behind ``uow``."""
    t_wall = time.monotonic()
    run = _Run(uow, scenario, policy, settings)
    await seed_storage(uow, scenario)
    await run.replan()
    events: list[tuple[int, int, object]] = []
    for b in scenario.breakdowns:
        events.append((run.grid.minutes(b.start), 0, ("down", b.machine)))
        events.append((run.grid.minutes(b.end), 1, ("up", b.machine)))
    for a in scenario.arrivals:
        events.append((run.grid.minutes(a.at), 2, a))
    events.sort(key=lambda e: (e[0], e[1]))
    ei = 0
    tick = settings.tick_minutes
    replan_every = max(tick, int(settings.replan_hours * 60))
    next_replan = replan_every
    dirty = False
    t = 0
    while t < run.total:
        t1 = min(run.total, t + tick)
        for minute, run_ in run.work(t, t1):
            await run.complete(minute, run_)
            dirty = True
        while ei < len(events) and events[ei][0] < t1:
            minute, _, ev = events[ei]
            ei += 1
            if minute >= run.total:
                continue
            run.clock.now = run.at(max(minute, t))
            if isinstance(ev, Arrival):
                await run.take_order(ev)
            else:
                assert isinstance(ev, tuple)
                kind, machine = ev
                if kind == "down":
                    running = run.floor.running.get(machine)
                    if running is not None:
                        await run.report_partial(running)
                    await record_machine_down(run.svc, SYSTEM, machine, "breakdown")
                else:
                    await record_machine_up(run.svc, SYSTEM, machine)
            dirty = True
        t = t1
        if t >= next_replan:
            next_replan += replan_every
            if dirty:
                run.clock.now = run.at(t)
                for running in list(run.floor.running.values()):
                    await run.report_partial(running)
                await run.replan()
                dirty = False
        if progress is not None:
            progress(t / run.total)
    run.clock.now = scenario.end
    await run.warnings()
    async with uow() as u:
        active = await u.orders.active()
        versions = await u.plans.current()
    initial = {o.ref for o in scenario.factory.orders}
    return RunResult(
        policy=policy.name, seed=scenario.seed, start=scenario.start, end=scenario.end,
        outcomes=list(run.outcomes.values()), busy_minutes=run.floor.busy_minutes,
        available_minutes=float(sum(b - a for iv in run.available.values() for a, b in iv)),
        replans=run.replans, plan_versions=versions.number if versions else 0,
        wall_seconds=time.monotonic() - t_wall, plan_violations=run.violations,
        open_orders_end=len(active), initial_orders=len(initial),
        initial_finished=len(initial) - sum(1 for r in active if r.ref in initial),
    )

