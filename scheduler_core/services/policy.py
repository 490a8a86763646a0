"""Who may do what: the ONE place permissions are decided."""

from __future__ import annotations

from .errors import NotFound, PermissionDenied
from .ports import Actor, OrderRecord, Role

__all__ = ["ACTIONS", "can", "require", "require_order_visible", "visible"]

_STAFF = frozenset({Role.SALES, Role.OPERATOR, Role.MANAGER, Role.ADMIN})

ACTIONS: dict[str, frozenset[Role]] = {
    "view_order": frozenset(Role),  # customers: own orders only, see visible()
    "list_orders": frozenset(Role),
    "complain": frozenset(Role),
    "answer_survey": frozenset({Role.CUSTOMER}),
    "promise": frozenset({Role.SALES, Role.MANAGER, Role.ADMIN}),
    "assess_change": frozenset({Role.SALES, Role.MANAGER, Role.ADMIN}),
    "confirm_change": frozenset({Role.SALES, Role.MANAGER, Role.ADMIN}),
    "report_progress": frozenset({Role.OPERATOR, Role.MANAGER, Role.ADMIN}),
    "machine_state": frozenset({Role.OPERATOR, Role.MANAGER, Role.ADMIN}),
    "record_delivery": frozenset({Role.SALES, Role.MANAGER, Role.ADMIN}),
    "kpis": frozenset({Role.MANAGER, Role.ADMIN}),
    "replan": frozenset({Role.MANAGER, Role.ADMIN}),
    "link_code": frozenset({Role.MANAGER, Role.ADMIN}),
    "manage_users": frozenset({Role.ADMIN}),
    "import_data": frozenset({Role.ADMIN, Role.MANAGER}),
    "view_plan": _STAFF,
}


def can(actor: Actor, action: str) -> bool:
    return actor.role in ACTIONS.get(action, frozenset())


def require(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied("not_allowed", action=action)


def visible(actor: Actor, record: OrderRecord) -> bool:
    """A customer sees only their own orders; staff see all."""
    if actor.role is Role.CUSTOMER:
        return actor.customer is not None and record.order.customer == actor.customer
    return True


def require_order_visible(actor: Actor, record: OrderRecord | None, ref: str) -> OrderRecord:
    """The record, or the SAME NotFound for unknown and foreign orders (P1)."""
    if record is None or not visible(actor, record):
        raise NotFound("order_not_found", ref=ref)
    return record
