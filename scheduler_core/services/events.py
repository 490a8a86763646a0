"""Shop-floor events (报工, machine stops) as changes to the factory; the caller re-plans."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from scheduler_core.domain.calendar import Downtime
from scheduler_core.domain.model import Factory, OrderStatus, add_report

from .changes import ChangeError

__all__ = ["Event", "MachineDown", "MachineUp", "ProgressReport", "apply_event"]


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """``good`` more units of step ``step`` (0-based) of ``ref`` made on ``machine`` at ``at``;
    ``finished`` closes the step even when fewer units than ordered were good."""

    ref: str
    step: int
    good: int
    machine: str
    at: datetime
    scrap: int = 0
    finished: bool = False


@dataclass(frozen=True, slots=True)
class MachineDown:
    """A machine stops at ``at`` until ``until`` (None: until it is reported running). A stop in
    force replaces the machine's stop until further notice; a ``planned`` one (maintenance ahead
    of time) needs its end and leaves every other stop as it is."""

    machine: str
    at: datetime
    until: datetime | None = None
    reason: str = ""
    planned: bool = False


@dataclass(frozen=True, slots=True)
class MachineUp:
    machine: str
    at: datetime


Event = ProgressReport | MachineDown | MachineUp


def apply_event(factory: Factory, event: Event) -> Factory:
    """The factory after ``event``. Raises :class:`ChangeError` on input that cannot apply."""
    machine_ids = {m.id for m in factory.machines}
    if event.machine not in machine_ids:
        raise ChangeError("unknown_machine", machine=event.machine)
    if isinstance(event, MachineDown):
        if (event.until is None and event.planned) or (event.until is not None and event.until <= event.at):
            raise ChangeError("bad_window", start=event.at, end=event.until)
        kept = factory.downtime if event.planned else _superseded(factory.downtime, event.machine, event.at)
        return replace(factory, downtime=(*kept, Downtime(event.machine, event.at, event.until, event.reason)))
    if isinstance(event, MachineUp):
        return replace(factory, downtime=_ended(factory.downtime, event.machine, event.at))
    return _progress(factory, event)


def _ended(downtime: tuple[Downtime, ...], machine: str, at: datetime) -> tuple[Downtime, ...]:
    """``downtime`` with ``machine``'s stops in force at ``at`` ending there (it runs again)."""
    return tuple(replace(d, end=at) if d.machine == machine and d.covers(at) else d for d in downtime)


def _superseded(downtime: tuple[Downtime, ...], machine: str, at: datetime) -> tuple[Downtime, ...]:
    """The stops of a factory when ``machine`` is reported down at ``at``: the report is what is
    known now about the machine's stop, so a stop of it until further notice is dropped and one in
    force at ``at`` ends there ("broke down, back in 3 hours" during a stop recorded until 17:40:
    back in 3 hours; one that began at ``at`` is gone); stops planned ahead and those of other
    machines stay."""
    known = tuple(d for d in downtime if not (d.machine == machine and d.end is None))
    return tuple(d for d in _ended(known, machine, at) if d.end is None or d.start < d.end)


def _progress(factory: Factory, ev: ProgressReport) -> Factory:
    order = next((o for o in factory.orders if o.ref == ev.ref), None)
    if order is None or not order.status.is_active:
        raise ChangeError("unknown_order", ref=ev.ref)
    routing = factory.routings[order.product]
    if not 0 <= ev.step < len(routing.steps):
        raise ChangeError("unknown_step", ref=ev.ref, step=ev.step + 1)
    if ev.good < 0 or ev.scrap < 0:
        raise ChangeError("quantity_negative", quantity=min(ev.good, ev.scrap))
    if not routing.steps[ev.step].runs_on(ev.machine):
        raise ChangeError("machine_not_for_step", machine=ev.machine, step=ev.step + 1)
    prev = factory.progress.get((ev.ref, ev.step))
    if prev is not None and prev.finished is not None:
        raise ChangeError("step_already_finished", ref=ev.ref, step=ev.step + 1)
    done = (prev.done if prev else 0) + ev.good
    if done > order.quantity * 2:
        raise ChangeError("quantity_too_large", quantity=ev.good, limit=order.quantity)
    progress = dict(factory.progress)
    add_report(progress, ev.ref, ev.step, ev.good, ev.machine, ev.at, ev.finished, order.quantity)
    all_done = all((p := progress.get((ev.ref, k))) is not None and p.finished is not None
                   for k in range(len(routing.steps)))
    status = OrderStatus.DONE if all_done else OrderStatus.IN_PROGRESS
    orders = tuple(replace(o, status=status) if o.ref == ev.ref else o for o in factory.orders)
    return replace(factory, progress=progress, orders=orders)
