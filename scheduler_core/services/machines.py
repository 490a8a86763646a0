"""Use case: the machines with their stops (downtime), for staff."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler_core.domain.calendar import Downtime

from .context import Services
from .policy import require
from .ports import Actor

__all__ = ["MachineView", "list_machines"]


@dataclass(frozen=True, slots=True)
class MachineView:
    """A machine; ``down`` when a stop covers now; ``downtime`` every recorded stop, oldest first."""

    id: str
    name: str
    group: str
    calendar: str
    down: bool
    downtime: tuple[Downtime, ...]


async def list_machines(svc: Services, actor: Actor) -> list[MachineView]:
    """Every machine with its stops; ``down`` says whether one is in force now."""
    require(actor, "view_plan")
    now = svc.now()
    async with svc.uow() as uow:
        machines = await uow.master.machines()
        downtime = await uow.shopfloor.downtime()
    out = []
    for m in machines:  # in shop order
        mine = tuple(sorted((d for d in downtime if d.machine == m.id), key=lambda d: d.start))
        out.append(MachineView(m.id, m.name, m.group, m.calendar, any(d.covers(now) for d in mine), mine))
    return out
