"""JSON-ready dictionaries for what use cases store: changes, impact reports, schedules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from scheduler_core.domain.cause import LateCause
from scheduler_core.domain.impact import ImpactReport
from scheduler_core.domain.model import Order, OrderStatus
from scheduler_core.domain.schedule import PlannedOp, Schedule

from .changes import (
    CancelOrder,
    Change,
    ChangeDue,
    ChangeMaterial,
    ChangePriority,
    ChangeQuantity,
    InsertOrder,
    MoveOperation,
)

__all__ = [
    "cause_from_dict",
    "cause_to_dict",
    "change_from_dict",
    "change_to_dict",
    "customer_cause",
    "impact_to_dict",
    "order_from_dict",
    "order_to_dict",
    "schedule_from_dict",
    "schedule_to_dict",
]


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pdt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def order_to_dict(o: Order) -> dict[str, Any]:
    return {
        "ref": o.ref, "customer": o.customer, "product": o.product, "quantity": o.quantity, "due": _dt(o.due),
        "vip": o.vip, "priority": o.priority, "rush": o.rush, "release": _dt(o.release),
        "status": o.status.value, "created": _dt(o.created),
    }


def order_from_dict(d: dict[str, Any]) -> Order:
    due = _pdt(d["due"])
    assert due is not None
    return Order(
        ref=d["ref"], customer=d["customer"], product=d["product"], quantity=int(d["quantity"]), due=due,
        vip=bool(d.get("vip")), priority=int(d.get("priority", 1)), rush=bool(d.get("rush")),
        release=_pdt(d.get("release")), status=OrderStatus(d.get("status", "open")), created=_pdt(d.get("created")),
    )


def change_to_dict(c: Change) -> dict[str, Any]:
    if isinstance(c, InsertOrder):
        return {"kind": "insert", "order": order_to_dict(c.order)}
    if isinstance(c, ChangeDue):
        return {"kind": "due", "ref": c.ref, "due": _dt(c.due)}
    if isinstance(c, ChangeQuantity):
        return {"kind": "quantity", "ref": c.ref, "quantity": c.quantity}
    if isinstance(c, CancelOrder):
        return {"kind": "cancel", "ref": c.ref}
    if isinstance(c, MoveOperation):
        return {"kind": "move", "ref": c.ref, "step": c.step, "machine": c.machine, "not_before": _dt(c.not_before)}
    if isinstance(c, ChangeMaterial):
        return {"kind": "material", "ref": c.ref, "ready": _dt(c.ready)}
    return {"kind": "priority", "ref": c.ref, "priority": c.priority, "vip": c.vip, "rush": c.rush}


def change_from_dict(d: dict[str, Any]) -> Change:
    kind = d["kind"]
    if kind == "insert":
        return InsertOrder(order_from_dict(d["order"]))
    if kind == "due":
        due = _pdt(d["due"])
        assert due is not None
        return ChangeDue(d["ref"], due)
    if kind == "quantity":
        return ChangeQuantity(d["ref"], int(d["quantity"]))
    if kind == "cancel":
        return CancelOrder(d["ref"])
    if kind == "move":
        when = _pdt(d["not_before"])
        assert when is not None
        return MoveOperation(d["ref"], int(d["step"]), d["machine"], when)
    if kind == "material":
        return ChangeMaterial(d["ref"], _pdt(d.get("ready")))
    return ChangePriority(d["ref"], d.get("priority"), d.get("vip"), d.get("rush"))


def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    return {
        "created": _dt(s.created), "version": s.version, "method": s.method, "status": s.status,
        "finished": {k: _dt(v) for k, v in s.finished.items()},
        "ops": [
            [o.ref, o.step, o.step_name, o.machine, _dt(o.start), _dt(o.end), o.quantity, o.work_minutes, o.fixed]
            for o in s.ops
        ],
    }


def schedule_from_dict(d: dict[str, Any]) -> Schedule:
    created = _pdt(d["created"])
    assert created is not None
    ops = tuple(
        PlannedOp(r, int(k), n, m, datetime.fromisoformat(a), datetime.fromisoformat(b), int(q), int(w), bool(f))
        for r, k, n, m, a, b, q, w, f in d["ops"]
    )
    finished = {k: datetime.fromisoformat(v) for k, v in d.get("finished", {}).items()}
    return Schedule(ops, created, int(d.get("version", 0)), d.get("method", ""), d.get("status", ""), finished)


def impact_to_dict(r: ImpactReport) -> dict[str, Any]:
    def one(i: Any) -> dict[str, Any]:
        return {
            "ref": i.ref, "customer": i.customer, "vip": i.vip, "due": _dt(i.due), "old_eta": _dt(i.old_eta),
            "new_eta": _dt(i.new_eta), "change_minutes": round(i.change.total_seconds() / 60),
            "late_by_minutes": round(i.late_by.total_seconds() / 60), "newly_late": i.newly_late,
        }

    return {
        "subject": [one(i) for i in r.subject],
        "delayed": [one(i) for i in r.delayed],
        "improved": [one(i) for i in r.improved],
        "newly_late": [i.ref for i in r.newly_late],
        "moved_ops": r.moved_ops,
        "resequenced_ops": r.resequenced_ops,
        "conflict_machine": r.conflict_machine,
        "tardiness_added_minutes": round(r.tardiness_added.total_seconds() / 60),
    }


def cause_to_dict(c: LateCause) -> dict[str, Any]:
    return {"kind": c.kind, "machine": c.machine, "orders": list(c.orders), "until": _dt(c.until),
            "wait_minutes": round(c.wait.total_seconds() / 60), "others": c.others}


def customer_cause(d: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored cause as a customer's message may carry it (:meth:`LateCause.for_customer`)."""
    return cause_to_dict(cause_from_dict(d).for_customer()) if d else None


def cause_from_dict(d: dict[str, Any]) -> LateCause:
    return LateCause(d["kind"], d.get("machine"), tuple(d.get("orders", ())), _pdt(d.get("until")),
                     timedelta(minutes=int(d.get("wait_minutes", 0))), int(d.get("others") or 0))
