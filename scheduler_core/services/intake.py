"""Use case: take a new order into the order book without re-planning at once.

The chat's rush insertion goes through assess / confirm (the user sees the impact first);
orders that arrive in bulk (the simulator's customers, an EDI feed) are recorded here and
planned by the next :func:`~scheduler_core.services.shopfloor.replan_now`.
"""

from __future__ import annotations

from dataclasses import replace

from scheduler_core.domain.model import Order, OrderStatus

from .changes import MAX_QUANTITY
from .context import Services
from .errors import InvalidInput
from .policy import require
from .ports import Actor, AuditEntry, OrderRecord
from .refs import normalise_ref

__all__ = ["record_order"]


async def record_order(svc: Services, actor: Actor, order: Order, *, sales: str | None = None) -> OrderRecord:
    """Add ``order`` as an open order (created now unless it says otherwise).

    Raises:
        InvalidInput: unknown product, quantity out of range, a reference in use, a promised
            date without a timezone; nothing was written.
    """
    require(actor, "import_data")
    ref = normalise_ref(order.ref)
    if not 1 <= order.quantity <= MAX_QUANTITY:
        code = "quantity_not_positive" if order.quantity < 1 else "quantity_too_large"
        raise InvalidInput(code, quantity=order.quantity, limit=MAX_QUANTITY)
    if order.due.tzinfo is None:
        raise InvalidInput("bad_date", value=order.due.isoformat())
    now = svc.now()
    async with svc.uow(write=True) as uow:
        if await uow.master.routing(order.product) is None:
            raise InvalidInput("unknown_product", product=order.product)
        if await uow.orders.get(ref) is not None:
            raise InvalidInput("duplicate_order", ref=ref)
        record = OrderRecord(replace(order, ref=ref, status=OrderStatus.OPEN, created=order.created or now),
                             sales=sales)
        await uow.orders.add(record)
        await uow.audit.add(AuditEntry(now, actor.user_id, "record_order", ref, None,
                                       {"product": order.product, "quantity": order.quantity,
                                        "due": order.due.isoformat(), "rush": order.rush}))
        await uow.commit()
    return record
