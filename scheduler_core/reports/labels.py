"""Words for the codes that the command line and the web pages show (translated where used)."""

from __future__ import annotations

from scheduler_core.domain.model import OrderStatus

from .i18n import N_

__all__ = ["ROLE_LABELS", "STATUS_LABELS", "STEP_LABELS"]

ROLE_LABELS: dict[str, str] = {  # keyed by the role's value, so a services.ports.Role looks up too
    "admin": N_("admin"),
    "manager": N_("manager"),
    "sales": N_("sales"),
    "operator": N_("operator"),
    "customer": N_("customer"),
}
STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.OPEN: N_("not started"),
    OrderStatus.IN_PROGRESS: N_("in production"),
    OrderStatus.DONE: N_("finished, awaiting delivery"),
    OrderStatus.DELIVERED: N_("delivered"),
    OrderStatus.CANCELLED: N_("cancelled"),
}
STEP_LABELS: dict[str, str] = {"done": N_("done"), "running": N_("running"), "planned": N_("planned")}
